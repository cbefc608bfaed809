//! Detector expressions and their evaluation against one directory of the repository.
//!
//! A detector answers "matched, with this evidence", "not matched", or [`Pending`] when a file
//! it must look inside is not loaded yet. `All` stops at the first definite miss, so a preset
//! whose cheap conditions fail never asks for file contents.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use crate::manifest::package_json::PackageJson;
use crate::view::{Pending, Read, View, join, text};

/// A detector expression.
#[derive(Debug)]
pub(crate) enum Det {
    /// Dependency (or devDependency) in the directory's `package.json`.
    Dep(&'static str),
    /// Dependency whose version text satisfies a predicate described by the string.
    DepVersion(&'static str, fn(&str) -> bool, &'static str),
    /// A script of this name in the directory's `package.json`.
    Script(&'static str),
    /// A file or directory exists, relative to the app directory.
    File(&'static str),
    /// A file exists and its text contains the needle (case-sensitive).
    Contains(&'static str, &'static str),
    /// One of the files exists and its text contains the needle, ignoring ASCII case.
    ContainsAnyCi(&'static [&'static str], &'static str),
    /// Some file directly in the app directory has this extension (e.g. `.csproj`).
    Ext(&'static str),
    /// Every detector matches.
    All(&'static [Det]),
    /// At least one detector matches.
    Any(&'static [Det]),
}

/// What detectors evaluate against: a directory of the repository and its `package.json`.
#[derive(Debug)]
pub(crate) struct Facts<'v, 'a> {
    /// The repository view.
    pub view: &'v View<'a>,
    /// The app directory (`"."` for the root).
    pub dir: &'v str,
    /// The directory's parsed `package.json`, if it has a valid one.
    pub pkg: Option<&'v PackageJson>,
    /// The files directly in `dir`, listed on first use by an extension detector.
    children: OnceCell<Vec<&'a str>>,
    /// When set, unloaded files count as not matching and are not asked for.
    quiet: Cell<bool>,
}

impl<'v, 'a> Facts<'v, 'a> {
    /// Facts about `dir`.
    pub(crate) fn new(view: &'v View<'a>, dir: &'v str, pkg: Option<&'v PackageJson>) -> Self {
        Self { view, dir, pkg, children: OnceCell::new(), quiet: Cell::new(false) }
    }

    /// From now on, judge only from loaded files and ask for nothing more (for runners-up).
    pub(crate) fn go_quiet(&self) {
        self.quiet.set(true);
    }

    fn children(&self) -> &[&'a str] {
        self.children.get_or_init(|| self.view.snapshot().files_in(self.dir))
    }

    fn path<'n>(&self, name: &'n str) -> Cow<'n, str> {
        if self.dir == "." { Cow::Borrowed(name) } else { Cow::Owned(join(self.dir, name)) }
    }

    fn exists(&self, name: &str) -> bool {
        let path = self.path(name);
        self.view.exists(&path) || self.view.snapshot().contains_dir(&path)
    }

    fn text_contains(&self, name: &str, needle: &str, ci: bool) -> Result<bool, Pending> {
        let path = self.path(name);
        let read = if self.quiet.get() {
            self.view.peek(&path).unwrap_or(Read::Missing)
        } else {
            self.view.read(&path)?
        };
        match read {
            Read::Bytes(bytes) => {
                let body = text(bytes);
                Ok(if ci {
                    body.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
                } else {
                    body.contains(needle)
                })
            }
            Read::Missing | Read::TooLarge => Ok(false),
        }
    }
}

/// Evaluates `det`: `Ok(Some(evidence))` when it matches.
pub(crate) fn evaluate(det: &Det, facts: &Facts<'_, '_>) -> Result<Option<Vec<String>>, Pending> {
    Ok(match det {
        Det::Dep(name) => facts
            .pkg
            .and_then(|p| p.dep(name))
            .map(|v| vec![format!("dependency {name}@{v} in {}", facts.path("package.json"))]),
        Det::DepVersion(name, accepts, what) => {
            facts.pkg.and_then(|p| p.dep(name)).filter(|v| accepts(v)).map(|v| {
                vec![format!("dependency {name}@{v} ({what}) in {}", facts.path("package.json"))]
            })
        }
        Det::Script(name) => facts
            .pkg
            .and_then(|p| p.scripts.get(*name))
            .map(|cmd| vec![format!("script {name:?} ({cmd}) in {}", facts.path("package.json"))]),
        Det::File(name) => {
            facts.exists(name).then(|| vec![format!("{} present", facts.path(name))])
        }
        Det::Contains(name, needle) => facts
            .text_contains(name, needle, false)?
            .then(|| vec![format!("{} contains {needle:?}", facts.path(name))]),
        Det::ContainsAnyCi(names, needle) => {
            let mut found = None;
            let mut pending = false;
            for name in *names {
                match facts.text_contains(name, needle, true) {
                    Ok(true) => {
                        found = Some(vec![format!("{needle} listed in {}", facts.path(name))]);
                        break;
                    }
                    Ok(false) => {}
                    Err(Pending) => pending = true,
                }
            }
            match (found, pending) {
                (Some(evidence), _) => Some(evidence),
                (None, true) => return Err(Pending),
                (None, false) => None,
            }
        }
        Det::Ext(ext) => {
            facts.children().iter().find(|p| p.ends_with(ext)).map(|p| vec![format!("{p} present")])
        }
        Det::All(items) => {
            let mut evidence = Vec::new();
            let mut pending = false;
            for item in *items {
                match evaluate(item, facts) {
                    Ok(Some(mut e)) => evidence.append(&mut e),
                    Ok(None) => return Ok(None),
                    Err(Pending) => pending = true,
                }
            }
            if pending {
                return Err(Pending);
            }
            Some(evidence)
        }
        // The first branch that needs an unloaded file stops the search, so later branches
        // never cause reads that an earlier match would have made unnecessary.
        Det::Any(items) => {
            for item in *items {
                if let Some(e) = evaluate(item, facts)? {
                    return Ok(Some(e));
                }
            }
            None
        }
    })
}
