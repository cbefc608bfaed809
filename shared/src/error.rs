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
    /// One attribute of a stored item could not be read back into a domain value.
    #[error("stored {item} item has an unreadable {attribute} attribute")]
    Corrupt {
        /// The kind of item, e.g. `deployment`.
        item: &'static str,
        /// The stored attribute, e.g. `createdAt`.
        attribute: &'static str,
        /// Why its value was refused (a domain rule, a timestamp parse, an unknown value).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored item does not have the shape of its table's items (a missing or mistyped
    /// attribute, named by the source).
    #[error("stored {item} item does not have the expected shape")]
    Malformed {
        /// The kind of item, e.g. `deployment`.
        item: &'static str,
        /// The mapping's error.
        #[source]
        source: serde_dynamo::Error,
    },
    /// A domain value could not be encoded as an item (a bug, never input-driven).
    #[error("could not encode the {item} item")]
    Encode {
        /// The kind of item or attribute, e.g. `deployment`.
        item: &'static str,
        /// The mapping's error.
        #[source]
        source: serde_dynamo::Error,
    },
    /// The AWS call itself failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl StoreError {
    /// A `Corrupt` error for `attribute` of a stored `item`.
    pub fn corrupt(
        item: &'static str,
        attribute: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Corrupt { item, attribute, source: source.into() }
    }

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

/// A stored value no rule of this version knows (an enum text written by newer code, or
/// damaged), as the source of a [`StoreError::Corrupt`].
#[derive(Debug, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

/// Displays an error and every source below it on one line, joined by `": "`, so a log field
/// or an operator's report keeps the whole cause chain (`error = %Chain(&e)`).
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_prints_every_cause_on_one_line() {
        let error = StoreError::corrupt("deployment", "status", UnknownValue("DONE".into()));
        assert_eq!(
            Chain(&error).to_string(),
            "stored deployment item has an unreadable status attribute: unknown value \"DONE\""
        );
    }
}
