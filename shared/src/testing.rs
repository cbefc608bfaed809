//! In-memory adapters for tests (feature `test-util`): same contracts as the AWS ones,
//! including the conditional writes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use crate::domain::{
    Deployment, DeploymentId, DeploymentStatus, InstallationId, ProjectId, StatusChange, UserId,
};
use crate::error::{AwsError, ErrorClass, GuardError, QueueError, StoreError};
use crate::idempotency::{
    Claim, IdempotencyScope, KEY_LIFETIME, LOCK_LIFETIME, MAX_STORED_BODY, StoredResponse,
};
use crate::job::InspectionJob;
use crate::ports::{
    BuildClaim, BuildInputs, DeploymentStore, IdempotencyStore, Installation,
    InstallationDirectory, JobQueue, Page, PageCursor, RateLimitStore,
};
use crate::rate_limit::{Bucket, Decision, RateLimit};

mod github;
mod projects;

pub use github::{MemoryAppInstallations, MemoryDeliveryLog};
pub use projects::MemoryProjects;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A deployments table in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<DeploymentId, Deployment>>,
    claims: Mutex<HashMap<DeploymentId, (String, DateTime<Utc>)>>,
}

impl MemoryStore {
    /// Every stored deployment, in id order.
    pub fn all(&self) -> Vec<Deployment> {
        let mut all: Vec<_> = lock(&self.items).values().cloned().collect();
        all.sort_by_key(|d| d.id);
        all
    }

    fn update(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        apply: impl FnOnce(&mut Deployment),
    ) -> Result<Deployment, StoreError> {
        let mut items = lock(&self.items);
        let current = items.get_mut(&id).ok_or(StoreError::NotFound(id))?;
        if current.status != expected {
            return Err(StoreError::Conflict { id, expected, actual: current.status });
        }
        apply(current);
        Ok(current.clone())
    }
}

#[async_trait]
impl DeploymentStore for MemoryStore {
    async fn create(&self, deployment: &Deployment) -> Result<(), StoreError> {
        let mut items = lock(&self.items);
        if items.contains_key(&deployment.id) {
            return Err(StoreError::AlreadyExists(deployment.id));
        }
        // DynamoDB items keep timestamps to the millisecond (`dynamo/item.rs`); so does this
        // fake, or page cursors (millisecond text) would compare differently here.
        let mut stored = deployment.clone();
        stored.created_at = stored.created_at.trunc_subsecs(3);
        stored.updated_at = stored.updated_at.trunc_subsecs(3);
        items.insert(deployment.id, stored);
        Ok(())
    }

    async fn get(&self, id: DeploymentId) -> Result<Option<Deployment>, StoreError> {
        Ok(lock(&self.items).get(&id).cloned())
    }

    async fn transition(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        change: StatusChange,
    ) -> Result<Deployment, StoreError> {
        expected.check_transition(change.to)?;
        self.update(id, expected, |d| change.apply(d, Utc::now()))
    }

    async fn record_attempt(
        &self,
        id: DeploymentId,
        expected: DeploymentStatus,
        error: Option<&str>,
    ) -> Result<Deployment, StoreError> {
        self.update(id, expected, |d| {
            d.attempts += 1;
            d.updated_at = Utc::now();
            if let Some(error) = error {
                d.last_error = Some(error.to_owned());
            }
        })
    }

    async fn claim_build(
        &self,
        id: DeploymentId,
        claimant: &str,
        until: DateTime<Utc>,
        inputs: &BuildInputs,
    ) -> Result<BuildClaim, StoreError> {
        let mut items = lock(&self.items);
        let current = items.get_mut(&id).ok_or(StoreError::NotFound(id))?;
        let expected = DeploymentStatus::Inspecting;
        let mut claims = lock(&self.claims);
        let free = match claims.get(&id) {
            None => true,
            Some((holder, lapses)) => holder == claimant || *lapses < Utc::now(),
        };
        if current.status != expected || !free {
            return Err(StoreError::Conflict { id, expected, actual: current.status });
        }
        let previous = claims.insert(id, (claimant.to_owned(), until));
        let earlier =
            previous.is_some_and(|(holder, _)| holder != claimant) || current.commit_sha.is_some();
        let pinned = match (&current.commit_sha, &current.plan) {
            (Some(commit), Some(plan)) => {
                BuildInputs { commit: commit.clone(), plan: plan.clone() }
            }
            _ => {
                current.commit_sha = Some(inputs.commit.clone());
                current.plan = Some(inputs.plan.clone());
                inputs.clone()
            }
        };
        Ok(BuildClaim { inputs: pinned, earlier })
    }

