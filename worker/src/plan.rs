//! The build plan the domain stores, derived from the detection crate's verdict.
//!
//! This is the one place that knows how detection spells its answer. (A `TryFrom` impl is not
//! possible here: both `Detection` and `BuildPlan` are foreign to this crate.)

use whaleray_detect::{Detection, Exceeded};
use whaleray_shared::domain::{
    BuildPlan, DomainError, ExceededBudget, Framework, NodeVersion, OutputDirectory,
    PackageManager, RootDirectory, Runtime, ShellCommand,
};

/// A verdict that does not make a plan the build could follow.
#[derive(Debug, thiserror::Error)]
#[error("detection produced an unusable build plan")]
pub struct PlanError(#[from] pub DomainError);

/// Checks every part of `detection` and gives it domain types. A verdict that exceeded a
/// detection budget keeps only its folder, evidence and candidates: its build values were cut
/// or never computed, and must be neither stored as a plan nor run.
pub fn build_plan(detection: Detection) -> Result<BuildPlan, PlanError> {
    if let Some(exceeded) = &detection.exceeded {
        let root = RootDirectory::parse(&detection.root_directory)
            .or_else(|_| RootDirectory::parse("."))?;
        let mut plan = BuildPlan::empty(root);
        plan.exceeded = Some(budget(exceeded));
        plan.candidates =
            detection.candidates.iter().filter_map(|c| RootDirectory::parse(c).ok()).collect();
        plan.evidence = detection.evidence;
        return Ok(plan);
    }
    Ok(BuildPlan {
        framework: detection.framework.as_deref().map(Framework::parse).transpose()?,
        runtime: detection.runtime.as_deref().map(Runtime::parse).transpose()?,
        package_manager: detection
            .package_manager
            .as_deref()
            .map(PackageManager::parse)
            .transpose()?,
        root_directory: RootDirectory::parse(&detection.root_directory)?,
        install_command: command(detection.install_command.as_deref())?,
        build_command: command(detection.build_command.as_deref())?,
        output_directory: detection
            .output_directory
            .as_deref()
            .map(OutputDirectory::parse)
            .transpose()?,
        node_version: detection.node_version.as_deref().map(NodeVersion::parse).transpose()?,
        evidence: detection.evidence,
        candidates: detection
            .candidates
            .iter()
            .map(|c| RootDirectory::parse(c))
            .collect::<Result<_, _>>()?,
        exceeded: None,
    })
}

fn budget(exceeded: &Exceeded) -> ExceededBudget {
    match exceeded {
        Exceeded::Steps { limit } => ExceededBudget::Steps { limit: *limit },
        Exceeded::ValueLength { field, limit } => ExceededBudget::ValueLength {
            field: field.clone(),
            limit: u64::try_from(*limit).unwrap_or(u64::MAX),
        },
        other => ExceededBudget::Other(other.to_string()),
    }
}

fn command(value: Option<&str>) -> Result<Option<ShellCommand>, DomainError> {
    Ok(value.map(ShellCommand::parse).transpose()?.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> Detection {
        let mut d = Detection::empty("apps/web");
        d.framework = Some("vite".into());
        d.runtime = Some("node".into());
        d.package_manager = Some("pnpm".into());
        d.install_command = Some("pnpm install --frozen-lockfile".into());
        d.build_command = Some("pnpm run build".into());
        d.output_directory = Some("dist".into());
        d.node_version = Some("20".into());
        d.evidence = vec!["vite in devDependencies".into()];
        d
    }

    #[test]
    fn every_field_of_a_verdict_reaches_the_plan() {
        let plan = build_plan(verdict()).unwrap();
        assert_eq!(plan.framework.unwrap().as_ref(), "vite");
        assert_eq!(plan.runtime, Some(Runtime::Node));
        assert_eq!(plan.package_manager, Some(PackageManager::Pnpm));
        assert_eq!(plan.root_directory.as_ref(), "apps/web");
        assert_eq!(plan.install_command.unwrap().as_ref(), "pnpm install --frozen-lockfile");
        assert_eq!(plan.build_command.unwrap().as_ref(), "pnpm run build");
        assert_eq!(plan.output_directory.unwrap().as_ref(), "dist");
        assert_eq!(plan.node_version.unwrap().as_ref(), "20");
        assert_eq!(plan.evidence, ["vite in devDependencies"]);
    }

    #[test]
    fn every_slug_detection_knows_is_a_framework() {
        for slug in whaleray_detect::known_slugs() {
            assert!(Framework::parse(slug).is_ok(), "{slug}");
        }
    }

    #[test]
    fn a_verdict_over_a_budget_keeps_no_build_values() {
        let mut d = verdict();
        d.build_command = Some(format!("npm run build{}", "x".repeat(40)));
        d.framework = Some("vite\u{2026}[cut: 3 bytes]".into());
        d.exceeded = Some(Exceeded::ValueLength { field: "buildCommand".into(), limit: 1024 });
        let plan = build_plan(d).unwrap();
        assert_eq!(plan.framework, None);
        assert_eq!(plan.build_command, None);
        assert_eq!(plan.root_directory.as_ref(), "apps/web");
        assert_eq!(plan.evidence, ["vite in devDependencies"]);
        assert_eq!(
            plan.exceeded,
            Some(ExceededBudget::ValueLength { field: "buildCommand".into(), limit: 1024 })
        );
    }

    #[test]
    fn a_plan_escaping_the_app_folder_is_refused() {
        let mut d = verdict();
        d.output_directory = Some("../../home".into());
        let err = build_plan(d).unwrap_err();
        assert!(matches!(err.0, DomainError::OutputDirectory { .. }), "{err:?}");
    }
}
