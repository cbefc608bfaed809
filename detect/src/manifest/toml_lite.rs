//! A small TOML reader for single-line string keys of one table (`[build]` of `netlify.toml`).
//! Arrays, inline tables and multi-line strings are skipped rather than misread.

/// The string values directly under `[table]` (dotted table names allowed), by key.
pub(crate) fn table_strings(body: &str, table: &str) -> Vec<(String, String)> {
    let mut current = String::new();
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header.trim_start_matches('[').split(']').next().unwrap_or_default();
            current = name.trim().trim_matches('"').to_owned();
            continue;
        }
        if current != table {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"').trim_matches('\'').to_owned();
        if let Some(value) = string_value(value.trim()) {
            out.push((key, value));
        }
    }
    out
}

/// A basic (`"..."`) or literal (`'...'`) single-line string, unescaped.
fn string_value(raw: &str) -> Option<String> {
    if let Some(rest) = raw.strip_prefix('\'') {
        if rest.starts_with("''") {
            return None;
        }
        return rest.split('\'').next().map(str::to_owned);
    }
    let rest = raw.strip_prefix('"')?;
    if rest.starts_with("\"\"") {
        return None;
    }
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_strings_reads_only_the_named_table() {
        let body = "[build]\n  base = \"site\" # comment\n  command = 'npm run build'\n  \
                    publish = \"dist\"\n[build.environment]\n  NODE_VERSION = \"20\"\n";
        let build = table_strings(body, "build");
        assert_eq!(
            build,
            vec![
                ("base".to_owned(), "site".to_owned()),
                ("command".to_owned(), "npm run build".to_owned()),
                ("publish".to_owned(), "dist".to_owned()),
            ]
        );
        let env = table_strings(body, "build.environment");
        assert_eq!(env, vec![("NODE_VERSION".to_owned(), "20".to_owned())]);
    }

    #[test]
    fn string_value_handles_escapes_and_rejects_unterminated() {
        assert_eq!(string_value(r#""a \"b\"""#).as_deref(), Some("a \"b\""));
        assert_eq!(string_value("\"open"), None);
        assert_eq!(string_value("[1, 2]"), None);
    }
}
