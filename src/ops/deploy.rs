//! Creating a design's benchmark resources: tables, and (in AWS) the IAM role, log group and
//! Lambda function, each recorded in the workspace's ledger before it is made.

use crate::design::Design;
use crate::provision::deploy::{self, Deployed, Options};
use crate::provision::ledger::Ledger;
use crate::provision::{Approver, Identity, ProvisionError, Reporter};

use super::Target;

/// What to create.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The design (valid, with its table prefix applied).
    pub design: Design,
    /// Where and as whom.
    pub target: Target,
    /// Names, sizes and which parts.
    pub options: Options,
}

impl Plan {
    /// Every part with the default names and sizes.
    pub fn new(design: Design, target: Target) -> Self {
        Self {
            design,
            target,
            options: Options::new(&super::new_run_id()),
        }
    }
}

/// Create what the plan names. `known` is the caller's identity when it was looked up already.
/// The person sees the plan (with the account, Region and estimated cost) and approves it
/// before anything is created.
pub async fn run(
    plan: &Plan,
    known: Option<Identity>,
    approver: &mut dyn Approver,
    progress: &mut dyn Reporter,
) -> Result<Deployed, ProvisionError> {
    let mut ledger = Ledger::open(&plan.target.ledger_path())?;
    let conn = super::connect_as(&plan.target, known).await?;
    let estimate = super::estimate_text(&plan.design, &conn.who.region, plan.target.local);
    let r = deploy::deploy(
        &plan.design,
        &conn.clients,
        &conn.who,
        plan.target.local,
        &plan.options,
        &mut ledger,
        approver,
        progress,
        &estimate,
    )
    .await;
    conn.close().await;
    r
}
