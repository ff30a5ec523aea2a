//! What a tool call works with: the session, its workspace, the person's screen, and the
//! session's one look-up of the AWS identity.

use std::path::PathBuf;

use super::{ToolError, ledger_broken};
use crate::agent::executor::Ui;
use crate::agent::session::{DESIGN_FILE, State, Workspace};
use crate::design::Design;
use crate::ops;
use crate::provision::ledger::Ledger;
use crate::provision::{Identity, ProvisionError, Reporter, Request};

/// A tool call's surroundings.
pub struct Context<'a> {
    /// The session (changed by successful calls).
    pub state: &'a mut State,
    /// Where files go.
    pub workspace: &'a Workspace,
    /// Display and approval.
    pub ui: &'a mut dyn Ui,
    /// The approval asked for during this call, with its answer.
    pub approval: Option<(String, bool)>,
}

/// Progress lines of an operation, shown as they come.
struct UiLines<'u>(&'u mut dyn Ui);

impl Reporter for UiLines<'_> {
    fn line(&mut self, s: &str) {
        self.0.info(s);
    }
}

impl<'a> Context<'a> {
    /// A call's context.
    pub fn new(state: &'a mut State, workspace: &'a Workspace, ui: &'a mut dyn Ui) -> Self {
        Self {
            state,
            workspace,
            ui,
            approval: None,
        }
    }

    /// Ask the developer; a no ends the call (nothing was created or deleted).
    pub fn ask(&mut self, tool: &str, summary: &str) -> Result<(), ToolError> {
        let yes = self.ui.approve(&Request {
            action: tool,
            summary,
        });
        self.approval = Some((summary.to_string(), yes));
        if yes {
            Ok(())
        } else {
            Err(ToolError::fixable(
                "approval",
                format!("the developer declined {tool}: nothing was created or deleted"),
                "Ask the developer what they would like to change before trying again.",
            ))
        }
    }

    /// Where the session acts: the emulator, or AWS in the design's Region.
    pub fn target(&self) -> ops::Target {
        ops::Target {
            local: self.state.local,
            profile: self.state.profile.clone(),
            region: (!self.state.local)
                .then(|| self.state.design.as_ref().map(|d| d.app.region.clone()))
                .flatten(),
            workspace: self.workspace.dir.clone(),
        }
    }

    /// Write a workspace file.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, ToolError> {
        let path = self.workspace.file(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| ToolError::file(format!("{}: {e}", dir.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| ToolError::file(format!("{}: {e}", path.display())))?;
        Ok(path)
    }

    /// Save the design document the session works on.
    pub fn save_design(&self, d: &Design) -> Result<(), ToolError> {
        let text = serde_json::to_string_pretty(d)
            .map_err(|e| ToolError::Fatal(format!("the design cannot be saved: {e}")))?;
        self.write(DESIGN_FILE, &text).map(|_| ())
    }

    /// Resources the ledger shows as live, as "kind name" lines; an unreadable ledger is an
    /// error, never "nothing live".
    pub fn live_resources(&self) -> Result<Vec<String>, String> {
        Ledger::open(&self.workspace.file(ops::LEDGER_FILE))
            .map(|l| {
                l.live()
                    .iter()
                    .map(|e| format!("{} {}", e.kind.label(), e.name))
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    /// [`Self::live_resources`], with an unreadable ledger stopping the session.
    pub fn live(&self) -> Result<Vec<String>, ToolError> {
        self.live_resources().map_err(ledger_broken)
    }

    /// Who pays: the AWS identity, looked up once per session.
    pub fn identity(&mut self) -> Result<Identity, ToolError> {
        if let Some(who) = &self.state.identity {
            return Ok(who.clone());
        }
        let target = self.target();
        let who = block_on(ops::identify(&target))?.map_err(|e| {
            if credentials_gone(&e) {
                return provision_error(e);
            }
            ToolError::precondition(
                format!("cannot tell which AWS account this would use: {e}"),
                "Run check_environment and ask the developer to fix what it names.",
            )
        })?;
        self.state.identity = Some(who.clone());
        Ok(who)
    }

    /// The first line of every approval: where the money goes.
    pub fn target_line(&mut self) -> Result<String, ToolError> {
        let who = if self.state.local {
            Identity::local()
        } else {
            self.identity()?
        };
        Ok(crate::provision::deploy::target_text(
            &who,
            self.state.local,
            self.state.profile.as_deref(),
        ))
    }

    /// Read what exists from the ledger again (after every call: the ledger is the record).
    pub fn refresh(&mut self) {
        self.state.refresh(self.workspace);
    }

    /// Progress lines for an operation, shown on the developer's screen.
    pub fn progress(&mut self) -> impl Reporter + '_ {
        UiLines(&mut *self.ui)
    }
}

/// Run async work on the process's runtime.
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, ToolError> {
    let rt = crate::os::runtime::get()
        .map_err(|e| ToolError::Fatal(format!("the async runtime cannot start: {e}")))?;
    Ok(rt.block_on(f))
}

/// A provisioning failure, sorted: a broken ledger or lost credentials stop the session;
/// anything else goes back to the model with the fix AWS's error suggests.
pub fn provision_error(e: ProvisionError) -> ToolError {
    match e {
        ProvisionError::Ledger(e) => ledger_broken(e),
        ProvisionError::Declined => ToolError::fixable(
            "approval",
            "the developer declined: nothing was created or deleted",
            "Ask the developer what they would like to change before trying again.",
        ),
        e if credentials_gone(&e) => ToolError::Fatal(format!(
            "the AWS credentials are gone ({e}); the developer must sign in again and \
                 resume the session"
        )),
        e => ToolError::failed(
            e.to_string(),
            "Read the error, fix what it names, and try again; or ask the developer.",
        ),
    }
}

fn credentials_gone(e: &ProvisionError) -> bool {
    crate::aws::clients::credentials_missing(&e.to_string().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::ledger::LedgerError;

    #[test]
    fn what_breaks_the_session_is_fatal_and_the_rest_goes_back_to_the_model() {
        let fatal = |e: ProvisionError| matches!(provision_error(e), ToolError::Fatal(_));
        // The ledger: what is created could no longer be found again.
        assert!(fatal(ProvisionError::Ledger(LedgerError::Corrupt {
            path: "ledger.json".into(),
            message: "expected value".into(),
        })));
        assert!(fatal(ProvisionError::Ledger(LedgerError::Io {
            path: "ledger.json".into(),
            source: std::io::Error::other("disk full"),
        })));
        // Credentials that are gone: nothing the model sends can bring them back.
        assert!(fatal(ProvisionError::Aws(
            "dispatch failure: no credentials in the property bag".into()
        )));
        // What the model or the developer can act on in the conversation.
        for e in [
            ProvisionError::Aws("AccessDeniedException: not authorized to iam:CreateRole".into()),
            ProvisionError::Refused("the name DynamoDBBenchmark is taken".into()),
            ProvisionError::Declined,
        ] {
            let text = e.to_string();
            match provision_error(e) {
                ToolError::Fixable { step, fix, .. } => {
                    assert!(["execute", "approval"].contains(&step), "{text}: {step}");
                    assert!(!fix.is_empty(), "{text}");
                }
                ToolError::Fatal(m) => panic!("{text} became fatal: {m}"),
            }
        }
    }
}
