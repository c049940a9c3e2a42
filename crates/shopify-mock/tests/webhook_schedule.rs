//! Shopify's webhook retry schedule on the mock's clock (8 retries over 4 hours),
//! redelivery, concurrent attempts per receiver, the graceful stop, and the fast
//! schedule. The mock runs on a `ManualClock`: tests move the clock
//! (`advance_clock`, or the `ManualClock` itself) and wait on the mock's own
//! signals (`wait_for_delivery_log`, `settle_webhooks`), never on a sleep.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use common::{Harness, harness_with, order, start_time};
use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use shopify_mock::{
    AttemptOutcome, DeliveryAttempt, DeliveryStatus, WebhookConfig, WebhookSchedule,
    WebhookSubscription,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "app-secret";

/// A mock on Shopify's schedule (the default webhook config but for
/// `max_in_flight`), the clock at [`start_time`], orders 1001 and 1002.
async fn shopify(max_in_flight: usize) -> Harness {
    let h = harness_with(|c| {
        c.webhooks = WebhookConfig {
            max_in_flight,
            ..WebhookConfig::default()
        };
    })
    .await;
    h.mock
        .seed_orders(&[
            order(1001, &[(11, "CHAIR", 5, 0)]),
            order(1002, &[(21, "LAMP", 2, 0)]),
        ])
        .unwrap();
    h
}

/// `start_time() + d`.
fn t0_plus(d: Duration) -> Timestamp {
    start_time()
        .checked_add(jiff::SignedDuration::try_from(d).unwrap())
        .unwrap()
}

/// When retry `k` is due, for a delivery first attempted at the start.
fn due(k: u32) -> Timestamp {
    t0_plus(WebhookSchedule::shopify_due(k))
}

/// Moves the mock's clock to `t` (forward).
fn advance_to(h: &Harness, t: Timestamp) {
    let d = Duration::try_from(t.duration_since(h.mock.now())).unwrap();
    h.mock.advance_clock(d);
}

/// A receiver that answers 503 while `down`, else 200, and records what it gets.
struct Switch(Arc<AtomicBool>);

impl Respond for Switch {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(if self.0.load(Ordering::SeqCst) {
            503
        } else {
            200
        })
    }
}

async fn switched_receiver(h: &Harness) -> (MockServer, Arc<AtomicBool>) {
    let down = Arc::new(AtomicBool::new(true));
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(Switch(down.clone()))
        .mount(&server)
        .await;
    h.mock.subscribe(WebhookSubscription::all_topics(
        format!("{}/hooks", server.uri()),
        SECRET,
    ));
    (server, down)
}

fn header<'r>(r: &'r Request, name: &str) -> &'r str {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} missing"))
        .to_str()
        .unwrap()
}

