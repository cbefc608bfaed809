//! The stored shape of a deployment, and its conversion to and from the domain record.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::bounds::{MAX_TEXT_BYTES, bounded};
use super::plan_item::StoredPlan;
use crate::domain::{
    BuildLogs, BuildOutcome, BuildPlan, BuildState, CommitDetails, CommitSha, Deployment,
    DeploymentId, DeploymentStatus, DomainError, GitRef, InstallationId, ProjectId, RepoFullName,
    RootDirectory, Trigger, UserId,
};
use crate::error::StoreError;

/// The item kind named in errors about `deployments` items.
pub(crate) const DEPLOYMENT: &str = "deployment";

/// One `deployments` item. Attribute names are camelCase; absent options are not stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentItem {
    pub deployment_id: String,
    pub user_id: String,
    pub repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub installation_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<String>,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<StoredPlan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default)]
    pub requeues: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_outcome: Option<StoredOutcome>,
    /// Absent on items written before triggers existed: those were all clicks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeploy_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_author: Option<String>,
}

/// How the build ended, as stored: `{buildStatus, failedPhase?, logGroup?, logStream?,
/// logLink?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredOutcome {
    pub build_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_link: Option<String>,
}

/// CodeBuild's values are short; a bound keeps a corrupt or hostile one from growing the item.
const MAX_OUTCOME_TEXT: usize = 2048;

impl From<&BuildOutcome> for StoredOutcome {
    fn from(o: &BuildOutcome) -> Self {
        let cut = |t: &str| bounded(t, MAX_OUTCOME_TEXT);
        Self {
            build_status: o.state.as_str().to_owned(),
            failed_phase: o.failed_phase.as_deref().map(cut),
            log_group: o.logs.as_ref().map(|l| cut(&l.group)),
            log_stream: o.logs.as_ref().map(|l| cut(&l.stream)),
            log_link: o.logs.as_ref().and_then(|l| l.link.as_deref()).map(cut),
        }
    }
}

impl TryFrom<StoredOutcome> for BuildOutcome {
    type Error = StoreError;

    fn try_from(o: StoredOutcome) -> Result<Self, Self::Error> {
        let state = BuildState::parse(&o.build_status).ok_or_else(|| {
            let unknown = format!("unknown build status {:?}", o.build_status);
            StoreError::corrupt(DEPLOYMENT, "buildOutcome", unknown)
        })?;
        let logs = match (o.log_group, o.log_stream) {
            (Some(group), Some(stream)) => Some(BuildLogs { group, stream, link: o.log_link }),
            _ => None,
        };
        Ok(Self { state, failed_phase: o.failed_phase, logs })
    }
}

/// Timestamps are stored as fixed-width RFC 3339 UTC strings, so they sort as text in the GSI.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_time(
    item: &'static str,
    attribute: &'static str,
    value: &str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt(item, attribute, e))
}

impl From<&Deployment> for DeploymentItem {
    fn from(d: &Deployment) -> Self {
        Self {
            deployment_id: d.id.to_string(),
            user_id: d.user_id.to_string(),
            repository: d.repository.to_string(),
            branch: d.branch.as_ref().map(ToString::to_string),
            installation_id: d.installation_id.get(),
            root_directory: d.root_directory.as_ref().map(ToString::to_string),
            status: d.status.as_str().to_owned(),
            created_at: timestamp(d.created_at),
            updated_at: timestamp(d.updated_at),
            commit_sha: d.commit_sha.as_ref().map(ToString::to_string),
            detection: d.plan.as_ref().map(StoredPlan::from),
            build_id: d.build_id.clone(),
            reason: d.reason.as_deref().map(|t| bounded(t, MAX_TEXT_BYTES)),
            attempts: d.attempts,
            last_error: d.last_error.as_deref().map(|t| bounded(t, MAX_TEXT_BYTES)),
            requeues: d.requeues,
            build_outcome: d.outcome.as_ref().map(StoredOutcome::from),
            trigger: Some(d.trigger.as_str().to_owned()),
            project_id: d.project_id.as_ref().map(ToString::to_string),
            redeploy_of: d.redeploy_of.as_ref().map(ToString::to_string),
            commit_message: d.commit_details.as_ref().map(|c| c.message().to_owned()),
            commit_author: d.commit_details.as_ref().map(|c| c.author().to_owned()),
        }
    }
}

