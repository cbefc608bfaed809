//! Reading a repository for one inspection within its budgets: the commit, the tree, and only
//! the blobs detection asks for, each SHA fetched once and a few at a time, with detection run
//! on the blocking pool so a slow repository never holds an async thread.

use std::collections::{BTreeSet, HashMap};

use futures::stream::{self, StreamExt, TryStreamExt};
use whaleray_detect::{
    Detection, FileContent, MAX_FILE_BYTES, MAX_ROUNDS, Options, Snapshot, Step,
};
use whaleray_shared::{CommitSha, Deployment};

use super::{Failure, JobError, paths};
use crate::budget::{BLOB_CONCURRENCY, Usage};
use crate::deps::Deps;
use crate::ports::{EntryKind, TreeEntry};

/// What reading and detecting found.
pub(super) struct Inspected {
    /// The commit pinned at creation, else the one the branch pointed at.
    pub commit: CommitSha,
    /// Detection's verdict.
    pub detection: Detection,
    /// Why the plan's directories cannot be built, if they cannot.
    pub refusal: Option<paths::Refusal>,
}

/// Reads and detects `deployment`'s repository within `deps.budgets` (the caller applies the
/// deadline).
pub(super) async fn inspect(deps: &Deps, deployment: &Deployment) -> Result<Inspected, Failure> {
    let (repo, installation) = (&deployment.repository, deployment.installation_id);
    let mut usage = Usage::new(deps.budgets);
    usage.requests(2)?;
    let commit = match &deployment.commit_sha {
        // Pinned at creation (a push's head commit, a redeploy's original): the branch may have
        // moved since, and must not change what is built.
        Some(pinned) => pinned.clone(),
        None => deps.github.resolve_commit(installation, repo, deployment.branch.as_ref()).await?,
    };
    let tree = deps.github.tree(installation, repo, &commit).await?;
    let detection = detect(deps, deployment, &tree, &mut usage).await?;
    tracing::info!(github_requests = usage.requests_spent(), "inspected the repository");
    let refusal = paths::refusal(&detection, &tree);
    Ok(Inspected { commit, detection, refusal })
}

/// Detection over the tree's regular files (links and submodules are never read as files).
/// Files over the size cap are reported as too large without being downloaded.
async fn detect(
    deps: &Deps,
    deployment: &Deployment,
    tree: &[TreeEntry],
    usage: &mut Usage,
) -> Result<Detection, Failure> {
    let files: HashMap<&str, &TreeEntry> =
        tree.iter().filter(|e| e.kind == EntryKind::File).map(|e| (e.path.as_str(), e)).collect();
    let mut snapshot = Snapshot::new(files.keys().map(|p| (*p).to_owned()));
    let options =
        Options { root_directory: deployment.root_directory.as_ref().map(ToString::to_string) };
    let mut fetched: HashMap<String, Vec<u8>> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let (back, step) = detect_step(snapshot, options.clone()).await?;
        snapshot = back;
        let wanted = match step {
            Step::Done(detection) => return Ok(detection),
            Step::Need(paths) => paths,
        };
        let readable: Vec<(&str, &TreeEntry)> = wanted
            .iter()
            .filter_map(|p| files.get_key_value(p.as_str()).map(|(k, e)| (*k, *e)))
            .filter(|(_, e)| e.size <= MAX_FILE_BYTES)
            .collect();
        // Spent before anything is downloaded, so memory never exceeds the budget.
        for (_, entry) in &readable {
            usage.file(usize::try_from(entry.size).unwrap_or(usize::MAX))?;
        }
        let missing: BTreeSet<&str> = readable
            .iter()
            .map(|(_, e)| e.sha.as_str())
            .filter(|sha| !fetched.contains_key(*sha))
            .collect();
        usage.requests(missing.len())?;
        fetched.extend(fetch(deps, deployment, missing).await?);
        for path in wanted {
            let content = match files.get(path.as_str()) {
                None => FileContent::Absent,
                Some(e) if e.size > MAX_FILE_BYTES => FileContent::TooLarge,
                Some(e) => match fetched.get(&e.sha) {
                    Some(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => FileContent::TooLarge,
                    Some(bytes) => FileContent::Bytes(bytes.clone()),
                    None => FileContent::Absent,
                },
            };
            snapshot.insert_file(&path, content);
        }
    }
    Err(Failure::Permanent(JobError::Unsettled))
}

/// One detection step on the blocking pool; the snapshot goes there and comes back.
async fn detect_step(snapshot: Snapshot, options: Options) -> Result<(Snapshot, Step), Failure> {
    tokio::task::spawn_blocking(move || {
        let step = whaleray_detect::detect(&snapshot, &options);
        (snapshot, step)
    })
    .await
    .map_err(|e| Failure::Permanent(JobError::DetectionStopped(e)))
}

/// The blobs `shas`, [`BLOB_CONCURRENCY`] at a time.
async fn fetch(
    deps: &Deps,
    deployment: &Deployment,
    shas: BTreeSet<&str>,
) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let (repo, installation) = (&deployment.repository, deployment.installation_id);
    // The futures are built before they are streamed: a closure returning a borrowing future
    // would make the job's future not `Send` for every lifetime.
    let fetches: Vec<_> = shas
        .into_iter()
        .map(|sha| {
            let sha = sha.to_owned();
            let github = deps.github.clone();
            let repo = repo.clone();
            async move {
                let bytes = github.blob(installation, &repo, &sha).await?;
                Ok::<_, Failure>((sha, bytes))
            }
        })
        .collect();
    stream::iter(fetches).buffer_unordered(BLOB_CONCURRENCY).try_collect().await
}
