//! Operations: what both front ends do with a design — price it, deploy its benchmark, run the
//! benchmark, clean up, check the environment. Each takes a typed plan (plus an approver and a
//! progress reporter where a person is involved) and returns a typed report or a typed error;
//! nothing here parses arguments or prints. The command line (`crate::cli`) and the agent's
//! tools (`crate::agent::tools`) are thin callers, so a refusal reads the same in both and a
//! result is a value, never text to be parsed back.

pub mod bench;
pub mod cleanup;
pub mod cost;
pub mod deploy;
pub mod doctor;

use std::path::{Path, PathBuf};

use crate::aws::clients::{self, Clients, Settings};
use crate::aws::{dynamo, local::LocalDynamo};
use crate::cost::BenchmarkPlan;
use crate::provision::{self, Identity, ProvisionError};

/// Where and as whom to act: AWS (a profile and Region) or the embedded emulator, and the
/// workspace folder holding the ledger and the emulator's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The embedded emulator instead of AWS.
    pub local: bool,
    /// AWS profile (AWS_PROFILE applies when absent).
    pub profile: Option<String>,
    /// AWS Region (AWS_REGION or the profile's Region apply when absent).
    pub region: Option<String>,
    /// The workspace folder.
    pub workspace: PathBuf,
}

/// The ledger's file name inside a workspace.
pub const LEDGER_FILE: &str = "ledger.json";
/// The embedded emulator's data file inside a workspace.
pub const LOCAL_DB_FILE: &str = "local-dynamodb.sqlite";
/// Where local runs write the benchmark handler inside a workspace.
pub const HANDLER_FILE: &str = "lambda_function.py";

impl Target {
    /// How the AWS SDK is configured for this target.
    pub fn settings(&self) -> Settings {
        Settings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            ..Settings::default()
        }
    }

    /// The workspace's ledger.
    pub fn ledger_path(&self) -> PathBuf {
        self.workspace.join(LEDGER_FILE)
    }

    /// The emulator's data file.
    pub fn local_db(&self) -> PathBuf {
        self.workspace.join(LOCAL_DB_FILE)
    }

    /// Where the handler is written for local runs.
    pub fn handler_path(&self) -> PathBuf {
        self.workspace.join(HANDLER_FILE)
    }
}

/// An open connection: the clients, who they act as, and the emulator when local.
pub struct Connection {
    /// The service clients.
    pub clients: Clients,
    /// The caller ("local" for the emulator).
    pub who: Identity,
    local: Option<LocalDynamo>,
}

impl Connection {
    /// Close it: the emulator (when local) writes its data file and stops.
    pub async fn close(self) {
        if let Some(l) = self.local {
            // Let the last calls (a DeleteTable) settle before the data file is closed.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            l.stop().await;
        }
    }
}

/// Connect to the target: start the emulator on the workspace's data file, or load the AWS
/// configuration and ask STS who we are.
pub async fn connect(t: &Target) -> Result<Connection, ProvisionError> {
    connect_as(t, None).await
}

/// [`connect`], reusing an identity already looked up for this target (a chat session asks
/// STS once, not before every call).
pub async fn connect_as(t: &Target, known: Option<Identity>) -> Result<Connection, ProvisionError> {
    if t.local {
        let local = LocalDynamo::start_with(Some(&t.local_db()))
            .await
            .map_err(|e| ProvisionError::Internal(e.to_string()))?;
        let settings = Settings {
            region: Some("us-east-1".to_string()),
            endpoint_url: Some(local.endpoint()),
            static_credentials: Some(("local".to_string(), "local".to_string())),
            ..Settings::default()
        };
        let cfg = clients::load(&settings)
            .await
            .map_err(|e| ProvisionError::Internal(e.to_string()))?;
        let mut c = Clients::new(&cfg, &settings);
        c.dynamo = dynamo::local_client(&local.endpoint());
        c.region = "local".to_string();
        Ok(Connection {
            clients: c,
            who: Identity::local(),
            local: Some(local),
        })
    } else {
        let settings = t.settings();
        let cfg = clients::load(&settings)
            .await
            .map_err(|e| ProvisionError::Refused(e.to_string()))?;
        let clients = Clients::new(&cfg, &settings);
        let who = match known {
            Some(who) => who,
            None => provision::identify(&clients).await?,
        };
        Ok(Connection {
            clients,
            who,
            local: None,
        })
    }
}

/// Who the target's credentials act as (AWS only).
pub async fn identify(t: &Target) -> Result<Identity, ProvisionError> {
    let settings = t.settings();
    let cfg = clients::load(&settings)
        .await
        .map_err(|e| ProvisionError::Refused(e.to_string()))?;
    provision::identify(&Clients::new(&cfg, &settings)).await
}

/// A new id for a deploy or a benchmark run: seconds and microseconds since 1970, so that two
/// runs never share one, even within a second.
pub fn new_run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}-{:05x}", now.as_secs(), now.subsec_micros())
}

/// One benchmark run's estimated cost with the default plan, as plans and approvals show it.
pub fn estimate_text(d: &crate::design::Design, region: &str, local: bool) -> String {
    if local {
        return "$0.00 (local emulator)".to_string();
    }
    crate::render::cost::benchmark_cost_text(
        d,
        region,
        &BenchmarkPlan::for_design(d),
        " with the default plan (see `ddb-architect cost --benchmark`)",
    )
}

/// Create `dir` and its parents, naming it on failure.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}
