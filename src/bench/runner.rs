//! Where a shard runs: the handler as a local python3 process, or the deployed Lambda
//! function. Both get the same event and return the same result document.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::result::ShardResult;

/// A progress line from a shard.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Which shard.
    pub shard: u32,
    /// The handler's progress fields (phase, done, total, elapsed_s).
    pub fields: Value,
}

/// Runs shards.
#[derive(Debug, Clone)]
pub enum Runner {
    /// `python3 lambda_function.py` with the event on standard input.
    Process {
        /// Interpreter.
        python: String,
        /// The handler file.
        handler: PathBuf,
        /// Extra environment (endpoint, Region, credentials for the emulator).
        env: Vec<(String, String)>,
    },
    /// The deployed Lambda function, invoked synchronously.
    Lambda {
        /// Client in the benchmark's Region.
        client: aws_sdk_lambda::Client,
        /// Function name.
        function: String,
    },
}

/// How long a stopped local worker has to finish its calls in flight and report.
const STOP_GRACE: Duration = Duration::from_secs(15);

use crate::os::interrupt::Signal;

/// Start the worker in a process group of its own: a Ctrl-C at the terminal reaches this tool
/// only, which then stops the worker so that it still reports what it measured. On Linux the
/// worker is also told to stop (SIGTERM) when this tool dies.
fn own_process_group(cmd: &mut tokio::process::Command) {
    #[cfg(unix)]
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of the new process; it allocates
    // nothing and is safe between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

fn parse_result(text: &str, shard: u32) -> Result<ShardResult, String> {
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| {
        format!(
            "shard {shard} returned something that is not JSON ({e}): {}",
            clip(text)
        )
    })?;
    if v.get("ok") == Some(&Value::Bool(false)) {
        return Err(format!(
            "shard {shard} failed: {}",
            v.get("error")
                .and_then(Value::as_str)
                .unwrap_or("no reason given")
        ));
    }
    if v.get("format").and_then(Value::as_str) != Some(super::result::FORMAT) {
        return Err(format!(
            "shard {shard} returned an unknown document: {}",
            clip(text)
        ));
    }
    let r: ShardResult = serde_json::from_value(v)
        .map_err(|e| format!("shard {shard} returned a malformed result: {e}"))?;
    // Buckets of another layout would merge into wrong latencies without any error.
    for p in &r.patterns {
        for b in [&p.latency_us, &p.service_us] {
            if !b.buckets.is_empty()
                && (b.scheme != super::result::BUCKET_SCHEME
                    || b.unit != super::result::BUCKET_UNIT)
            {
                return Err(format!(
                    "shard {shard} recorded latencies as {} {} but this build reads {} {}: the \
                     deployed handler is from another version; deploy again",
                    b.scheme,
                    b.unit,
                    super::result::BUCKET_SCHEME,
                    super::result::BUCKET_UNIT
                ));
            }
        }
    }
    Ok(r)
}

fn clip(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s.to_string()
    }
}

