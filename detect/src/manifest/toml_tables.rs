//! String values of one TOML table (`[build]` of `netlify.toml`), read with the `toml` crate,
//! so multi-line strings, inline tables, arrays and comments are all understood.

use toml::{Table, Value};

/// The string values directly under the table at `path` (`["build"]`,
/// `["build", "environment"]`), by key, in key order. Non-string values are skipped; a file
/// that is not valid TOML (or where `path` is not a table) gives nothing.
pub(crate) fn table_strings(body: &str, path: &[&str]) -> Vec<(String, String)> {
    let Ok(root) = body.parse::<Table>() else {
        return Vec::new();
    };
    let mut table = &root;
    for key in path {
        match table.get(*key) {
            Some(Value::Table(inner)) => table = inner,
            _ => return Vec::new(),
        }
    }
    table.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_strings_reads_only_the_named_table() {
        let body = "[build]\n  base = \"site\" # comment\n  command = 'npm run build'\n  \
                    publish = \"dist\"\n[build.environment]\n  NODE_VERSION = \"20\"\n";
        let build = table_strings(body, &["build"]);
        assert_eq!(
            build,
            vec![
                ("base".to_owned(), "site".to_owned()),
                ("command".to_owned(), "npm run build".to_owned()),
                ("publish".to_owned(), "dist".to_owned()),
            ]
        );
        let env = table_strings(body, &["build", "environment"]);
        assert_eq!(env, vec![("NODE_VERSION".to_owned(), "20".to_owned())]);
    }

    #[test]
    fn multi_line_strings_and_inline_tables_are_read() {
        let body = "[build]\ncommand = \"\"\"\nnpm ci && \\\n  npm run build\"\"\"\n\
                    environment = { NODE_VERSION = \"22\" }\n";
        assert_eq!(
            table_strings(body, &["build"]),
            vec![("command".to_owned(), "npm ci && npm run build".to_owned())]
        );
        assert_eq!(
            table_strings(body, &["build", "environment"]),
            vec![("NODE_VERSION".to_owned(), "22".to_owned())]
        );
    }

    #[test]
    fn invalid_toml_and_missing_tables_give_nothing() {
        assert!(table_strings("[build\ncommand = 'x'", &["build"]).is_empty());
        assert!(table_strings("build = 'x'", &["build"]).is_empty());
        assert!(table_strings("", &["build"]).is_empty());
    }
}
