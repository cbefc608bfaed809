//! Workspace members of other ecosystems: `go.work` `use` directives, Cargo
//! `[workspace] members`, uv `[tool.uv.workspace] members` and Poetry path dependencies.
//! Each gives member paths or globs relative to the workspace root; unreadable files give none.

use toml::{Table, Value};

/// The directories a `go.work` `use`s (single-line and block forms; `//` comments ignored).
pub(crate) fn go_work_uses(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in body.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        if in_block {
            if line.starts_with(')') {
                in_block = false;
            } else if !line.is_empty() {
                out.push(unquote(line));
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("use") else { continue };
        if !rest.starts_with([' ', '\t', '(']) {
            continue;
        }
        let rest = rest.trim();
        if rest == "(" {
            in_block = true;
        } else if let Some(inline) = rest.strip_prefix('(') {
            out.extend(inline.trim_end_matches(')').split_whitespace().map(unquote));
        } else if !rest.is_empty() {
            out.push(unquote(rest));
        }
    }
    out
}

fn unquote(s: &str) -> String {
    let s = s.trim().trim_matches(|c| c == '"' || c == '`');
    let s = s.trim_end_matches('/');
    s.strip_prefix("./").unwrap_or(s).to_owned()
}

/// `[workspace] members` of a `Cargo.toml` (globs allowed), minus `exclude`d entries.
pub(crate) fn cargo_members(body: &str) -> Vec<String> {
    let Ok(root) = body.parse::<Table>() else { return Vec::new() };
    let ws = root.get("workspace").and_then(Value::as_table);
    let list = |key: &str| strings(ws.and_then(|w| w.get(key)));
    let exclude = list("exclude");
    list("members").into_iter().filter(|m| !exclude.contains(m)).collect()
}

/// `[tool.uv.workspace] members` of a `pyproject.toml` (globs allowed).
pub(crate) fn uv_members(body: &str) -> Vec<String> {
    let Ok(root) = body.parse::<Table>() else { return Vec::new() };
    let ws = root
        .get("tool")
        .and_then(|t| t.get("uv"))
        .and_then(|u| u.get("workspace"))
        .and_then(|w| w.get("members"));
    strings(ws)
}

/// Local path dependencies of a Poetry project (`[tool.poetry.dependencies]` and its groups):
/// how Poetry monorepos tie their packages together.
pub(crate) fn poetry_path_deps(body: &str) -> Vec<String> {
    let Ok(root) = body.parse::<Table>() else { return Vec::new() };
    let Some(poetry) = root.get("tool").and_then(|t| t.get("poetry")) else {
        return Vec::new();
    };
    let mut tables = vec![poetry.get("dependencies")];
    if let Some(groups) = poetry.get("group").and_then(Value::as_table) {
        tables.extend(groups.values().map(|g| g.get("dependencies")));
    }
    let mut out: Vec<String> = tables
        .into_iter()
        .flatten()
        .filter_map(Value::as_table)
        .flat_map(|deps| deps.values())
        .filter_map(|dep| dep.get("path").and_then(Value::as_str))
        .map(|p| p.trim_start_matches("./").trim_end_matches('/').to_owned())
        .collect();
    out.dedup();
    out
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_work_reads_block_and_single_uses() {
        let body = "go 1.22\n\nuse (\n\t./api // service\n\t\"./worker\"\n)\nuse ./tools\n";
        assert_eq!(go_work_uses(body), vec!["api", "worker", "tools"]);
        assert_eq!(go_work_uses("use (./a ./b)\n"), vec!["a", "b"]);
        assert!(go_work_uses("go 1.22\nuser x\n").is_empty());
    }

    #[test]
    fn cargo_members_drop_excluded_entries() {
        let body =
            "[workspace]\nmembers = [\"crates/*\", \"server\", \"old\"]\nexclude = [\"old\"]\n";
        assert_eq!(cargo_members(body), vec!["crates/*", "server"]);
        assert!(cargo_members("[package]\nname = \"x\"\n").is_empty());
        assert!(cargo_members("[workspace").is_empty());
    }

    #[test]
    fn uv_and_poetry_members_are_read() {
        let uv = "[tool.uv.workspace]\nmembers = [\"packages/*\", \"./apps/api/\"]\n";
        assert_eq!(uv_members(uv), vec!["packages/*", "apps/api"]);
        let poetry = "[tool.poetry.dependencies]\npython = \"^3.12\"\ncore = { path = \"./libs/core\", develop = true }\n\
                      [tool.poetry.group.dev.dependencies]\napi = { path = \"apps/api\" }\n";
        assert_eq!(poetry_path_deps(poetry), vec!["libs/core", "apps/api"]);
    }
}
