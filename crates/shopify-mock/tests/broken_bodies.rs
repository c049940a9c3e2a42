//! A request body the server cannot read (shorter than its `Content-Length`, a
//! malformed chunk, a chunked body cut off) is answered 400 and the connection
//! closed, with no panic: wiremock 0.6.5 panicked in `Request::from_hyper`
//! ("Failed to read request body"), fixed by the patched copy in `vendor/wiremock`
//! (see the crate's README). Sent over raw sockets, since an HTTP client will not
//! send such bodies; the server goes on answering afterwards, and the broken
//! requests changed nothing and never reached the front door.
//!
//! In-process, a panic hook records every panic not raised by this file's own
//! assertions (it still calls the default hook: it records, it hides nothing); the
//! binary is also run as a child process and its stderr checked for "panicked".

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, Once};
use std::time::Duration;

use common::{harness, order};
use serde_json::Value;

/// The access token of a mock started with the default config (and the binary's).
const TOKEN: &str = "shpat_mock_access_token";

/// A safety net only: every exchange ends at EOF, long before this.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Panics seen in this process other than this file's own assertions.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs (once) a hook that records panics raised outside this file (the
/// server's) and then reports them as usual.
fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            if !location.contains("broken_bodies.rs") {
                PANICS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("{info}"));
            }
            previous(info);
        }));
    });
}

fn assert_no_panics() {
    let panics = PANICS.lock().unwrap_or_else(|e| e.into_inner());
    assert!(panics.is_empty(), "the server panicked: {panics:#?}");
}

/// What came back on one connection: everything read until the server closed it.
struct Exchange {
    raw: Vec<u8>,
}

impl Exchange {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The status of the (first) response.
    fn status(&self) -> u16 {
        let text = self.text();
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok());
        status.unwrap_or_else(|| panic!("no HTTP/1.1 status line in {text:?}"))
    }

    fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    fn body(&self) -> String {
        let text = self.text();
        text.split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends `request` on a new connection; with `hang_up`, then shuts the write side
/// (the client is done sending, whatever its headers promised). Reads until the
/// server closes the connection: a reset counts as a close.
fn exchange(addr: SocketAddr, request: &[u8], hang_up: bool) -> Exchange {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.write_all(request).expect("request sent");
    if hang_up {
        stream.shutdown(Shutdown::Write).expect("write side shut");
    }
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!(
            "the server neither answered nor closed the connection ({e}); read so far: {:?}",
            String::from_utf8_lossy(&raw)
        ),
    }
    Exchange { raw }
}

