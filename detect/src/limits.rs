//! Every bound detection puts on what a repository can make it do or store, in one place.
//!
//! A repository is attacker-controlled input. These constants bound the work of one detection
//! pass, what is walked, which patterns are compiled, and the size of every string the
//! [`crate::Detection`] carries, so a crafted repository can neither stall a worker nor make a
//! stored deployment item large. They are re-exported at the crate root.

/// Units of work one detection pass ([`crate::detect`]) may do before it stops by itself with
/// a verdict naming this budget ([`crate::Exceeded::Steps`]). One unit is one lookup or read
/// through the engine's view, plus one per [`BYTES_PER_STEP`] bytes of content handed to a
/// parser, plus one per directory walked. No corpus repository needs 1 000 in one pass (786
/// measured; `tests/corpus.rs` fails above 1 % of the budget), and walking 100 000
/// directories under a `**` workspace costs about 202 000 (the bench prints both). [`crate::detect_with`] runs at most
/// [`crate::MAX_ROUNDS`] passes, so its total work is at most that many times this.
pub const MAX_STEPS: u64 = 1_000_000;

/// Content bytes that cost one step when a file is read (see [`MAX_STEPS`]).
pub const BYTES_PER_STEP: usize = 4096;

/// Paths a [`crate::Snapshot`] keeps (GitHub lists at most 100 000 tree entries); the rest are
/// dropped, in the order given.
pub const MAX_PATHS: usize = 100_000;

/// Path segments a [`crate::Snapshot`] path may have; deeper paths are dropped (no app lives
/// 64 directories down, and dropping them bounds the directories any walk can visit).
pub const MAX_PATH_DEPTH: usize = 64;

/// Bytes a [`crate::Snapshot`] path may have (Linux's `PATH_MAX`); longer paths are dropped.
pub const MAX_PATH_BYTES: usize = 4096;

/// Workspace packages (or, without workspaces, scanned directories) analysed per repository;
/// the rest are not considered.
pub const MAX_PACKAGES: usize = 64;

/// Workspace glob patterns compiled per repository; the rest are ignored.
pub const MAX_GLOBS: usize = 64;

/// Bytes a workspace glob pattern may have; longer patterns are ignored.
pub const MAX_GLOB_BYTES: usize = 256;

/// Segments a workspace glob pattern may have; deeper patterns are ignored.
pub const MAX_GLOB_SEGMENTS: usize = 16;

/// Bytes of an `engines.node` / `.nvmrc` / `NODE_VERSION` range that is parsed at all
/// (node-semver's own limit for a version string); a longer one resolves to nothing.
pub const MAX_RANGE_BYTES: usize = 256;

/// Bytes of each value the build would use (framework, runtime, package manager, root
/// directory, install and build commands, output directory, Node version). A longer value is
/// stored cut, with [`TRUNCATION_MARKER`], and the verdict is [`crate::Exceeded::ValueLength`]:
/// a cut command must never run.
pub const MAX_VALUE_BYTES: usize = 1024;

/// Bytes of one evidence line; longer lines are cut, with [`TRUNCATION_MARKER`].
pub const MAX_EVIDENCE_LINE_BYTES: usize = 512;

/// Evidence lines kept; the lines past it are replaced by one line saying how many were
/// dropped (the last line, which states why there is no framework, is always kept).
pub const MAX_EVIDENCE_LINES: usize = 64;

/// Candidate directories kept for an ambiguous monorepo.
pub const MAX_CANDIDATES: usize = 64;

/// Bytes of one candidate directory; a longer one is cut, with [`TRUNCATION_MARKER`].
pub const MAX_CANDIDATE_BYTES: usize = 256;

/// Starts the marker that ends every cut string: `…[cut: 921600 bytes]` gives the original
/// length in bytes.
pub const TRUNCATION_MARKER: &str = "…[cut: ";

/// An upper bound on the JSON size of any [`crate::Detection`]: the 8 values at their bound
/// with every byte escaped (`\u0000`, 6 bytes), [`MAX_EVIDENCE_LINES`] evidence lines and
/// [`MAX_CANDIDATES`] candidates at their bounds with every byte a `"` or `\` (2 bytes; their
/// control characters are replaced), plus 2 KiB of field names and syntax: about 146 KiB. The
/// raw string bytes, which a DynamoDB item counts, are at most about 57 KiB.
/// `tests/hostile.rs` serialises worst cases and checks they stay below, so a stored deployment
/// item holding one detection stays far under DynamoDB's 400 KB item limit.
pub const MAX_DETECTION_BYTES: usize = 6 * 8 * MAX_VALUE_BYTES
    + 2 * MAX_EVIDENCE_LINES * MAX_EVIDENCE_LINE_BYTES
    + 2 * MAX_CANDIDATES * MAX_CANDIDATE_BYTES
    + 2048;

// The bound itself must stay well under DynamoDB's 400 KB item limit.
const _: () = assert!(MAX_DETECTION_BYTES < 160 * 1024);