/// The signature computed here, independently of the mock's `sign`.
fn hmac(body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Three webhooks at the start: `orders/create`, `orders/partially_fulfilled`,
/// `orders/updated`.
fn three_changes(h: &Harness) {
    h.mock
        .create_order(&order(1003, &[(31, "X", 1, 0)]))
        .unwrap();
    h.mock.fulfill(1001, 11, 2).unwrap();
}

/// The log lines from `from` on, sorted by webhook id (attempts to one receiver
/// run concurrently, so they finish in any order).
fn lines_from(h: &Harness, from: usize) -> Vec<DeliveryAttempt> {
    let mut lines = h.mock.delivery_log().split_off(from);
    lines.sort_by(|a, b| a.webhook_id.cmp(&b.webhook_id));
    lines
}

#[test]
fn shopifys_schedule_doubles_from_a_255th_of_four_hours() {
    assert_eq!(
        WebhookSchedule::shopify_due(1),
        Duration::from_nanos(56_470_588_235)
    );
    assert_eq!(
        WebhookSchedule::shopify_due(8),
        Duration::from_secs(4 * 3600),
        "the 8th retry is due 4 hours after the first attempt"
    );
    let waits: Vec<u64> = (1..=8)
        .map(|k| WebhookSchedule::shopify_wait(k).as_millis() as u64)
        .collect();
    assert_eq!(
        waits,
        [
            56_470, 112_941, 225_882, 451_764, 903_529, 1_807_058, 3_614_117, 7_228_235
        ]
    );
    let total: Duration = (1..=8).map(WebhookSchedule::shopify_wait).sum();
    assert_eq!(total, Duration::from_secs(4 * 3600));
    assert_eq!(WebhookConfig::default().schedule, WebhookSchedule::Shopify);
    assert_eq!(WebhookConfig::default().max_in_flight, 10);
    assert_eq!(WebhookConfig::default().retries, 8);
    assert_eq!(WebhookConfig::default().timeout, Duration::from_secs(5));
}

/// The "done when": a receiver down for 10 minutes of mock time gets every
/// delivery afterwards, exactly as signed, with the ids of the first attempt.
#[tokio::test]
async fn a_receiver_down_for_ten_minutes_gets_every_delivery_exactly_as_signed() {
    let h = shopify(10).await;
    let (server, down) = switched_receiver(&h).await;
    three_changes(&h);
    assert_eq!(h.mock.pending_webhooks(), 3);

    // The first attempts, at the start, all refused.
    h.mock.wait_for_delivery_log(3).await;
    for a in lines_from(&h, 0) {
        assert_eq!(a.attempt, 1);
        assert_eq!(a.outcome, AttemptOutcome::Rejected { status: 503 });
        assert_eq!(a.at, start_time());
        assert_eq!(a.next_retry, Some(due(1)));
    }
    assert!(
        h.mock
            .deliveries()
            .iter()
            .all(|d| d.status == DeliveryStatus::Pending && d.next_attempt == Some(due(1)))
    );

    // Retries 1 to 3 (at 56.5 s, 2 min 49 s, 6 min 35 s), refused.
    for k in 1..=3 {
        advance_to(&h, due(k));
        h.mock.wait_for_delivery_log(3 + 3 * k as usize).await;
        for a in lines_from(&h, 3 * k as usize) {
            assert_eq!(a.attempt, k + 1);
            assert_eq!(a.outcome, AttemptOutcome::Rejected { status: 503 });
            assert_eq!(a.at, due(k), "retry {k} goes out when due");
            assert_eq!(a.next_retry, Some(due(k + 1)));
        }
    }

    // Back after 10 minutes; the 4th retry is due at 14 min 7 s.
    advance_to(&h, t0_plus(Duration::from_secs(600)));
    down.store(false, Ordering::SeqCst);
    assert_eq!(h.mock.pending_webhooks(), 3);
    assert!(due(4) > h.mock.now());
    advance_to(&h, due(4));
    h.mock.settle_webhooks().await;
    for a in lines_from(&h, 12) {
        assert_eq!(
            (a.attempt, a.outcome, a.at, a.next_retry),
            (5, AttemptOutcome::Delivered { status: 200 }, due(4), None)
        );
    }
    for d in h.mock.deliveries() {
        assert_eq!(
            (d.status, d.attempts, d.next_attempt),
            (DeliveryStatus::Delivered, 5, None)
        );
    }

    // Every attempt was the same request: the same body, signed with the app's
    // secret, with the first attempt's ids and trigger time.
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 15);
    let firsts = &reqs[..3];
    for r in &reqs {
        assert_eq!(header(r, "x-shopify-hmac-sha256"), hmac(&r.body));
        let id = header(r, "x-shopify-webhook-id");
        let first = firsts
            .iter()
            .find(|f| header(f, "x-shopify-webhook-id") == id)
            .expect("a retry of a first attempt");
        assert_eq!(r.body, first.body);
        for name in [
            "x-shopify-event-id",
            "x-shopify-triggered-at",
            "x-shopify-topic",
        ] {
            assert_eq!(header(r, name), header(first, name), "{name}");
        }
        assert_eq!(header(r, "x-shopify-triggered-at"), "2026-01-01T09:00:00Z");
    }
    let mut delivered: Vec<&str> = reqs[12..]
        .iter()
        .map(|r| header(r, "x-shopify-topic"))
        .collect();
    delivered.sort_unstable();
    assert_eq!(
        delivered,
        [
            "orders/create",
            "orders/partially_fulfilled",
            "orders/updated"
        ]
    );
}

