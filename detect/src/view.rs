//! Demand-tracking reads over a [`Snapshot`]: rules ask for file contents through a `View`,
//! which answers from what is loaded and records every existing, unloaded file it was asked for.
//!
//! The view also meters the pass: every lookup, read and walked directory costs steps, and once
//! the budget is spent every further read answers [`Pending`], so the engine unwinds by itself
//! and [`crate::detect_metered`] turns the pass into a verdict naming the budget.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use crate::limits::BYTES_PER_STEP;
use crate::snapshot::{FileContent, Snapshot};

/// Marker: some wanted file is not loaded yet (its path has been recorded in the view), or the
/// step budget is spent ([`View::exhausted`]); either way the engine stops this pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending;

/// The answer to one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read<'a> {
    /// The file is not in the repository (or turned out absent).
    Missing,
    /// The file exists but is over the size cap and was never read.
    TooLarge,
    /// The file's bytes.
    Bytes(&'a [u8]),
}

/// A snapshot plus the set of files detection wants read next.
#[derive(Debug)]
pub(crate) struct View<'a> {
    snapshot: &'a Snapshot,
    wanted: RefCell<BTreeSet<String>>,
    steps: Cell<u64>,
    max_steps: u64,
}

impl<'a> View<'a> {
    /// Wraps a snapshot with an empty wish list and a budget of `max_steps`.
    pub(crate) fn new(snapshot: &'a Snapshot, max_steps: u64) -> Self {
        Self { snapshot, wanted: RefCell::new(BTreeSet::new()), steps: Cell::new(0), max_steps }
    }

    /// Spends `n` steps; [`Pending`] once the budget is exceeded.
    pub(crate) fn step(&self, n: u64) -> Result<(), Pending> {
        self.steps.set(self.steps.get().saturating_add(n));
        if self.exhausted() { Err(Pending) } else { Ok(()) }
    }

    /// Whether the step budget is exceeded.
    pub(crate) fn exhausted(&self) -> bool {
        self.steps.get() > self.max_steps
    }

    /// Steps spent so far.
    pub(crate) fn steps(&self) -> u64 {
        self.steps.get()
    }

    /// Every directory of the snapshot holding a file (the root excluded), one step each.
    pub(crate) fn dirs(&self) -> Result<Vec<&'a str>, Pending> {
        let mut out = Vec::new();
        for dir in self.snapshot.dirs() {
            self.step(1)?;
            out.push(dir);
        }
        Ok(out)
    }

    /// The underlying snapshot (paths only; contents go through [`View::read`]).
    pub(crate) fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// Whether `path` is a file of the repository.
    /// One step; a lookup past the budget still answers, and the next read stops the pass.
    pub(crate) fn exists(&self, path: &str) -> bool {
        self.steps.set(self.steps.get().saturating_add(1));
        self.snapshot.contains(path)
    }

    /// Reads `path`, or records it as wanted and answers [`Pending`]. One step, plus one per
    /// [`BYTES_PER_STEP`] bytes of content handed back; [`Pending`] once the budget is spent.
    pub(crate) fn read(&self, path: &str) -> Result<Read<'a>, Pending> {
        self.step(1)?;
        if !self.snapshot.contains(path) {
            return Ok(Read::Missing);
        }
        match self.snapshot.content(path) {
            None => {
                self.wanted.borrow_mut().insert(path.to_owned());
                Err(Pending)
            }
            Some(FileContent::Absent) => Ok(Read::Missing),
            Some(FileContent::TooLarge) => Ok(Read::TooLarge),
            Some(FileContent::Bytes(bytes)) => {
                self.step((bytes.len() / BYTES_PER_STEP) as u64)?;
                Ok(Read::Bytes(bytes))
            }
        }
    }

    /// Reads `path` if it is loaded (or missing), without asking for it otherwise.
    /// Costs steps as [`View::read`] does, but never stops the pass itself.
    pub(crate) fn peek(&self, path: &str) -> Option<Read<'a>> {
        self.steps.set(self.steps.get().saturating_add(1));
        if !self.snapshot.contains(path) {
            return Some(Read::Missing);
        }
        match self.snapshot.content(path)? {
            FileContent::Absent => Some(Read::Missing),
            FileContent::TooLarge => Some(Read::TooLarge),
            FileContent::Bytes(bytes) => {
                let cost = (bytes.len() / BYTES_PER_STEP) as u64;
                self.steps.set(self.steps.get().saturating_add(cost));
                Some(Read::Bytes(bytes))
            }
        }
    }

    /// Asks for every existing path in `paths` at once, so they are fetched in one round;
    /// answers [`Pending`] when any of them is not loaded yet.
    pub(crate) fn prefetch<I, S>(&self, paths: I) -> Result<(), Pending>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut pending = false;
        for path in paths {
            pending |= self.read(path.as_ref()).is_err();
        }
        if pending { Err(Pending) } else { Ok(()) }
    }

    /// The wanted paths, sorted and deduplicated.
    pub(crate) fn into_wanted(self) -> Vec<String> {
        self.wanted.into_inner().into_iter().collect()
    }
}

/// Decodes bytes as text, dropping a UTF-8 byte-order mark and replacing invalid sequences.
pub(crate) fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Joins a directory (`"."` for the root) and a relative path.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_records_unloaded_existing_files_only() {
        let snapshot = Snapshot::new(["a".to_owned(), "b".to_owned()]);
        let view = View::new(&snapshot, 100);
        assert_eq!(view.read("a"), Err(Pending));
        assert_eq!(view.read("zzz"), Ok(Read::Missing));
        assert_eq!(view.into_wanted(), vec!["a".to_owned()]);
    }

    #[test]
    fn reads_stop_once_the_step_budget_is_spent() {
        let mut snapshot = Snapshot::new(["a".to_owned(), "b".to_owned()]);
        snapshot.insert_file("a", FileContent::Bytes(vec![b' '; 3 * BYTES_PER_STEP]));
        let view = View::new(&snapshot, 5);
        assert!(matches!(view.read("a"), Ok(Read::Bytes(_))));
        assert_eq!(view.steps(), 4);
        assert!(!view.exhausted());
        assert!(view.exists("b"));
        assert!(view.exists("b"));
        assert_eq!(view.read("zzz"), Err(Pending));
        assert!(view.exhausted());
        assert_eq!(view.into_wanted(), Vec::<String>::new());
    }

    #[test]
    fn text_strips_bom_and_tolerates_invalid_utf8() {
        assert_eq!(text(b"\xEF\xBB\xBFhi"), "hi");
        assert_eq!(text(b"a\xFFb"), "a\u{FFFD}b");
    }
}
