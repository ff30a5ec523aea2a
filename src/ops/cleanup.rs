//! Removing what a workspace created: in every Region its ledger names, then checking each
//! resource is gone.

use crate::aws::clients::{self, Clients};
use crate::provision::cleanup::{self, Line, Options};
use crate::provision::ledger::Ledger;
use crate::provision::{Approver, ProvisionError, Reporter};

use super::Target;

/// What a cleanup did, resource by resource.
#[derive(Debug)]
pub struct CleanupReport {
    /// Each resource found, with what happened to it.
    pub lines: Vec<Line>,
    /// Nothing was deleted: the lines say what would be.
    pub dry_run: bool,
}

impl CleanupReport {
    /// Every resource was removed (or was already gone, or was not ours to remove).
    pub fn complete(&self) -> bool {
        !self
            .lines
            .iter()
            .any(|l| matches!(l.outcome, cleanup::Outcome::Failed(_)))
    }

    /// The resources that could not be removed, as "kind name: why".
    pub fn failed(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| matches!(l.outcome, cleanup::Outcome::Failed(_)))
            .map(Line::text)
            .collect()
    }
}

/// Find, show, approve, delete and verify. Resources live where they were made, whatever
/// AWS_REGION says now: the ledger's other Regions go first, so that a function there goes
/// before the (global) role. `known` is the caller's identity when it was looked up already.
pub async fn run(
    target: &Target,
    o: &Options,
    known: Option<crate::provision::Identity>,
    approver: &mut dyn Approver,
    progress: &mut dyn Reporter,
) -> Result<CleanupReport, ProvisionError> {
    let mut ledger = Ledger::open(&target.ledger_path())?;
    let conn = super::connect_as(target, known).await?;
    let r = everywhere(target, &conn.clients, o, &mut ledger, approver, progress).await;
    conn.close().await;
    Ok(CleanupReport {
        lines: r?,
        dry_run: o.dry_run,
    })
}

async fn everywhere(
    target: &Target,
    here: &Clients,
    o: &Options,
    ledger: &mut Ledger,
    approver: &mut dyn Approver,
    progress: &mut dyn Reporter,
) -> Result<Vec<Line>, ProvisionError> {
    let mut lines = Vec::new();
    if !target.local {
        for region in cleanup::other_regions(ledger, &here.region) {
            progress.line(&format!(
                "the ledger holds resources in {region}: cleaning up there"
            ));
            let mut settings = target.settings();
            settings.region = Some(region.clone());
            let cfg = clients::load(&settings)
                .await
                .map_err(|e| ProvisionError::Refused(e.to_string()))?;
            let there = Clients::new(&cfg, &settings);
            lines.extend(cleanup::cleanup(&there, false, o, ledger, approver, progress).await?);
        }
    }
    lines.extend(cleanup::cleanup(here, target.local, o, ledger, approver, progress).await?);
    Ok(lines)
}
