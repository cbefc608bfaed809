//! The build plan: what inspection found in a repository, in types the build understands.
//!
//! The worker derives a [`BuildPlan`] from the detection crate's verdict; the store and the
//! API each map it through their own private shape, so nothing outside the worker knows how
//! detection spells its answer.

use std::fmt;

use super::{DomainError, RootDirectory};

/// A framework or runtime preset slug as detection names it (`nextjs`, `vite`, `static`,
/// `docusaurus-2`): 1 to 64 lowercase ASCII letters, digits, `-`, `_` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Framework(String);

impl Framework {
    /// Checks `value`.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        slug(value).map(Self).ok_or_else(|| DomainError::Framework(value.to_owned()))
    }
}

impl AsRef<str> for Framework {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A slug for a runtime or package manager the build image has no special support for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherTool(String);

impl AsRef<str> for OtherTool {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The language runtime an app runs on. The build image runs Node.js; the others are
/// reported so a NOT_SUPPORTED verdict can say what was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// Node.js.
    Node,
    /// Bun.
    Bun,
    /// Deno.
    Deno,
    /// Any other runtime (`python`, `go`, `ruby`, ...).
    Other(OtherTool),
}

impl Runtime {
    /// Parses a runtime slug.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        Ok(match value {
            "node" => Self::Node,
            "bun" => Self::Bun,
            "deno" => Self::Deno,
            other => Self::Other(OtherTool(
                slug(other).ok_or_else(|| DomainError::Runtime(value.to_owned()))?,
            )),
        })
    }

    /// The slug, as parsed.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Node => "node",
            Self::Bun => "bun",
            Self::Deno => "deno",
            Self::Other(tool) => tool.as_ref(),
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tool that installs an app's dependencies. The build image has npm, Yarn and pnpm;
/// the others are reported so a NOT_SUPPORTED verdict can say what was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PackageManager {
    /// npm.
    Npm,
    /// Yarn (classic or Berry).
    Yarn,
    /// pnpm.
    Pnpm,
    /// Bun.
    Bun,
    /// Any other installer (`pip`, `poetry`, `cargo`, `bundler`, ...).
    Other(OtherTool),
}

impl PackageManager {
    /// Parses a package manager slug.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        Ok(match value {
            "npm" => Self::Npm,
            "yarn" => Self::Yarn,
            "pnpm" => Self::Pnpm,
            "bun" => Self::Bun,
            other => Self::Other(OtherTool(
                slug(other).ok_or_else(|| DomainError::PackageManager(value.to_owned()))?,
            )),
        })
    }

    /// The slug, as parsed.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Npm => "npm",
            Self::Yarn => "yarn",
            Self::Pnpm => "pnpm",
            Self::Bun => "bun",
            Self::Other(tool) => tool.as_ref(),
        }
    }
}

impl fmt::Display for PackageManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A shell command the build runs in the app's folder: 1 to [`ShellCommand::MAX_LEN`] bytes,
/// not blank, without NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShellCommand(String);

impl ShellCommand {
    /// The longest command accepted, in bytes.
    pub const MAX_LEN: usize = 4096;

    /// Checks `value`; a blank command is `None` (nothing to run).
    pub fn parse(value: &str) -> Result<Option<Self>, DomainError> {
        if value.trim().is_empty() {
            return Ok(None);
        }
        let fail = |why| DomainError::Command { value: value.to_owned(), why };
        if value.len() > Self::MAX_LEN {
            return Err(fail("it is longer than 4096 bytes"));
        }
        if value.contains('\0') {
            return Err(fail("it contains a NUL character"));
        }
        Ok(Some(Self(value.to_owned())))
    }
}

impl AsRef<str> for ShellCommand {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The folder holding the build's output, relative to the app's folder, with the same rules
/// as a [`RootDirectory`] (`"."` is the app folder itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutputDirectory(RootDirectory);

impl OutputDirectory {
    /// Checks and normalises `value`.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        RootDirectory::parse(value).map(Self).map_err(|e| match e {
            DomainError::RootDirectory { value, why } => {
                DomainError::OutputDirectory { value, why }
            }
            other => other,
        })
    }
}

impl AsRef<str> for OutputDirectory {
    fn as_ref(&self) -> &str {
        self.0.as_ref()
    }
}

/// The Node.js version to install: `major`, `major.minor` or `major.minor.patch`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeVersion(String);

impl NodeVersion {
    /// Checks `value` (a leading `v` is dropped).
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let bare = value.strip_prefix('v').unwrap_or(value);
        let parts: Vec<&str> = bare.split('.').collect();
        let numeric = parts.len() <= 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
        if numeric {
            Ok(Self(bare.to_owned()))
        } else {
            Err(DomainError::NodeVersion(value.to_owned()))
        }
    }
}

