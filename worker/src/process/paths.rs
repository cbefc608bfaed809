//! The plan's directories, checked before anything is built: the app (root) directory and the
//! output directory must be normalised relative paths inside the repository, spelled with
//! characters a build can take without quoting surprises, and neither they nor any folder
//! above them may be a symbolic link or a submodule (a link could point out of the checkout).

use whaleray_detect::Detection;
use whaleray_shared::RootDirectory;

use crate::ports::{EntryKind, TreeEntry};

/// Longest directory text quoted back in a reason.
const SHOWN: usize = 80;

/// Why the plan's directories cannot be built; its text is the NOT_SUPPORTED reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Refusal {
    /// Not a normalised relative path inside the repository.
    #[error(
        "the {what} {} is not a relative path inside the repository (no '..', absolute path, \
         backslash or control character)",
        shown(.value)
    )]
    Escapes {
        /// Which directory of the plan.
        what: &'static str,
        /// Its value as detection gave it.
        value: String,
    },
    /// A character a build could misread.
    #[error(
        "the {what} {} has characters WhaleRay does not pass to a build (letters, digits, \
         '.', '_', '-', '@', '+', spaces and '/' only)",
        shown(.value)
    )]
    Characters {
        /// Which directory of the plan.
        what: &'static str,
        /// Its value as detection gave it.
        value: String,
    },
    /// The directory, or a folder above it, is a symbolic link or a submodule.
    #[error("the {what} {} goes through {}: {} is {kind}", shown(.dir), shown(.at), shown(.at))]
    Linked {
        /// Which directory of the plan.
        what: &'static str,
        /// The directory, from the repository root.
        dir: String,
        /// The link or submodule on the way.
        at: String,
        /// `a symbolic link` or `a submodule`.
        kind: &'static str,
    },
}

/// Why the plan's directories cannot be built, or `None` when they can.
pub(super) fn refusal(detection: &Detection, tree: &[TreeEntry]) -> Option<Refusal> {
    let root = match checked("app directory", &detection.root_directory) {
        Ok(root) => root,
        Err(refusal) => return Some(refusal),
    };
    let output = match detection.output_directory.as_deref().map(|o| checked("output directory", o))
    {
        None => None,
        Some(Ok(output)) => Some(output),
        Some(Err(refusal)) => return Some(refusal),
    };
    let mut dirs = vec![("app directory", root.as_ref().to_owned())];
    if let Some(output) = output.filter(|o| !o.is_root()) {
        let full = if root.is_root() { output.to_string() } else { format!("{root}/{output}") };
        dirs.push(("output directory", full));
    }
    dirs.into_iter().find_map(|(what, dir)| {
        let (at, kind) = linked(tree, &dir)?;
        let kind = if kind == EntryKind::Submodule { "a submodule" } else { "a symbolic link" };
        Some(Refusal::Linked { what, at: at.to_owned(), dir, kind })
    })
}

/// `value` as a relative path inside the repository whose every part is a plain name.
fn checked(what: &'static str, value: &str) -> Result<RootDirectory, Refusal> {
    let escapes = || Refusal::Escapes { what, value: value.to_owned() };
    // Parsing trims spaces; a plan value must already be what it means.
    if value.trim() != value {
        return Err(escapes());
    }
    let dir = RootDirectory::parse(value).map_err(|_| escapes())?;
    if !dir.as_ref().chars().all(plain) {
        return Err(Refusal::Characters { what, value: value.to_owned() });
    }
    Ok(dir)
}

fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+' | '/' | ' ')
}

/// The first link or submodule at `dir` or above it.
fn linked<'a>(tree: &'a [TreeEntry], dir: &str) -> Option<(&'a str, EntryKind)> {
    tree.iter()
        .filter(|e| e.kind != EntryKind::File)
        .find(|e| dir == e.path || dir.starts_with(&format!("{}/", e.path)))
        .map(|e| (e.path.as_str(), e.kind))
}

fn shown(value: &str) -> String {
    let cut: String = value.chars().take(SHOWN).collect();
    if cut.len() < value.len() { format!("{cut:?}...") } else { format!("{cut:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(root: &str, output: Option<&str>) -> Detection {
        let mut d = Detection::empty(root);
        d.output_directory = output.map(str::to_owned);
        d
    }

    fn entry(path: &str, kind: EntryKind) -> TreeEntry {
        TreeEntry { path: path.into(), sha: "0".repeat(40), size: 1, kind }
    }

    #[test]
    fn plain_relative_directories_pass() {
        let tree = [entry("apps/web/package.json", EntryKind::File)];
        for (root, output) in [
            (".", Some("dist")),
            ("apps/web", Some("build/out")),
            ("@a/b+c", None),
            ("web app", None),
        ] {
            assert_eq!(refusal(&plan(root, output), &tree), None, "{root} {output:?}");
        }
    }

    #[test]
    fn escaping_absolute_and_unusual_directories_are_refused() {
        for (root, output) in [
            (".", Some("../../etc")),
            (".", Some("/etc")),
            (".", Some("dist/../../../etc")),
            ("apps\\web", None),
            ("apps/web\n", Some("dist")),
            ("apps/$(id)", Some("dist")),
            (".", Some("out;rm -rf ~")),
            (".", Some("dist\u{7}")),
        ] {
            let reason = refusal(&plan(root, output), &[]);
            assert!(reason.is_some(), "{root:?} {output:?} accepted");
        }
    }

    #[test]
    fn links_and_submodules_on_the_way_are_refused() {
        let tree = [entry("dist", EntryKind::Symlink), entry("apps/lib", EntryKind::Submodule)];
        let reason = refusal(&plan(".", Some("dist")), &tree).unwrap().to_string();
        assert!(reason.contains("\"dist\" is a symbolic link"), "{reason}");
        let reason = refusal(&plan("apps/lib/web", None), &tree).unwrap().to_string();
        assert!(reason.contains("\"apps/lib\" is a submodule"), "{reason}");
        assert_eq!(refusal(&plan(".", Some("dist2")), &tree), None);
    }

    #[test]
    fn long_values_are_cut_in_reasons() {
        let long = format!("../{}", "a".repeat(10_000));
        let reason = refusal(&plan(".", Some(&long)), &[]).unwrap().to_string();
        assert!(reason.len() < 400, "{}", reason.len());
    }
}
