//! Logging set-up: JSON lines in Lambda and when asked, readable text otherwise.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for CloudWatch and log pipelines.
    Json,
    /// Human-readable text, for a terminal.
    Text,
}

/// `LOG_FORMAT` named neither format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("LOG_FORMAT must be json or text, not {0:?}")]
pub struct UnknownLogFormat(pub String);

impl LogFormat {
    /// The format named by `LOG_FORMAT` (`json` or `text`), or the default for where the
    /// process runs: JSON in Lambda, text elsewhere.
    pub fn choose(named: Option<&str>, lambda: bool) -> Result<Self, UnknownLogFormat> {
        match named.map(str::to_ascii_lowercase).as_deref() {
            None => Ok(if lambda { Self::Json } else { Self::Text }),
            Some("json") => Ok(Self::Json),
            Some("text") => Ok(Self::Text),
            Some(other) => Err(UnknownLogFormat(other.to_owned())),
        }
    }
}

/// Installs the global subscriber writing to standard error. `RUST_LOG` sets the filter
/// (default `info`). Calling it twice is harmless: the second call changes nothing.
pub fn init(format: LogFormat) {
    init_with_writer(format, std::io::stderr);
}

/// Installs the global subscriber writing to `writer`, so tests can capture log output.
pub fn init_with_writer<W>(format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    let _already_set = match format {
        // Every enclosing span is listed, so a line logged deep inside a job (a GitHub
        // call's own span) still carries the job span's deployment, message and attempt.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
        LogFormat::Text => builder
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}
