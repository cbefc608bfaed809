//! Timing of the build claim: how long a claim lasts, and what a job that meets another
//! worker's live claim does (watch the record briefly in place, then give its message back for
//! long enough that a dead holder's claim has lapsed).

use std::time::Duration;

use whaleray_shared::{DeploymentId, DeploymentStatus};

use crate::deps::Deps;

/// How long a claim to start a build lasts: beyond minting the clone token, storing it and one
/// StartBuild call with retries (seconds, normally). A holder slower than this is harmless: the
/// taker-over searches for its build first and otherwise sends identical parameters under the
/// same idempotency token.
///
/// Two thirds of the poller's lease ([`crate::poll::DEFAULT_LEASE`]), so a killed holder's claim
/// has lapsed by the time its message comes back: the heartbeat last renewed the message at most
/// a third of a lease before the claim was taken, and the message comes back a whole lease after
/// that renewal. With a 60 s claim the kill test measured 97 s to recover a killed holder's job
/// (30 s of lease, then a 65 s wait for the claim); with this one, the lease alone.
pub const BUILD_CLAIM_LEASE: Duration =
    Duration::from_secs(crate::poll::DEFAULT_LEASE.as_secs() * 2 / 3);
/// How long a message that meets another worker's live claim waits before looking again, on
/// its first delivery: by then a live holder has usually recorded BUILDING, and the duplicate
/// is absorbed.
pub const CLAIM_RETRY_WAIT: Duration = Duration::from_secs(10);
/// How long it waits when it meets a live claim on a later delivery: long enough for the claim
/// to lapse even if it was taken a moment before. A redelivered message that meets a claim is
/// usually the one whose worker died holding it, and every receive counts towards the
/// dead-letter queue's `maxReceiveCount`: with 10 s waits a worker killed right after claiming
/// left its message in the dead-letter queue and the deployment INSPECTING (the kill test).
pub const CLAIM_LAPSE_WAIT: Duration = Duration::from_secs(BUILD_CLAIM_LEASE.as_secs() + 5);

/// How long a job that meets another worker's live claim watches the record in place before
/// giving its message back. A live holder records BUILDING within a second or two (mint a
/// token, store it, one StartBuild), so a duplicate delivery is absorbed here without spending
/// one of its receives, whichever of the copies SQS delivered first; only a holder that is
/// slow or dead sends the message back to wait (see [`claim_retry_wait`]). Short enough to fit
/// the Lambda's slack after inspection (`batch::AFTER_INSPECTION`).
pub const CLAIM_WATCH: Duration = Duration::from_secs(5);
/// How often the record is read while watching a claim.
const CLAIM_WATCH_EVERY: Duration = Duration::from_millis(250);

/// Reads the deployment every [`CLAIM_WATCH_EVERY`] for up to [`CLAIM_WATCH`]: the status it
/// settled in once the claim's holder moved it on, or `None` while it is still INSPECTING (or
/// cannot be read; the message then goes back to the queue as before).
pub(super) async fn watch_claim(deps: &Deps, id: DeploymentId) -> Option<DeploymentStatus> {
    let until = tokio::time::Instant::now() + CLAIM_WATCH;
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(CLAIM_WATCH_EVERY).await;
        match deps.store.get(id).await {
            Ok(Some(d)) if d.status != DeploymentStatus::Inspecting => return Some(d.status),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
    None
}

/// The wait before a message that met a live claim looks again (see [`CLAIM_RETRY_WAIT`] and
/// [`CLAIM_LAPSE_WAIT`]).
pub(super) fn claim_retry_wait(receive_count: u32) -> Duration {
    if receive_count <= 1 { CLAIM_RETRY_WAIT } else { CLAIM_LAPSE_WAIT }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redelivered_message_waits_until_the_claim_it_met_has_lapsed() {
        assert_eq!(claim_retry_wait(1), CLAIM_RETRY_WAIT);
        for receive in 2..=5 {
            assert!(claim_retry_wait(receive) > BUILD_CLAIM_LEASE, "receive {receive}");
        }
    }

    #[test]
    fn a_killed_holders_claim_lapses_before_its_message_comes_back() {
        // The message comes back a lease after the heartbeat's last renewal, which was at most
        // a third of a lease before the claim was taken.
        let lease = crate::poll::DEFAULT_LEASE;
        assert!(BUILD_CLAIM_LEASE + lease / 3 <= lease, "{BUILD_CLAIM_LEASE:?} vs {lease:?}");
        assert!(BUILD_CLAIM_LEASE >= Duration::from_secs(15), "room for mint, put and start");
    }
}
