//! The clone credential of each build: the SSM Parameter Store implementation of the worker's
//! [`BuildCredentials`] port (defined in [`crate::ports`]).
//!
//! Right before StartBuild, a new installation token is minted for the deployment's one
//! repository (`contents: read`; never the reader's cached token, which could lapse while the
//! build waits in the queue) and written as a `SecureString` to
//! `<prefix>/<deployment id>`, encrypted with the account's AWS managed key for SSM
//! (`aws/ssm`, since no `KeyId` is given). The build names that parameter in a
//! `PARAMETER_STORE` variable, so the token is in neither the StartBuild request,
//! `BatchGetBuilds` nor the console. A retry writes the same name again (`Overwrite`), so the
//! StartBuild parameters under the idempotency token never change. The parameter is deleted
//! when the build ends; one already gone (`ParameterNotFound`) is no error.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use secrecy::ExposeSecret;
use whaleray_shared::aws::aws_error;
use whaleray_shared::{DeploymentId, InstallationId, RepoFullName};

use crate::github::GitHubError;
pub use crate::ports::{BuildCredentials, BuildError, BuildToken, ReleaseCredentials, TokenMinter};

/// The largest value a standard-tier parameter holds (4 KB).
pub const MAX_STANDARD_VALUE_BYTES: usize = 4096;
/// The longest fully qualified parameter name SSM accepts.
const MAX_NAME_CHARS: usize = 1011;
/// The deepest parameter hierarchy SSM accepts.
const MAX_LEVELS: usize = 15;
/// Characters of a deployment id (a ULID), the last level of every name.
const DEPLOYMENT_ID_CHARS: usize = 26;

/// Where the build tokens live: an SSM path such as `/whaleray/prod/build-tokens`, checked
/// against SSM's naming rules once, so every `<prefix>/<deployment id>` is a valid name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterPrefix(String);

