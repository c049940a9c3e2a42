//! The `shopify-mock` binary: seed files, startup output, serving, the request log,
//! webhooks, and a graceful stop on Ctrl-C (SIGINT) that reports the deliveries
//! still pending instead of waiting for Shopify's 4-hour retry schedule.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wiremock::{Mock, MockServer, ResponseTemplate};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_shopify-mock"))
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("shopify-mock-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Kills the child if the test fails before it stops it.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for the child to exit, at most `limit` (then kills it and fails). The
/// exit itself is the signal: a thread blocks in `wait` and reports back.
fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        scope.spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(limit) {
            Ok(status) => status.unwrap(),
            Err(_) => {
                let _ = Command::new("kill").args(["-9", &pid]).status();
                panic!("shopify-mock did not exit within {limit:?}");
            }
        }
    })
}

#[test]
fn a_bad_seed_file_names_the_file_and_the_place() {
    let dir = temp_dir("bad");
    let yaml = write(
        &dir,
        "orders.yaml",
        "- id: 1001\n  lines:\n    - id: 1\n      sku: CHAIR\n      quantity: two\n",
    );
    let out = bin()
        .args(["serve", "--orders"])
        .arg(&yaml)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("orders.yaml"), "{err}");
    assert!(err.contains("line 5"), "{err}");

    let json = write(
        &dir,
        "orders.json",
        "[{\"id\": 1001, \"lines\": [{\"id\": 1, \"sku\": \"A\", \"quantity\": 1, \"colour\": \"red\"}]}]",
    );
    let out = bin()
        .args(["serve", "--orders"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("orders.json"), "{err}");
    assert!(
        err.contains("colour") && err.contains("line 1 column"),
        "{err}"
    );

    let missing = dir.join("nope.yaml");
    let out = bin()
        .args(["serve", "--orders"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.yaml"));

    // Shopify's refusal of a seeded order (a line id used twice).
    let dup = write(
        &dir,
        "dup.yaml",
        "- {id: 1, lines: [{id: 7, sku: A, quantity: 1}]}\n- {id: 2, lines: [{id: 7, sku: B, quantity: 1}]}\n",
    );
    let out = bin()
        .args(["serve", "--orders"])
        .arg(&dup)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dup.yaml") && err.contains("line item 7 already exists"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_seeds_answers_logs_sends_webhooks_and_stops_on_ctrl_c() {
    let dir = temp_dir("serve");
    let yaml = write(
        &dir,
        "orders.yaml",
        "- id: 1001\n  name: \"#1001\"\n  lines:\n    - {id: 11, sku: CHAIR, quantity: 5}\n- id: 1002\n  lines:\n    - {id: 21, sku: LAMP, quantity: 2, fulfilled: 1}\n",
    );
    let receiver = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let child = bin()
        .args([
            "serve",
            "--port",
            "0",
            "--access-token",
            "tok",
            "--webhook-secret",
            "s3",
            "--verbose",
            "--orders",
        ])
        .arg(&yaml)
        .arg("--webhook-url")
        .arg(format!("{}/hooks", receiver.uri()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let mut stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let mut base = None;
    let mut printed = String::new();
    for _ in 0..10 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("shopify-mock listening on ") {
            base = Some(url.to_owned());
        }
        if line.starts_with("press Ctrl-C") {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("no base URL in {printed}"));
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(printed.contains("access token: tok"), "{printed}");
    assert!(printed.contains("orders seeded: 2"), "{printed}");

    let http = reqwest::Client::new();
    let orders: serde_json::Value = http
        .get(format!("{base}/admin/api/2025-01/orders.json"))
        .header("X-Shopify-Access-Token", "tok")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders["orders"].as_array().unwrap().len(), 2);
    let closed = http
        .post(format!("{base}/admin/api/2025-01/orders/1001/close.json"))
        .header("X-Shopify-Access-Token", "tok")
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status().as_u16(), 200);

    // Ctrl-C: the server lets the attempt under way finish and exits cleanly.
    let pid = guard.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_exit(&mut guard.0, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("shutting down"), "{rest}");
    assert!(rest.contains("webhook deliveries pending: 0"), "{rest}");
    let mut err = String::new();
    guard
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("GET /admin/api/2025-01/orders.json -> 200"),
        "{err}"
    );
    assert!(
        err.contains("POST /admin/api/2025-01/orders/1001/close.json -> 200"),
        "{err}"
    );

    let hooks = receiver.received_requests().await.unwrap();
    assert_eq!(hooks.len(), 1);
    let h = &hooks[0];
    assert_eq!(h.url.path(), "/hooks");
    assert_eq!(h.headers["x-shopify-topic"], "orders/updated");
    assert_eq!(
        h.headers["x-shopify-hmac-sha256"].to_str().unwrap(),
        shopify_mock::sign("s3", &h.body)
    );
}

/// Starts `serve` with `args`, reads its startup lines; the child and its base URL.
fn serve(args: &[&str]) -> (Guard, BufReader<std::process::ChildStdout>, String) {
    let child = bin()
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let mut stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let mut base = None;
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("serve stopped before it was ready: {printed}");
        }
        printed.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("shopify-mock listening on ") {
            base = Some(url.to_owned());
        }
        if line.starts_with("press Ctrl-C") {
            break;
        }
    }
    (guard, stdout, base.expect("the base URL is printed"))
}

