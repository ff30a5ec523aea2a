//! The ledger: every resource a deploy creates is written down *before* the call that creates
//! it and updated after, so a crash at any point leaves a record cleanup can act on.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Ledger format version.
pub const LEDGER_VERSION: u32 = 1;

/// Kinds of resources we create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A DynamoDB table.
    Table,
    /// An IAM role.
    Role,
    /// An inline policy of our role (name is "role/policy").
    RolePolicy,
    /// A Lambda function.
    Function,
    /// A CloudWatch Logs log group.
    LogGroup,
}

impl Kind {
    /// Label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Role => "IAM role",
            Self::RolePolicy => "role policy",
            Self::Function => "Lambda function",
            Self::LogGroup => "log group",
        }
    }
}

/// Where a resource is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// About to be created: the call may or may not have happened.
    Planned,
    /// Created.
    Created,
    /// Deleted (or confirmed absent).
    Deleted,
}

/// One resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Sequence number within the ledger.
    pub id: u64,
    /// What it is.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Its Region ("local" for the embedded emulator).
    pub region: String,
    /// The account it lives in, when known.
    #[serde(default)]
    pub account: Option<String>,
    /// The deploy that made it.
    pub run_id: String,
    /// The design it belongs to.
    pub design: String,
    /// Its state.
    pub state: State,
    /// Seconds since 1970 when first written.
    pub created_at: u64,
    /// Seconds since 1970 of the last change.
    pub updated_at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    version: u32,
    entries: Vec<Entry>,
}

/// Why the ledger could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Reading or writing failed.
    #[error("ledger {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a ledger.
    #[error("ledger {} is damaged ({message}); move it aside and run cleanup with --dry-run to see what is left", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A ledger kept in a file; every change is on disk before the method returns.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    doc: Document,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Ledger {
    /// Open the ledger at `path`, or start an empty one.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let doc = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Document {
                version: LEDGER_VERSION,
                entries: Vec::new(),
            },
            Err(source) => {
                return Err(LedgerError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the whole ledger to a temporary file, sync it, then rename it over the old one,
    /// so a crash leaves either the old or the new ledger, never half of one.
    fn save(&self) -> Result<(), LedgerError> {
        let io = |source| LedgerError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let text =
            serde_json::to_string_pretty(&self.doc).map_err(|e| io(std::io::Error::other(e)))?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)
    }

    /// Record a resource about to be created; returns its id.
    pub fn plan(
        &mut self,
        kind: Kind,
        name: &str,
        region: &str,
        account: Option<&str>,
        run_id: &str,
        design: &str,
    ) -> Result<u64, LedgerError> {
        let id = self
            .doc
            .entries
            .iter()
            .map(|e| e.id)
            .max()
            .map_or(1, |m| m + 1);
        let t = now();
        self.doc.entries.push(Entry {
            id,
            kind,
            name: name.to_string(),
            region: region.to_string(),
            account: account.map(str::to_string),
            run_id: run_id.to_string(),
            design: design.to_string(),
            state: State::Planned,
            created_at: t,
            updated_at: t,
        });
        self.save()?;
        Ok(id)
    }

    /// Change the state of an entry.
    pub fn set_state(&mut self, id: u64, state: State) -> Result<(), LedgerError> {
        if let Some(e) = self.doc.entries.iter_mut().find(|e| e.id == id) {
            e.state = state;
            e.updated_at = now();
        }
        self.save()
    }

    /// Entries not yet deleted: what may still exist.
    pub fn live(&self) -> Vec<&Entry> {
        self.doc
            .entries
            .iter()
            .filter(|e| e.state != State::Deleted)
            .collect()
    }

    /// Every entry.
    pub fn entries(&self) -> &[Entry] {
        &self.doc.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_reopening_and_track_state() {
        let dir = std::env::temp_dir().join(format!("ddb-ledger-{}", std::process::id()));
        let path = dir.join("ledger.json");
        let _ = std::fs::remove_file(&path);
        let mut l = Ledger::open(&path).expect("open");
        let id = l
            .plan(
                Kind::Table,
                "ddb-benchmark-x-T",
                "us-east-1",
                Some("1"),
                "r1",
                "x",
            )
            .expect("plan");
        let again = Ledger::open(&path).expect("reopen");
        assert_eq!(
            again.live().len(),
            1,
            "a planned entry is on disk before creation"
        );
        l.set_state(id, State::Deleted).expect("state");
        assert!(Ledger::open(&path).expect("reopen").live().is_empty());
        std::fs::write(&path, "{not json").expect("write");
        assert!(matches!(
            Ledger::open(&path),
            Err(LedgerError::Corrupt { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