impl AsRef<str> for NodeVersion {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A detection budget a repository exceeded. A plan carrying one is never built: its build
/// values were cut or never computed, and the same repository exceeds the budget again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceededBudget {
    /// Detection needed more than `limit` steps and stopped.
    Steps {
        /// The step budget.
        limit: u64,
    },
    /// A value the build would use was longer than `limit` bytes.
    ValueLength {
        /// The value's name (`buildCommand`, `outputDirectory`, ...).
        field: String,
        /// The byte budget.
        limit: u64,
    },
    /// A budget this version does not know by name, as detection described it.
    Other(String),
}

impl fmt::Display for ExceededBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Steps { limit } => write!(f, "detection step budget of {limit} steps exceeded"),
            Self::ValueLength { field, limit } => {
                write!(f, "{field} is longer than the {limit}-byte value budget")
            }
            Self::Other(description) => f.write_str(description),
        }
    }
}

/// What inspection found: the framework and how to build it, with the evidence for each
/// part. Without a framework the plan explains why nothing can be built (its evidence, or
/// the candidate apps of a monorepo that needs a root directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// The framework preset, or `None` when nothing deployable was recognised.
    pub framework: Option<Framework>,
    /// The language runtime.
    pub runtime: Option<Runtime>,
    /// The dependency installer.
    pub package_manager: Option<PackageManager>,
    /// The app's folder inside the repository.
    pub root_directory: RootDirectory,
    /// Installs dependencies, run in the app's folder.
    pub install_command: Option<ShellCommand>,
    /// Builds the app, run in the app's folder.
    pub build_command: Option<ShellCommand>,
    /// Where the build writes its output, relative to the app's folder.
    pub output_directory: Option<OutputDirectory>,
    /// The Node.js version to install.
    pub node_version: Option<NodeVersion>,
    /// One sentence per part of the verdict, saying why.
    pub evidence: Vec<String>,
    /// The deployable apps of a monorepo when none was chosen (the framework is then `None`).
    pub candidates: Vec<RootDirectory>,
    /// The detection budget the repository exceeded, if any; such a plan is never built.
    pub exceeded: Option<ExceededBudget>,
}

impl BuildPlan {
    /// An empty plan for `root_directory`: nothing recognised.
    pub fn empty(root_directory: RootDirectory) -> Self {
        Self {
            framework: None,
            runtime: None,
            package_manager: None,
            root_directory,
            install_command: None,
            build_command: None,
            output_directory: None,
            node_version: None,
            evidence: Vec::new(),
            candidates: Vec::new(),
            exceeded: None,
        }
    }
}

/// `value` when it is a slug: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`.
fn slug(value: &str) -> Option<String> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.'));
    ok.then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words() {
        for good in ["nextjs", "docusaurus-2", "static", "gatsby", "a.b_c"] {
            assert_eq!(Framework::parse(good).unwrap().as_ref(), good);
        }
        for bad in ["", "Next", "a b", "x;rm", &"a".repeat(65)] {
            assert!(Framework::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn known_tools_get_their_own_variant_and_others_keep_their_slug() {
        assert_eq!(Runtime::parse("node").unwrap(), Runtime::Node);
        assert_eq!(Runtime::parse("python").unwrap().as_str(), "python");
        assert!(Runtime::parse("Py thon").is_err());
        assert_eq!(PackageManager::parse("pnpm").unwrap(), PackageManager::Pnpm);
        assert_eq!(PackageManager::parse("poetry").unwrap().as_str(), "poetry");
        assert!(PackageManager::parse("").is_err());
    }

    #[test]
    fn commands_blank_is_none_and_nul_is_refused() {
        assert_eq!(ShellCommand::parse("  ").unwrap(), None);
        assert_eq!(ShellCommand::parse("npm ci").unwrap().unwrap().as_ref(), "npm ci");
        assert!(ShellCommand::parse("a\0b").is_err());
        assert!(ShellCommand::parse(&"x".repeat(4097)).is_err());
    }

    #[test]
    fn output_directories_stay_inside_the_app_folder() {
        assert_eq!(OutputDirectory::parse("./dist/").unwrap().as_ref(), "dist");
        assert_eq!(OutputDirectory::parse(".").unwrap().as_ref(), ".");
        assert_eq!(OutputDirectory::parse(".next").unwrap().as_ref(), ".next");
        for bad in ["../x", "/abs", "a/../../b"] {
            assert!(
                matches!(OutputDirectory::parse(bad), Err(DomainError::OutputDirectory { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn node_versions_are_numeric() {
        for (input, expected) in [("20", "20"), ("v20.11.1", "20.11.1"), ("18.2", "18.2")] {
            assert_eq!(NodeVersion::parse(input).unwrap().as_ref(), expected);
        }
        for bad in ["", ">=18", "20.x", "lts/iron", "1.2.3.4", "20;rm"] {
            assert!(NodeVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
