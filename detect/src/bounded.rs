//! Bounding what a verdict carries: every string taken from a repository is cut to its limit
//! (see [`crate::limits`]) with a visible marker, and a cut value the build would use turns the
//! verdict into [`Exceeded::ValueLength`], because a cut command or directory must never run.
//! Evidence and candidates also lose their control characters (values the build uses are kept
//! as they are, apart from the cut).

use crate::detection::{Detection, Exceeded};
use crate::limits::{
    MAX_CANDIDATE_BYTES, MAX_CANDIDATES, MAX_EVIDENCE_LINE_BYTES, MAX_EVIDENCE_LINES,
    MAX_VALUE_BYTES, TRUNCATION_MARKER,
};

/// Cuts `text` to at most `limit` bytes (on a character boundary), ending it with the marker
/// and the original length; `None` when it already fits.
pub(crate) fn cut(text: &str, limit: usize) -> Option<String> {
    if text.len() <= limit {
        return None;
    }
    let marker = format!("{TRUNCATION_MARKER}{} bytes]", text.len());
    let mut end = limit.saturating_sub(marker.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}{marker}", &text[..end]))
}

/// Applies every bound to `d`.
pub(crate) fn bound(mut d: Detection) -> Detection {
    let mut over = None;
    for (field, value) in [
        ("framework", d.framework.as_mut()),
        ("runtime", d.runtime.as_mut()),
        ("packageManager", d.package_manager.as_mut()),
        ("rootDirectory", Some(&mut d.root_directory)),
        ("installCommand", d.install_command.as_mut()),
        ("buildCommand", d.build_command.as_mut()),
        ("outputDirectory", d.output_directory.as_mut()),
        ("nodeVersion", d.node_version.as_mut()),
    ] {
        if let Some(value) = value
            && let Some(short) = cut(value, MAX_VALUE_BYTES)
        {
            *value = short;
            over.get_or_insert(field);
        }
    }
    if let Some(field) = over {
        d.evidence.push(format!(
            "{field} is longer than {MAX_VALUE_BYTES} bytes; it was cut and must not be built"
        ));
        d.exceeded.get_or_insert(Exceeded::ValueLength {
            field: field.to_owned(),
            limit: MAX_VALUE_BYTES,
        });
    }
    d.evidence = bound_lines(std::mem::take(&mut d.evidence));
    d.candidates.truncate(MAX_CANDIDATES);
    for candidate in &mut d.candidates {
        sanitize(candidate);
        if let Some(short) = cut(candidate, MAX_CANDIDATE_BYTES) {
            *candidate = short;
        }
    }
    d
}

/// Replaces control characters (which JSON escapes to six bytes each, and which have no place
/// in a sentence or a directory name) with U+FFFD.
fn sanitize(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = text.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    }
}

/// At most [`MAX_EVIDENCE_LINES`] lines, each at most [`MAX_EVIDENCE_LINE_BYTES`] and free of
/// control characters; when lines
/// are dropped, the last one (why there is no framework, or why detection stopped) is kept.
fn bound_lines(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_EVIDENCE_LINES {
        let last = lines.pop().unwrap_or_default();
        let dropped = lines.len() - (MAX_EVIDENCE_LINES - 2);
        lines.truncate(MAX_EVIDENCE_LINES - 2);
        lines.push(format!("… {dropped} more evidence lines not kept"));
        lines.push(last);
    }
    for line in &mut lines {
        sanitize(line);
        if let Some(short) = cut(line, MAX_EVIDENCE_LINE_BYTES) {
            *line = short;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_short_text_and_marks_long_text() {
        assert_eq!(cut("short", 10), None);
        let long = "é".repeat(1000);
        let short = cut(&long, 100).unwrap_or_default();
        assert!(short.len() <= 100, "{}", short.len());
        assert!(short.ends_with("…[cut: 2000 bytes]"), "{short}");
        assert!(short.starts_with('é'));
    }

    #[test]
    fn a_long_command_is_cut_and_marks_the_verdict() {
        let mut d = Detection::empty(".");
        d.framework = Some("nextjs".to_owned());
        d.build_command = Some("x".repeat(300_000));
        let d = bound(d);
        assert!(d.build_command.as_ref().is_some_and(|c| c.len() <= MAX_VALUE_BYTES));
        assert_eq!(
            d.exceeded,
            Some(Exceeded::ValueLength {
                field: "buildCommand".to_owned(),
                limit: MAX_VALUE_BYTES
            })
        );
    }

    #[test]
    fn evidence_keeps_its_last_line_when_lines_are_dropped() {
        let mut d = Detection::empty(".");
        d.evidence = (0..500).map(|i| format!("line {i}")).collect();
        d.evidence.push("why".to_owned());
        let d = bound(d);
        assert_eq!(d.evidence.len(), MAX_EVIDENCE_LINES);
        assert_eq!(d.evidence.last().map(String::as_str), Some("why"));
        assert!(d.evidence.iter().any(|l| l.contains("more evidence lines not kept")));
        assert_eq!(d.exceeded, None);
    }
}
