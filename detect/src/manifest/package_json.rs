//! `package.json`: dependencies, scripts, `packageManager`, `engines.node` and `workspaces`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::JsonManifestError;

/// The parts of a `package.json` detection uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackageJson {
    /// `name`, when a string.
    pub name: Option<String>,
    /// `dependencies` and `devDependencies` merged (name → version text).
    pub deps: BTreeMap<String, String>,
    /// `scripts` (name → command).
    pub scripts: BTreeMap<String, String>,
    /// The `packageManager` field (e.g. `pnpm@9.1.0`).
    pub package_manager: Option<String>,
    /// `engines.node`.
    pub engines_node: Option<String>,
    /// Workspace globs from `workspaces` (array, or object with `packages`).
    pub workspaces: Vec<String>,
    /// Whether `workspaces` is present at all.
    pub has_workspaces: bool,
    /// Whether a top-level `turbo` key is present.
    pub has_turbo_key: bool,
    /// `main`, when a string.
    pub main: Option<String>,
}

impl PackageJson {
    /// Parses `package.json` bytes; `Err` says why, for the evidence.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, JsonManifestError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // serde_json refuses nesting deeper than 128 levels, so hostile depth is an error.
        let value: Value = serde_json::from_slice(bytes).map_err(JsonManifestError::Invalid)?;
        let Value::Object(obj) = value else {
            return Err(JsonManifestError::NotAnObject);
        };
        let mut pkg = Self {
            name: string(obj.get("name")),
            package_manager: string(obj.get("packageManager")),
            main: string(obj.get("main")),
            has_turbo_key: obj.contains_key("turbo"),
            has_workspaces: obj.contains_key("workspaces"),
            ..Self::default()
        };
        for key in ["devDependencies", "dependencies"] {
            if let Some(Value::Object(deps)) = obj.get(key) {
                for (name, version) in deps {
                    let version = version.as_str().unwrap_or("*").to_owned();
                    pkg.deps.insert(name.clone(), version);
                }
            }
        }
        if let Some(Value::Object(scripts)) = obj.get("scripts") {
            for (name, command) in scripts {
                if let Some(command) = command.as_str() {
                    pkg.scripts.insert(name.clone(), command.to_owned());
                }
            }
        }
        if let Some(Value::Object(engines)) = obj.get("engines") {
            pkg.engines_node = string(engines.get("node"));
        }
        pkg.workspaces = match obj.get("workspaces") {
            Some(Value::Array(items)) => strings(items),
            Some(Value::Object(ws)) => match ws.get("packages") {
                Some(Value::Array(items)) => strings(items),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        Ok(pkg)
    }

    /// The version text of dependency `name`, if present.
    pub(crate) fn dep(&self, name: &str) -> Option<&str> {
        self.deps.get(name).map(String::as_str)
    }
}

fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn strings(items: &[Value]) -> Vec<String> {
    items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_merges_dependencies_and_dev_dependencies() {
        let pkg = PackageJson::parse(
            br#"{"dependencies":{"next":"14.2.3"},"devDependencies":{"vite":"^5"}}"#,
        )
        .unwrap();
        assert_eq!(pkg.dep("next"), Some("14.2.3"));
        assert_eq!(pkg.dep("vite"), Some("^5"));
    }

    #[test]
    fn parse_reads_workspaces_in_both_shapes() {
        let a = PackageJson::parse(br#"{"workspaces":["apps/*"]}"#).unwrap();
        let b = PackageJson::parse(br#"{"workspaces":{"packages":["apps/*"]}}"#).unwrap();
        assert_eq!(a.workspaces, vec!["apps/*"]);
        assert_eq!(b.workspaces, vec!["apps/*"]);
    }

    #[test]
    fn parse_skips_bom_and_rejects_non_objects() {
        assert!(PackageJson::parse(b"\xEF\xBB\xBF{}").is_ok());
        assert!(PackageJson::parse(b"[1]").is_err());
        assert!(PackageJson::parse(b"\xFF\xFE").is_err());
    }

    #[test]
    fn parse_rejects_deep_nesting_without_overflowing() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(PackageJson::parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn parse_ignores_fields_of_the_wrong_type() {
        let pkg =
            PackageJson::parse(br#"{"dependencies":[1],"scripts":{"build":3},"engines":"x"}"#)
                .unwrap();
        assert!(pkg.deps.is_empty() && pkg.scripts.is_empty() && pkg.engines_node.is_none());
    }
}
