//! Size bounds on what a `deployments` item stores.
//!
//! DynamoDB refuses an item over 400 KB, and a refused write after StartBuild would leave a
//! build running for a deployment the table calls INSPECTING. Most of an item is validated
//! domain values with their own small limits (ids, names, the plan's commands); the free text
//! (reasons, errors, evidence, candidates) is bounded here, at the one place every write
//! passes through, whatever produced it. A cut text ends with a marker saying how much went.

/// The most bytes of a free-text attribute (`reason`, `lastError`, `buildId`) stored.
pub(crate) const MAX_TEXT_BYTES: usize = 4096;
/// The most evidence lines stored with a plan.
pub(crate) const MAX_EVIDENCE_LINES: usize = 64;
/// The most bytes of one evidence line stored.
pub(crate) const MAX_EVIDENCE_LINE_BYTES: usize = 512;
/// The most candidate folders stored with a plan.
pub(crate) const MAX_CANDIDATES: usize = 64;

/// `text`, cut to at most `max` bytes (on a character boundary) with a marker naming how many
/// bytes were left out. Text within the bound is returned as it is.
pub(crate) fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    // The marker itself takes room: at most 32 bytes for any realistic length.
    let keep = floor_char_boundary(text, max.saturating_sub(32));
    format!("{}…[cut: {} bytes]", &text[..keep], text.len() - keep)
}

/// Up to `max_items` of `items`, each cut to `max_bytes`; a last line says how many more
/// there were.
pub(crate) fn bounded_lines(items: &[String], max_items: usize, max_bytes: usize) -> Vec<String> {
    let mut kept: Vec<String> =
        items.iter().take(max_items).map(|line| bounded(line, max_bytes)).collect();
    if items.len() > max_items {
        kept.pop();
        kept.push(format!("…[cut: {} more lines]", items.len() - max_items + 1));
    }
    kept
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_within_the_bound_is_kept_whole() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded(&"a".repeat(10), 10), "a".repeat(10));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_with_a_marker() {
        let text = "é".repeat(3000); // 6000 bytes of two-byte characters
        let cut = bounded(&text, 4096);
        assert!(cut.len() <= 4096, "{}", cut.len());
        assert!(cut.ends_with("bytes]"), "{cut}");
        let kept = cut.split('…').next().unwrap_or_default();
        assert_eq!(kept.len() + cut_count(&cut), text.len());
    }

    fn cut_count(cut: &str) -> usize {
        let digits: String = cut
            .rsplit("cut: ")
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap_or(0)
    }

    #[test]
    fn many_lines_keep_the_first_and_count_the_rest() {
        let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
        let kept = bounded_lines(&lines, 64, 512);
        assert_eq!(kept.len(), 64);
        assert_eq!(kept[62], "line 62");
        assert_eq!(kept[63], "…[cut: 37 more lines]");
        assert_eq!(bounded_lines(&lines[..3], 64, 512), lines[..3]);
    }
}
