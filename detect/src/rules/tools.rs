//! The one vocabulary for package managers and build tools: every name a verdict can report as
//! `packageManager`. A tool is named by its own project name, lowercase (`leiningen`, not
//! `lein`; `maven`, not `mvn`; `bundler`, not `bundle`); the commands in the build plan use the
//! executable (`lein uberjar`, `mvn package`, `bundle install`).

/// npm (Node).
pub(crate) const NPM: &str = "npm";
/// Yarn, classic and Berry (Node).
pub(crate) const YARN: &str = "yarn";
/// pnpm (Node).
pub(crate) const PNPM: &str = "pnpm";
/// Bun as package manager (Node / Bun).
pub(crate) const BUN: &str = "bun";
/// pip (Python: `requirements.txt`, `setup.py`, plain `pyproject.toml`).
pub(crate) const PIP: &str = "pip";
/// Poetry (Python).
pub(crate) const POETRY: &str = "poetry";
/// PDM (Python).
pub(crate) const PDM: &str = "pdm";
/// uv (Python).
pub(crate) const UV: &str = "uv";
/// Pipenv (Python).
pub(crate) const PIPENV: &str = "pipenv";
/// Bundler (Ruby; command `bundle`).
pub(crate) const BUNDLER: &str = "bundler";
/// Composer (PHP).
pub(crate) const COMPOSER: &str = "composer";
/// Apache Maven (JVM; command `mvn` or `./mvnw`).
pub(crate) const MAVEN: &str = "maven";
/// Gradle (JVM; command `gradle` or `./gradlew`).
pub(crate) const GRADLE: &str = "gradle";
/// sbt (Scala).
pub(crate) const SBT: &str = "sbt";
/// Leiningen (Clojure `project.clj`; command `lein`).
pub(crate) const LEININGEN: &str = "leiningen";
/// The Clojure CLI with tools.deps (Clojure `deps.edn`; command `clojure`).
pub(crate) const CLOJURE_CLI: &str = "clojure-cli";
/// The .NET SDK (`dotnet restore` / `dotnet publish`).
pub(crate) const DOTNET: &str = "dotnet";
/// Cargo (Rust).
pub(crate) const CARGO: &str = "cargo";
/// The Go toolchain with modules (`go.mod` / `go.work`).
pub(crate) const GO: &str = "go";
/// Swift Package Manager (command `swift build`).
pub(crate) const SWIFTPM: &str = "swiftpm";
/// Shards (Crystal).
pub(crate) const SHARDS: &str = "shards";
/// Stack (Haskell).
pub(crate) const STACK: &str = "stack";
/// Mix (Elixir).
pub(crate) const MIX: &str = "mix";
/// Deno's built-in installer.
pub(crate) const DENO: &str = "deno";
/// pub (Dart and Flutter; commands `dart pub` / `flutter pub`).
pub(crate) const PUB: &str = "pub";
/// Gleam's built-in build tool.
pub(crate) const GLEAM: &str = "gleam";
/// The Zig build system (`zig build`).
pub(crate) const ZIG: &str = "zig";
/// CMake (C / C++).
pub(crate) const CMAKE: &str = "cmake";
/// Meson (C / C++).
pub(crate) const MESON: &str = "meson";
/// colcon (ROS 2 workspaces).
pub(crate) const COLCON: &str = "colcon";
/// GnuCOBOL (command `cobc`).
pub(crate) const GNUCOBOL: &str = "gnucobol";
/// Haunt (Guile Scheme static sites).
pub(crate) const HAUNT: &str = "haunt";

/// Every name in the vocabulary.
pub(crate) const ALL: &[&str] = &[
    NPM,
    YARN,
    PNPM,
    BUN,
    PIP,
    POETRY,
    PDM,
    UV,
    PIPENV,
    BUNDLER,
    COMPOSER,
    MAVEN,
    GRADLE,
    SBT,
    LEININGEN,
    CLOJURE_CLI,
    DOTNET,
    CARGO,
    GO,
    SWIFTPM,
    SHARDS,
    STACK,
    MIX,
    DENO,
    PUB,
    GLEAM,
    ZIG,
    CMAKE,
    MESON,
    COLCON,
    GNUCOBOL,
    HAUNT,
];

#[cfg(test)]
mod tests {
    use super::ALL;
    use crate::rules::{Toolchain, all};

    #[test]
    fn every_fixed_toolchain_uses_a_name_from_the_vocabulary() {
        for preset in all() {
            if let Toolchain::Fixed { pm, .. } = preset.toolchain {
                assert!(ALL.contains(&pm), "{} reports {pm}, not in the vocabulary", preset.id);
            }
        }
    }

    #[test]
    fn names_are_unique_lowercase_words() {
        for (i, name) in ALL.iter().enumerate() {
            assert!(!ALL[..i].contains(name), "{name} listed twice");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{name}");
        }
    }
}
