//! Maven or Gradle, preferring the repository's wrapper scripts (as Nixpacks does).

use crate::detection::Detection;
use crate::rules::tools;
use crate::view::{View, join};

/// Fills the Java package manager, build command and output directory.
pub(crate) fn plan(view: &View<'_>, dir: &str, d: &mut Detection) {
    let has = |name: &str| view.exists(&join(dir, name));
    let gradle = has("gradlew") || has("build.gradle") || has("build.gradle.kts");
    if has("pom.xml") && !has("gradlew") {
        let mvn = if has("mvnw") { "./mvnw" } else { "mvn" };
        d.package_manager = Some(tools::MAVEN.to_owned());
        d.build_command = Some(format!("{mvn} -DskipTests clean install"));
        d.output_directory = Some("target".to_owned());
        d.evidence.push(format!("pom.xml present: build with {mvn}"));
    } else if gradle {
        let cmd = if has("gradlew") { "./gradlew" } else { "gradle" };
        d.package_manager = Some(tools::GRADLE.to_owned());
        d.build_command = Some(format!("{cmd} clean build -x check -x test"));
        d.output_directory = Some("build/libs".to_owned());
        d.evidence.push(format!("Gradle build: build with {cmd}"));
    }
}
