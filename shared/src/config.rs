//! Reading configuration from environment variables, once, with every problem reported.
//!
//! Each binary has its own `config.rs` that describes its settings with an [`Env`]; this is
//! the only module that touches the process environment.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Every problem found while reading the configuration, so one start-up names them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// One line per missing or malformed variable.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.problems.join("; "))
    }
}

/// A source of variables that collects problems as settings are read.
pub struct Env {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl Env {
    /// The process environment.
    #[allow(clippy::disallowed_methods)]
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// Variables given explicitly, as tests do.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let vars = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self { vars, problems: Vec::new() }
    }

    /// A variable's value, if set and not blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Whether a variable is set at all (even to an empty string).
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// A variable that must be set; records a problem and returns an empty string otherwise.
    pub fn required(&mut self, name: &str) -> String {
        self.optional(name).unwrap_or_else(|| {
            self.problems.push(format!("{name} is not set"));
            String::new()
        })
    }

    /// A variable that must be an `http://` or `https://` URL (trailing slash dropped).
    pub fn required_url(&mut self, name: &str) -> String {
        let value = self.required(name);
        self.check_url(name, value)
    }

    /// An optional URL with a default.
    pub fn url_or(&mut self, name: &str, default: &str) -> String {
        let value = self.optional(name).unwrap_or_else(|| default.to_owned());
        self.check_url(name, value)
    }

    fn check_url(&mut self, name: &str, value: String) -> String {
        if value.is_empty() {
            return value;
        }
        if !(value.starts_with("http://") || value.starts_with("https://")) {
            self.problems.push(format!("{name} must be an http:// or https:// URL, got {value:?}"));
        }
        value.trim_end_matches('/').to_owned()
    }

    /// A parsed variable with a default when unset.
    pub fn parsed_or<T>(&mut self, name: &str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.optional(name) {
            None => default,
            Some(raw) => raw.parse().unwrap_or_else(|e| {
                self.problems.push(format!("{name}={raw:?} is invalid: {e}"));
                default
            }),
        }
    }

    /// Records a problem found by the caller's own check.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// Ends reading: `Err` naming every problem, if there were any.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() { Ok(()) } else { Err(ConfigError { problems: self.problems }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_names_every_missing_and_malformed_variable() {
        let mut env = Env::from_pairs([("BAD_URL", "ftp://x"), ("N", "many"), ("BLANK", "  ")]);
        let _ = env.required("MISSING");
        let _ = env.required("BLANK");
        let _ = env.required_url("BAD_URL");
        let _: u32 = env.parsed_or("N", 3);
        let err = env.finish().unwrap_err();
        let text = err.to_string();
        for name in ["MISSING", "BLANK", "BAD_URL", "N="] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
        assert_eq!(err.problems.len(), 4);
    }

    #[test]
    fn defaults_apply_and_urls_lose_their_trailing_slash() {
        let mut env = Env::from_pairs([("U", "https://example.test/")]);
        assert_eq!(env.required_url("U"), "https://example.test");
        assert_eq!(env.url_or("OTHER", "https://api.github.com"), "https://api.github.com");
        assert_eq!(env.parsed_or("COUNT", 7u32), 7);
        assert!(env.finish().is_ok());
    }
}
