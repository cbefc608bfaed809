//! Loading the App's private key at start-up: PEM text from the configuration, or a Secrets
//! Manager secret read once per process.

use aws_config::SdkConfig;
use secrecy::SecretString;
use whaleray_shared::aws::aws_error;

use super::{AppCredentials, SetupError};
use crate::config::PrivateKeySource;

/// The App's credentials, with the key taken from `source`. Secrets Manager is called at most
/// once, here; the key then lives only in the returned value.
pub async fn load_app_credentials(
    app_id: u64,
    source: &PrivateKeySource,
    sdk: &SdkConfig,
) -> Result<AppCredentials, SetupError> {
    match source {
        PrivateKeySource::Pem(pem) => AppCredentials::from_pem(app_id, pem, "GITHUB_PRIVATE_KEY"),
        PrivateKeySource::SecretArn(arn) => {
            let pem = read_secret(&aws_sdk_secretsmanager::Client::new(sdk), arn).await?;
            AppCredentials::from_pem(app_id, &pem, &format!("Secrets Manager secret {arn}"))
        }
    }
}

/// The secret's string value.
#[tracing::instrument(skip_all, fields(secret = %arn))]
async fn read_secret(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
) -> Result<SecretString, SetupError> {
    let output = client.get_secret_value().secret_id(arn).send().await.map_err(|e| {
        SetupError::SecretUnreadable {
            arn: arn.to_owned(),
            source: aws_error("secretsmanager:GetSecretValue", e),
        }
    })?;
    let text =
        output.secret_string().ok_or_else(|| SetupError::SecretNotText { arn: arn.to_owned() })?;
    tracing::info!("read the GitHub App private key from Secrets Manager");
    Ok(SecretString::from(text))
}
