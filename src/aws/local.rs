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
            None => dynoxide::Database::memory(),
            Some(f) => {
                if let Some(dir) = f.parent() {
                    std::fs::create_dir_all(dir).map_err(LocalError::Bind)?;
                }
                dynoxide::Database::new(&f.to_string_lossy())
            }
        }
        .map_err(|e| LocalError::Database(e.to_string()))?;
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

impl Drop for LocalDynamo {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
