//! The benchmark measuring itself, at test size: the stall's tail shows up in latency from the
//! intended start and hides from latency timed at call start. The 2 % accuracy target is
//! measured by `ddb-architect bench-selftest`, not asserted here on a shared machine.

use std::path::Path;

use ddb_architect::bench::selftest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_is_seen_from_the_intended_start_and_hidden_from_call_start() {
    let handler = Path::new(env!("CARGO_MANIFEST_DIR")).join("lambda/lambda_function.py");
    let python = std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    // 200 ms stalls every 2 s for 10 s: 10 % of calls wait up to 200 ms. At 40 rps (the
    // self-test's own default) a stall releases 8 answers at once, few enough for one Python
    // process to take in without adding its own queue to the tail.
    let t = selftest::truth(&python, &handler, 40, 10, 2000, 200)
        .await
        .expect("truth run");
    assert!(t.calls >= 350, "{t:?}");
    let err = |a: f64, b: f64| (a - b).abs() / b;
    assert!(
        err(t.p99_ms, t.true_p99_ms) < 0.10,
        "p99 {} vs truth {}",
        t.p99_ms,
        t.true_p99_ms
    );
    assert!(t.p50_ms < 50.0, "calls outside the stall are fast: {t:?}");

    // At 150 rps a stall holds 30 calls the schedule meant to send, 15 of them for more than
    // half the stall; a closed loop of 8 threads has at most 8 calls waiting, whatever the
    // machine's speed, so it reports fewer delayed calls than there were.
    let t = selftest::truth(&python, &handler, 150, 8, 2000, 200)
        .await
        .expect("truth run");
    assert!(
        t.from_start_delayed_calls < t.delayed_calls,
        "timing from call start hides part of the stall: {t:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_endpoint_answers_like_dynamodb() {
    let server = selftest::StallServer::start(1000, 0).await.expect("server");
    let client = ddb_architect::aws::dynamo::local_client(&server.endpoint());
    let got = client
        .get_item()
        .table_name("ddb-benchmark-selftest-Things")
        .key(
            "ThingId",
            aws_sdk_dynamodb::types::AttributeValue::S("x".into()),
        )
        .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("get");
    assert!(got.item().is_some());
    assert_eq!(
        got.consumed_capacity().and_then(|c| c.capacity_units()),
        Some(0.5)
    );
}

#[test]
fn a_stall_schedule_knows_which_arrivals_it_holds() {
    let s = selftest::StallSchedule {
        first: 100.0,
        period: 3.0,
        stall: 0.3,
    };
    assert_eq!(s.stall_end(99.9), None, "before the first stall");
    assert_eq!(s.stall_end(100.0), Some(100.3));
    assert_eq!(s.stall_end(100.3), None, "the end itself is free");
    assert_eq!(s.stall_end(103.1), Some(103.3));
    assert_eq!(s.stall_end(104.0), None);
}

#[test]
fn the_phase_of_a_grid_survives_arrivals_on_both_sides_of_a_line() {
    // Arrivals 1 ms either side of the grid lines of a 20 ms grid: an average of the remainders
    // would say 10 ms, the circular mean says 0.
    let ts: Vec<f64> = (0..40)
        .map(|k| 50.0 + f64::from(k) * 0.02 + if k % 2 == 0 { 0.001 } else { -0.001 })
        .collect();
    let p = selftest::circular_phase(&ts, 0.02);
    assert!(!(0.0005..=0.0195).contains(&p), "{p}");
    let ts: Vec<f64> = (0..40).map(|k| 50.007 + f64::from(k) * 0.02).collect();
    assert!((selftest::circular_phase(&ts, 0.02) - 0.007).abs() < 1e-6);
    // The lag past each grid point, from arrivals inside the window only.
    let arrivals = [9.0, 10.0015, 10.0213, 10.0412, 10.0611, 99.0];
    let lag = selftest::median_lag(&arrivals, 10.0, 1.0, 0.02);
    assert!((lag - 0.0013).abs() < 1e-6, "{lag}");
}

/// The fake endpoint holds a call that arrives in a stall until the stall's end (not before it,
/// and well within one call spacing after it, however busy the machine), and places its stalls
/// halfway between the calls it has seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_stall_starts_between_calls_and_ends_on_time() {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    };
    let spacing = 0.02;
    let server = selftest::StallServer::locked(spacing, 600, 100)
        .await
        .expect("server");
    let client = ddb_architect::aws::dynamo::local_client(&server.endpoint());
    let get = || {
        client
            .get_item()
            .table_name("t")
            .key(
                "ThingId",
                aws_sdk_dynamodb::types::AttributeValue::S("x".into()),
            )
            .send()
    };
    // Calls on a 20 ms grid until the server has placed its stalls.
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut schedule = None;
    for _ in 0..200 {
        tick.tick().await;
        get().await.expect("get");
        schedule = server.schedule();
        if schedule.is_some() {
            break;
        }
    }
    let s = schedule.expect("the server places its stalls after a few calls");
    assert!((s.period - 0.6).abs() < 1e-9 && (s.stall - 0.1).abs() < 1e-9);
    let phase = selftest::circular_phase(&server.arrivals(), spacing);
    let gap = (s.first - phase).rem_euclid(spacing);
    assert!(
        (gap - spacing / 2.0).abs() < 1e-6,
        "a stall starts halfway between arrivals: {gap}"
    );
    // A call sent inside the next stall comes back at its end.
    let k = ((now() - s.first) / s.period).ceil();
    let start = s.first + k * s.period;
    tokio::time::sleep(Duration::from_secs_f64((start + 0.03 - now()).max(0.0))).await;
    get().await.expect("get");
    let late = now() - (start + s.stall);
    // Bounded by the call spacing: a busy two-core CI machine has been seen 5.6 ms late in waking
    // the held call, and a release within one spacing still puts the stall where the truth says.
    assert!(
        (0.0..spacing).contains(&late),
        "released {late:.4} s after the stall's end"
    );
}
