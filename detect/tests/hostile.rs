//! Property tests: arbitrary trees and hostile manifests never panic, never hand detection
//! more than the size cap, respect the demand-driven contract, and always end in a verdict or
//! a typed error.

use std::collections::BTreeMap;
use std::convert::Infallible;

use proptest::prelude::*;
use whaleray_detect::{
    DetectError, FileContent, MAX_FILE_BYTES, Options, Snapshot, Step, SupportPolicy, detect,
    detect_with,
};

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
