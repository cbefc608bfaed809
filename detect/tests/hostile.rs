//! Property tests: arbitrary trees and hostile manifests never panic, never hand detection
//! more than the size cap, respect the demand-driven contract, and always end in a verdict or
//! a typed error. The budget tests (issue 14) drive crafted repositories through the engine
//! and assert its step counter and the size of the verdict, never wall time.

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;

use proptest::prelude::*;
use whaleray_detect::{
    DetectError, Detection, Exceeded, FileContent, MAX_CANDIDATE_BYTES, MAX_CANDIDATES,
    MAX_DETECTION_BYTES, MAX_EVIDENCE_LINE_BYTES, MAX_EVIDENCE_LINES, MAX_FILE_BYTES, MAX_PACKAGES,
    MAX_PATH_DEPTH, MAX_STEPS, MAX_VALUE_BYTES, Options, Snapshot, Step, SupportPolicy,
    TRUNCATION_MARKER, detect, detect_with,
};

use common::{metered, metered_text};

/// Names detection cares about, mixed with noise, so random trees hit real rules.
const NAMES: &[&str] = &[
    "package.json",
    "pnpm-workspace.yaml",
    "lerna.json",
    "turbo.json",
    "nx.json",
    "project.json",
    "go.work",
    "deno.lock",
    "main.ts",
    "pubspec.yaml",
    "CMakeLists.txt",
    "package.xml",
    "start.sh",
    "yarn.lock",
    "pnpm-lock.yaml",
    "package-lock.json",
    "bun.lockb",
    "vercel.json",
    "netlify.toml",
    ".nvmrc",
    ".node-version",
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "manage.py",
    "go.mod",
    "Cargo.toml",
    "Gemfile",
    "config.ru",
    "composer.json",
    "artisan",
    "pom.xml",
    "build.gradle",
    "mix.exs",
    "deno.json",
    "config.toml",
    "_config.yml",
    "index.html",
    "Dockerfile",
    "server.js",
    "x.csproj",
    "README.md",
];

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["apps", "packages", "web", "api", "src", "docs", "a"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["..", ".", "", "/", "\\", "C:", "ü", "node_modules"]).prop_map(str::to_owned),
        1 => "[a-z*?!{}\\[\\]]{1,6}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(segment(), 0..4), prop::sample::select(NAMES.to_vec()), any::<bool>())
        .prop_map(|(dirs, name, absolute)| {
            let mut p = dirs.join("/");
            if !p.is_empty() {
                p.push('/');
            }
            p.push_str(name);
            if absolute { format!("/{p}") } else { p }
        })
}

