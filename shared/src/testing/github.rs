//! In-memory App installations and webhook delivery log, with the same conditional rules as
//! the DynamoDB adapters.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock;
use crate::domain::{AppInstallation, InstallationId, InstallationUpdate};
use crate::error::StoreError;
use crate::ports::{AppInstallations, DeliveryLog};

/// An App installations table in memory.
#[derive(Debug, Default)]
pub struct MemoryAppInstallations {
    items: Mutex<HashMap<InstallationId, AppInstallation>>,
}

impl MemoryAppInstallations {
    /// Every record, in id order.
    pub fn all(&self) -> Vec<AppInstallation> {
        let mut all: Vec<_> = lock(&self.items).values().cloned().collect();
        all.sort_by_key(|r| r.installation_id);
        all
    }
}

#[async_trait]
impl AppInstallations for MemoryAppInstallations {
    async fn get(&self, id: InstallationId) -> Result<Option<AppInstallation>, StoreError> {
        Ok(lock(&self.items).get(&id).cloned())
    }

    async fn apply(
        &self,
        id: InstallationId,
        update: &InstallationUpdate,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let mut items = lock(&self.items);
        match items.get_mut(&id) {
            Some(record) if record.deleted && !update.deleted => Ok(false),
            Some(record) => {
                update.apply_to(record, now);
                Ok(true)
            }
            None => {
                items.insert(id, update.new_record(id, now));
                Ok(true)
            }
        }
    }
}

/// A webhook delivery log in memory.
#[derive(Debug, Default)]
pub struct MemoryDeliveryLog {
    seen: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl MemoryDeliveryLog {
    /// How many deliveries are recorded.
    pub fn len(&self) -> usize {
        lock(&self.seen).len()
    }

    /// Whether no delivery is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl DeliveryLog for MemoryDeliveryLog {
    async fn record_first(&self, id: &str, expires_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut seen = lock(&self.seen);
        match seen.get(id) {
            Some(until) if *until >= Utc::now() => Ok(false),
            _ => {
                seen.insert(id.to_owned(), expires_at);
                Ok(true)
            }
        }
    }

    async fn forget(&self, id: &str) -> Result<(), StoreError> {
        lock(&self.seen).remove(id);
        Ok(())
    }
}
