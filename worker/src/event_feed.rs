//! Local runs only: reads CodeBuild state-change events from a feed (the fake CodeBuild's
//! `/_fake/build-events`) and hands each to [`build_events::handle`], the function the Lambda
//! calls when EventBridge invokes it. In AWS the EventBridge rule does this delivery.

use std::time::Duration;

use serde_json::Value;
use whaleray_shared::ports::DeploymentStore;

use crate::build_events;
use crate::ports::ReleaseCredentials;

/// How often the feed is read.
pub const FEED_INTERVAL: Duration = Duration::from_millis(500);

/// Reads `url` every [`FEED_INTERVAL`] until the task is dropped. Failures are logged and
/// the next read goes on: events, like EventBridge's, are best effort, and the sweep's
/// reconciliation records any build whose event was lost.
pub async fn run(url: &str, store: &dyn DeploymentStore, credentials: &dyn ReleaseCredentials) {
    let client = reqwest::Client::new();
    let mut interval = tokio::time::interval(FEED_INTERVAL);
    loop {
        interval.tick().await;
        match fetch(&client, url).await {
            Ok(events) => deliver(store, credentials, events).await,
            Err(e) => tracing::warn!(error = %e, url, "could not read the build event feed"),
        }
    }
}

/// Hands each event to the Lambda's handler, in the order received.
pub async fn deliver(
    store: &dyn DeploymentStore,
    credentials: &dyn ReleaseCredentials,
    events: Vec<Value>,
) {
    for event in events {
        if !build_events::is_build_state_change(&event) {
            tracing::warn!("skipping an event that is not a CodeBuild Build State Change");
            continue;
        }
        if let Err(e) = build_events::handle(store, credentials, event).await {
            tracing::error!(error = %e, "a build state change could not be recorded");
        }
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<Value>, reqwest::Error> {
    #[derive(serde::Deserialize)]
    struct Feed {
        events: Vec<Value>,
    }
    let feed: Feed = client.get(url).send().await?.error_for_status()?.json().await?;
    Ok(feed.events)
}