/// Nine attempts, the last exactly 4 hours after the first, then it gives up. The
/// clock is moved both ways: through the mock and through the `ManualClock`
/// itself, which wakes the retries as well.
#[tokio::test]
async fn a_receiver_that_never_comes_back_is_given_up_four_hours_after_the_first_attempt() {
    let h = shopify(10).await;
    let (server, _down) = switched_receiver(&h).await;
    h.mock.fulfill(1002, 21, 2).unwrap(); // orders/fulfilled, orders/updated
    h.mock.wait_for_delivery_log(2).await;
    for k in 1..=8u32 {
        if k % 2 == 1 {
            advance_to(&h, due(k));
        } else {
            // The mock's time is the ManualClock's plus the offset advance_clock
            // added: move the ManualClock by what is left.
            h.clock
                .advance(Duration::try_from(due(k).duration_since(h.mock.now())).unwrap());
        }
        h.mock.wait_for_delivery_log(2 * (k as usize + 1)).await;
    }
    h.mock.settle_webhooks().await;
    let log = h.mock.delivery_log();
    assert_eq!(log.len(), 18);
    let mut ats: Vec<(u32, Timestamp, Option<Timestamp>)> = log
        .iter()
        .filter(|a| a.topic.as_str() == "orders/fulfilled")
        .map(|a| (a.attempt, a.at, a.next_retry))
        .collect();
    ats.sort();
    let mut expected = vec![(1, start_time(), Some(due(1)))];
    expected.extend((1..=8).map(|k| (k + 1, due(k), (k < 8).then(|| due(k + 1)))));
    assert_eq!(ats, expected);
    assert_eq!(ats[8].1, t0_plus(Duration::from_secs(4 * 3600)));
    for d in h.mock.deliveries() {
        assert_eq!(
            (d.status, d.attempts, d.next_attempt),
            (DeliveryStatus::GaveUp, 9, None)
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 18);
}

/// Moving the clock past several due instants at once sends one retry, and the
/// next waits its full backoff from that attempt.
#[tokio::test]
async fn a_clock_moved_past_several_retries_sends_one_and_the_next_waits_its_backoff() {
    let h = shopify(10).await;
    let (_server, _down) = switched_receiver(&h).await;
    h.mock.fulfill(1002, 21, 1).unwrap();
    h.mock.wait_for_delivery_log(2).await;
    let ten_minutes = t0_plus(Duration::from_secs(600));
    advance_to(&h, ten_minutes);
    h.mock.wait_for_delivery_log(4).await;
    let after = lines_from(&h, 2);
    let next = ten_minutes
        .checked_add(jiff::SignedDuration::try_from(WebhookSchedule::shopify_wait(2)).unwrap())
        .unwrap();
    for a in &after {
        assert_eq!(
            (a.attempt, a.at, a.next_retry),
            (2, ten_minutes, Some(next))
        );
    }
    assert!(
        h.mock
            .deliveries()
            .iter()
            .all(|d| d.next_attempt == Some(next))
    );
}

#[tokio::test]
async fn the_mocks_clock_is_set_and_advanced_over_any_clock() {
    let h = shopify(10).await;
    assert_eq!(h.mock.now(), start_time());
    let noon: Timestamp = "2026-01-01T12:00:00Z".parse().unwrap();
    h.mock.set_clock(noon);
    assert_eq!(h.mock.now(), noon);
    h.clock.advance(Duration::from_secs(60));
    assert_eq!(h.mock.now().to_string(), "2026-01-01T12:01:00Z");
    h.mock.advance_clock(Duration::from_secs(30));
    assert_eq!(h.mock.now().to_string(), "2026-01-01T12:01:30Z");
    let created = h
        .mock
        .create_order(&order(1003, &[(31, "X", 1, 0)]))
        .unwrap();
    assert_eq!(created.created_at.to_string(), "2026-01-01T12:01:30Z");
    // Backwards too.
    h.mock.set_clock(start_time());
    assert_eq!(h.mock.now(), start_time());

    // Over the wall clock: set, then following real time.
    let wall = shopify_mock::ShopifyMock::start(shopify_mock::MockConfig::default())
        .await
        .unwrap();
    let then: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
    wall.set_clock(then);
    let drift = wall.now().duration_since(then);
    assert!(
        drift >= jiff::SignedDuration::ZERO && drift < jiff::SignedDuration::from_secs(60),
        "{drift:?}"
    );
    wall.advance_clock(Duration::from_secs(3600));
    assert!(
        wall.now()
            >= then
                .checked_add(jiff::SignedDuration::from_hours(1))
                .unwrap()
    );
}

#[tokio::test]
async fn redelivery_sends_the_same_webhook_again_whatever_its_status() {
    let h = shopify(10).await;
    let (server, down) = switched_receiver(&h).await;
    h.mock.fulfill(1002, 21, 2).unwrap(); // two webhooks
    h.mock.wait_for_delivery_log(2).await;

    // Pending, waiting for its first retry: redelivered now, it is delivered and
    // its retries end (settling needs no clock move).
    down.store(false, Ordering::SeqCst);
    let first = h.mock.deliveries()[0].clone();
    assert_eq!(first.next_attempt, Some(due(1)));
    h.mock.redeliver(&first.webhook_id).unwrap();
    h.mock.wait_for_delivery_log(3).await;
    let line = &h.mock.delivery_log()[2];
    assert_eq!(
        (
            line.webhook_id.as_str(),
            line.attempt,
            &line.outcome,
            line.at,
            line.next_retry
        ),
        (
            first.webhook_id.as_str(),
            2,
            &AttemptOutcome::Delivered { status: 200 },
            start_time(),
            None
        )
    );
    let d = &h.mock.deliveries()[0];
    assert_eq!(
        (d.status, d.attempts, d.next_attempt),
        (DeliveryStatus::Delivered, 2, None)
    );
    // The other one still waits for its retry.
    assert_eq!(h.mock.pending_webhooks(), 1);
    advance_to(&h, due(1));
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.delivery_log().len(), 4);

    // Delivered: sent once more (pending meanwhile: see the next test).
    h.mock.redeliver(&first.webhook_id).unwrap();
    h.mock.settle_webhooks().await;
    let d = &h.mock.deliveries()[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 3));

    // Every send of it was the same request.
    let reqs = server.received_requests().await.unwrap();
    let sent: Vec<&Request> = reqs
        .iter()
        .filter(|r| header(r, "x-shopify-webhook-id") == first.webhook_id)
        .collect();
    assert_eq!(sent.len(), 3);
    for r in &sent {
        assert_eq!(r.body, sent[0].body);
        assert_eq!(header(r, "x-shopify-hmac-sha256"), hmac(&r.body));
        for name in ["x-shopify-event-id", "x-shopify-triggered-at"] {
            assert_eq!(header(r, name), header(sent[0], name));
        }
    }

    let err = h.mock.redeliver("no-such-id").unwrap_err();
    assert_eq!(err, shopify_mock::UnknownWebhook("no-such-id".to_owned()));
    assert!(err.to_string().contains("\"no-such-id\""), "{err}");
}

