//! Workspace globs from `pnpm-workspace.yaml` (a `packages:` list) and `lerna.json`.

use serde_json::Value;

/// The `packages:` list of a `pnpm-workspace.yaml`, read line by line.
pub(crate) fn pnpm_packages(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_packages = false;
    for line in body.lines() {
        let content = line.split(" #").next().unwrap_or_default();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        let indented = content.starts_with([' ', '\t', '-']);
        if !indented {
            let key = content.trim();
            in_packages = key.starts_with("packages:");
            if let Some(inline) = key.strip_prefix("packages:").map(str::trim)
                && let Some(list) = inline.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
            {
                out.extend(list.split(',').map(unquote).filter(|s| !s.is_empty()));
            }
            continue;
        }
        if in_packages && let Some(item) = content.trim().strip_prefix('-') {
            let item = unquote(item);
            if !item.is_empty() {
                out.push(item);
            }
        }
    }
    out
}

/// The `packages` globs of a `lerna.json` (Lerna's default `packages/*` when absent).
pub(crate) fn lerna_packages(bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(obj)) => match obj.get("packages") {
            Some(Value::Array(items)) => {
                items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            _ => vec!["packages/*".to_owned()],
        },
        _ => Vec::new(),
    }
}

fn unquote(raw: &str) -> String {
    raw.trim().trim_matches(|c| c == '"' || c == '\'').trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_packages_reads_block_and_inline_lists() {
        let block = "packages:\n  - 'apps/*'\n  - \"packages/**\" # libs\n  - '!**/test/**'\ncatalog:\n  - x\n";
        assert_eq!(pnpm_packages(block), vec!["apps/*", "packages/**", "!**/test/**"]);
        assert_eq!(pnpm_packages("packages: [a, 'b']"), vec!["a", "b"]);
    }

    #[test]
    fn lerna_packages_defaults_to_packages_star() {
        assert_eq!(lerna_packages(b"{\"version\":\"1.0.0\"}"), vec!["packages/*"]);
        assert_eq!(lerna_packages(b"{\"packages\":[\"modules/*\"]}"), vec!["modules/*"]);
        assert!(lerna_packages(b"nope").is_empty());
    }
}