/// Sends Ctrl-C and returns what the server printed afterwards, once it has exited
/// successfully.
fn interrupt(mut guard: Guard, mut stdout: BufReader<std::process::ChildStdout>) -> String {
    let pid = guard.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_exit(&mut guard.0, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    rest
}

/// A receiver that is down: Ctrl-C does not wait for Shopify's retries (the first
/// is due in 56 s, the last in 4 hours) but lists what is still pending.
#[tokio::test]
async fn ctrl_c_lists_the_deliveries_still_pending_and_exits_at_once() {
    let receiver = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&receiver)
        .await;
    let dir = temp_dir("pending");
    let yaml = write(
        &dir,
        "orders.yaml",
        "- id: 1001\n  lines:\n    - {id: 11, sku: CHAIR, quantity: 5}\n",
    );
    let hooks = format!("{}/hooks", receiver.uri());
    let yaml = yaml.to_str().unwrap();
    let (guard, stdout, base) = serve(&[
        "--orders",
        yaml,
        "--webhook-url",
        &hooks,
        "--webhook-concurrency",
        "1",
    ]);
    let closed = reqwest::Client::new()
        .post(format!("{base}/admin/api/2025-01/orders/1001/close.json"))
        .header("X-Shopify-Access-Token", "shpat_mock_access_token")
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status().as_u16(), 200);
    let started = std::time::Instant::now();
    let rest = interrupt(guard, stdout);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the stop waited {:?}",
        started.elapsed()
    );
    assert!(
        rest.contains("webhook deliveries pending: 1 (not delivered, not retried any more)"),
        "{rest}"
    );
    let line = rest
        .lines()
        .find(|l| l.trim_start().starts_with("pending: "))
        .unwrap_or_else(|| panic!("no pending line in {rest}"));
    assert!(
        line.contains(&format!(
            "orders/updated 00000000-0000-4000-8000-000000000001 to {hooks}: 1 attempt(s), next retry at 20"
        )),
        "{line}"
    );
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
}

#[test]
fn the_webhook_flags_are_checked() {
    let out = bin()
        .args(["serve", "--webhook-schedule", "hourly"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--webhook-schedule") && err.contains("shopify") && err.contains("fast"),
        "{err}"
    );
    let out = bin()
        .args(["serve", "--webhook-concurrency", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--webhook-concurrency"), "{err}");
    let help = bin().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--webhook-schedule", "--webhook-concurrency"] {
        assert!(help.contains(flag), "{help}");
    }
}

/// The fast schedule: a receiver that is down gets its 8 retries within seconds,
/// so by Ctrl-C the delivery has given up and nothing is pending.
#[tokio::test]
async fn the_fast_schedule_gives_up_within_seconds() {
    let receiver = MockServer::start().await;
    let nine = Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(9)
        .named("nine attempts")
        .mount_as_scoped(&receiver)
        .await;
    let dir = temp_dir("fast");
    let yaml = write(
        &dir,
        "orders.yaml",
        "- id: 1001\n  lines:\n    - {id: 11, sku: CHAIR, quantity: 5}\n",
    );
    let hooks = format!("{}/hooks", receiver.uri());
    let (guard, stdout, base) = serve(&[
        "--orders",
        yaml.to_str().unwrap(),
        "--webhook-url",
        &hooks,
        "--webhook-schedule",
        "fast",
    ]);
    let http = reqwest::Client::new();
    http.post(format!("{base}/admin/api/2025-01/orders/1001/close.json"))
        .header("X-Shopify-Access-Token", "shpat_mock_access_token")
        .send()
        .await
        .unwrap();
    // The ninth attempt is the signal (retries take 10 ms + 20 ms + … = 2.55 s).
    nine.wait_until_satisfied().await;
    let rest = interrupt(guard, stdout);
    assert!(rest.contains("webhook deliveries pending: 0"), "{rest}");
}

#[test]
fn the_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = bin().args(["serve", "--port", &port]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on 127.0.0.1:"), "{err}");
}

/// The resident memory of process `pid` in kB, from `/proc` (Linux); `None`
/// elsewhere.
fn resident_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A mock left running keeps nothing per request. wiremock 0.6.5 kept a copy of
/// every request a mounted mock matched even with request recording off (about
/// 5 KB each: 100,000 requests grew `serve` by 530 MB); the patched copy in
/// `vendor/wiremock` keeps them only while recording, which the mock turns off.
/// Before the fix these 5,000 requests grew the process by about 27 MB.
#[tokio::test]
async fn serve_keeps_no_memory_per_request() {
    let (guard, _stdout, base) = serve(&["--port", "0"]);
    let pid = guard.0.id();
    if resident_kb(pid).is_none() {
        eprintln!("SKIPPED: no /proc/{pid}/status to read the resident memory from");
        return;
    }
    let client = reqwest::Client::new();
    let url = format!("{base}/admin/api/2025-01/orders/1.json");
    let send = |n: usize| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            for _ in 0..n {
                let resp = client
                    .get(&url)
                    .header("X-Shopify-Access-Token", "shpat_mock_access_token")
                    .header("X-Padding", "x".repeat(200))
                    .send()
                    .await
                    .unwrap();
                // 404 (no such order) or 429 (over the bucket): either went
                // through the front door's mock.
                assert!(matches!(resp.status().as_u16(), 404 | 429));
                resp.bytes().await.unwrap();
            }
        }
    };
    send(1_000).await;
    let before = resident_kb(pid).unwrap();
    send(5_000).await;
    let after = resident_kb(pid).unwrap();
    let grown = after.saturating_sub(before);
    eprintln!("serve: {before} kB after 1,000 requests, {after} kB after 5,000 more");
    assert!(
        grown < 8 * 1024,
        "serve grew by {grown} kB over 5,000 requests ({before} kB → {after} kB)"
    );
}
