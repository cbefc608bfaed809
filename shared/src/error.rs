//! Error types of the shared adapters, each split into retryable and permanent failures.

use crate::domain::{DeploymentId, DeploymentStatus, DomainError};

/// Whether trying the same thing again later can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Timeouts, dispatch failures, throttling, service 5xx: try again later.
    Retryable,
    /// Validation, not found, unsupported, a lost condition race: retrying cannot help.
    Permanent,
}

/// A boxed error from an AWS SDK call, with its class decided once at the adapter.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed")]
pub struct AwsError {
    /// The SDK operation, e.g. `dynamodb:PutItem`.
    pub operation: &'static str,
    /// Retryable or permanent.
    pub class: ErrorClass,
    /// The SDK error, kept whole for the logs.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// A failure of the deployment store or the installation directory.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The conditional write lost: the deployment was not in the expected status.
    #[error("deployment {id} is {actual}, not {expected}")]
    Conflict {
        /// The deployment.
        id: DeploymentId,
        /// The status the write required.
        expected: DeploymentStatus,
        /// The status it actually had.
        actual: DeploymentStatus,
    },
    /// A create found a deployment with the same id.
    #[error("deployment {0} already exists")]
    AlreadyExists(DeploymentId),
    /// The deployment does not exist.
    #[error("deployment {0} does not exist")]
    NotFound(DeploymentId),
    /// The requested transition breaks the state machine.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A stored item could not be read back into a domain value.
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    /// The AWS call itself failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl StoreError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            _ => ErrorClass::Permanent,
        }
    }
}

/// A failure to send to or read from a queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The message could not be encoded.
    #[error("could not encode the job message")]
    Encode(#[source] serde_json::Error),
    /// The queue answered without a field it always sends.
    #[error("the queue's answer lacked {0}")]
    Incomplete(&'static str),
    /// The AWS call itself failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl QueueError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::Encode(_) | Self::Incomplete(_) => ErrorClass::Permanent,
        }
    }
}

/// A failure of the idempotency-key store or the rate-limit store.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// A stored item could not be read back.
    #[error("stored request record is corrupt: {0}")]
    Corrupt(String),
    /// The answer is too large to store for replay.
    #[error("the answer ({0} bytes) is too large to store for replay")]
    TooLarge(usize),
    /// The AWS call itself failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl GuardError {
    /// Retryable for AWS outages and throttling; permanent otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Aws(e) => e.class,
            Self::Corrupt(_) | Self::TooLarge(_) => ErrorClass::Permanent,
        }
    }
}
