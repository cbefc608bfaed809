//! Top-level orchestration: choose the app directory, analyse it, and plan the build.

use crate::analyse::analyse_dir;
use crate::detection::{Detection, Options};
use crate::plan::plan;
use crate::snapshot::{Snapshot, normalize_path};
use crate::view::{Pending, View};

/// The root directory the caller asked for, normalised; `Err` with the raw text when it is
/// unsafe or not a directory of the repository.
pub(crate) fn requested_root(
    snapshot: &Snapshot,
    options: &Options,
) -> Result<Option<String>, String> {
    let Some(raw) = options.root_directory.as_deref() else {
        return Ok(None);
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == "./" {
        return Ok(Some(".".to_owned()));
    }
    match normalize_path(trimmed) {
        Some(dir) if snapshot.contains_dir(&dir) => Ok(Some(dir)),
        _ => Err(raw.to_owned()),
    }
}

/// Runs detection over what the view has loaded.
pub(crate) fn run(view: &View<'_>, options: &Options) -> Result<Detection, Pending> {
    let dir = match requested_root(view.snapshot(), options) {
        Ok(Some(dir)) => dir,
        Ok(None) => ".".to_owned(),
        Err(raw) => {
            let mut d = Detection::empty(&raw);
            d.evidence.push(format!(
                "root directory {raw:?} is not a directory of the repository"
            ));
            return Ok(d);
        }
    };
    let verdict = analyse_dir(view, &dir)?;
    plan(view, verdict)
}
