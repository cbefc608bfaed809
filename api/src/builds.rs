//! Stopping a deployment's build: the port the cancel use case calls, and its CodeBuild
//! adapter (`StopBuild`).
//!
//! The API stops the build itself, in the request, so the owner's answer says whether the
//! build was stopped or had already ended. StopBuild takes only the build id; the API role
//! may call it on the builds project alone.

use async_trait::async_trait;
use whaleray_shared::ErrorClass;
use whaleray_shared::aws::aws_error;
use whaleray_shared::error::AwsError;

/// What a stop request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAnswer {
    /// The build was running (or already stopping): CodeBuild is stopping it; its STOPPED
    /// state follows a moment later.
    Stopping,
    /// The build had already completed (CodeBuild refuses to stop a completed build): its
    /// outcome stands and is recorded from its state-change event or the reconciliation.
    AlreadyEnded,
    /// CodeBuild has no such build, so nothing runs.
    NoSuchBuild,
}

/// A stop request that failed.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StopError(#[from] pub AwsError);

impl StopError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        self.0.class
    }
}

/// Stops builds.
#[async_trait]
pub trait BuildStopper: Send + Sync {
    /// Asks CodeBuild to stop build `build_id`.
    async fn stop(&self, build_id: &str) -> Result<StopAnswer, StopError>;
}

/// CodeBuild's `StopBuild`.
#[derive(Debug, Clone)]
pub struct CodeBuildStopper {
    client: aws_sdk_codebuild::Client,
}

impl CodeBuildStopper {
    /// A stopper over `client`.
    pub fn new(client: aws_sdk_codebuild::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl BuildStopper for CodeBuildStopper {
    #[tracing::instrument(skip(self))]
    async fn stop(&self, build_id: &str) -> Result<StopAnswer, StopError> {
        match self.client.stop_build().id(build_id).send().await {
            Ok(_) => Ok(StopAnswer::Stopping),
            Err(e) => {
                let service = e.as_service_error();
                // The API reference documents two errors: InvalidInputException (here, the
                // build is no longer in progress: our ids come from CodeBuild itself) and
                // ResourceNotFoundException.
                if service.is_some_and(|s| s.is_invalid_input_exception()) {
                    return Ok(StopAnswer::AlreadyEnded);
                }
                if service.is_some_and(|s| s.is_resource_not_found_exception()) {
                    return Ok(StopAnswer::NoSuchBuild);
                }
                Err(aws_error("codebuild:StopBuild", e).into())
            }
        }
    }
}

/// Builds in memory, for tests and local tools: a build runs from [`MemoryBuilds::run`] until
/// [`MemoryBuilds::end`]; a stop answers as CodeBuild does (a running or stopping build is
/// stopping, a completed one is refused, an unknown one is not found) and is recorded.
#[derive(Debug, Default)]
pub struct MemoryBuilds {
    builds: std::sync::Mutex<std::collections::HashMap<String, bool>>,
    stops: std::sync::Mutex<Vec<String>>,
}

impl MemoryBuilds {
    /// Build `id` is running.
    pub fn run(&self, id: &str) {
        self.lock_builds().insert(id.to_owned(), false);
    }

    /// Build `id` has completed.
    pub fn end(&self, id: &str) {
        self.lock_builds().insert(id.to_owned(), true);
    }

    /// The builds stopped, in order.
    pub fn stopped(&self) -> Vec<String> {
        self.stops.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn lock_builds(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, bool>> {
        self.builds.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl BuildStopper for MemoryBuilds {
    async fn stop(&self, build_id: &str) -> Result<StopAnswer, StopError> {
        let answer = match self.lock_builds().get(build_id) {
            None => StopAnswer::NoSuchBuild,
            Some(true) => StopAnswer::AlreadyEnded,
            Some(false) => StopAnswer::Stopping,
        };
        if answer == StopAnswer::Stopping {
            self.stops
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(build_id.to_owned());
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codebuild::operation::stop_build::{StopBuildError, StopBuildOutput};
    use aws_sdk_codebuild::types::error::{InvalidInputException, ResourceNotFoundException};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    #[tokio::test]
    async fn stop_build_answers_are_told_apart() {
        let running = mock!(aws_sdk_codebuild::Client::stop_build)
            .match_requests(|r| r.id() == Some("p:running"))
            .then_output(|| StopBuildOutput::builder().build());
        let ended = mock!(aws_sdk_codebuild::Client::stop_build)
            .match_requests(|r| r.id() == Some("p:ended"))
            .then_error(|| {
                StopBuildError::InvalidInputException(
                    InvalidInputException::builder().message("build is already complete").build(),
                )
            });
        let unknown = mock!(aws_sdk_codebuild::Client::stop_build)
            .match_requests(|r| r.id() == Some("p:unknown"))
            .then_error(|| {
                StopBuildError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            });
        let client =
            mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&running, &ended, &unknown]);
        let stopper = CodeBuildStopper::new(client);
        assert_eq!(stopper.stop("p:running").await.unwrap(), StopAnswer::Stopping);
        assert_eq!(stopper.stop("p:ended").await.unwrap(), StopAnswer::AlreadyEnded);
        assert_eq!(stopper.stop("p:unknown").await.unwrap(), StopAnswer::NoSuchBuild);
    }
}
