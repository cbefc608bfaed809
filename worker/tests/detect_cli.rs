//! `whaleray-worker detect <DIR>` on every monorepo shape of issue 13: the JSON on stdout names
//! the chosen root directory, or the candidates when there are several apps, and stderr says
//! the same in one line. The trees are the detect crate's labelled cases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn case_tree(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../detect/tests/cases").join(name).join("tree")
}

/// Runs the binary on a case; returns (exit success, stdout JSON, stderr).
fn run(name: &str, extra: &[&str]) -> (bool, Option<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_whaleray-worker"))
        .arg("detect")
        .arg(case_tree(name))
        .args(extra)
        .output()
        .expect("the worker binary runs");
    let json = serde_json::from_slice(&out.stdout).ok();
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// (case, expected root directory, expected candidates)
const SHAPES: &[(&str, &str, &[&str])] = &[
    ("nx-integrated-two-apps", ".", &["apps/admin", "apps/web"]),
    ("nx-integrated-one-app", "apps/shop", &[]),
    ("nx-integrated-api-and-web", ".", &["apps/api", "apps/site"]),
    ("nested-single-app-deep", "hello/sub", &[]),
    ("nested-app-below-examples-and-tests", "services/web/frontend/app", &[]),
    ("go-work-two-services", ".", &["api", "worker"]),
    ("go-work-one-service", "server", &[]),
    ("cargo-workspace-one-binary", "crates/server", &[]),
    ("cargo-workspace-two-binaries", ".", &["api", "cli"]),
    ("uv-workspace-fastapi-member", "packages/api", &[]),
    ("poetry-path-deps-two-apps", ".", &["apps/web", "apps/worker"]),
    ("bun-workspaces-two-apps", ".", &["apps/api", "apps/web"]),
    ("bun-workspaces-one-app", "packages/site", &[]),
    ("monorepo-ambiguous-turbo", ".", &["apps/docs", "apps/web"]),
];

#[test]
fn detect_reports_the_root_directory_or_the_candidates_for_every_monorepo_shape() {
    let mut wrong = Vec::new();
    for (name, root, candidates) in SHAPES {
        let (ok, json, stderr) = run(name, &[]);
        let Some(json) = json.filter(|_| ok) else {
            wrong.push(format!("{name}: failed: {stderr}"));
            continue;
        };
        let got_root = json["rootDirectory"].as_str().unwrap_or_default();
        let got: Vec<&str> =
            json["candidates"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        if got_root != *root || got != *candidates {
            wrong.push(format!("{name}: root {got_root}, candidates {got:?}"));
        }
        let line = if candidates.is_empty() {
            format!("root directory {root}: ")
        } else {
            format!("several apps, choose one with --root-directory: {}", candidates.join(", "))
        };
        if !stderr.contains(&line) {
            wrong.push(format!("{name}: stderr {stderr:?} lacks {line:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_chosen_root_directory_resolves_an_ambiguous_monorepo() {
    let (ok, json, stderr) = run("go-work-two-services", &["--root-directory", "worker"]);
    assert!(ok, "{stderr}");
    let json = json.unwrap();
    assert_eq!(json["rootDirectory"], "worker");
    assert_eq!(json["framework"], "go");
    assert!(stderr.contains("root directory worker: go, package manager go"), "{stderr}");
}

#[test]
fn a_root_directory_outside_the_folder_is_one_line_and_a_failure() {
    let (ok, json, stderr) = run("go-work-two-services", &["--root-directory", "../elsewhere"]);
    assert!(!ok);
    assert!(json.is_none());
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("../elsewhere"), "{stderr}");
}
