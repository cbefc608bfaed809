//! Node version from `engines.node`, `.nvmrc` or `.node-version` (in that order, as Nixpacks
//! does), looked for in the app directory, then each parent up to the root.

use crate::view::{Pending, Read, View, join, text};

use super::package_manager::ancestors;
use super::semver;

/// The Node version to install and the sentence saying where it came from. A value that
/// cannot be resolved is reported and the next source is tried.
pub(crate) fn resolve(
    view: &View<'_>,
    app_dir: &str,
    engines_node: Option<(&str, &str)>,
) -> Result<(Option<String>, Vec<String>), Pending> {
    let mut notes = Vec::new();
    if let Some((source, range)) = engines_node {
        let said = format!("engines.node {range:?} in {source}");
        match semver::resolve(range) {
            Some(v) => return Ok((Some(v.clone()), vec![format!("{said} → Node {v}")])),
            None => notes.push(format!("{said} matches no supported Node version; ignored")),
        }
    }
    for dir in ancestors(app_dir) {
        for name in [".nvmrc", ".node-version"] {
            let path = join(&dir, name);
            if let Read::Bytes(bytes) = view.read(&path)?
                && let Some(written) = first_line(&text(bytes))
            {
                let said = format!("{path} says {written:?}");
                match semver::resolve(&written) {
                    Some(v) => {
                        notes.push(format!("{said} → Node {v}"));
                        return Ok((Some(v), notes));
                    }
                    None => notes
                        .push(format!("{said}, which matches no supported Node version; ignored")),
                }
            }
        }
    }
    Ok((None, notes))
}

/// The first meaningful line of a version file, without comments.
fn first_line(body: &str) -> Option<String> {
    body.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .find(|l| !l.is_empty())
        .filter(|l| l.len() <= 64)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_skips_comments_and_blank_lines() {
        assert_eq!(first_line("# pinned\n\nv20.11.1 # current\n").as_deref(), Some("v20.11.1"));
        assert_eq!(first_line("lts/iron").as_deref(), Some("lts/iron"));
        assert_eq!(first_line("\n\n"), None);
    }
}
