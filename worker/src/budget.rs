//! What one inspection attempt may spend: wall-clock time, GitHub requests, and the files and
//! bytes it keeps in memory.
//!
//! A repository's content is attacker-controlled, and the same repository would exceed a
//! budget again, so exceeding one is a verdict (the deployment is FAILED with a reason naming
//! the budget), never a retry. Each default is a documented constant with a worker setting
//! (README, "Configuration").

use std::time::Duration;

/// Wall-clock deadline for one inspection (commit, tree, blobs and detection): well below the
/// worker Lambda's 60 s timeout, leaving time for the status write and StartBuild.
/// Setting: `INSPECTION_DEADLINE_SECONDS`.
pub const INSPECTION_DEADLINE: Duration = Duration::from_secs(40);
/// GitHub requests one inspection may make, the commit and the tree included (a truncated
/// tree's walk has its own cap, [`crate::github::MAX_WALK_CALLS`]). Setting:
/// `GITHUB_REQUEST_BUDGET`.
pub const MAX_GITHUB_REQUESTS: u32 = 200;
/// Files one inspection may load into detection's snapshot. Setting: `FETCH_FILE_BUDGET`.
pub const MAX_FETCHED_FILES: u32 = 400;
/// Bytes of file content one inspection may hold (each file is also capped at
/// [`whaleray_detect::MAX_FILE_BYTES`]). Setting: `FETCH_BYTE_BUDGET`.
pub const MAX_FETCHED_BYTES: u64 = 32 * 1024 * 1024;
/// Blobs fetched at once: a few, so one job neither waits on requests one by one nor floods
/// GitHub's secondary rate limit.
pub const BLOB_CONCURRENCY: usize = 4;

/// The budgets of one inspection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Wall-clock deadline for the whole inspection.
    pub deadline: Duration,
    /// GitHub requests.
    pub requests: u32,
    /// Files loaded for detection.
    pub files: u32,
    /// Bytes of file content loaded for detection.
    pub bytes: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            deadline: INSPECTION_DEADLINE,
            requests: MAX_GITHUB_REQUESTS,
            files: MAX_FETCHED_FILES,
            bytes: MAX_FETCHED_BYTES,
        }
    }
}

/// A budget an inspection ran out of; its text is the deployment's FAILED reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    /// The deadline passed.
    #[error(
        "the repository could not be inspected within the {}-second inspection deadline",
        .0.as_secs()
    )]
    Deadline(Duration),
    /// Detection needed more GitHub requests.
    #[error("inspecting the repository needs more than the budget of {0} GitHub requests")]
    Requests(u32),
    /// Detection needed more files.
    #[error("inspecting the repository needs more than the budget of {0} files read")]
    Files(u32),
    /// Detection needed more bytes.
    #[error("inspecting the repository needs more than the budget of {} of files read", size(*.0))]
    Bytes(u64),
}

/// `bytes` in MiB when whole, in bytes otherwise.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// What one attempt has spent so far.
#[derive(Debug)]
pub(crate) struct Usage {
    budgets: Budgets,
    requests: u32,
    files: u32,
    bytes: u64,
}

impl Usage {
    pub(crate) fn new(budgets: Budgets) -> Self {
        Self { budgets, requests: 0, files: 0, bytes: 0 }
    }

    /// Spends `n` GitHub requests, refusing before they are made when they would not fit.
    pub(crate) fn requests(&mut self, n: usize) -> Result<(), Exceeded> {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.requests = self.requests.saturating_add(n);
        if self.requests > self.budgets.requests {
            return Err(Exceeded::Requests(self.budgets.requests));
        }
        Ok(())
    }

    /// Spends one file of `len` bytes loaded for detection.
    pub(crate) fn file(&mut self, len: usize) -> Result<(), Exceeded> {
        self.files = self.files.saturating_add(1);
        self.bytes = self.bytes.saturating_add(len as u64);
        if self.files > self.budgets.files {
            return Err(Exceeded::Files(self.budgets.files));
        }
        if self.bytes > self.budgets.bytes {
            return Err(Exceeded::Bytes(self.budgets.bytes));
        }
        Ok(())
    }

    /// GitHub requests spent so far.
    pub(crate) fn requests_spent(&self) -> u32 {
        self.requests
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_budget_refuses_the_first_unit_past_it() {
        let budgets = Budgets { requests: 3, files: 2, bytes: 10, ..Budgets::default() };
        let mut usage = Usage::new(budgets);
        assert_eq!(usage.requests(3), Ok(()));
        assert_eq!(usage.requests(1), Err(Exceeded::Requests(3)));

        let mut usage = Usage::new(budgets);
        assert_eq!(usage.file(4), Ok(()));
        assert_eq!(usage.file(6), Ok(()));
        assert_eq!(usage.file(0), Err(Exceeded::Files(2)));

        let mut usage = Usage::new(budgets);
        assert_eq!(usage.file(11), Err(Exceeded::Bytes(10)));
    }

    #[test]
    fn reasons_name_the_budget() {
        assert_eq!(
            Exceeded::Deadline(INSPECTION_DEADLINE).to_string(),
            "the repository could not be inspected within the 40-second inspection deadline"
        );
        assert!(Exceeded::Bytes(MAX_FETCHED_BYTES).to_string().contains("32 MiB"));
        assert!(Exceeded::Requests(200).to_string().contains("200 GitHub requests"));
    }
}
