//! Node version from `engines.node`, `.nvmrc` or `.node-version` (in that order, as Nixpacks
//! does), looked for in the app directory, then each parent up to the root.

use crate::view::{Pending, Read, View, join, text};

use super::package_manager::ancestors;

/// The requested Node version and the sentence saying where it came from.
pub(crate) fn resolve(
    view: &View<'_>,
    app_dir: &str,
    engines_node: Option<(&str, &str)>,
) -> Result<Option<(String, String)>, Pending> {
    if let Some((source, range)) = engines_node {
        return Ok(Some((
            range.to_owned(),
            format!("engines.node {range:?} in {source}"),
        )));
    }
    for dir in ancestors(app_dir) {
        for name in [".nvmrc", ".node-version"] {
            let path = join(&dir, name);
            if let Read::Bytes(bytes) = view.read(&path)?
                && let Some(version) = first_line(&text(bytes))
            {
                return Ok(Some((
                    version.clone(),
                    format!("Node {version} from {path}"),
                )));
            }
        }
    }
    Ok(None)
}

/// The first meaningful line of a version file, with comments and a `v` prefix removed.
fn first_line(body: &str) -> Option<String> {
    body.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .find(|l| !l.is_empty())
        .filter(|l| l.len() <= 64)
        .map(|l| l.strip_prefix('v').unwrap_or(l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_skips_comments_and_v_prefix() {
        assert_eq!(
            first_line("# pinned\nv20.11.1\n").as_deref(),
            Some("20.11.1")
        );
        assert_eq!(first_line("lts/iron").as_deref(), Some("lts/iron"));
        assert_eq!(first_line("\n\n"), None);
    }
}
