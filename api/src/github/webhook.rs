//! Acting on one verified webhook delivery: record the delivery id first (a conditional
//! write with a TTL), then apply the change; a redelivery is acknowledged and changes nothing.
//!
//! Only cheap, idempotent table writes happen here, well inside GitHub's 10-second window.

use chrono::{Duration, Utc};
use whaleray_shared::error::{Chain, StoreError};
use whaleray_shared::ports::{AppInstallations, DeliveryLog};

use super::events::WebhookEvent;

/// How long a delivery id is remembered. GitHub lets deliveries of the past three days be
/// redelivered, so a week covers every redelivery.
pub const DELIVERY_TTL: Duration = Duration::days(7);

/// The longest `X-GitHub-Delivery` accepted (GitHub sends a 36-character GUID).
pub const MAX_DELIVERY_ID_LEN: usize = 128;

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// A `ping` was answered.
    Pong,
    /// The change was recorded.
    Processed,
    /// The installation is already deleted; the late event changed nothing.
    Stale,
    /// This delivery was already acted on.
    Duplicate,
    /// Not an event or action WhaleRay acts on.
    Ignored(String),
}

impl WebhookOutcome {
    /// The word the answer's `result` field carries.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pong => "pong",
            Self::Processed => "processed",
            Self::Stale => "stale",
            Self::Duplicate => "duplicate",
            Self::Ignored(_) => "ignored",
        }
    }
}

/// Whether `id` looks like a delivery id: 1 to 128 visible ASCII characters.
pub fn valid_delivery_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_DELIVERY_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Acts on `event`, delivered as `delivery`, at most once.
#[tracing::instrument(skip_all, fields(delivery = delivery))]
pub async fn handle(
    installations: &dyn AppInstallations,
    deliveries: &dyn DeliveryLog,
    delivery: &str,
    event: WebhookEvent,
) -> Result<WebhookOutcome, StoreError> {
    let (id, update) = match event {
        WebhookEvent::Ping => return Ok(WebhookOutcome::Pong),
        WebhookEvent::Ignored { what } => {
            tracing::info!(event = %what, "webhook event ignored");
            return Ok(WebhookOutcome::Ignored(what));
        }
        WebhookEvent::Installation { id, update } => (id, update),
        // Pushes deploy through `crate::push_deploy`, which the route calls instead.
        WebhookEvent::Push(_) => return Ok(WebhookOutcome::Ignored("push".into())),
    };
    if !deliveries.record_first(delivery, Utc::now() + DELIVERY_TTL).await? {
        tracing::info!("redelivery ignored");
        return Ok(WebhookOutcome::Duplicate);
    }
    match installations.apply(id, &update).await {
        Ok(true) => {
            tracing::info!(installation_id = id.get(), "installation recorded");
            Ok(WebhookOutcome::Processed)
        }
        Ok(false) => {
            tracing::info!(installation_id = id.get(), "installation already deleted");
            Ok(WebhookOutcome::Stale)
        }
        Err(e) => {
            // Forget the delivery so that GitHub's redelivery is acted on.
            if let Err(forget) = deliveries.forget(delivery).await {
                tracing::error!(error = %Chain(&forget), "could not forget a failed delivery");
            }
            Err(e)
        }
    }
}
