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
    /// The budget the repository exceeded, if any. Such a verdict must not be built: the
    /// support policy refuses it and its reason names the budget. Absent from the JSON when
    /// `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeded: Option<Exceeded>,
}

/// A detection budget a repository exceeded (each is a constant in [`crate::limits`]).
/// Exceeding one is a verdict, not an error to retry: the same repository exceeds it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "budget")]
#[non_exhaustive]
pub enum Exceeded {
    /// One detection pass needed more than `limit` steps ([`crate::MAX_STEPS`] by default)
    /// and stopped by itself; nothing else of the verdict is meaningful.
    Steps {
        /// The step budget that was exceeded.
        limit: u64,
    },
    /// A value the build would use (`field`, in the JSON's camelCase) was longer than `limit`
    /// bytes ([`crate::MAX_VALUE_BYTES`]); it is stored cut and must not be built.
    ValueLength {
        /// The Detection field that was cut (`buildCommand`, `outputDirectory`, ...).
        field: String,
        /// The byte limit.
        limit: usize,
    },
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Steps { limit } => write!(f, "detection step budget of {limit} steps exceeded"),
            Self::ValueLength { field, limit } => {
                write!(f, "{field} is longer than the {limit}-byte value budget")
            }
        }
    }
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
            exceeded: None,
        }
    }

    /// This verdict with every bound of [`crate::limits`] applied: strings cut to their limits
    /// with [`crate::TRUNCATION_MARKER`], at most [`crate::MAX_EVIDENCE_LINES`] evidence lines
    /// and [`crate::MAX_CANDIDATES`] candidates, and `exceeded` set when a value the build
    /// would use had to be cut. [`crate::detect`] already answers bounded verdicts; this is for
    /// a caller that builds or edits one.
    #[must_use]
    pub fn bounded(self) -> Self {
        crate::bounded::bound(self)
    }

    /// The verdict of a pass that ran out of steps: nothing detected, and `exceeded` says so.
    pub(crate) fn over_step_budget(limit: u64, steps: u64) -> Self {
        let mut d = Self::empty(".");
        d.evidence.push(format!(
            "detection stopped after {steps} steps: the step budget of {limit} was exceeded"
        ));
        d.exceeded = Some(Exceeded::Steps { limit });
        d
    }
}

/// One detection pass and the work it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered {
    /// What the pass answered.
    pub step: Step,
    /// Steps the pass used (see [`crate::MAX_STEPS`]); at most the budget plus one read's cost.
    pub steps: u64,
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
