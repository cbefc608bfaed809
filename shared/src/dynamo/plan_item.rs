//! The stored shape of a build plan: the `detection` map of a `deployments` item.
//!
//! The attribute names are those items have carried since the first release (camelCase, every
//! field present, absent values stored as NULL), so items written before the domain had its
//! own plan type read back unchanged, and items written now stay readable by older code.

use serde::{Deserialize, Serialize};

use super::bounds::{MAX_CANDIDATES, MAX_EVIDENCE_LINE_BYTES, MAX_EVIDENCE_LINES, bounded_lines};
use crate::domain::{
    BuildPlan, DomainError, ExceededBudget, Framework, NodeVersion, OutputDirectory,
    PackageManager, RootDirectory, Runtime, ShellCommand,
};

/// The `detection` attribute of a `deployments` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredPlan {
    #[serde(default)]
    pub framework: Option<String>,
    #[serde(default)]
    pub runtime: Option<String>,
    #[serde(default)]
    pub package_manager: Option<String>,
    pub root_directory: String,
    #[serde(default)]
    pub install_command: Option<String>,
    #[serde(default)]
    pub build_command: Option<String>,
    #[serde(default)]
    pub output_directory: Option<String>,
    #[serde(default)]
    pub node_version: Option<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub candidates: Vec<String>,
    /// Written only when a budget was exceeded, as the detection crate first wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeded: Option<StoredExceeded>,
}

/// The `exceeded` map: `{"budget": "steps" | "valueLength" | "other", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "budget")]
pub(crate) enum StoredExceeded {
    Steps { limit: u64 },
    ValueLength { field: String, limit: u64 },
    Other { description: String },
}

impl From<&ExceededBudget> for StoredExceeded {
    fn from(e: &ExceededBudget) -> Self {
        match e {
            ExceededBudget::Steps { limit } => Self::Steps { limit: *limit },
            ExceededBudget::ValueLength { field, limit } => {
                Self::ValueLength { field: field.clone(), limit: *limit }
            }
            ExceededBudget::Other(description) => Self::Other { description: description.clone() },
        }
    }
}

impl From<StoredExceeded> for ExceededBudget {
    fn from(e: StoredExceeded) -> Self {
        match e {
            StoredExceeded::Steps { limit } => Self::Steps { limit },
            StoredExceeded::ValueLength { field, limit } => Self::ValueLength { field, limit },
            StoredExceeded::Other { description } => Self::Other(description),
        }
    }
}

impl From<&BuildPlan> for StoredPlan {
    fn from(plan: &BuildPlan) -> Self {
        let text = |v: Option<&str>| v.map(str::to_owned);
        Self {
            framework: text(plan.framework.as_ref().map(AsRef::as_ref)),
            runtime: text(plan.runtime.as_ref().map(Runtime::as_str)),
            package_manager: text(plan.package_manager.as_ref().map(PackageManager::as_str)),
            root_directory: plan.root_directory.to_string(),
            install_command: text(plan.install_command.as_ref().map(AsRef::as_ref)),
            build_command: text(plan.build_command.as_ref().map(AsRef::as_ref)),
            output_directory: text(plan.output_directory.as_ref().map(AsRef::as_ref)),
            node_version: text(plan.node_version.as_ref().map(AsRef::as_ref)),
            evidence: stored_evidence(plan),
            candidates: plan
                .candidates
                .iter()
                .take(MAX_CANDIDATES)
                .map(ToString::to_string)
                .collect(),
            exceeded: plan.exceeded.as_ref().map(StoredExceeded::from),
        }
    }
}

impl TryFrom<StoredPlan> for BuildPlan {
    type Error = DomainError;

    fn try_from(stored: StoredPlan) -> Result<Self, Self::Error> {
        Ok(Self {
            framework: stored.framework.as_deref().map(Framework::parse).transpose()?,
            runtime: stored.runtime.as_deref().map(Runtime::parse).transpose()?,
            package_manager: stored
                .package_manager
                .as_deref()
                .map(PackageManager::parse)
                .transpose()?,
            root_directory: RootDirectory::parse(&stored.root_directory)?,
            install_command: command(stored.install_command.as_deref())?,
            build_command: command(stored.build_command.as_deref())?,
            output_directory: stored
                .output_directory
                .as_deref()
                .map(OutputDirectory::parse)
                .transpose()?,
            node_version: stored.node_version.as_deref().map(NodeVersion::parse).transpose()?,
            evidence: stored.evidence,
            candidates: stored
                .candidates
                .iter()
                .map(|c| RootDirectory::parse(c))
                .collect::<Result<_, _>>()?,
            exceeded: stored.exceeded.map(ExceededBudget::from),
        })
    }
}

/// The plan's evidence, bounded; a cut list of candidates says so in a last line.
fn stored_evidence(plan: &BuildPlan) -> Vec<String> {
    let mut evidence = plan.evidence.clone();
    if plan.candidates.len() > MAX_CANDIDATES {
        evidence.truncate(MAX_EVIDENCE_LINES - 1);
        evidence.push(format!(
            "…[cut: {} more candidate folders]",
            plan.candidates.len() - MAX_CANDIDATES
        ));
    }
    bounded_lines(&evidence, MAX_EVIDENCE_LINES, MAX_EVIDENCE_LINE_BYTES)
}

fn command(value: Option<&str>) -> Result<Option<ShellCommand>, DomainError> {
    Ok(value.map(ShellCommand::parse).transpose()?.flatten())
}
