//! Workspace globs from `pnpm-workspace.yaml` (a `packages:` list) and `lerna.json`.

use serde_json::Value;
use yaml_serde::Value as YamlValue;

/// The `packages:` list of a `pnpm-workspace.yaml`, read with `yaml_serde` (block or flow
/// lists, quoted or plain scalars, anchors and aliases). Non-string items are skipped; a file
/// that is not valid YAML (or whose alias expansion exceeds the parser's limit) gives nothing.
pub(crate) fn pnpm_packages(body: &str) -> Vec<String> {
    let Ok(doc) = yaml_serde::from_str::<YamlValue>(body) else {
        return Vec::new();
    };
    match doc.get("packages") {
        Some(YamlValue::Sequence(items)) => items
            .iter()
            .filter_map(YamlValue::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
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
    fn pnpm_packages_reads_multi_line_flow_lists_and_aliases() {
        let flow = "packages: [\n  'apps/*',\n  \"libs/**\"  # shared\n]\n";
        assert_eq!(pnpm_packages(flow), vec!["apps/*", "libs/**"]);
        let aliased = "x-globs: &globs\n  - apps/*\n  - tools/*\npackages: *globs\n";
        assert_eq!(pnpm_packages(aliased), vec!["apps/*", "tools/*"]);
    }

    #[test]
    fn pnpm_packages_of_invalid_or_explosive_yaml_is_empty() {
        assert!(pnpm_packages("packages: [unclosed").is_empty());
        let mut laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_owned();
        for (prev, next) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            laughs.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        laughs.push_str("packages: *i\n");
        assert!(pnpm_packages(&laughs).is_empty());
    }

    #[test]
    fn lerna_packages_defaults_to_packages_star() {
        assert_eq!(lerna_packages(b"{\"version\":\"1.0.0\"}"), vec!["packages/*"]);
        assert_eq!(lerna_packages(b"{\"packages\":[\"modules/*\"]}"), vec!["modules/*"]);
        assert!(lerna_packages(b"nope").is_empty());
    }
}
