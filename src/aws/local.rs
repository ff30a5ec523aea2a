//! The embedded DynamoDB emulator (dynoxide), started in-process on a loopback port, so that a
//! whole journey runs with no AWS account.

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The loopback port could not be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    /// The emulator's database could not be created.
    #[error("the embedded DynamoDB emulator failed to start: {0}")]
    Database(String),
}

/// A running emulator; it stops when dropped.
pub struct LocalDynamo {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl LocalDynamo {
    /// Start an in-memory emulator on 127.0.0.1 and a free port. Needs a tokio runtime.
    pub async fn start() -> Result<Self, LocalError> {
        Self::start_with(None).await
    }

    /// Start an emulator whose data lives in `file` (kept between runs), or in memory.
    pub async fn start_with(file: Option<&std::path::Path>) -> Result<Self, LocalError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(LocalError::Bind)?;
        let addr = listener.local_addr().map_err(LocalError::Bind)?;
        let db = match file {
            None => {
                dynoxide::Database::memory().map_err(|e| LocalError::Database(e.to_string()))?
            }
            Some(f) => {
                if let Some(dir) = f.parent() {
                    std::fs::create_dir_all(dir).map_err(LocalError::Bind)?;
                }
                open_shared(f).await?
            }
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = dynoxide::server::serve_with_shutdown(listener, db, shutdown).await {
                tracing::error!("embedded DynamoDB stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// The endpoint URL, e.g. http://127.0.0.1:40123.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop serving and wait until the server has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Open the workspace's database file, which another command on the same workspace may be
/// opening at the same moment: SQLite then answers "database is locked" at once, without
/// waiting, while one of them sets the file up. Waiting a little and trying again lets both
/// start.
async fn open_shared(file: &std::path::Path) -> Result<dynoxide::Database, LocalError> {
    let mut pause = std::time::Duration::from_millis(50);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        match dynoxide::Database::new(&file.to_string_lossy()) {
            Ok(db) => return Ok(db),
            Err(e) => {
                let text = e.to_string();
                let contended = text.contains("locked") || text.contains("busy");
                if !contended || tokio::time::Instant::now() + pause > deadline {
                    return Err(LocalError::Database(text));
                }
                tracing::debug!("{}: {text}; trying again in {pause:?}", file.display());
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(1));
            }
        }
    }
}

impl Drop for LocalDynamo {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