    async fn release_build_claim(
        &self,
        id: DeploymentId,
        claimant: &str,
    ) -> Result<(), StoreError> {
        let mut claims = lock(&self.claims);
        if claims.get(&id).is_some_and(|(holder, _)| holder == claimant) {
            claims.remove(&id);
        }
        Ok(())
    }

    async fn list_stalled(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError> {
        let mut stalled: Vec<_> = lock(&self.items)
            .values()
            .filter(|d| d.status == DeploymentStatus::Inspecting && d.updated_at < cutoff)
            .cloned()
            .collect();
        stalled.sort_by_key(|d| d.updated_at);
        stalled.truncate(limit);
        Ok(stalled)
    }

    async fn list_building(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError> {
        let mut building: Vec<_> = lock(&self.items)
            .values()
            .filter(|d| d.status == DeploymentStatus::Building && d.updated_at < cutoff)
            .cloned()
            .collect();
        building.sort_by_key(|d| d.updated_at);
        building.truncate(limit);
        Ok(building)
    }

    async fn record_requeue(
        &self,
        id: DeploymentId,
        seen: DateTime<Utc>,
    ) -> Result<Deployment, StoreError> {
        let expected = DeploymentStatus::Inspecting;
        let mut items = lock(&self.items);
        let current = items.get_mut(&id).ok_or(StoreError::NotFound(id))?;
        if current.status != expected || current.updated_at != seen {
            return Err(StoreError::Conflict { id, expected, actual: current.status });
        }
        current.requeues += 1;
        current.updated_at = Utc::now();
        Ok(current.clone())
    }

    async fn list_for_user(
        &self,
        user: &UserId,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError> {
        self.page(user, None, limit, after)
    }

    async fn list_for_project(
        &self,
        user: &UserId,
        project: ProjectId,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError> {
        self.page(user, Some(project), limit, after)
    }
}

impl MemoryStore {
    fn page(
        &self,
        user: &UserId,
        project: Option<ProjectId>,
        limit: u32,
        after: Option<&PageCursor>,
    ) -> Result<Page, StoreError> {
        let newest_first = |d: &Deployment| std::cmp::Reverse((d.created_at, d.id));
        let mut mine: Vec<_> = lock(&self.items)
            .values()
            .filter(|d| &d.user_id == user)
            .filter(|d| project.is_none_or(|p| d.project_id == Some(p)))
            .filter(|d| {
                after.is_none_or(|c| {
                    newest_first(d) > std::cmp::Reverse((c.created_at, c.deployment_id))
                })
            })
            .cloned()
            .collect();
        mine.sort_by_key(newest_first);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = mine.len() > limit;
        mine.truncate(limit);
        let next = mine
            .last()
            .filter(|_| more)
            .map(|d| PageCursor { deployment_id: d.id, created_at: d.created_at });
        Ok(Page { deployments: mine, next })
    }
}

/// An installations table in memory.
#[derive(Debug, Default)]
pub struct MemoryInstallations {
    by_user: Mutex<HashMap<String, Vec<Installation>>>,
}

impl MemoryInstallations {
    /// Records that `user` may deploy from `installation`.
    pub fn add(&self, user: &UserId, installation: Installation) {
        lock(&self.by_user).entry(user.to_string()).or_default().push(installation);
    }
}

#[async_trait]
impl InstallationDirectory for MemoryInstallations {
    async fn installations_of(&self, user: &UserId) -> Result<Vec<Installation>, StoreError> {
        Ok(lock(&self.by_user).get(user.as_ref()).cloned().unwrap_or_default())
    }

    async fn link(&self, user: &UserId, installation: &Installation) -> Result<(), StoreError> {
        let mut by_user = lock(&self.by_user);
        let list = by_user.entry(user.to_string()).or_default();
        list.retain(|i| i.installation_id != installation.installation_id);
        list.push(installation.clone());
        list.sort_by_key(|i| i.installation_id);
        Ok(())
    }

    async fn unlink(&self, user: &UserId, id: InstallationId) -> Result<bool, StoreError> {
        let mut by_user = lock(&self.by_user);
        let Some(list) = by_user.get_mut(user.as_ref()) else {
            return Ok(false);
        };
        let before = list.len();
        list.retain(|i| i.installation_id != id);
        Ok(list.len() < before)
    }
}

/// A queue in memory that can be told to fail.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    sent: Mutex<Vec<InspectionJob>>,
    failing: AtomicBool,
}

impl MemoryQueue {
    /// Every job sent so far.
    pub fn sent(&self) -> Vec<InspectionJob> {
        lock(&self.sent).clone()
    }

    /// Makes every later send fail with a retryable error (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn send(&self, job: &InspectionJob) -> Result<String, QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError::Aws(AwsError {
                operation: "sqs:SendMessage",
                class: ErrorClass::Retryable,
                source: "injected queue outage".into(),
            }));
        }
        let mut sent = lock(&self.sent);
        sent.push(job.clone());
        Ok(format!("memory-{}", sent.len()))
    }
}

