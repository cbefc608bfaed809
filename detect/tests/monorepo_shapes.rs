//! Rule tests for the monorepo shapes of issue 13: Nx integrated repositories, a single app
//! below the root, and workspaces of other ecosystems (Go, Cargo, uv, Poetry, Bun).

mod common;

use common::detect_files;
use whaleray_detect::{FileContent, Options, Snapshot, detect_with};

/// Detection plus the paths read, in order.
fn detect_counting(files: &[(&str, &str)]) -> (whaleray_detect::Detection, Vec<String>) {
    let mut snapshot = Snapshot::new(files.iter().map(|(p, _)| (*p).to_owned()));
    let mut read = Vec::new();
    let d = detect_with(&mut snapshot, &Options::default(), |path| {
        read.push(path.to_owned());
        Ok::<_, std::convert::Infallible>(match files.iter().find(|(p, _)| *p == path) {
            Some((_, body)) => FileContent::Bytes(body.as_bytes().to_vec()),
            None => FileContent::Absent,
        })
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (d, read)
}

const NX_ROOT_PKG: &str =
    r#"{"dependencies": {"next": "14.2.3", "react": "18"}, "devDependencies": {"nx": "19"}}"#;

#[test]
fn an_nx_root_listing_next_is_never_a_nextjs_app() {
    let d = detect_files(&[
        ("nx.json", "{}"),
        ("package.json", NX_ROOT_PKG),
        ("libs/ui/project.json", r#"{"projectType": "library"}"#),
    ]);
    assert_eq!(d.framework, None, "{:?}", d.evidence);
    assert_eq!(d.root_directory, ".");
    assert!(
        d.evidence.iter().any(|e| e.contains("does not make the root an app")),
        "{:?}",
        d.evidence
    );
}

#[test]
fn an_nx_project_is_judged_by_its_build_executor_and_built_with_nx() {
    let d = detect_files(&[
        ("nx.json", "{}"),
        ("package.json", NX_ROOT_PKG),
        (
            "apps/store/project.json",
            r#"{"name": "store", "targets": {"build": {"executor": "@nx/vite:build"}}}"#,
        ),
    ]);
    assert_eq!(d.framework.as_deref(), Some("vite"));
    assert_eq!(d.root_directory, "apps/store");
    assert_eq!(d.build_command.as_deref(), Some("cd ../.. && npx nx build store"));
    assert_eq!(d.install_command.as_deref(), Some("cd ../.. && npm install"));
}

#[test]
fn an_nx_project_without_a_known_executor_falls_back_to_its_own_files() {
    let d = detect_files(&[
        ("nx.json", "{}"),
        ("package.json", NX_ROOT_PKG),
        ("apps/blog/project.json", r#"{"targets": {"build": {"executor": "nx:run-commands"}}}"#),
        ("apps/blog/hugo.toml", "baseURL = '/'\n"),
        ("apps/blog/config.toml", "baseURL = '/'\n"),
    ]);
    assert_eq!(d.framework.as_deref(), Some("hugo"), "{:?}", d.evidence);
    assert_eq!(d.root_directory, "apps/blog");
}

#[test]
fn an_nx_standalone_app_at_the_root_is_the_app() {
    let d = detect_files(&[
        ("nx.json", "{}"),
        ("package.json", r#"{"dependencies": {"react": "18"}, "devDependencies": {"vite": "5"}}"#),
        (
            "project.json",
            r#"{"name": "app", "targets": {"build": {"executor": "@nx/vite:build"}}}"#,
        ),
    ]);
    assert_eq!(d.framework.as_deref(), Some("vite"));
    assert_eq!(d.root_directory, ".");
}

#[test]
fn nx_detection_reads_only_the_project_files() {
    let (d, read) = detect_counting(&[
        ("nx.json", "{}"),
        ("package.json", NX_ROOT_PKG),
        ("apps/a/project.json", r#"{"targets": {"build": {"executor": "@nx/next:build"}}}"#),
        ("apps/a/src/page.tsx", "export default 1"),
        ("libs/b/project.json", r#"{"projectType": "library"}"#),
        ("libs/b/src/index.ts", "export {}"),
    ]);
    assert_eq!(d.framework.as_deref(), Some("nextjs"));
    for path in &read {
        assert!(path.ends_with(".json"), "read {path}");
    }
    assert!(read.len() <= 6, "{read:?}");
}

#[test]
fn a_single_app_below_the_root_is_chosen_with_its_root_directory() {
    let d = detect_files(&[
        ("README.md", "x"),
        ("a/b/c/package.json", r#"{"dependencies": {"astro": "4"}}"#),
    ]);
    assert_eq!(d.framework.as_deref(), Some("astro"));
    assert_eq!(d.root_directory, "a/b/c");
    assert!(d.evidence.iter().any(|e| e.contains("root directory a/b/c")), "{:?}", d.evidence);
}

#[test]
fn the_search_below_the_root_is_bounded_in_depth() {
    let d = detect_files(&[("a/b/c/d/e/package.json", r#"{"dependencies": {"astro": "4"}}"#)]);
    assert_eq!(d.framework, None);
    assert_eq!(d.root_directory, ".");
}

#[test]
fn node_modules_examples_tests_and_vendored_code_are_not_searched() {
    for dir in ["node_modules/x", "examples/x", "test/x", "fixtures/x", "vendor/x", "third_party/x"]
    {
        let path = format!("{dir}/package.json");
        let d = detect_files(&[(path.as_str(), r#"{"dependencies": {"next": "14"}}"#)]);
        assert_eq!(d.framework, None, "{dir} was searched");
    }
}

#[test]
fn shallow_apps_win_over_deeper_ones() {
    let d = detect_files(&[
        ("web/package.json", r#"{"dependencies": {"next": "14"}}"#),
        ("web/sub/deep/package.json", r#"{"dependencies": {"astro": "4"}}"#),
    ]);
    assert_eq!(d.framework.as_deref(), Some("nextjs"));
    assert_eq!(d.root_directory, "web");
}

#[test]
fn a_cargo_package_that_is_also_a_workspace_root_is_a_candidate() {
    let d = detect_files(&[
        ("Cargo.toml", "[package]\nname = \"app\"\n[workspace]\nmembers = [\"tools/gen\"]\n"),
        ("src/main.rs", "fn main() {}"),
        ("tools/gen/Cargo.toml", "[package]\nname = \"gen\"\n"),
        ("tools/gen/src/main.rs", "fn main() {}"),
    ]);
    assert_eq!(d.framework, None);
    assert_eq!(d.candidates, vec![".", "tools/gen"]);
    assert_eq!(d.package_manager.as_deref(), Some("cargo"));
}

#[test]
fn a_cargo_workspace_of_libraries_reports_cargo_at_the_root() {
    let d = detect_files(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n"),
        ("a/Cargo.toml", "[package]\nname = \"a\"\n"),
        ("a/src/lib.rs", ""),
        ("b/Cargo.toml", "[package]\nname = \"b\"\n"),
        ("b/src/lib.rs", ""),
    ]);
    assert_eq!(d.root_directory, ".");
    assert_eq!(d.package_manager.as_deref(), Some("cargo"));
    assert!(d.evidence.iter().any(|e| e.contains("no deployable app found")), "{:?}", d.evidence);
}

#[test]
fn a_go_work_naming_the_root_module_keeps_it() {
    let d = detect_files(&[
        ("go.work", "go 1.22\nuse .\nuse ./tools\n"),
        ("go.mod", "module x\n"),
        ("main.go", "package main"),
        ("tools/go.mod", "module t\n"),
        ("tools/gen.go", "package tools"),
    ]);
    assert_eq!(d.framework.as_deref(), Some("go"));
    assert_eq!(d.root_directory, ".");
}

#[test]
fn a_poetry_member_is_installed_from_the_root_lockfile() {
    let d = detect_files(&[
        (
            "pyproject.toml",
            "[tool.poetry]\nname = \"m\"\n[tool.poetry.dependencies]\napi = { path = \"api\" }\n",
        ),
        ("poetry.lock", ""),
        (
            "api/pyproject.toml",
            "[tool.poetry]\nname = \"api\"\n[tool.poetry.dependencies]\nflask = \"^3\"\n",
        ),
    ]);
    assert_eq!(d.framework.as_deref(), Some("flask"));
    assert_eq!(d.root_directory, "api");
    assert_eq!(d.package_manager.as_deref(), Some("poetry"));
    assert_eq!(d.install_command.as_deref(), Some("cd .. && poetry install --no-root --only main"));
}

#[test]
fn a_single_package_node_repository_still_reads_at_most_three_files() {
    let (_, read) = detect_counting(&[
        ("package.json", r#"{"dependencies": {"next": "14"}, "scripts": {"build": "next build"}}"#),
        ("package-lock.json", "{}"),
        ("next.config.js", "module.exports = {}"),
        ("app/page.tsx", ""),
        ("src/lib/a.ts", ""),
    ]);
    assert!(read.len() <= 3, "{read:?}");
}

#[test]
fn an_nx_output_path_outside_the_repository_is_ignored() {
    let d = detect_files(&[
        ("nx.json", "{}"),
        ("package.json", NX_ROOT_PKG),
        (
            "apps/a/project.json",
            r#"{"targets": {"build": {"executor": "@nx/next:build", "options": {"outputPath": "../../../etc"}}}}"#,
        ),
    ]);
    assert_eq!(d.framework.as_deref(), Some("nextjs"));
    assert_ne!(d.output_directory.as_deref(), Some("../../../../../etc"));
    assert!(d.evidence.iter().any(|e| e.contains("outside the repository")), "{:?}", d.evidence);
}