impl TryFrom<DeploymentItem> for Deployment {
    type Error = StoreError;

    fn try_from(item: DeploymentItem) -> Result<Self, Self::Error> {
        let corrupt =
            |attribute| move |e: DomainError| StoreError::corrupt(DEPLOYMENT, attribute, e);
        Ok(Self {
            id: DeploymentId::parse(&item.deployment_id).map_err(corrupt("deploymentId"))?,
            user_id: UserId::parse(&item.user_id).map_err(corrupt("userId"))?,
            repository: RepoFullName::parse(&item.repository).map_err(corrupt("repository"))?,
            branch: item
                .branch
                .as_deref()
                .map(GitRef::parse)
                .transpose()
                .map_err(corrupt("branch"))?,
            installation_id: InstallationId::new(item.installation_id)
                .map_err(corrupt("installationId"))?,
            root_directory: item
                .root_directory
                .as_deref()
                .map(RootDirectory::parse)
                .transpose()
                .map_err(corrupt("rootDirectory"))?,
            status: item.status.parse::<DeploymentStatus>().map_err(corrupt("status"))?,
            created_at: parse_time(DEPLOYMENT, "createdAt", &item.created_at)?,
            updated_at: parse_time(DEPLOYMENT, "updatedAt", &item.updated_at)?,
            commit_sha: item
                .commit_sha
                .as_deref()
                .map(CommitSha::parse)
                .transpose()
                .map_err(corrupt("commitSha"))?,
            plan: item
                .detection
                .map(BuildPlan::try_from)
                .transpose()
                .map_err(corrupt("detection"))?,
            trigger: item
                .trigger
                .as_deref()
                .map(str::parse::<Trigger>)
                .transpose()
                .map_err(corrupt("trigger"))?
                .unwrap_or_default(),
            project_id: item
                .project_id
                .as_deref()
                .map(ProjectId::parse)
                .transpose()
                .map_err(corrupt("projectId"))?,
            redeploy_of: item
                .redeploy_of
                .as_deref()
                .map(DeploymentId::parse)
                .transpose()
                .map_err(corrupt("redeployOf"))?,
            commit_details: match (&item.commit_message, &item.commit_author) {
                (None, None) => None,
                (message, author) => Some(CommitDetails::new(
                    message.as_deref().unwrap_or_default(),
                    author.as_deref().unwrap_or_default(),
                )),
            },
            build_id: item.build_id,
            reason: item.reason,
            outcome: item.build_outcome.map(BuildOutcome::try_from).transpose()?,
            attempts: item.attempts,
            last_error: item.last_error,
            requeues: item.requeues,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        ExceededBudget, Framework, NodeVersion, OutputDirectory, PackageManager, Runtime,
        ShellCommand,
    };
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::collections::HashMap;

    fn sample() -> Deployment {
        Deployment::new(
            UserId::parse("u-1").unwrap(),
            RepoFullName::parse("acme/web").unwrap(),
            Some(GitRef::parse("main").unwrap()),
            InstallationId::new(9).unwrap(),
        )
    }

    #[test]
    fn a_deployment_round_trips_through_its_item() {
        let deployment = sample();
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&deployment)).unwrap();
        assert_eq!(item["status"], AttributeValue::S("INSPECTING".into()));
        assert_eq!(item["installationId"], AttributeValue::N("9".into()));
        assert!(!item.contains_key("buildId"), "absent options are not stored");
        let back: DeploymentItem = serde_dynamo::from_item(item).unwrap();
        let mut expected = deployment;
        // Stored timestamps keep millisecond precision.
        expected.created_at =
            parse_time(DEPLOYMENT, "createdAt", &timestamp(expected.created_at)).unwrap();
        expected.updated_at = expected.created_at;
        assert_eq!(Deployment::try_from(back).unwrap(), expected);
    }

