//! JVM languages (Java with Maven or Gradle, Spring Boot, Scala, Clojure with Leiningen or the
//! Clojure CLI) and .NET (C#, F#, Visual Basic).

use super::tools;
use super::{Det, Preset, Toolchain};

/// Build files that may declare Spring Boot.
const JAVA_BUILD_FILES: &[&str] = &["pom.xml", "build.gradle", "build.gradle.kts"];

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset::lang(
        "spring-boot",
        "java",
        Det::Any(&[
            Det::ContainsAnyCi(JAVA_BUILD_FILES, "spring-boot"),
            Det::ContainsAnyCi(JAVA_BUILD_FILES, "org.springframework.boot"),
        ]),
        Toolchain::Java,
    ),
    Preset::lang(
        "java",
        "java",
        Det::Any(&[
            Det::File("pom.xml"),
            Det::File("build.gradle"),
            Det::File("build.gradle.kts"),
            Det::File("gradlew"),
            Det::File("mvnw"),
        ]),
        Toolchain::Java,
    ),
    Preset {
        install: Some("sbt update"),
        build: Some("sbt stage"),
        ..Preset::lang(
            "scala",
            "java",
            Det::File("build.sbt"),
            Toolchain::Fixed { pm: tools::SBT, manifest: "build.sbt" },
        )
    },
    Preset {
        install: Some("lein deps"),
        build: Some("lein uberjar"),
        ..Preset::lang(
            "clojure",
            "java",
            Det::File("project.clj"),
            Toolchain::Fixed { pm: tools::LEININGEN, manifest: "project.clj" },
        )
    },
    // tools.deps projects build their uberjar with tools.build (`build.clj`).
    Preset {
        id: "clojure-deps",
        install: Some("clojure -P"),
        build: Some("clojure -T:build uber"),
        hints: &["build.clj"],
        ..Preset::lang(
            "clojure",
            "java",
            Det::File("deps.edn"),
            Toolchain::Fixed { pm: tools::CLOJURE_CLI, manifest: "deps.edn" },
        )
    },
    Preset {
        install: Some("dotnet restore"),
        build: Some("dotnet publish -c Release -o out"),
        output: Some("out"),
        ..Preset::lang(
            "dotnet",
            "dotnet",
            Det::Any(&[Det::Ext(".csproj"), Det::Ext(".fsproj"), Det::Ext(".vbproj")]),
            Toolchain::Fixed { pm: tools::DOTNET, manifest: "" },
        )
    },
];
