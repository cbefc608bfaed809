//! Data-driven detection tests: every labelled case of the public corpus
//! (`tests/corpus`, see its `PROVENANCE.md`) and of this crate's synthetic cases (`tests/cases`) must get
//! the expected framework (or an acceptable one), package manager and root directory.

mod common;

use serde_json::Value;

use common::{Case, corpus_dir, load_cases, synthetic_dir};
use whaleray_detect::MAX_STEPS;

/// Compares one case; returns the mismatching fields as (field, expected, actual).
fn check(case: &Case) -> Vec<(String, String, String)> {
    let (d, _) = case.run();
    let e = &case.expected;
    let mut bad = Vec::new();
    let show = |v: Option<&str>| v.map_or("null".to_owned(), str::to_owned);
    let acceptable: Vec<Option<&str>> = match e.get("acceptableFrameworks") {
        Some(Value::Array(items)) => items.iter().map(Value::as_str).collect(),
        _ => vec![e["framework"].as_str()],
    };
    if !acceptable.contains(&d.framework.as_deref()) {
        let want: Vec<String> = acceptable.iter().map(|v| show(*v)).collect();
        bad.push(("framework".to_owned(), want.join("|"), show(d.framework.as_deref())));
    }
    let mut field = |key: &str, actual: Option<&str>| {
        if let Some(expected) = e.get(key)
            && expected.as_str() != actual
        {
            bad.push((key.to_owned(), show(expected.as_str()), show(actual)));
        }
    };
    field("packageManager", d.package_manager.as_deref());
    field("rootDirectory", Some(d.root_directory.as_str()));
    // Synthetic cases may pin more of the plan.
    field("installCommand", d.install_command.as_deref());
    field("buildCommand", d.build_command.as_deref());
    field("outputDirectory", d.output_directory.as_deref());
    field("nodeVersion", d.node_version.as_deref());
    if let Some(Value::Array(want)) = e.get("candidates") {
        let want: Vec<&str> = want.iter().filter_map(Value::as_str).collect();
        if want != d.candidates {
            bad.push(("candidates".to_owned(), want.join(","), d.candidates.join(",")));
        }
    }
    if let Some(Value::Array(needles)) = e.get("evidenceContains") {
        for needle in needles.iter().filter_map(Value::as_str) {
            if !d.evidence.iter().any(|line| line.contains(needle)) {
                bad.push(("evidence".to_owned(), needle.to_owned(), d.evidence.join(" | ")));
            }
        }
    }
    if d.evidence.is_empty() {
        bad.push(("evidence".to_owned(), "non-empty".to_owned(), "empty".to_owned()));
    }
    bad
}

fn run_all(cases: &[Case]) -> Vec<String> {
    let mut rows = Vec::new();
    for case in cases {
        for (field, want, got) in check(case) {
            rows.push(format!("{:<55} {:<16} {:<28} {}", case.name, field, want, got));
        }
    }
    rows
}

fn assert_cases(label: &str, cases: &[Case], minimum: usize) {
    assert!(
        cases.len() >= minimum,
        "{label}: expected at least {minimum} cases, found {}",
        cases.len()
    );
    let rows = run_all(cases);
    let failed: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.split_whitespace().next().unwrap_or_default()).collect();
    assert!(
        rows.is_empty(),
        "{label}: {}/{} cases pass\n{:<55} {:<16} {:<28} {}\n{}",
        cases.len() - failed.len(),
        cases.len(),
        "case",
        "field",
        "expected",
        "actual",
        rows.join("\n")
    );
}

#[test]
fn every_public_corpus_case_is_detected_as_labelled() {
    let dir = corpus_dir();
    let cases = load_cases(&dir)
        .unwrap_or_else(|e| panic!("corpus folder {} is required: {e}", dir.display()));
    assert_cases("public corpus", &cases, 71);
}

#[test]
fn every_synthetic_case_is_detected_as_labelled() {
    let cases = load_cases(&synthetic_dir()).expect("tests/cases is readable");
    assert_cases("synthetic cases", &cases, 1);
}

#[test]
fn single_package_node_repositories_read_at_most_three_files() {
    let cases = load_cases(&corpus_dir()).expect("corpus is readable");
    let single_package = |c: &&Case| {
        c.expected["runtime"] == "node"
            && c.files.iter().filter(|(p, _)| p.ends_with("package.json")).count() == 1
    };
    let mut checked = 0;
    for case in cases.iter().filter(single_package) {
        checked += 1;
        let (_, reads) = case.run();
        assert!(reads <= 3, "{} read {reads} files", case.name);
    }
    assert!(checked >= 20, "only {checked} single-package Node cases found");
}

#[test]
fn ordinary_repositories_use_under_one_percent_of_the_step_budget() {
    let mut cases = load_cases(&corpus_dir()).expect("corpus is readable");
    cases.extend(load_cases(&synthetic_dir()).expect("tests/cases is readable"));
    let (most, name) = cases
        .iter()
        .map(|c| {
            let (d, _, steps) = c.run_metered(MAX_STEPS);
            assert_eq!(d.exceeded, None, "{} exceeded a budget", c.name);
            (steps, c.name.as_str())
        })
        .max()
        .unwrap_or_default();
    assert!(cases.len() > 100, "only {} cases", cases.len());
    assert!(most > 0, "no steps were counted");
    assert!(most < MAX_STEPS / 100, "{name} used {most} of {MAX_STEPS} steps in one pass");
}
