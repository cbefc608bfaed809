//! Loading the one `SdkConfig`, client timeouts, and classifying SDK errors.
//!
//! The standard `AWS_ENDPOINT_URL` and `AWS_REGION` variables point every client at an
//! emulator; nothing here knows whether it runs locally.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::error::{AwsError, ErrorClass};

/// Time allowed to open a connection to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Time allowed for one attempt of an ordinary call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole ordinary call, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// The long-poll wait the poller asks SQS for.
pub const LONG_POLL_WAIT: Duration = Duration::from_secs(20);

/// Loads the shared SDK configuration with connect and operation timeouts set, since the
/// Rust SDK sets no operation timeout of its own.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(default_timeouts()).load().await
}

/// The timeouts every ordinary client uses.
pub fn default_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Timeouts for a client that long-polls: the read must outlast the 20 s wait.
pub fn long_poll_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(LONG_POLL_WAIT + Duration::from_secs(10))
        .operation_attempt_timeout(LONG_POLL_WAIT + Duration::from_secs(10))
        .operation_timeout(LONG_POLL_WAIT + Duration::from_secs(25))
        .build()
}

/// Error codes AWS services use for throttling and transient trouble.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequestsException",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "AWS.SimpleQueueService.ServiceUnavailable",
    "KMS.ThrottlingException",
    // SSM PutParameter/DeleteParameter under concurrent updates of the account's parameters.
    "TooManyUpdates",
    // CodeBuild's concurrent-build limit: builds finish and make room.
    "AccountLimitExceededException",
];

/// Classifies any SDK error: transport trouble, throttling and 5xx are retryable.
pub fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> ErrorClass {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorClass::Retryable
        }
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().unwrap_or_default();
            if RETRYABLE_CODES.contains(&code) || ctx.raw().status().as_u16() >= 500 {
                ErrorClass::Retryable
            } else {
                ErrorClass::Permanent
            }
        }
        _ => ErrorClass::Permanent,
    }
}

/// Wraps an SDK error with its operation name and class.
pub fn aws_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    AwsError { operation, class: classify(&err), source: Box::new(err) }
}