#[tokio::test]
async fn a_redelivery_is_pending_until_its_attempt_ends() {
    let h = shopify(10).await;
    let mut r = holding_receiver().await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(r.url.clone(), SECRET));
    h.mock
        .create_order(&order(1003, &[(31, "X", 1, 0)]))
        .unwrap();
    assert_eq!(r.arrivals.recv().await.unwrap(), webhook_id(1));
    r.release.add_permits(1);
    h.mock.settle_webhooks().await;
    h.mock.redeliver(&webhook_id(1)).unwrap();
    // Held by the receiver: the delivery is pending, its second attempt started.
    assert_eq!(r.arrivals.recv().await.unwrap(), webhook_id(1));
    assert_eq!(h.mock.pending_webhooks(), 1);
    let d = &h.mock.deliveries()[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 2));
    r.release.add_permits(1);
    h.mock.settle_webhooks().await;
    let d = &h.mock.deliveries()[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 2));
}

#[tokio::test]
async fn a_redelivery_of_a_given_up_webhook_that_fails_leaves_it_given_up() {
    let h = harness_with(|c| c.webhooks.retries = 0).await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    let (_server, down) = switched_receiver(&h).await;
    h.mock.fulfill(1, 1, 1).unwrap();
    h.mock.settle_webhooks().await;
    let id = h.mock.deliveries()[0].webhook_id.clone();
    assert_eq!(h.mock.deliveries()[0].status, DeliveryStatus::GaveUp);
    h.mock.redeliver(&id).unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(
        (
            h.mock.deliveries()[0].status,
            h.mock.deliveries()[0].attempts
        ),
        (DeliveryStatus::GaveUp, 2)
    );
    down.store(false, Ordering::SeqCst);
    h.mock.redeliver(&id).unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(
        (
            h.mock.deliveries()[0].status,
            h.mock.deliveries()[0].attempts
        ),
        (DeliveryStatus::Delivered, 3)
    );
}