/// Hostile file bodies: valid-looking JSON, garbage, BOMs, deep nesting, invalid UTF-8.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(br#"{"dependencies":{"next":"14"},"workspaces":["**","../*","!x"],"packageManager":"pnpm@9"}"#.to_vec()),
        Just(br#"{"framework":null,"buildCommand":7}"#.to_vec()),
        Just(b"packages:\n  - '**'\n  - '../../etc'\n".to_vec()),
        Just(b"go 1.22\nuse (\n  ../..\n  **\n  .\n)\nuse ./a\n".to_vec()),
        Just(b"[workspace]\nmembers = [\"**\", \"../x\", \"/etc\"]\n[tool.uv.workspace]\nmembers = [\"*\"]\n".to_vec()),
        Just(br#"{"name":"a","projectType":"application","targets":{"build":{"executor":"@nrwl/next:build","options":{"outputPath":"../../../etc"}}}}"#.to_vec()),
        Just(b"\xEF\xBB\xBF{\"devDependencies\":{\"vite\":\"5\"}}".to_vec()),
        Just(b"\xFF\xFE\xFD not utf8 \xC0".to_vec()),
        (1usize..5000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
        (1usize..5000).prop_map(|n| "{\"a\":".repeat(n).into_bytes()),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
}

fn repo() -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    prop::collection::btree_map(path(), body(), 0..24)
}

fn reader(
    files: &BTreeMap<String, Vec<u8>>,
) -> impl FnMut(&str) -> Result<FileContent, Infallible> + '_ {
    move |p| {
        Ok(match files.get(p) {
            Some(bytes) => FileContent::Bytes(bytes.clone()),
            None => FileContent::Absent,
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_trees_always_end_in_a_verdict(files in repo(), root in prop::option::of(path())) {
        let mut snapshot = Snapshot::new(files.keys().cloned());
        let options = Options { root_directory: root };
        match detect_with(&mut snapshot, &options, reader(&files)) {
            Ok(d) => prop_assert!(!d.evidence.is_empty()),
            Err(DetectError::InvalidRootDirectory { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error: {e}"),
        }
    }

    #[test]
    fn need_lists_only_existing_unloaded_paths_and_shrinks(files in repo()) {
        let mut snapshot = Snapshot::new(files.keys().cloned());
        let options = Options::default();
        let mut rounds = 0;
        loop {
            match detect(&snapshot, &options) {
                Step::Done(_) => break,
                Step::Need(paths) => {
                    prop_assert!(!paths.is_empty());
                    for p in &paths {
                        prop_assert!(snapshot.contains(p), "{p} is not in the snapshot");
                    }
                    for p in paths {
                        let content = files.get(&p).cloned().map_or(FileContent::Absent, FileContent::Bytes);
                        snapshot.insert_file(&p, content);
                        // Asking again for a loaded file would loop forever.
                        if let Step::Need(again) = detect(&snapshot, &options) {
                            prop_assert!(!again.contains(&p), "{p} requested after loading");
                        }
                    }
                }
            }
            rounds += 1;
            prop_assert!(rounds <= whaleray_detect::MAX_ROUNDS);
        }
    }

    #[test]
    fn detection_is_deterministic(files in repo()) {
        let run = || {
            let mut snapshot = Snapshot::new(files.keys().cloned());
            detect_with(&mut snapshot, &Options::default(), reader(&files)).ok()
        };
        prop_assert_eq!(run(), run());
    }

    #[test]
    fn policy_parsing_never_panics(list in ".{0,64}") {
        let _ = SupportPolicy::parse(&list);
    }

    #[test]
    fn arbitrary_paths_never_panic_the_snapshot(paths in prop::collection::vec(".{0,40}", 0..20)) {
        let mut snapshot = Snapshot::new(paths.clone());
        for p in &paths {
            snapshot.insert_file(p, FileContent::Bytes(b"{}".to_vec()));
            prop_assert!(!snapshot.contains(p) || !p.split(['/', '\\']).any(|s| s == ".."));
        }
        let _ = detect(&snapshot, &Options::default());
    }
}

#[test]
fn an_oversized_package_json_is_never_read_and_is_reported() {
    let mut snapshot = Snapshot::new(["package.json".to_owned(), "index.html".to_owned()]);
    let mut asked = Vec::new();
    let d = detect_with(&mut snapshot, &Options::default(), |p| {
        asked.push(p.to_owned());
        Ok::<_, Infallible>(if p == "package.json" {
            FileContent::TooLarge
        } else {
            FileContent::Absent
        })
    })
    .unwrap();
    assert_eq!(asked, vec!["package.json".to_owned()]);
    assert!(d.evidence.iter().any(|e| e.contains("larger than the size cap")), "{:?}", d.evidence);
    assert_eq!(d.framework.as_deref(), Some("static"));
}

#[test]
fn a_reader_that_returns_more_than_the_cap_is_treated_as_too_large() {
    let huge = usize::try_from(MAX_FILE_BYTES).unwrap() * 50;
    let mut snapshot = Snapshot::new(["package.json".to_owned()]);
    let d = detect_with(&mut snapshot, &Options::default(), |_| {
        Ok::<_, Infallible>(FileContent::Bytes(vec![b' '; huge]))
    })
    .unwrap();
    assert!(d.evidence.iter().any(|e| e.contains("larger than the size cap")), "{:?}", d.evidence);
}

#[test]
fn deeply_nested_package_json_is_ignored_with_a_reason() {
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200_000), "]".repeat(200_000));
    let mut snapshot = Snapshot::new(["package.json".to_owned()]);
    let d = detect_with(&mut snapshot, &Options::default(), |_| {
        Ok::<_, Infallible>(FileContent::Bytes(deep.clone().into_bytes()))
    })
    .unwrap();
    assert!(
        d.evidence.iter().any(|e| e.contains("package.json ignored: invalid JSON")),
        "{:?}",
        d.evidence
    );
}

#[test]
fn a_reader_error_is_returned_with_the_path() {
    let mut snapshot = Snapshot::new(["package.json".to_owned()]);
    let err = detect_with(&mut snapshot, &Options::default(), |_| Err::<FileContent, _>("boom"))
        .unwrap_err();
    assert!(
        matches!(err, DetectError::Read { ref path, source: "boom" } if path == "package.json")
    );
    assert_eq!(err.to_string(), "reading package.json");
}

#[test]
fn a_root_directory_with_parent_segments_is_a_typed_error() {
    for bad in ["../x", "/etc", "missing", "a/../../b"] {
        let mut snapshot = Snapshot::new(["a/package.json".to_owned()]);
        let options = Options { root_directory: Some(bad.to_owned()) };
        let err =
            detect_with(&mut snapshot, &options, |_| Ok::<_, Infallible>(FileContent::Absent));
        assert!(matches!(err, Err(DetectError::InvalidRootDirectory { .. })), "{bad}");
    }
}

/// Every string of a verdict within its bound, and its JSON within the documented total.
fn assert_bounded(d: &Detection) {
    for value in [
        d.framework.as_deref(),
        d.runtime.as_deref(),
        d.package_manager.as_deref(),
        Some(d.root_directory.as_str()),
        d.install_command.as_deref(),
        d.build_command.as_deref(),
        d.output_directory.as_deref(),
        d.node_version.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(value.len() <= MAX_VALUE_BYTES, "value of {} bytes", value.len());
    }
    assert!(d.evidence.len() <= MAX_EVIDENCE_LINES, "{} evidence lines", d.evidence.len());
    for line in &d.evidence {
        assert!(line.len() <= MAX_EVIDENCE_LINE_BYTES, "evidence line of {} bytes", line.len());
    }
    assert!(d.candidates.len() <= MAX_CANDIDATES, "{} candidates", d.candidates.len());
    for c in &d.candidates {
        assert!(c.len() <= MAX_CANDIDATE_BYTES, "candidate of {} bytes", c.len());
    }
    let json = match serde_json::to_vec(d) {
        Ok(json) => json,
        Err(e) => panic!("verdict does not serialise: {e}"),
    };
    assert!(json.len() <= MAX_DETECTION_BYTES, "verdict JSON of {} bytes", json.len());
}

/// The issue's hang: a workspace glob of many `**` segments over a deep directory chain, where
/// a backtracking matcher takes exponential time in the depth (0.27 s / 6.9 s / 74 s at depth
/// 30 / 45 / 60, depth 200 never finished). With the automaton every pass stays linear in the
/// size of the tree; past `MAX_PATH_DEPTH` the chain is not listed at all.
#[test]
fn double_star_globs_over_deep_directories_cost_steps_linear_in_the_tree() {
    let glob = "**/x/**/x/**/x/**/x/**/x/**/x/**/x/**/y";
    for depth in [30usize, 45, 60, 200] {
        let mut files = vec![
            ("package.json".to_owned(), r#"{"private":true}"#.to_owned()),
            ("pnpm-workspace.yaml".to_owned(), format!("packages:\n  - '{glob}'\n")),
        ];
        let mut dir = String::new();
        for _ in 0..depth {
            dir.push_str("x/");
            files.push((format!("{dir}package.json"), r#"{"name":"lib"}"#.to_owned()));
        }
        files
            .push((format!("{dir}y/package.json"), r#"{"dependencies":{"next":"14"}}"#.to_owned()));
        let (d, reads, steps) = metered_text(&files);
        let listed = files.len() as u64;
        assert!(steps <= 10 * listed + 2_000, "depth {depth}: {steps} steps for {listed} files");
        assert_eq!(d.exceeded, None, "depth {depth}");
        if depth <= 60 {
            assert_eq!(d.root_directory, format!("{dir}y"), "depth {depth}");
            assert_eq!(d.framework.as_deref(), Some("nextjs"), "depth {depth}");
        } else {
            assert_eq!(d.root_directory, ".", "depth {depth}: the chain is too deep to list");
        }
        // The app's ancestors' manifests are read for its package manager: one per level listed.
        assert!(reads <= depth.min(MAX_PATH_DEPTH) + 8, "depth {depth}: {reads} files read");
    }
}

#[test]
fn a_900_kb_engines_node_is_never_parsed_or_stored_in_full() {
    let range = ">=18 ".repeat(900 * 1024 / 5);
    let pkg = format!(r#"{{"dependencies":{{"next":"14"}},"engines":{{"node":"{range}"}}}}"#);
    let files = vec![("package.json".to_owned(), pkg), (".nvmrc".to_owned(), "20".to_owned())];
    let (d, _, steps) = metered_text(&files);
    assert_bounded(&d);
    assert!(steps < MAX_STEPS / 100, "{steps} steps");
    assert_eq!(d.framework.as_deref(), Some("nextjs"));
    assert_eq!(d.node_version.as_deref(), Some("20"), "{:?}", d.evidence);
    assert!(d.evidence.iter().any(|l| l.contains(TRUNCATION_MARKER)), "{:?}", d.evidence);
    assert!(SupportPolicy::default_policy().allows(&d), "evidence alone never blocks a build");
}

#[test]
fn a_300_kb_build_command_is_cut_and_refused_with_the_budget_named() {
    let command = "echo pwned; ".repeat(300 * 1024 / 12);
    let vercel = format!(r#"{{"buildCommand":"{command}"}}"#);
    let netlify = format!("[build]\ncommand = \"\"\"\n{command}\"\"\"\n");
    for (file, body) in [("vercel.json", vercel), ("netlify.toml", netlify)] {
        let files = vec![
            ("package.json".to_owned(), r#"{"dependencies":{"next":"14"}}"#.to_owned()),
            (file.to_owned(), body),
        ];
        let (d, _, _) = metered_text(&files);
        assert_bounded(&d);
        let cut = d.build_command.as_deref().unwrap_or_default();
        assert!(cut.contains(TRUNCATION_MARKER), "{file}: {cut:.40}");
        assert_eq!(
            d.exceeded,
            Some(Exceeded::ValueLength {
                field: "buildCommand".to_owned(),
                limit: MAX_VALUE_BYTES
            }),
            "{file}"
        );
        let policy = SupportPolicy::default_policy();
        assert!(!policy.allows(&d), "{file}: a cut command must never be built");
        assert!(policy.reason(&d).contains("buildCommand is longer than"), "{file}");
    }
}

#[test]
fn five_hundred_workspace_packages_stay_within_every_budget() {
    let mut files = vec![(
        "package.json".to_owned(),
        r#"{"private":true,"workspaces":["packages/*"]}"#.to_owned(),
    )];
    let long = "n".repeat(MAX_CANDIDATE_BYTES);
    for i in 0..500 {
        files.push((
            format!("packages/{long}-{i:03}/package.json"),
            r#"{"dependencies":{"next":"14"}}"#.to_owned(),
        ));
    }
    let (d, reads, steps) = metered_text(&files);
    assert_bounded(&d);
    assert!(reads <= MAX_PACKAGES + 8, "{reads} files read");
    assert!(steps < MAX_STEPS / 100, "{steps} steps");
    assert_eq!(d.framework, None);
    assert_eq!(d.candidates.len(), MAX_CANDIDATES.min(MAX_PACKAGES));
    assert!(d.candidates.iter().all(|c| c.contains(TRUNCATION_MARKER)), "{:?}", d.candidates[0]);
}

#[test]
fn the_step_budget_stops_detection_by_itself_with_a_verdict_naming_it() {
    let files: Vec<(&str, &[u8])> =
        vec![("package.json", br#"{"dependencies":{"next":"14"}}"#), ("next.config.js", b"")];
    let (d, _, _) = metered(&files, &Options::default(), MAX_STEPS);
    assert_eq!(d.framework.as_deref(), Some("nextjs"));
    assert_eq!(d.exceeded, None);
    for budget in [0, 1, 5, 20] {
        let (d, _, steps) = metered(&files, &Options::default(), budget);
        assert_eq!(d.exceeded, Some(Exceeded::Steps { limit: budget }), "budget {budget}");
        assert!(steps > budget, "budget {budget}: stopped after {steps} steps");
        assert_eq!(d.framework, None);
        let policy = SupportPolicy::parse("*").unwrap();
        assert!(!policy.allows(&d));
        assert!(policy.reason(&d).contains(&format!("step budget of {budget} steps")), "{budget}");
    }
}

#[test]
fn the_largest_possible_verdict_stays_under_the_documented_bound() {
    let mut d = Detection::empty(&"r".repeat(1 << 20));
    let huge = "\u{1F40B}".repeat(1 << 18);
    for field in [
        &mut d.framework,
        &mut d.runtime,
        &mut d.package_manager,
        &mut d.install_command,
        &mut d.build_command,
        &mut d.output_directory,
        &mut d.node_version,
    ] {
        *field = Some(huge.clone());
    }
    let line = "\u{1F40B}".repeat(1 << 10);
    d.evidence = vec![line.clone(); 1_000];
    d.candidates = vec![line; 1_000];
    let d = d.bounded();
    assert_bounded(&d);
    assert!(matches!(d.exceeded, Some(Exceeded::ValueLength { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn bounded_verdicts_keep_every_bound(
        value in ".{0,1100}",
        lines in prop::collection::vec(".{0,600}", 0..80),
    ) {
        let mut d = Detection::empty(&value);
        d.build_command = Some(value.clone());
        d.evidence = lines.clone();
        d.candidates = lines;
        let d = d.bounded();
        assert_bounded(&d);
        prop_assert_eq!(d.exceeded.is_some(), value.len() > MAX_VALUE_BYTES);
        prop_assert_eq!(d.clone().bounded(), d);
    }
}
