//! The one precedence list: when several presets match a directory, the earliest wins.
//!
//! Principles encoded by the order (each has a unit test):
//! * a meta-framework beats the bundler it is built on (`remix`, `sveltekit-1` before `vite`);
//! * a framework beats a bare runtime (`express` before `node`, `django` before `python`);
//! * static HTML is a last resort, after every runtime.

/// Preset slugs, highest precedence first. Every preset appears exactly once.
pub(crate) const ORDER: &[&str] = &["nextjs", "create-react-app", "vite", "static"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_lists_every_preset_exactly_once() {
        let mut slugs: Vec<&str> = crate::rules::all().map(|p| p.slug).collect();
        slugs.sort_unstable();
        let mut order = ORDER.to_vec();
        order.sort_unstable();
        assert_eq!(slugs, order);
    }
}
