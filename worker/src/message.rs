//! One queue message, whichever way it arrived: parse it, run the job inside a span that
//! names the deployment, the message and the attempt, and say what to do with the message.

use std::time::Duration;

use tracing::Instrument;
use whaleray_shared::error::Chain;
use whaleray_shared::job::InspectionJob;

use crate::deps::Deps;
use crate::process::{self, Outcome};

/// What to do with a message after handling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Finished (whatever the outcome): delete it.
    Done(Outcome),
    /// Try again later, after `wait` if a dependency asked for one.
    Retry {
        /// The requested wait.
        wait: Option<Duration>,
    },
    /// Unreadable, or its last attempt failed: leave it untouched so the queue's redrive moves
    /// it to the dead-letter queue.
    DeadLetter,
}

/// Handles one message body delivered for the `receive_count`-th time.
pub async fn handle(deps: &Deps, message_id: &str, body: &str, receive_count: u32) -> Disposition {
    let job = match InspectionJob::from_json(body) {
        Ok(job) => job,
        Err(error) => {
            tracing::error!(message_id, receive_count, %error, "poison message left for the dead-letter queue");
            return Disposition::DeadLetter;
        }
    };
    let span = tracing::info_span!(
        "job",
        deployment_id = %job.deployment_id,
        message_id,
        attempt = receive_count,
    );
    async {
        // Operators (and the kill test) see which jobs a process held when it died.
        tracing::info!("job started");
        match process::inspect(deps, &job, receive_count).await {
            Ok(Outcome::GaveUp { reason }) => {
                tracing::error!(%reason, "last attempt failed; the message goes to the dead-letter queue");
                Disposition::DeadLetter
            }
            Ok(outcome) => {
                tracing::info!(?outcome, "job finished");
                Disposition::Done(outcome)
            }
            Err(retry) => {
                let error = Chain(&retry.error);
                tracing::warn!(%error, wait = ?retry.wait, "job will be retried");
                Disposition::Retry { wait: retry.wait }
            }
        }
    }
    .instrument(span)
    .await
}
