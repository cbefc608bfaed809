//! An Nx `project.json`: the project's name, type and the executor of its `build` target.

use std::borrow::Cow;

use serde_json::Value;

use super::JsonManifestError;

/// What detection needs from a `project.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NxProject {
    /// `name`, when a string.
    pub name: Option<String>,
    /// `projectType` (`application` or `library`), when a string.
    pub project_type: Option<String>,
    /// `targets.build.executor`, when a string.
    pub build_executor: Option<String>,
    /// `targets.build.options.target` (webpack) or `.platform` (esbuild), when a string.
    pub build_platform: Option<String>,
    /// `targets.build.options.outputPath`, when a string.
    pub output_path: Option<String>,
}

impl NxProject {
    /// Parses `project.json` bytes; `Err` says why, for the evidence.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, JsonManifestError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let value: Value = serde_json::from_slice(bytes).map_err(JsonManifestError::Invalid)?;
        let Value::Object(obj) = value else {
            return Err(JsonManifestError::NotAnObject);
        };
        let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let build = obj.get("targets").and_then(|t| t.get("build"));
        let options = build.and_then(|b| b.get("options"));
        Ok(Self {
            name: string(obj.get("name")),
            project_type: string(obj.get("projectType")),
            build_executor: string(build.and_then(|b| b.get("executor"))),
            build_platform: string(options.and_then(|o| o.get("target")))
                .or_else(|| string(options.and_then(|o| o.get("platform")))),
            output_path: string(options.and_then(|o| o.get("outputPath"))),
        })
    }

    /// Whether the project is declared a library (never deployed on its own).
    pub(crate) fn is_library(&self) -> bool {
        self.project_type.as_deref() == Some("library")
    }

    /// The preset id its build executor stands for, if any (`@nrwl/` is Nx's old scope).
    pub(crate) fn executor_preset(&self) -> Option<&'static str> {
        let executor = self.build_executor.as_deref()?;
        let executor = executor
            .strip_prefix("@nrwl/")
            .map_or(Cow::Borrowed(executor), |rest| Cow::Owned(format!("@nx/{rest}")));
        let (plugin, _) = executor.split_once(':')?;
        let node = self.build_platform.as_deref() == Some("node");
        Some(match plugin {
            "@nx/next" => "nextjs",
            "@nx/remix" => "remix",
            "@nx/nuxt" => "nuxtjs",
            "@nx/expo" => "expo",
            "@analogjs/platform" => "analog",
            "@nx/angular" | "@angular-devkit/build-angular" | "@angular/build" => "angular",
            "@nx/vite" => "vite",
            "@nx/node" => "node",
            "@nx/webpack" | "@nx/rspack" | "@nx/esbuild" if node => "node",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(body: &str) -> NxProject {
        NxProject::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn executors_map_to_presets() {
        let p = project(
            r#"{"name":"web","projectType":"application","targets":{"build":{"executor":"@nx/next:build","options":{"outputPath":"dist/apps/web"}}}}"#,
        );
        assert_eq!(p.executor_preset(), Some("nextjs"));
        assert_eq!(p.output_path.as_deref(), Some("dist/apps/web"));
        let old = project(r#"{"targets":{"build":{"executor":"@nrwl/vite:build"}}}"#);
        assert_eq!(old.executor_preset(), Some("vite"));
        let api = project(
            r#"{"targets":{"build":{"executor":"@nx/webpack:webpack","options":{"target":"node"}}}}"#,
        );
        assert_eq!(api.executor_preset(), Some("node"));
        let browser = project(r#"{"targets":{"build":{"executor":"@nx/webpack:webpack"}}}"#);
        assert_eq!(browser.executor_preset(), None);
    }

    #[test]
    fn libraries_and_bad_json_are_told_apart() {
        assert!(project(r#"{"projectType":"library"}"#).is_library());
        assert!(NxProject::parse(b"[1]").is_err());
        assert!(NxProject::parse(b"{").is_err());
        assert_eq!(project("{}").executor_preset(), None);
    }
}
