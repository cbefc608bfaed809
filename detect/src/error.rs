//! Typed errors of the detection driver.

/// Why [`crate::detect_with`] could not reach a verdict.
#[derive(Debug, thiserror::Error)]
pub enum DetectError<E> {
    /// The caller's reader failed on a file detection asked for.
    #[error("reading {path}")]
    Read {
        /// The file that could not be read.
        path: String,
        /// The reader's error.
        #[source]
        source: E,
    },
    /// Detection kept asking for files beyond [`crate::MAX_ROUNDS`] (a bug, never input-driven).
    #[error("detection did not settle within the allowed rounds of reads")]
    TooManyRounds,
    /// The requested root directory is unsafe or is not a directory of the repository.
    #[error("root directory {path:?} is not a directory of the repository")]
    InvalidRootDirectory {
        /// The root directory as the caller gave it.
        path: String,
    },
}
