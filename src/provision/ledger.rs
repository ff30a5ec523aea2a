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
    /// About to be created: the call may or may not have happened. Ours only if what is there
    /// carries this workspace's tag.
    Planned,
    /// Created: the create call succeeded and this was recorded after it.
    Created,
    /// The create call failed (the name was taken, access was denied): whatever has this
    /// name is not ours and is never touched.
    NotCreated,
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
    /// The fingerprint of what was asked for (a table's keys and indexes), so that a session
    /// can tell whether a live resource still matches its design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// Seconds since 1970 when first written.
    pub created_at: u64,
    /// Seconds since 1970 of the last change.
    pub updated_at: u64,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Document {
    version: u32,
    /// Identifies the workspace in the tags of what it creates (a random hex string), so
    /// that a resource can be proven ours by looking at it.
    #[serde(default)]
    workspace_id: String,
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

/// A new workspace id: 16 hex digits from the clock, the process and the standard library's
/// randomly seeded hasher (no random-number crate needed for a label). Exported kits get one
/// of their own the same way.
pub fn new_workspace_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

fn read_doc(path: &Path) -> Result<Document, LedgerError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Document {
            version: LEDGER_VERSION,
            workspace_id: String::new(),
            entries: Vec::new(),
        }),
        Err(source) => Err(LedgerError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Holds the ledger's lock file locked; unlocked when dropped (or when the process dies).
struct LockGuard(std::fs::File);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl Ledger {
    /// Open the ledger at `path`, or start an empty one.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        Ok(Self {
            path: path.to_path_buf(),
            doc: read_doc(path)?,
        })
    }

    /// This workspace's id, made (and saved) the first time it is asked for.
    pub fn workspace_id(&mut self) -> Result<String, LedgerError> {
        self.change(|doc| {
            if doc.workspace_id.is_empty() {
                doc.workspace_id = new_workspace_id();
            }
            Ok(())
        })?;
        Ok(self.doc.workspace_id.clone())
    }

    /// The workspace id if one was ever made (nothing of this workspace's is tagged otherwise).
    pub fn known_workspace_id(&self) -> Option<&str> {
        Some(self.doc.workspace_id.as_str()).filter(|s| !s.is_empty())
    }

    fn lock(&self) -> Result<LockGuard, LedgerError> {
        let io = |source| LedgerError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("json.lock"))
            .map_err(io)?;
        // Another command on this workspace holds it only for one read-change-write.
        file.lock().map_err(io)?;
        Ok(LockGuard(file))
    }

    /// Apply `f` to the ledger as it is on disk now, under the lock, and save the result: two
    /// commands on one workspace each see the other's changes and neither loses any.
    fn change<T>(
        &mut self,
        f: impl FnOnce(&mut Document) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let _guard = self.lock()?;
        let mut doc = read_doc(&self.path)?;
        let out = f(&mut doc)?;
        self.doc = doc;
        self.save()?;
        Ok(out)
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
        // A name no other writer uses, so two writers never share a half-written file.
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self
            .path
            .with_extension(format!("json.{}.{n}.tmp", std::process::id()));
        let text =
            serde_json::to_string_pretty(&self.doc).map_err(|e| io(std::io::Error::other(e)))?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
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
        self.change(|doc| {
            let id = doc.entries.iter().map(|e| e.id).max().map_or(1, |m| m + 1);
            let t = now();
            doc.entries.push(Entry {
                id,
                kind,
                name: name.to_string(),
                region: region.to_string(),
                account: account.map(str::to_string),
                run_id: run_id.to_string(),
                design: design.to_string(),
                state: State::Planned,
                spec: None,
                created_at: t,
                updated_at: t,
            });
            Ok(id)
        })
    }

    /// Record the fingerprint of what an entry was asked to be.
    pub fn set_spec(&mut self, id: u64, spec: &str) -> Result<(), LedgerError> {
        self.change(|doc| {
            if let Some(e) = doc.entries.iter_mut().find(|e| e.id == id) {
                e.spec = Some(spec.to_string());
                e.updated_at = now();
            }
            Ok(())
        })
    }

    /// Change the state of an entry.
    pub fn set_state(&mut self, id: u64, state: State) -> Result<(), LedgerError> {
        self.change(|doc| {
            if let Some(e) = doc.entries.iter_mut().find(|e| e.id == id) {
                e.state = state;
                e.updated_at = now();
            }
            Ok(())
        })
    }

    /// Entries that may still exist and be ours: created, or planned with the outcome
    /// unknown (a crash between the call and its answer).
    pub fn live(&self) -> Vec<&Entry> {
        self.doc
            .entries
            .iter()
            .filter(|e| matches!(e.state, State::Created | State::Planned))
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

    #[test]
    fn writers_on_one_workspace_lose_nothing() {
        let dir = std::env::temp_dir().join(format!("ddb-ledger-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("ledger.json");
        // Four writers, each with its own view of the file, as four commands would have.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut l = Ledger::open(&path).expect("open");
                    for i in 0..25 {
                        let id = l
                            .plan(Kind::Table, &format!("t-{w}-{i}"), "r", None, "run", "d")
                            .expect("plan");
                        l.set_state(id, State::Created).expect("state");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        let l = Ledger::open(&path).expect("reopen");
        assert_eq!(l.entries().len(), 100);
        assert!(l.entries().iter().all(|e| e.state == State::Created));
        let ids: std::collections::BTreeSet<u64> = l.entries().iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 100, "every id unique");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
