//! The verdict type and the caller's options.

use serde::{Deserialize, Serialize};

/// Caller's choices.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The app directory inside the repository (`"."` or `None` for the root); when absent a
    /// monorepo is searched for its one deployable app.
    pub root_directory: Option<String>,
}

/// The verdict. Serialises as camelCase JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detection {
    /// Vercel preset slug (e.g. `nextjs`), a runtime slug when no preset applies (`node`,
    /// `python`, `go`, ...), or `None` when nothing deployable was recognised.
    pub framework: Option<String>,
    /// Language runtime of the app (`node`, `bun`, `deno`, `python`, `go`, ...).
    pub runtime: Option<String>,
    /// Package manager (`npm`, `yarn`, `pnpm`, `bun`, `pip`, `poetry`, `cargo`, ...).
    pub package_manager: Option<String>,
    /// Directory holding the app, relative to the repository root; `"."` for the root.
    pub root_directory: String,
    /// Command that installs dependencies, run in the root directory.
    pub install_command: Option<String>,
    /// Command that builds the app, run in the root directory.
    pub build_command: Option<String>,
    /// Directory holding the build output, relative to the root directory.
    pub output_directory: Option<String>,
    /// Requested Node.js version (as written by the repository), if any.
    pub node_version: Option<String>,
    /// Human-readable reasons for every part of the verdict.
    pub evidence: Vec<String>,
    /// Candidate app directories when a monorepo is ambiguous (the framework is then `None`).
    pub candidates: Vec<String>,
}

impl Detection {
    /// An empty verdict for `root_directory`: nothing recognised yet.
    pub fn empty(root_directory: &str) -> Self {
        Self {
            framework: None,
            runtime: None,
            package_manager: None,
            root_directory: root_directory.to_owned(),
            install_command: None,
            build_command: None,
            output_directory: None,
            node_version: None,
            evidence: Vec::new(),
            candidates: Vec::new(),
        }
    }
}

/// One step of demand-driven detection: either the verdict, or the files it needs read first.
// The verdict is returned once per detection, so boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Detection is complete.
    Done(Detection),
    /// These paths exist in the snapshot, are not loaded yet and must be read before detection
    /// can continue.
    Need(Vec<String>),
}