impl Runner {
    /// Run one shard: `event` is the handler's `bench` event. Progress lines go to `progress`;
    /// the shard is abandoned after `limit`. When `stop` is cancelled a local process is asked
    /// to stop (SIGTERM) and its partial result is still read; a Lambda invocation cannot be
    /// stopped from here, so it is no longer waited for.
    pub async fn run_shard(
        &self,
        shard: u32,
        event: &Value,
        limit: Duration,
        progress: &UnboundedSender<Progress>,
        stop: &CancellationToken,
    ) -> Result<ShardResult, String> {
        match self {
            Runner::Process {
                python,
                handler,
                env,
            } => {
                let mut cmd = tokio::process::Command::new(python);
                cmd.arg(handler)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .kill_on_drop(true);
                for (k, v) in env {
                    cmd.env(k, v);
                }
                // The worker watches this process: told who its parent is, it also notices one
                // that died while the worker was still starting.
                cmd.env("DDB_ARCHITECT_PARENT_PID", std::process::id().to_string());
                own_process_group(&mut cmd);
                let mut child = cmd.spawn().map_err(|e| {
                    format!(
                        "cannot start {python}: {e}; {}",
                        crate::provision::doctor::PYTHON_FIX
                    )
                })?;
                let _registered = child.id().map(crate::os::interrupt::Child::register);
                let pid = child.id();
                let body = event.to_string();
                if let Some(mut stdin) = child.stdin.take() {
                    stdin
                        .write_all(body.as_bytes())
                        .await
                        .map_err(|e| format!("shard {shard}: cannot send the event: {e}"))?;
                }
                let stderr = child.stderr.take();
                let tx = progress.clone();
                let log = tokio::spawn(async move {
                    let mut other = Vec::new();
                    if let Some(err) = stderr {
                        let mut lines = BufReader::new(err).lines();
                        while let Ok(Some(line)) = lines.next_line().await {
                            match serde_json::from_str::<Value>(&line)
                                .ok()
                                .and_then(|v| v.get("progress").cloned())
                            {
                                Some(fields) => {
                                    let _ = tx.send(Progress { shard, fields });
                                }
                                None => other.push(line),
                            }
                        }
                    }
                    other
                });
                let mut stdout = child.stdout.take();
                let run = async {
                    let mut out = String::new();
                    if let Some(s) = stdout.as_mut() {
                        let _ = s.read_to_string(&mut out).await;
                    }
                    let status = child.wait().await;
                    (out, status)
                };
                let stopping = async {
                    stop.cancelled().await;
                    if let Some(pid) = pid {
                        crate::os::interrupt::signal_group(pid, Signal::Terminate);
                    }
                    // Calls in flight finish and the result is written; past this, give up.
                    tokio::time::sleep(STOP_GRACE).await;
                };
                let (out, status) = tokio::select! {
                    x = tokio::time::timeout(limit, run) => match x {
                        Ok(x) => x,
                        Err(_) => {
                            return Err(format!(
                                "shard {shard} did not finish within {} s and was stopped",
                                limit.as_secs()
                            ));
                        }
                    },
                    () = stopping => {
                        return Err(format!(
                            "shard {shard} did not stop within {} s of being asked and was killed",
                            STOP_GRACE.as_secs()
                        ));
                    }
                };
                let other = log.await.unwrap_or_default();
                match parse_result(&out, shard) {
                    Ok(r) => Ok(r),
                    Err(e) => {
                        let code = status.map(|s| s.to_string()).unwrap_or_default();
                        let tail = other
                            .iter()
                            .rev()
                            .take(5)
                            .rev()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("\n");
                        Err(if tail.is_empty() {
                            format!("{e} ({code})")
                        } else {
                            format!("{e} ({code}); stderr:\n{tail}")
                        })
                    }
                }
            }
            Runner::Lambda { client, function } => {
                let _ = progress.send(Progress {
                    shard,
                    fields: serde_json::json!({"phase": "invoking", "function": function}),
                });
                let call = client
                    .invoke()
                    .function_name(function)
                    .payload(aws_sdk_lambda::primitives::Blob::new(event.to_string()))
                    .send();
                let out = match tokio::select! {
                    x = tokio::time::timeout(limit, call) => x,
                    () = stop.cancelled() => {
                        return Err(format!(
                            "shard {shard}: stopped waiting for {function}; the invocation runs \
                             on in AWS until it finishes, and its result is lost"
                        ));
                    }
                } {
                    Err(_) => {
                        return Err(format!(
                            "shard {shard}: no answer from {function} within {} s",
                            limit.as_secs()
                        ));
                    }
                    Ok(Err(e)) => {
                        return Err(format!(
                            "shard {shard}: {}",
                            crate::aws::clients::advice(
                                crate::aws::clients::error_code(&e).as_deref(),
                                &crate::aws::clients::error_text(&e),
                                "lambda:Invoke",
                                function
                            )
                        ));
                    }
                    Ok(Ok(o)) => o,
                };
                let text = out
                    .payload()
                    .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
                    .unwrap_or_default();
                if let Some(kind) = out.function_error() {
                    return Err(format!(
                        "shard {shard}: the function failed ({kind}): {}",
                        clip(&text)
                    ));
                }
                parse_result(&text, shard)
            }
        }
    }
}
