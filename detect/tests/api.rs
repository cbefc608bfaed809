//! Behaviour of the public API: the demand-driven loop, `detect_with`, and the policy.

use std::collections::BTreeMap;
use std::convert::Infallible;

use whaleray_detect::{
    DetectError, Detection, FileContent, Options, Snapshot, Step, SupportPolicy, detect,
    detect_with,
};

fn repo(files: &[(&str, &str)]) -> (Snapshot, BTreeMap<String, String>) {
    let map: BTreeMap<String, String> =
        files.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect();
    (Snapshot::new(map.keys().cloned()), map)
}

fn run(files: &[(&str, &str)], root: Option<&str>) -> Detection {
    let (mut snapshot, map) = repo(files);
    let options = Options { root_directory: root.map(str::to_owned) };
    let result = detect_with(&mut snapshot, &options, |p| {
        Ok::<_, Infallible>(match map.get(p) {
            Some(c) => FileContent::Bytes(c.clone().into_bytes()),
            None => FileContent::Absent,
        })
    });
    match result {
        Ok(d) => d,
        Err(e) => panic!("detection failed: {e}"),
    }
}

#[test]
fn detect_asks_for_package_json_before_answering() {
    let (snapshot, _) = repo(&[("package.json", "{}"), ("src/index.js", "")]);
    assert_eq!(detect(&snapshot, &Options::default()), Step::Need(vec!["package.json".to_owned()]));
}

#[test]
fn next_dependency_with_pnpm_lockfile_is_nextjs_on_pnpm() {
    let d = run(
        &[
            (
                "package.json",
                r#"{"dependencies":{"next":"14.2.3","react":"18"},"scripts":{"build":"next build"}}"#,
            ),
            ("pnpm-lock.yaml", "lockfileVersion: '9.0'"),
        ],
        None,
    );
    assert_eq!(d.framework.as_deref(), Some("nextjs"));
    assert_eq!(d.package_manager.as_deref(), Some("pnpm"));
    assert_eq!(d.build_command.as_deref(), Some("pnpm run build"));
    assert!(d.evidence.iter().any(|e| e == "dependency next@14.2.3 in package.json"));
}

#[test]
fn detect_with_rejects_a_root_directory_outside_the_repository() {
    let (mut snapshot, _) = repo(&[("package.json", "{}")]);
    let options = Options { root_directory: Some("../etc".to_owned()) };
    let err = detect_with(&mut snapshot, &options, |_| Ok::<_, Infallible>(FileContent::Absent));
    assert!(matches!(err, Err(DetectError::InvalidRootDirectory { .. })));
}

#[test]
fn policy_names_the_unsupported_framework() {
    let d = run(&[("index.html", "<h1>hi</h1>")], None);
    assert_eq!(d.framework.as_deref(), Some("static"));
    let policy = SupportPolicy::parse("nextjs").unwrap();
    assert!(!policy.allows(&d));
    assert_eq!(policy.reason(&d), "framework static is not supported yet");
}