/// A request head for the Admin API with the token; `headers` are extra lines.
fn head(method: &str, path: &str, headers: &[&str]) -> String {
    let mut h = format!(
        "{method} /admin/api/2025-01/{path} HTTP/1.1\r\nHost: shop.test\r\nX-Shopify-Access-Token: {TOKEN}\r\nContent-Type: application/json\r\n"
    );
    for line in headers {
        h.push_str(line);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h
}

/// The broken requests: (what, request bytes, whether the client hangs up).
fn broken_requests() -> Vec<(&'static str, Vec<u8>, bool)> {
    let graphql_mutation = r#"{"query":"mutation { orderClose(input: {id: \"gid://shopify/Order/1001\"}) { order { id } } }"}"#;
    let refund = r#"{"refund":{"refund_line_items":[{"line_item_id":11,"quantity":1,"restock_type":"no_restock"}]}}"#;
    vec![
        (
            "GraphQL: Content-Length 100, 2 bytes sent, then the client hangs up",
            format!(
                "{}{{}}",
                head("POST", "graphql.json", &["Content-Length: 100"])
            )
            .into_bytes(),
            true,
        ),
        (
            "GraphQL: chunked, a malformed chunk size (the client stays)",
            format!(
                "{}zz\r\n{{}}\r\n0\r\n\r\n",
                head("POST", "graphql.json", &["Transfer-Encoding: chunked"])
            )
            .into_bytes(),
            false,
        ),
        (
            "GraphQL: chunked, cut off mid-chunk, then the client hangs up",
            format!(
                "{}{:x}\r\n{}",
                head("POST", "graphql.json", &["Transfer-Encoding: chunked"]),
                graphql_mutation.len(),
                &graphql_mutation[..30]
            )
            .into_bytes(),
            true,
        ),
        (
            "REST: a refund, half its Content-Length sent, then the client hangs up",
            format!(
                "{}{}",
                head(
                    "POST",
                    "orders/1001/refunds.json",
                    &[&format!("Content-Length: {}", refund.len())]
                ),
                &refund[..refund.len() / 2]
            )
            .into_bytes(),
            true,
        ),
        (
            "REST: a close with a chunked body whose size line is not hex (the client stays)",
            format!(
                "{}5g\r\n{{}}\r\n0\r\n\r\n",
                head(
                    "POST",
                    "orders/1001/close.json",
                    &["Transfer-Encoding: chunked"]
                )
            )
            .into_bytes(),
            false,
        ),
    ]
}

fn get(addr: SocketAddr, path: &str) -> Exchange {
    exchange(
        addr,
        head("GET", path, &["Connection: close"]).as_bytes(),
        false,
    )
}

/// A broken body is a 400, and the server closes the connection (the exchange
/// ends at EOF, which `exchange` waits for).
fn assert_refused(what: &str, answer: &Exchange) {
    assert_eq!(answer.status(), 400, "{what}: {}", answer.text());
    assert_eq!(
        answer.header("connection").as_deref(),
        Some("close"),
        "{what}: {}",
        answer.text()
    );
    assert!(
        answer.body().starts_with("Failed to read request body"),
        "{what}: {}",
        answer.text()
    );
}

#[tokio::test]
async fn each_broken_body_is_a_400_and_no_panic() {
    record_panics();
    for (what, request, hang_up) in broken_requests() {
        let h = harness().await;
        let addr = h.mock.address();
        let answer = tokio::task::spawn_blocking(move || exchange(addr, &request, hang_up))
            .await
            .unwrap();
        assert_no_panics();
        assert_refused(what, &answer);
    }
}

#[tokio::test]
async fn the_server_goes_on_and_the_broken_requests_changed_nothing() {
    record_panics();
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1001, &[(11, "CHAIR", 5, 0)])])
        .unwrap();
    let addr = h.mock.address();
    let (answers, seeded, refunds, missing) = tokio::task::spawn_blocking(move || {
        let answers: Vec<_> = broken_requests()
            .into_iter()
            .map(|(what, request, hang_up)| (what, exchange(addr, &request, hang_up)))
            .collect();
        (
            answers,
            get(addr, "orders/1001.json"),
            get(addr, "orders/1001/refunds.json"),
            get(addr, "orders/999.json"),
        )
    })
    .await
    .unwrap();
    assert_no_panics();
    for (what, answer) in &answers {
        assert_refused(what, answer);
    }

    // The server answers as before; the broken requests never reached the front
    // door (the first answer after them carries the first request id).
    assert_eq!(seeded.status(), 200, "{}", seeded.text());
    assert_eq!(
        seeded.header("x-request-id").as_deref(),
        Some("00000000-0000-4000-9000-000000000001")
    );
    let seeded = seeded.json();
    assert_eq!(seeded["order"]["id"], 1001);
    assert_eq!(seeded["order"]["closed_at"], Value::Null, "{seeded}");
    assert_eq!(refunds.status(), 200, "{}", refunds.text());
    assert_eq!(refunds.json()["refunds"], serde_json::json!([]));
    assert_eq!(missing.status(), 404, "{}", missing.text());
    assert_eq!(missing.json()["errors"], "Not Found");
    assert_eq!(h.mock.order(1001).unwrap().closed_at, None);
}

/// Kills the child if the test fails before it stops it.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_logs_no_panic_for_broken_bodies() {
    let mut guard = Guard(
        Command::new(env!("CARGO_BIN_EXE_shopify-mock"))
            .args(["serve", "--port", "0", "--verbose"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // stderr is read to the end on a thread of its own, so a chatty child never
    // blocks on a full pipe; its end (EOF) is the child's exit.
    let mut stderr = guard.0.stderr.take().unwrap();
    let (tx, stderr_text) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let mut stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let mut base = None;
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
        if let Some(url) = line
            .trim()
            .strip_prefix("shopify-mock listening on http://")
        {
            base = Some(url.to_owned());
        }
        if line.starts_with("press Ctrl-C") {
            break;
        }
    }
    let addr: SocketAddr = base
        .unwrap_or_else(|| panic!("no address in {printed}"))
        .parse()
        .unwrap();

    let answers: Vec<_> = broken_requests()
        .into_iter()
        .map(|(what, request, hang_up)| (what, exchange(addr, &request, hang_up)))
        .collect();
    let missing = get(addr, "orders/999.json");

    // Ctrl-C: the server exits cleanly, and its stderr is complete. (stdout stays
    // open until then: the child still prints "shutting down".)
    let pid = guard.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let err = stderr_text
        .recv_timeout(Duration::from_secs(60))
        .expect("shopify-mock exits on Ctrl-C");
    let status = guard.0.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("shutting down"), "{rest}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(status.success(), "{status:?}\n{err}");
    for (what, answer) in &answers {
        assert_refused(what, answer);
    }
    assert_eq!(missing.status(), 404, "{}", missing.text());
    // Only the one good request reached the front door and its log.
    assert_eq!(
        err.trim(),
        "GET /admin/api/2025-01/orders/999.json -> 404",
        "{err}"
    );
}
