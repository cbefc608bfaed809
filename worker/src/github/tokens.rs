//! The installation-token cache.
//!
//! Tokens are narrowed to one repository, so a token is cached per [`Scope`], that is per
//! installation *and* repository: a token for one repository never reads another. Deploying
//! the same repository again within the hour reuses its token; a different repository of the
//! same installation costs one more exchange. A token is reused until [`REFRESH_MARGIN`] before
//! it expires, so no request goes out with a token about to lapse.
//!
//! Each scope has its own async lock, held across the exchange, so concurrent jobs for one
//! repository wait for a single exchange instead of each making one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use whaleray_shared::{InstallationId, RepoFullName};

use super::GitHubError;

/// A cached token is replaced once it is this close to expiry.
pub const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);
/// Above this many scopes, slots without a usable token are dropped.
const MAX_IDLE_SLOTS: usize = 256;

/// What one installation token is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Scope {
    pub installation: InstallationId,
    /// `owner/name`, lower-cased (GitHub names are case-insensitive).
    pub repository: String,
}

impl Scope {
    pub fn new(installation: InstallationId, repo: &RepoFullName) -> Self {
        Self { installation, repository: repo.to_string().to_ascii_lowercase() }
    }
}

/// A token as the exchange issued it.
pub(crate) struct IssuedToken {
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// A token handed to one request.
pub(crate) struct Lease {
    pub token: SecretString,
    /// Identifies the issue, so a refused token is forgotten only if it is still the current one.
    pub generation: u64,
    /// Whether it came from the cache (and so may be refreshed once if GitHub refuses it).
    pub cached: bool,
}

#[derive(Default)]
struct Slot {
    current: Option<(IssuedToken, u64)>,
}

impl Slot {
    fn usable(&self, now: DateTime<Utc>) -> bool {
        self.current.as_ref().is_some_and(|(t, _)| t.expires_at - now > REFRESH_MARGIN)
    }
}

/// Installation tokens by scope.
#[derive(Default)]
pub(crate) struct TokenCache {
    slots: Mutex<HashMap<Scope, Arc<tokio::sync::Mutex<Slot>>>>,
    generations: AtomicU64,
}

impl TokenCache {
    /// A usable token for `scope`: the cached one, or a new one from `exchange`.
    pub async fn lease<F, Fut>(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        exchange: F,
    ) -> Result<Lease, GitHubError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<IssuedToken, GitHubError>>,
    {
        let slot = self.slot(scope, now);
        let mut slot = slot.lock().await;
        if slot.usable(now)
            && let Some((issued, generation)) = &slot.current
        {
            return Ok(Lease {
                token: issued.token.clone(),
                generation: *generation,
                cached: true,
            });
        }
        let issued = exchange().await?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let token = issued.token.clone();
        slot.current = Some((issued, generation));
        Ok(Lease { token, generation, cached: false })
    }

    /// Drops `scope`'s token if it is still the one issued as `generation`.
    pub async fn forget(&self, scope: &Scope, generation: u64) {
        let slot = self.slot(scope, Utc::now());
        let mut slot = slot.lock().await;
        if slot.current.as_ref().is_some_and(|(_, g)| *g == generation) {
            slot.current = None;
        }
    }

    fn slot(&self, scope: &Scope, now: DateTime<Utc>) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.len() > MAX_IDLE_SLOTS && !slots.contains_key(scope) {
            // A slot in use (locked, or held elsewhere) is kept; an idle one without a usable
            // token is worth nothing.
            slots.retain(|_, slot| {
                Arc::strong_count(slot) > 1 || slot.try_lock().map_or(true, |s| s.usable(now))
            });
        }
        slots.entry(scope.clone()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use secrecy::ExposeSecret;

    use super::*;

    fn scope(installation: u64, repo: &str) -> Scope {
        Scope::new(InstallationId::new(installation).unwrap(), &RepoFullName::parse(repo).unwrap())
    }

    fn issue(
        count: &AtomicUsize,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<IssuedToken, GitHubError>> {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok(IssuedToken { token: SecretString::from(format!("token-{n}")), expires_at }) }
    }

    #[tokio::test]
    async fn a_token_is_reused_until_five_minutes_before_it_expires() {
        let cache = TokenCache::default();
        let count = AtomicUsize::new(0);
        let start = Utc::now();
        let expires = start + TimeDelta::hours(1);
        let s = scope(1, "acme/site");
        let first = cache.lease(&s, start, || issue(&count, expires)).await.unwrap();
        assert!(!first.cached);
        let later = start + TimeDelta::minutes(54);
        let second = cache.lease(&s, later, || issue(&count, expires)).await.unwrap();
        assert!(second.cached);
        assert_eq!(second.token.expose_secret(), "token-1");
        let too_late = start + TimeDelta::minutes(56);
        let third = cache
            .lease(&s, too_late, || issue(&count, expires + TimeDelta::hours(1)))
            .await
            .unwrap();
        assert!(!third.cached);
        assert_eq!(third.token.expose_secret(), "token-2");
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn scopes_are_per_installation_and_repository_ignoring_case() {
        let cache = TokenCache::default();
        let count = AtomicUsize::new(0);
        let now = Utc::now();
        let expires = now + TimeDelta::hours(1);
        for s in [
            scope(1, "acme/site"),
            scope(1, "ACME/Site"),
            scope(1, "acme/other"),
            scope(2, "acme/site"),
        ] {
            cache.lease(&s, now, || issue(&count, expires)).await.unwrap();
        }
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn concurrent_leases_share_one_exchange() {
        let cache = Arc::new(TokenCache::default());
        let count = Arc::new(AtomicUsize::new(0));
        let now = Utc::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (cache, count) = (cache.clone(), count.clone());
            tasks.spawn(async move {
                let s = scope(1, "acme/site");
                cache
                    .lease(&s, now, || async {
                        tokio::task::yield_now().await;
                        issue(&count, now + TimeDelta::hours(1)).await
                    })
                    .await
                    .map(|l| l.token.expose_secret().to_owned())
            });
        }
        while let Some(token) = tasks.join_next().await {
            assert_eq!(token.unwrap().unwrap(), "token-1");
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn forgetting_drops_only_the_refused_generation() {
        let cache = TokenCache::default();
        let count = AtomicUsize::new(0);
        let now = Utc::now();
        let expires = now + TimeDelta::hours(1);
        let s = scope(1, "acme/site");
        let first = cache.lease(&s, now, || issue(&count, expires)).await.unwrap();
        cache.forget(&s, first.generation).await;
        let second = cache.lease(&s, now, || issue(&count, expires)).await.unwrap();
        assert!(!second.cached);
        // A late refusal of the first token must not drop the second.
        cache.forget(&s, first.generation).await;
        let third = cache.lease(&s, now, || issue(&count, expires)).await.unwrap();
        assert!(third.cached);
        assert_eq!(third.token.expose_secret(), second.token.expose_secret());
    }

    #[tokio::test]
    async fn a_failed_exchange_caches_nothing() {
        let cache = TokenCache::default();
        let s = scope(1, "acme/site");
        let now = Utc::now();
        let failed =
            cache.lease(&s, now, || async { Err(GitHubError::AppCredentialsRefused) }).await;
        assert!(failed.is_err());
        let count = AtomicUsize::new(0);
        let lease =
            cache.lease(&s, now, || issue(&count, now + TimeDelta::hours(1))).await.unwrap();
        assert!(!lease.cached);
    }
}
