//! What processing a job depends on, built once per process and shared by every job. The
//! production wiring is in `wiring.rs`; tests build `Deps` from fakes.

use std::sync::Arc;

use whaleray_detect::SupportPolicy;
use whaleray_shared::ports::DeploymentStore;

use crate::budget::Budgets;
use crate::ports::{BuildCredentials, BuildLauncher, RepoReader};

/// The worker's ports and policy.
#[derive(Clone)]
pub struct Deps {
    /// The deployments table.
    pub store: Arc<dyn DeploymentStore>,
    /// GitHub.
    pub github: Arc<dyn RepoReader>,
    /// CodeBuild.
    pub builds: Arc<dyn BuildLauncher>,
    /// Each build's clone token (SSM Parameter Store).
    pub credentials: Arc<dyn BuildCredentials>,
    /// Which frameworks are built.
    pub support: SupportPolicy,
    /// The queue's `maxReceiveCount`: the delivery that reaches it is the last attempt.
    pub max_receive_count: u32,
    /// What one inspection attempt may spend.
    pub budgets: Budgets,
}