#[tokio::test]
async fn a_graceful_stop_lists_what_is_still_pending_without_waiting_for_retries() {
    let h = shopify(10).await;
    let (_server, _down) = switched_receiver(&h).await;
    h.mock.fulfill(1002, 21, 2).unwrap();
    let pending = h.mock.stop_webhooks(Duration::from_secs(5)).await;
    assert_eq!(pending.len(), 2);
    for d in &pending {
        assert_eq!(
            (d.status, d.attempts, d.next_attempt),
            (DeliveryStatus::Pending, 1, Some(due(1)))
        );
    }
    // Stopped: a retry that comes due is not sent.
    advance_to(&h, due(1));
    assert_eq!(h.mock.delivery_log().len(), 2);
    assert_eq!(h.mock.pending_webhooks(), 2);
}

// ----- concurrency ----------------------------------------------------------------

/// A receiver that holds every request until the test releases one: it reports each
/// arrival (its webhook id) and the most requests it ever held at once.
struct Holding {
    url: String,
    arrivals: mpsc::UnboundedReceiver<String>,
    release: Arc<Semaphore>,
    held: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

async fn holding_receiver() -> Holding {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (tx, arrivals) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    let held = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (r, h, p) = (release.clone(), held.clone(), peak.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (tx, release, held, peak) = (tx.clone(), r.clone(), h.clone(), p.clone());
            tokio::spawn(async move {
                let Some(webhook_id) = read_request(&mut sock).await else {
                    return;
                };
                let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let _ = tx.send(webhook_id);
                release.acquire().await.unwrap().forget();
                // Let go before answering: the mock sends its next request only
                // after reading this answer.
                held.fetch_sub(1, Ordering::SeqCst);
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    Holding {
        url,
        arrivals,
        release,
        held,
        peak,
    }
}

/// Reads one HTTP request (head and `content-length` body); its webhook id.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let value = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let length: usize = value("content-length:")?.parse().ok()?;
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    value("x-shopify-webhook-id:")
}

/// Five webhooks to one receiver: `orders/create` ×3, then `orders/fulfilled`,
/// `orders/updated`.
fn five_changes(h: &Harness) {
    for id in 1003..=1005 {
        h.mock
            .create_order(&order(id, &[(id * 10, "X", 1, 0)]))
            .unwrap();
    }
    h.mock.fulfill(1002, 21, 2).unwrap();
}

fn webhook_id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

#[tokio::test]
async fn a_receiver_gets_up_to_max_in_flight_requests_at_once() {
    let h = shopify(3).await;
    let mut r = holding_receiver().await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(r.url.clone(), SECRET));
    five_changes(&h);
    let mut arrived = Vec::new();
    for _ in 0..3 {
        arrived.push(r.arrivals.recv().await.unwrap());
    }
    assert_eq!(r.held.load(Ordering::SeqCst), 3);
    arrived.sort();
    assert_eq!(arrived, [webhook_id(1), webhook_id(2), webhook_id(3)]);
    // Each answer frees a slot for the next webhook, in order.
    r.release.add_permits(1);
    assert_eq!(r.arrivals.recv().await.unwrap(), webhook_id(4));
    r.release.add_permits(1);
    assert_eq!(r.arrivals.recv().await.unwrap(), webhook_id(5));
    r.release.add_permits(3);
    h.mock.settle_webhooks().await;
    assert_eq!(r.peak.load(Ordering::SeqCst), 3);
    assert!(
        h.mock
            .deliveries()
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
}

#[tokio::test]
async fn with_one_in_flight_a_receiver_gets_one_request_at_a_time_in_order() {
    let h = shopify(1).await;
    let mut r = holding_receiver().await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(r.url.clone(), SECRET));
    five_changes(&h);
    for n in 1..=5 {
        assert_eq!(r.arrivals.recv().await.unwrap(), webhook_id(n));
        assert_eq!(r.held.load(Ordering::SeqCst), 1);
        r.release.add_permits(1);
    }
    h.mock.settle_webhooks().await;
    assert_eq!(r.peak.load(Ordering::SeqCst), 1);
    let order: Vec<String> = h
        .mock
        .delivery_log()
        .into_iter()
        .map(|a| a.webhook_id)
        .collect();
    assert_eq!(order, (1..=5).map(webhook_id).collect::<Vec<_>>());
}

// ----- the fast schedule ----------------------------------------------------------

#[tokio::test]
async fn the_fast_schedule_retries_in_real_time_without_moving_the_clock() {
    let h = harness_with(|c| {
        c.webhooks = WebhookConfig {
            schedule: WebhookSchedule::Fast,
            base_backoff: Duration::from_millis(5),
            ..WebhookConfig::default()
        };
    })
    .await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    let (_server, down) = switched_receiver(&h).await;
    h.post("orders/1/close.json", serde_json::json!({})).await; // orders/updated
    // Two failures at least, then the receiver is back.
    h.mock.wait_for_delivery_log(2).await;
    down.store(false, Ordering::SeqCst);
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.now(), start_time(), "the clock never moved");
    let log: Vec<(u32, Option<Timestamp>)> = h
        .mock
        .delivery_log()
        .into_iter()
        .map(|a| (a.attempt, a.next_retry))
        .collect();
    // On a clock standing still, each retry is due `5 ms × 2^(k−1)` after it.
    let ms = |n: u64| Some(t0_plus(Duration::from_millis(n)));
    let n = log.len();
    assert!(n >= 3, "{log:?}");
    let expected: Vec<(u32, Option<Timestamp>)> = (1..=n as u32)
        .map(|k| {
            (
                k,
                if k as usize == n {
                    None
                } else {
                    ms(5 << (k - 1))
                },
            )
        })
        .collect();
    assert_eq!(log, expected);
    assert!(
        h.mock
            .deliveries()
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
}