    #[test]
    fn a_pushed_deployment_keeps_its_origin_and_an_old_item_reads_as_a_click() {
        let project = ProjectId::generate();
        let earlier = DeploymentId::generate();
        let mut deployment = sample().pinned_to(CommitSha::parse(&"b".repeat(40)).unwrap());
        deployment.trigger = Trigger::Push;
        deployment.project_id = Some(project);
        deployment.redeploy_of = Some(earlier);
        deployment.commit_details = Some(CommitDetails::new("fix: header\n\nbody", "Ada"));
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&deployment)).unwrap();
        assert_eq!(item["trigger"], s("push"));
        assert_eq!(item["projectId"], s(&project.to_string()));
        assert_eq!(item["redeployOf"], s(&earlier.to_string()));
        assert_eq!(item["commitMessage"], s("fix: header\n\nbody"));
        assert_eq!(item["commitAuthor"], s("Ada"));
        let back = Deployment::try_from(
            serde_dynamo::from_item::<_, DeploymentItem>(item.clone()).unwrap(),
        )
        .unwrap();
        assert_eq!(back.trigger, Trigger::Push);
        assert_eq!(back.project_id, Some(project));
        assert_eq!(back.redeploy_of, Some(earlier));
        assert_eq!(back.commit_details, deployment.commit_details);
        assert_eq!(back.commit_sha, deployment.commit_sha);

        let mut old = item.clone();
        for attribute in ["trigger", "projectId", "redeployOf", "commitMessage", "commitAuthor"] {
            old.remove(attribute);
        }
        let old = Deployment::try_from(serde_dynamo::from_item::<_, DeploymentItem>(old).unwrap())
            .unwrap();
        assert_eq!(
            (old.trigger, old.project_id, old.commit_details),
            (Trigger::Manual, None, None)
        );

        let mut bad = item;
        bad.insert("trigger".into(), s("cron"));
        let error =
            Deployment::try_from(serde_dynamo::from_item::<_, DeploymentItem>(bad).unwrap())
                .unwrap_err();
        assert!(error.to_string().contains("trigger"), "{error}");
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn plan() -> BuildPlan {
        BuildPlan {
            framework: Some(Framework::parse("vite").unwrap()),
            runtime: Some(Runtime::Node),
            package_manager: Some(PackageManager::Pnpm),
            root_directory: RootDirectory::parse("apps/web").unwrap(),
            install_command: ShellCommand::parse("pnpm install --frozen-lockfile").unwrap(),
            build_command: ShellCommand::parse("pnpm run build").unwrap(),
            output_directory: Some(OutputDirectory::parse("dist").unwrap()),
            node_version: None,
            evidence: vec!["vite in devDependencies".into()],
            candidates: vec![],
            exceeded: None,
        }
    }

    /// The exact attributes of a stored item. Items live for years and older code may read
    /// new ones: a renamed or retyped attribute must fail here, not in production.
    #[test]
    fn the_stored_item_keeps_its_attribute_names_and_types() {
        let id = DeploymentId::parse("01JD0000000000000000000000").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-26T08:00:00.123Z").unwrap().to_utc();
        let mut deployment = sample();
        deployment.id = id;
        deployment.created_at = at;
        deployment.updated_at = at;
        deployment.status = DeploymentStatus::Building;
        deployment.commit_sha = Some(CommitSha::parse(&"a".repeat(40)).unwrap());
        deployment.build_id = Some("whaleray-build:1".into());
        deployment.attempts = 1;
        deployment.plan = Some(plan());
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&deployment)).unwrap();
        let detection = HashMap::from([
            ("framework".to_owned(), s("vite")),
            ("runtime".to_owned(), s("node")),
            ("packageManager".to_owned(), s("pnpm")),
            ("rootDirectory".to_owned(), s("apps/web")),
            ("installCommand".to_owned(), s("pnpm install --frozen-lockfile")),
            ("buildCommand".to_owned(), s("pnpm run build")),
            ("outputDirectory".to_owned(), s("dist")),
            ("nodeVersion".to_owned(), AttributeValue::Null(true)),
            ("evidence".to_owned(), AttributeValue::L(vec![s("vite in devDependencies")])),
            ("candidates".to_owned(), AttributeValue::L(vec![])),
        ]);
        let expected = HashMap::from([
            ("deploymentId".to_owned(), s("01JD0000000000000000000000")),
            ("userId".to_owned(), s("u-1")),
            ("repository".to_owned(), s("acme/web")),
            ("branch".to_owned(), s("main")),
            ("installationId".to_owned(), AttributeValue::N("9".into())),
            ("status".to_owned(), s("BUILDING")),
            ("createdAt".to_owned(), s("2026-11-26T08:00:00.123Z")),
            ("updatedAt".to_owned(), s("2026-11-26T08:00:00.123Z")),
            ("commitSha".to_owned(), s(&"a".repeat(40))),
            ("detection".to_owned(), AttributeValue::M(detection)),
            ("buildId".to_owned(), s("whaleray-build:1")),
            ("attempts".to_owned(), AttributeValue::N("1".into())),
            ("requeues".to_owned(), AttributeValue::N("0".into())),
            ("trigger".to_owned(), s("manual")),
        ]);
        assert_eq!(item, expected);
        let back: DeploymentItem = serde_dynamo::from_item(item).unwrap();
        assert_eq!(Deployment::try_from(back).unwrap(), deployment);
    }

    /// An item written before the domain had its own plan type (the detection crate's verdict
    /// stored as is, some fields missing) still reads back.
    #[test]
    fn an_item_of_the_first_release_reads_back() {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&sample())).unwrap();
        let detection = HashMap::from([
            ("framework".to_owned(), AttributeValue::Null(true)),
            ("rootDirectory".to_owned(), s(".")),
            ("evidence".to_owned(), AttributeValue::L(vec![s("no package.json")])),
            ("candidates".to_owned(), AttributeValue::L(vec![s("apps/a"), s("apps/b")])),
        ]);
        item.insert("detection".to_owned(), AttributeValue::M(detection));
        let back: DeploymentItem = serde_dynamo::from_item(item).unwrap();
        let plan = Deployment::try_from(back).unwrap().plan.unwrap();
        assert_eq!(plan.framework, None);
        assert!(plan.root_directory.is_root());
        assert_eq!(plan.evidence, ["no package.json"]);
        let candidates: Vec<&str> = plan.candidates.iter().map(AsRef::as_ref).collect();
        assert_eq!(candidates, ["apps/a", "apps/b"]);
    }

    /// A plan that exceeded a detection budget keeps the budget, in the detection crate's
    /// tagged shape.
    #[test]
    fn an_exceeded_budget_is_stored_as_a_tagged_map() {
        let mut deployment = sample();
        let mut exceeded = BuildPlan::empty(RootDirectory::parse(".").unwrap());
        exceeded.exceeded =
            Some(ExceededBudget::ValueLength { field: "buildCommand".into(), limit: 1024 });
        deployment.plan = Some(exceeded);
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&deployment)).unwrap();
        let AttributeValue::M(detection) = &item["detection"] else { panic!("{item:?}") };
        let expected = HashMap::from([
            ("budget".to_owned(), s("valueLength")),
            ("field".to_owned(), s("buildCommand")),
            ("limit".to_owned(), AttributeValue::N("1024".into())),
        ]);
        assert_eq!(detection["exceeded"], AttributeValue::M(expected));
        let back: DeploymentItem = serde_dynamo::from_item(item).unwrap();
        assert_eq!(Deployment::try_from(back).unwrap().plan, deployment.plan);
    }

    #[test]
    fn an_item_with_an_escaping_output_directory_is_reported_corrupt() {
        let mut item = DeploymentItem::from(&sample());
        let mut stored = StoredPlan::from(&plan());
        stored.output_directory = Some("../../etc".into());
        item.detection = Some(stored);
        let error = Deployment::try_from(item).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { attribute: "detection", .. }), "{error:?}");
    }

    #[test]
    fn an_item_with_an_unknown_status_is_reported_corrupt() {
        let mut item = DeploymentItem::from(&sample());
        item.status = "DONE".into();
        assert!(matches!(Deployment::try_from(item), Err(StoreError::Corrupt { .. })));
    }

    /// An operator reading the error learns which item and attribute to repair, and the rule
    /// its value broke.
    #[test]
    fn a_corrupt_item_names_its_attribute_and_keeps_the_parse_error() {
        let mut item = DeploymentItem::from(&sample());
        item.updated_at = "yesterday".into();
        let error = Deployment::try_from(item).unwrap_err();
        let StoreError::Corrupt { item, attribute, .. } = &error else { panic!("{error:?}") };
        assert_eq!((*item, *attribute), ("deployment", "updatedAt"));
        assert!(error.to_string().contains("updatedAt"), "{error}");
        let source = std::error::Error::source(&error).expect("the parse error is kept");
        assert!(source.downcast_ref::<chrono::ParseError>().is_some(), "{source:?}");
    }

    /// An item's size as DynamoDB counts it: attribute names plus values, strings in UTF-8
    /// bytes, numbers at their 21-byte maximum, 3 bytes per list or map plus 1 per element.
    fn dynamo_size(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(text) => text.len(),
            AttributeValue::N(_) => 21,
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + dynamo_size(v)).sum::<usize>(),
            AttributeValue::M(map) => {
                3 + map.iter().map(|(k, v)| 1 + k.len() + dynamo_size(v)).sum::<usize>()
            }
            other => panic!("unexpected attribute type {other:?}"),
        }
    }

    /// The largest deployment the domain can hold, with free text far past every bound.
    fn largest_possible() -> Deployment {
        let long = |n: usize| "x".repeat(n);
        let dir = |i: usize| {
            let name = format!("{i:03}{}", long(RootDirectory::MAX_LEN - 3));
            RootDirectory::parse(&name).unwrap()
        };
        let command = ShellCommand::parse(&long(ShellCommand::MAX_LEN)).unwrap();
        let owner = long(RepoFullName::MAX_OWNER_LEN);
        let name = long(RepoFullName::MAX_NAME_LEN);
        let mut deployment = Deployment::new(
            UserId::parse(&long(UserId::MAX_LEN)).unwrap(),
            RepoFullName::parse(&format!("{owner}/{name}")).unwrap(),
            Some(GitRef::parse(&long(GitRef::MAX_LEN)).unwrap()),
            InstallationId::new(u64::MAX).unwrap(),
        );
        deployment.root_directory = Some(dir(0));
        deployment.status = DeploymentStatus::Failed;
        deployment.commit_sha = Some(CommitSha::parse(&"a".repeat(40)).unwrap());
        deployment.plan = Some(BuildPlan {
            framework: Some(Framework::parse(&long(64)).unwrap()),
            runtime: Some(Runtime::parse(&long(64)).unwrap()),
            package_manager: Some(PackageManager::parse(&long(64)).unwrap()),
            root_directory: dir(1),
            install_command: command.clone(),
            build_command: command,
            output_directory: Some(OutputDirectory::parse(dir(2).as_ref()).unwrap()),
            node_version: Some(NodeVersion::parse("9999.9999.9999").unwrap()),
            evidence: (0..10_000).map(|_| long(100_000)).collect(),
            candidates: (0..1_000).map(dir).collect(),
            exceeded: Some(ExceededBudget::Other(long(1_000))),
        });
        // CodeBuild's build ids are the project name (at most 255 bytes) and a UUID.
        deployment.build_id = Some(format!("{}:{}", long(255), ulid::Ulid::new()));
        deployment.reason = Some(long(1_000_000));
        deployment.last_error = Some(long(1_000_000));
        deployment.attempts = u32::MAX;
        deployment.requeues = u32::MAX;
        deployment.outcome = Some(BuildOutcome {
            state: BuildState::TimedOut,
            failed_phase: Some(long(1_000_000)),
            logs: Some(BuildLogs {
                group: long(1_000_000),
                stream: long(1_000_000),
                link: Some(long(1_000_000)),
            }),
        });
        deployment
    }

    /// DynamoDB refuses items over 400 KB; a refused write after StartBuild would orphan the
    /// build. Whatever a repository or an error says, the stored item stays far below.
    #[test]
    fn the_largest_possible_item_stays_well_under_dynamodbs_limit() {
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&largest_possible())).unwrap();
        // The claim attributes the store adds: a ULID and a timestamp.
        let claim = 11 + 26 + 15 + 24;
        let size: usize = item.iter().map(|(k, v)| k.len() + dynamo_size(v)).sum::<usize>() + claim;
        assert!(size < 100 * 1024, "largest item is {size} bytes");
        // The exceeded-budget description is the one free text the plan keeps unbounded
        // here: it is produced by this project's code, never quoted from a repository.
        assert!(size > 60 * 1024, "the sample is not large: {size} bytes");
    }

    #[test]
    fn a_build_outcome_is_stored_as_a_map_and_reads_back() {
        let mut deployment = sample();
        deployment.status = DeploymentStatus::BuildFailed;
        deployment.outcome = Some(BuildOutcome {
            state: BuildState::Failed,
            failed_phase: Some("BUILD".into()),
            logs: Some(BuildLogs {
                group: "/aws/codebuild/whaleray-build".into(),
                stream: "0c8e".into(),
                link: Some("https://console.aws.amazon.com/cloudwatch/home".into()),
            }),
        });
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(DeploymentItem::from(&deployment)).unwrap();
        let expected = HashMap::from([
            ("buildStatus".to_owned(), s("FAILED")),
            ("failedPhase".to_owned(), s("BUILD")),
            ("logGroup".to_owned(), s("/aws/codebuild/whaleray-build")),
            ("logStream".to_owned(), s("0c8e")),
            ("logLink".to_owned(), s("https://console.aws.amazon.com/cloudwatch/home")),
        ]);
        assert_eq!(item["buildOutcome"], AttributeValue::M(expected));
        let back: DeploymentItem = serde_dynamo::from_item(item).unwrap();
        let back = Deployment::try_from(back).unwrap();
        assert_eq!((back.status, back.outcome), (deployment.status, deployment.outcome));
    }

    #[test]
    fn an_outcome_with_an_unknown_build_status_is_reported_corrupt() {
        let mut item = DeploymentItem::from(&sample());
        item.build_outcome = Some(StoredOutcome {
            build_status: "EXPLODED".into(),
            failed_phase: None,
            log_group: None,
            log_stream: None,
            log_link: None,
        });
        assert!(matches!(
            Deployment::try_from(item),
            Err(StoreError::Corrupt { attribute: "buildOutcome", .. })
        ));
    }

    #[test]
    fn free_text_is_stored_cut_and_marked() {
        let item = DeploymentItem::from(&largest_possible());
        let reason = item.reason.unwrap();
        assert!(reason.len() <= MAX_TEXT_BYTES && reason.contains("[cut:"), "{}", reason.len());
        let plan = item.detection.unwrap();
        assert_eq!(plan.evidence.len(), super::super::bounds::MAX_EVIDENCE_LINES);
        assert_eq!(plan.candidates.len(), super::super::bounds::MAX_CANDIDATES);
        assert!(plan.evidence.last().unwrap().contains("more"), "{:?}", plan.evidence.last());
    }
}