impl ParameterPrefix {
    /// Checks `prefix`: it starts with `/`, has no trailing `/` or empty level, only
    /// `a-zA-Z0-9_.-` in its levels, does not start with `aws` or `ssm`, and leaves room
    /// for the deployment id within SSM's 1011 characters and 15 levels.
    pub fn parse(prefix: &str) -> Result<Self, String> {
        let levels: Vec<&str> =
            prefix.strip_prefix('/').map_or(Vec::new(), |p| p.split('/').collect());
        if levels.is_empty() || levels.iter().any(|l| l.is_empty()) {
            return Err(format!("{prefix:?} is not an SSM path like /whaleray/prod/build-tokens"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
        if let Some(bad) = prefix.chars().find(|c| *c != '/' && !allowed(*c)) {
            return Err(format!("{prefix:?} holds {bad:?}; SSM names allow a-zA-Z0-9_.-/"));
        }
        let first = levels[0].to_ascii_lowercase();
        if first.starts_with("aws") || first.starts_with("ssm") {
            return Err(format!("{prefix:?} starts with aws or ssm, which SSM reserves"));
        }
        if levels.len() + 1 > MAX_LEVELS || prefix.len() + 1 + DEPLOYMENT_ID_CHARS > MAX_NAME_CHARS
        {
            return Err(format!("{prefix:?} leaves no room for the deployment id in an SSM name"));
        }
        Ok(Self(prefix.to_owned()))
    }

    /// `/whaleray/local/build-tokens`: the path when nothing is configured (local runs).
    pub fn local_default() -> Self {
        Self("/whaleray/local/build-tokens".to_owned())
    }

    /// The parameter name of `deployment`'s token.
    pub fn name_for(&self, deployment: DeploymentId) -> String {
        format!("{}/{deployment}", self.0)
    }
}

impl std::fmt::Display for ParameterPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Deletes build tokens from SSM Parameter Store: all the operator's sweep needs (no GitHub).
#[derive(Debug, Clone)]
pub struct SsmTokenReleaser {
    ssm: Client,
    prefix: ParameterPrefix,
}

impl SsmTokenReleaser {
    /// Releases the tokens stored under `prefix`.
    pub fn new(ssm: Client, prefix: ParameterPrefix) -> Self {
        Self { ssm, prefix }
    }
}

#[async_trait]
impl ReleaseCredentials for SsmTokenReleaser {
    /// `DeleteParameter`; `ParameterNotFound` (never stored, or already deleted) is success.
    async fn release(&self, deployment: DeploymentId) -> Result<(), BuildError> {
        let name = self.prefix.name_for(deployment);
        match self.ssm.delete_parameter().name(&name).send().await {
            Ok(_) => {
                tracing::info!(parameter = %name, "deleted the build's clone token");
                Ok(())
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => Ok(()),
            Err(e) => Err(aws_error("ssm:DeleteParameter", e).into()),
        }
    }
}

/// Build tokens in SSM Parameter Store, minted by `minter` (the GitHub App client).
#[derive(Clone)]
pub struct SsmBuildCredentials {
    ssm: Client,
    minter: Arc<dyn TokenMinter>,
    prefix: ParameterPrefix,
}

impl std::fmt::Debug for SsmBuildCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsmBuildCredentials").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl SsmBuildCredentials {
    /// Credentials stored under `prefix`, minted by `minter`.
    pub fn new(ssm: Client, minter: Arc<dyn TokenMinter>, prefix: ParameterPrefix) -> Self {
        Self { ssm, minter, prefix }
    }
}

#[async_trait]
impl ReleaseCredentials for SsmBuildCredentials {
    async fn release(&self, deployment: DeploymentId) -> Result<(), BuildError> {
        SsmTokenReleaser::new(self.ssm.clone(), self.prefix.clone()).release(deployment).await
    }
}

#[async_trait]
impl BuildCredentials for SsmBuildCredentials {
    async fn issue(
        &self,
        deployment: DeploymentId,
        installation: InstallationId,
        repository: &RepoFullName,
    ) -> Result<String, BuildError> {
        let minted = self.minter.mint_build_token(installation, repository).await?;
        let value = minted.token.expose_secret();
        if value.is_empty() || value.len() > MAX_STANDARD_VALUE_BYTES {
            return Err(BuildError::Token(GitHubError::Unexpected(format!(
                "the minted token is {} bytes; a standard SSM parameter holds 1 to {MAX_STANDARD_VALUE_BYTES}",
                value.len()
            ))));
        }
        let name = self.prefix.name_for(deployment);
        self.ssm
            .put_parameter()
            .name(&name)
            .description(format!(
                "WhaleRay clone token of deployment {deployment} ({repository}); deleted when its build ends"
            ))
            .value(value)
            .r#type(ParameterType::SecureString)
            .tier(ParameterTier::Standard)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| aws_error("ssm:PutParameter", e))?;
        tracing::info!(parameter = %name, expires_at = ?minted.expires_at, "stored the build's clone token");
        Ok(name)
    }
}

/// Build tokens in memory, for tests: SSM's rules where they matter to callers. An issue
/// stores (overwriting) `/memory/build-tokens/<id>`; a release deletes it, and one already
/// gone is no error (SSM's `ParameterNotFound`, which the adapter accepts); an injected
/// outage fails releases as a retryable `ssm:DeleteParameter` error.
#[derive(Debug, Default)]
pub struct MemoryCredentials {
    stored: std::sync::Mutex<std::collections::BTreeSet<DeploymentId>>,
    releases: std::sync::atomic::AtomicUsize,
    failing: std::sync::atomic::AtomicBool,
}

impl MemoryCredentials {
    /// Whether `deployment`'s token is stored.
    pub fn holds(&self, deployment: DeploymentId) -> bool {
        self.lock().contains(&deployment)
    }

    /// How many tokens are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no token is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// How many releases were asked for (failed ones included).
    pub fn releases(&self) -> usize {
        self.releases.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Makes every release fail (`true`) or work again (`false`).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, std::sync::atomic::Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<DeploymentId>> {
        self.stored.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl ReleaseCredentials for MemoryCredentials {
    async fn release(&self, deployment: DeploymentId) -> Result<(), BuildError> {
        self.releases.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(BuildError::Aws(whaleray_shared::error::AwsError {
                operation: "ssm:DeleteParameter",
                class: whaleray_shared::ErrorClass::Retryable,
                source: "injected SSM outage".into(),
            }));
        }
        self.lock().remove(&deployment);
        Ok(())
    }
}

#[async_trait]
impl BuildCredentials for MemoryCredentials {
    async fn issue(
        &self,
        deployment: DeploymentId,
        _installation: InstallationId,
        _repository: &RepoFullName,
    ) -> Result<String, BuildError> {
        self.lock().insert(deployment);
        Ok(format!("/memory/build-tokens/{deployment}"))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ssm::operation::delete_parameter::{DeleteParameterError, DeleteParameterOutput};
    use aws_sdk_ssm::operation::put_parameter::PutParameterOutput;
    use aws_sdk_ssm::types::error::{InternalServerError, ParameterNotFound};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use secrecy::SecretString;
    use whaleray_shared::ErrorClass;

    use super::*;

    struct Minter(&'static str);

    #[async_trait]
    impl TokenMinter for Minter {
        async fn mint_build_token(
            &self,
            _: InstallationId,
            _: &RepoFullName,
        ) -> Result<BuildToken, GitHubError> {
            Ok(BuildToken { token: SecretString::from(self.0), expires_at: None })
        }
    }

    fn prefix() -> ParameterPrefix {
        ParameterPrefix::parse("/whaleray/test/build-tokens").unwrap()
    }

    #[test]
    fn prefixes_follow_ssm_naming_rules() {
        assert!(ParameterPrefix::parse("/whaleray/prod/build-tokens").is_ok());
        for bad in [
            "",
            "whaleray/x",
            "/whaleray/x/",
            "/whaleray//x",
            "/whaleray/a b",
            "/whaleray/$(x)",
            "/aws/x",
            "/SSM-x/y",
            "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o",
        ] {
            assert!(ParameterPrefix::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("/{}", "a".repeat(MAX_NAME_CHARS - DEPLOYMENT_ID_CHARS - 1));
        assert!(ParameterPrefix::parse(&long).is_err());
        let fits = format!("/{}", "a".repeat(MAX_NAME_CHARS - DEPLOYMENT_ID_CHARS - 2));
        assert!(ParameterPrefix::parse(&fits).is_ok());
        let local = ParameterPrefix::local_default();
        assert_eq!(ParameterPrefix::parse(&local.to_string()), Ok(local));
        let id = DeploymentId::generate();
        assert_eq!(prefix().name_for(id), format!("/whaleray/test/build-tokens/{id}"));
    }

    #[tokio::test]
    async fn issue_writes_a_secure_string_under_the_deployment_name_overwriting() {
        let id = DeploymentId::generate();
        let rule = || {
            let expected = prefix().name_for(id);
            mock!(Client::put_parameter)
                .match_requests(move |r| {
                    r.name() == Some(expected.as_str())
                        && r.value() == Some("ghs_minted")
                        && r.r#type() == Some(&ParameterType::SecureString)
                        && r.overwrite() == Some(true)
                        && r.key_id().is_none()
                        && r.tier() == Some(&ParameterTier::Standard)
                        && !r.description().unwrap_or_default().contains("ghs_minted")
                })
                .then_output(|| PutParameterOutput::builder().version(1).build())
        };
        let (first_put, second_put) = (rule(), rule());
        let client = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&first_put, &second_put]);
        let credentials =
            SsmBuildCredentials::new(client, Arc::new(Minter("ghs_minted")), prefix());
        let repo = RepoFullName::parse("acme/site").unwrap();
        let installation = InstallationId::new(7).unwrap();
        let first = credentials.issue(id, installation, &repo).await.unwrap();
        let again = credentials.issue(id, installation, &repo).await.unwrap();
        assert_eq!(first, again, "a retry names the same parameter");
        assert_eq!(first_put.num_calls() + second_put.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_token_too_large_for_a_standard_parameter_is_refused_before_ssm() {
        let huge: &'static str =
            Box::leak("x".repeat(MAX_STANDARD_VALUE_BYTES + 1).into_boxed_str());
        let client = mock_client!(aws_sdk_ssm, []);
        let credentials = SsmBuildCredentials::new(client, Arc::new(Minter(huge)), prefix());
        let repo = RepoFullName::parse("acme/site").unwrap();
        let err = credentials
            .issue(DeploymentId::generate(), InstallationId::new(7).unwrap(), &repo)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("4096"), "{err}");
        assert!(!err.to_string().contains("xxxx"), "the token is never in the error");
    }

    #[tokio::test]
    async fn release_tolerates_a_parameter_already_gone_and_retries_outages() {
        let ok = mock!(Client::delete_parameter)
            .then_output(|| DeleteParameterOutput::builder().build());
        let gone = mock!(Client::delete_parameter).then_error(|| {
            DeleteParameterError::ParameterNotFound(ParameterNotFound::builder().build())
        });
        let down = mock!(Client::delete_parameter).then_error(|| {
            let meta =
                aws_sdk_ssm::error::ErrorMetadata::builder().code("InternalServerError").build();
            DeleteParameterError::InternalServerError(
                InternalServerError::builder().meta(meta).build(),
            )
        });
        let client = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&ok, &gone, &down]);
        let credentials = SsmBuildCredentials::new(client, Arc::new(Minter("t")), prefix());
        let id = DeploymentId::generate();
        credentials.release(id).await.unwrap();
        credentials.release(id).await.unwrap();
        let err = credentials.release(id).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Retryable, "{err:?}");
    }
}
