//! JVM languages (Java with Maven or Gradle, Spring Boot, Scala, Clojure) and .NET.

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
            Toolchain::Fixed { pm: "sbt", manifest: "build.sbt" },
        )
    },
    Preset {
        install: Some("lein deps"),
        build: Some("lein uberjar"),
        ..Preset::lang(
            "clojure",
            "java",
            Det::Any(&[Det::File("project.clj"), Det::File("deps.edn")]),
            Toolchain::Fixed { pm: "leiningen", manifest: "project.clj" },
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
            Toolchain::Fixed { pm: "dotnet", manifest: "" },
        )
    },
];
