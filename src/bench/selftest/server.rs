//! The self-test's fake DynamoDB endpoint: it answers GetItem at once except during stalls
//! it places halfway between the calls it has seen, and releases every held call at the
//! stall's planned end from a dedicated thread.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};

/// GetItem arrivals the server watches before it places the stalls.
const LOCK_AFTER: usize = 25;

/// Where the stalls are, in seconds on the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StallSchedule {
    /// Start of the first stall.
    pub first: f64,
    /// Time from one stall's start to the next.
    pub period: f64,
    /// Length of each stall.
    pub stall: f64,
}

impl StallSchedule {
    /// The end of the stall that `t` falls in, if it falls in one.
    pub fn stall_end(&self, t: f64) -> Option<f64> {
        if t < self.first || self.period <= 0.0 {
            return None;
        }
        let k = ((t - self.first) / self.period).floor();
        let start = self.first + k * self.period;
        (t < start + self.stall).then_some(start + self.stall)
    }
}

struct Stalls {
    // Seconds between calls, when the stalls lock to the calls' schedule.
    spacing: Option<f64>,
    period: f64,
    stall: f64,
    state: Mutex<StallState>,
    released: watch::Sender<f64>,
    stop: AtomicBool,
}

#[derive(Default)]
struct StallState {
    schedule: Option<StallSchedule>,
    arrivals: Vec<f64>,
}

impl Stalls {
    /// Note a GetItem arrival; the schedule it falls under, if any yet.
    fn arrive(&self, t: f64) -> Option<StallSchedule> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.arrivals.push(t);
        if st.schedule.is_none() && self.stall > 0.0 {
            st.schedule = match self.spacing {
                None => Some(StallSchedule {
                    first: 0.0,
                    period: self.period,
                    stall: self.stall,
                }),
                Some(spacing) if st.arrivals.len() >= LOCK_AFTER => {
                    let phase = circular_phase(&st.arrivals, spacing);
                    // Halfway between two arrivals, a moment from now.
                    let mid = phase + spacing / 2.0;
                    let first = mid + ((t + 0.2 - mid) / spacing).ceil() * spacing;
                    Some(StallSchedule {
                        first,
                        period: self.period,
                        stall: self.stall,
                    })
                }
                Some(_) => None,
            };
        }
        st.schedule
    }
}

/// The phase of times `ts` on a grid of `spacing` seconds: their circular mean, so arrivals on
/// both sides of a grid line average to it instead of to half a step away.
pub fn circular_phase(ts: &[f64], spacing: f64) -> f64 {
    let (mut x, mut y) = (0.0, 0.0);
    for t in ts {
        let a = (t / spacing).fract() * std::f64::consts::TAU;
        x += a.cos();
        y += a.sin();
    }
    let a = y.atan2(x).rem_euclid(std::f64::consts::TAU);
    a / std::f64::consts::TAU * spacing
}

/// A fake DynamoDB that stalls on a schedule.
pub struct StallServer {
    addr: SocketAddr,
    stalls: Arc<Stalls>,
    stop: Option<oneshot::Sender<()>>,
}

impl StallServer {
    /// The stall would fill its whole period: every call would wait.
    pub fn stalls_fill_the_period(&self) -> bool {
        self.stalls.stall >= self.stalls.period
    }

    /// Serve on 127.0.0.1; calls arriving in the first `stall_ms` of each `period_ms` of the
    /// wall clock wait until the stall ends (`stall_ms` 0: never).
    pub async fn start(period_ms: u64, stall_ms: u64) -> std::io::Result<Self> {
        Self::serve(None, period_ms as f64 / 1000.0, stall_ms as f64 / 1000.0).await
    }

    /// Serve on 127.0.0.1 with stalls locked to calls arriving every `spacing_s` seconds:
    /// `period_ms` and `stall_ms` are rounded to whole call intervals, and each stall starts
    /// halfway between two arrivals.
    pub async fn locked(spacing_s: f64, period_ms: u64, stall_ms: u64) -> std::io::Result<Self> {
        let whole = |ms: u64| ((ms as f64 / 1000.0 / spacing_s).round().max(1.0)) * spacing_s;
        Self::serve(Some(spacing_s), whole(period_ms), whole(stall_ms)).await
    }

    async fn serve(spacing: Option<f64>, period: f64, stall: f64) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (released, _) = watch::channel(0.0);
        let stalls = Arc::new(Stalls {
            spacing,
            period,
            stall,
            state: Mutex::new(StallState::default()),
            released,
            stop: AtomicBool::new(false),
        });
        if stall > 0.0 {
            let s = stalls.clone();
            std::thread::Builder::new()
                .name("stall-release".into())
                .spawn(move || release_loop(&s))?;
        }
        let shared = stalls.clone();
        let app = Router::new().route(
            "/",
            post(move |headers: HeaderMap, body: String| {
                let stalls = shared.clone();
                async move { answer(stalls, headers, body).await }
            }),
        );
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            stalls,
            stop: Some(tx),
        })
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The stall schedule, once it is known.
    pub fn schedule(&self) -> Option<StallSchedule> {
        self.lock().schedule
    }

    /// When each GetItem arrived, in seconds on the wall clock.
    pub fn arrivals(&self) -> Vec<f64> {
        self.lock().arrivals.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StallState> {
        self.stalls.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for StallServer {
    fn drop(&mut self) {
        self.stalls.stop.store(true, Ordering::Relaxed);
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Sleep until `t` on the wall clock: the thread sleeps to within half a millisecond, then
/// spins (half a millisecond of one core per stall).
fn sleep_until(t: f64) {
    loop {
        let left = t - now();
        if left <= 0.0 {
            return;
        }
        if left > 0.0005 {
            std::thread::sleep(Duration::from_secs_f64(left - 0.0005));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Release every stall at its planned end.
fn release_loop(stalls: &Stalls) {
    let mut next_end = None;
    while !stalls.stop.load(Ordering::Relaxed) {
        let schedule = stalls
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .schedule;
        let Some(s) = schedule else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let t = now();
        let end = next_end.unwrap_or_else(|| {
            // The first stall end still ahead.
            let k = ((t - s.first - s.stall) / s.period).ceil().max(0.0);
            s.first + k * s.period + s.stall
        });
        // Short naps, so that a server that stops is not kept waiting for a whole period.
        if end - t > 0.05 {
            std::thread::sleep(Duration::from_millis(20));
            next_end = Some(end);
            continue;
        }
        sleep_until(end);
        stalls.released.send_replace(end);
        next_end = Some(end + s.period);
    }
}

async fn answer(stalls: Arc<Stalls>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let arrived = now();
    let is_get = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.ends_with(".GetItem"));
    if is_get && let Some(end) = stalls.arrive(arrived).and_then(|s| s.stall_end(arrived)) {
        let mut rx = stalls.released.subscribe();
        // The release thread publishes each stall's end as it passes.
        let _ = rx.wait_for(|r| *r >= end - 1e-9).await;
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_string();
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let table = req["TableName"].as_str().unwrap_or("t").to_string();
    let reply = match target.as_str() {
        "GetItem" => json!({
            "Item": req["Key"],
            "ConsumedCapacity": {"TableName": table, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
        }),
        "PutItem" => {
            json!({"ConsumedCapacity": {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}})
        }
        "DescribeTable" => json!({"Table": {"TableName": table, "TableStatus": "ACTIVE"}}),
        other => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                json!({"__type": "com.amazonaws.dynamodb.v20120810#UnknownOperationException", "message": other}).to_string(),
            );
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
        reply.to_string(),
    )
}