/// Log output collected in memory: a `MakeWriter` for `telemetry::init_with_writer` or a
/// `tracing_subscriber` builder, so tests can read what was logged.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Idempotency keys in memory, with the DynamoDB adapter's rules: a claim is a conditional
/// write, an expired key counts as absent, a lapsed lock may be taken over by the same
/// request only, and answers over the stored-body limit are refused.
#[derive(Debug, Default)]
pub struct MemoryIdempotency {
    records: Mutex<HashMap<IdempotencyScope, IdempotencyRecord>>,
}

#[derive(Debug, Clone)]
struct IdempotencyRecord {
    fingerprint: String,
    locked_until: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    response: Option<StoredResponse>,
}

impl MemoryIdempotency {
    /// How many keys are stored (expired ones included, as before TTL removes them).
    pub fn len(&self) -> usize {
        lock(&self.records).len()
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lifetime(duration: std::time::Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, GuardError> {
        let mut records = lock(&self.records);
        if let Some(old) = records.get(scope).filter(|r| r.expires_at > now) {
            let lapsed = old.response.is_none() && old.locked_until.is_some_and(|t| t <= now);
            if old.fingerprint != fingerprint {
                return Ok(Claim::Mismatch);
            }
            if let Some(response) = &old.response {
                return Ok(Claim::Replay(response.clone()));
            }
            if !lapsed {
                return Ok(Claim::InFlight);
            }
        }
        records.insert(
            scope.clone(),
            IdempotencyRecord {
                fingerprint: fingerprint.to_owned(),
                locked_until: Some(now + lifetime(LOCK_LIFETIME)),
                expires_at: now + lifetime(KEY_LIFETIME),
                response: None,
            },
        );
        Ok(Claim::Acquired)
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &str,
        response: &StoredResponse,
    ) -> Result<(), GuardError> {
        if response.body.len() > MAX_STORED_BODY {
            return Err(GuardError::TooLarge(response.body.len()));
        }
        let mut records = lock(&self.records);
        if let Some(record) =
            records.get_mut(scope).filter(|r| r.response.is_none() && r.fingerprint == fingerprint)
        {
            record.response = Some(response.clone());
            record.locked_until = None;
        }
        Ok(())
    }

    async fn release(&self, scope: &IdempotencyScope, fingerprint: &str) -> Result<(), GuardError> {
        let mut records = lock(&self.records);
        if records.get(scope).is_some_and(|r| r.response.is_none() && r.fingerprint == fingerprint)
        {
            records.remove(scope);
        }
        Ok(())
    }
}

/// Token buckets in memory, with the same arithmetic as the DynamoDB adapter.
#[derive(Debug, Default)]
pub struct MemoryRateLimits {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[async_trait]
impl RateLimitStore for MemoryRateLimits {
    async fn take(
        &self,
        bucket: &str,
        limit: RateLimit,
        now: DateTime<Utc>,
    ) -> Result<Decision, GuardError> {
        let mut buckets = lock(&self.buckets);
        let decision = limit.take(buckets.get(bucket).copied(), now.timestamp_millis());
        if let Decision::Allowed { bucket: next, .. } = decision {
            buckets.insert(bucket.to_owned(), next);
        }
        Ok(decision)
    }
}
