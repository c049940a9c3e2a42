//! Webhooks: topics and payloads for every change, headers, the HMAC signature,
//! retries with backoff, timeouts, and the delivery log. Tests wait on
//! `settle_webhooks`, never on a sleep. The harness (`common`) uses the fast
//! schedule ([`WebhookSchedule::Fast`], 1 ms doubling) and one attempt in flight
//! per receiver; Shopify's schedule on the mock's clock is in
//! `webhook_schedule.rs`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use common::{Harness, harness, harness_with, order};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use shopify_mock::{
    AttemptOutcome, DeliveryStatus, Topic, WebhookConfig, WebhookSchedule, WebhookSubscription,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "hush";

/// A receiver that answers `fail` with `status` (or waits `delay`) for the first
/// `n` requests, then 200.
struct Flaky {
    n: usize,
    status: u16,
    delay: Option<Duration>,
    seen: AtomicUsize,
}

impl Respond for Flaky {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.seen.fetch_add(1, Ordering::SeqCst);
        if i >= self.n {
            return ResponseTemplate::new(200);
        }
        match self.delay {
            Some(d) => ResponseTemplate::new(200).set_delay(d),
            None => ResponseTemplate::new(self.status),
        }
    }
}

async fn receiver(responder: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(responder)
        .mount(&server)
        .await;
    server
}

async fn ok_receiver() -> MockServer {
    receiver(ResponseTemplate::new(200)).await
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn header<'r>(r: &'r Request, name: &str) -> &'r str {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} missing"))
        .to_str()
        .unwrap()
}

fn topics(reqs: &[Request]) -> Vec<String> {
    reqs.iter()
        .map(|r| header(r, "x-shopify-topic").to_owned())
        .collect()
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

async fn subscribed(h: &Harness) -> MockServer {
    let server = ok_receiver().await;
    h.mock.subscribe(WebhookSubscription::all_topics(
        format!("{}/webhooks", server.uri()),
        SECRET,
    ));
    server
}

async fn seeded() -> Harness {
    let h = harness().await;
    h.mock
        .seed_orders(&[
            order(1001, &[(11, "CHAIR", 5, 0), (12, "TABLE", 1, 0)]),
            order(1002, &[(21, "LAMP", 2, 1)]),
        ])
        .unwrap();
    h
}

#[tokio::test]
async fn headers_and_signature_are_shopifys() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.tick(60);
    let closed = h.post("orders/1001/close.json", json!({})).await;
    h.mock.settle_webhooks().await;
    let reqs = received(&server).await;
    assert_eq!(topics(&reqs), ["orders/updated"]);
    let r = &reqs[0];
    assert_eq!(r.url.path(), "/webhooks");
    // The signature, computed here independently of the mock's own `sign`.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&r.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(header(r, "x-shopify-hmac-sha256"), expected);
    assert_eq!(shopify_mock::sign(SECRET, &r.body), expected);
    assert_eq!(
        header(r, "x-shopify-shop-domain"),
        "mock-shop.myshopify.com"
    );
    assert_eq!(header(r, "x-shopify-api-version"), "2025-01");
    assert_eq!(header(r, "x-shopify-triggered-at"), "2026-01-01T09:01:00Z");
    assert_eq!(header(r, "content-type"), "application/json");
    assert!(!header(r, "x-shopify-webhook-id").is_empty());
    assert!(!header(r, "x-shopify-event-id").is_empty());
    // The body is the order as REST shows it.
    assert_eq!(body(r), closed.body["order"]);
}

#[tokio::test]
async fn every_change_sends_shopifys_topics() {
    let h = seeded().await;
    let server = subscribed(&h).await;

    h.mock
        .create_order(&order(1003, &[(31, "X", 3, 0)]))
        .unwrap();
    h.post("orders/1003/close.json", json!({})).await;
    h.post("orders/1003/close.json", json!({})).await; // no change, no webhook
    h.post("orders/1003/open.json", json!({})).await;
    h.post("orders/1001/cancel.json", json!({"reason": "customer"}))
        .await;
    let refund = h
        .post(
            "orders/1003/refunds.json",
            json!({"refund": {"refund_line_items": [{"line_item_id": 31, "quantity": 1, "restock_type": "cancel"}]}}),
        )
        .await;
    h.mock.fulfill(1003, 31, 1).unwrap();
    h.delete("orders/1001.json").await;
    let edit = h
        .graphql(
            "mutation { orderEditBegin(id: \"gid://shopify/Order/1002\") { calculatedOrder { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    let calc = edit.body["data"]["orderEditBegin"]["calculatedOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let set = h
        .graphql(
            "mutation($id: ID!) { orderEditSetQuantity(id: $id, lineItemId: \"gid://shopify/CalculatedLineItem/21\", quantity: 4) { userErrors { message } } }",
            json!({"id": calc}),
        )
        .await;
    assert_eq!(
        set.body["data"]["orderEditSetQuantity"]["userErrors"],
        json!([])
    );
    let commit = h
        .graphql(
            "mutation($id: ID!) { orderEditCommit(id: $id, staffNote: \"more\") { userErrors { message } } }",
            json!({"id": calc}),
        )
        .await;
    assert_eq!(
        commit.body["data"]["orderEditCommit"]["userErrors"],
        json!([])
    );

    h.mock.settle_webhooks().await;
    let reqs = received(&server).await;
    assert_eq!(
        topics(&reqs),
        [
            "orders/create",
            "orders/updated",
            "orders/updated",
            "orders/cancelled",
            "orders/updated",
            "refunds/create",
            "orders/updated",
            "orders/partially_fulfilled",
            "orders/updated",
            "orders/delete",
            "orders/edited",
            "orders/updated",
        ],
        "a healthy receiver gets first attempts in order"
    );
    assert_eq!(body(&reqs[0])["id"], 1003);
    assert!(body(&reqs[1])["closed_at"].is_string());
    assert_eq!(body(&reqs[2])["closed_at"], Value::Null);
    assert_eq!(body(&reqs[3])["cancel_reason"], "customer");
    assert_eq!(
        body(&reqs[5]),
        refund.body["refund"],
        "refunds/create carries the refund bare"
    );
    assert_eq!(body(&reqs[9]), json!({"id": 1001}));
    let edited = body(&reqs[10]);
    assert_eq!(edited["order_edit"]["order_id"], 1002);
    assert_eq!(edited["order_edit"]["staff_note"], "more");
    assert_eq!(
        edited["order_edit"]["line_items"]["additions"],
        json!([{"id": 21, "delta": 2}])
    );
    assert_eq!(edited["order_edit"]["line_items"]["removals"], json!([]));
    assert_eq!(body(&reqs[11])["line_items"][0]["current_quantity"], 4);
    // Each delivery is in the log, once, delivered.
    let log = h.mock.delivery_log();
    assert_eq!(log.len(), 12);
    assert!(
        log.iter()
            .all(|a| a.attempt == 1 && a.outcome == AttemptOutcome::Delivered { status: 200 })
    );
    assert!(
        h.mock
            .deliveries()
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
}

/// A mock with order 1001 (CHAIR × 2) whose payment is pending, a receiver
/// subscribed to it, and the clock a minute on.
async fn pending_order_subscribed() -> (Harness, MockServer) {
    let h = harness().await;
    let mut pending = order(1001, &[(11, "CHAIR", 2, 0)]);
    pending.financial_status = shopify_mock::shopify_model::FinancialStatus::Pending;
    h.mock.seed_orders(&[pending]).unwrap();
    let server = subscribed(&h).await;
    h.tick(60);
    (h, server)
}

#[tokio::test]
async fn a_captured_payment_sends_orders_paid_then_orders_updated_signed() {
    let (h, server) = pending_order_subscribed().await;
    let paid = h
        .graphql(
            "mutation { orderMarkAsPaid(input: {id: \"gid://shopify/Order/1001\"}) { order { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        paid.body["data"]["orderMarkAsPaid"]["userErrors"],
        json!([])
    );
    // Paying again is refused and sends nothing.
    let again = h
        .graphql(
            "mutation { orderMarkAsPaid(input: {id: \"gid://shopify/Order/1001\"}) { userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        again.body["data"]["orderMarkAsPaid"]["userErrors"][0]["message"],
        "order #1001 has no pending payment to capture: its financial status is paid"
    );
    h.mock.settle_webhooks().await;
    let reqs = received(&server).await;
    assert_eq!(topics(&reqs), ["orders/paid", "orders/updated"]);
    let rest = h.get("orders/1001.json").await.body["order"].clone();
    for r in &reqs {
        assert_eq!(
            header(r, "x-shopify-hmac-sha256"),
            shopify_mock::sign(SECRET, &r.body)
        );
        assert_eq!(header(r, "x-shopify-triggered-at"), "2026-01-01T09:01:00Z");
        // The body is the order as REST shows it, paid.
        assert_eq!(body(r), rest);
    }
    assert_eq!(rest["financial_status"], "paid");
    assert_ne!(
        header(&reqs[0], "x-shopify-event-id"),
        header(&reqs[1], "x-shopify-event-id")
    );
    // The topic reads back from its name; an unknown name lists every topic.
    assert_eq!("orders/paid".parse::<Topic>(), Ok(Topic::OrdersPaid));
    assert!(Topic::ALL.contains(&Topic::OrdersPaid));
    let err = "orders/unpaid".parse::<Topic>().unwrap_err().to_string();
    for t in Topic::ALL {
        assert!(err.contains(t.as_str()), "{err} lists {t}");
    }
}

#[tokio::test]
async fn subscriptions_get_only_their_topics_and_share_event_ids() {
    let h = seeded().await;
    let all = subscribed(&h).await;
    let refunds_only = ok_receiver().await;
    let id = h.mock.subscribe(WebhookSubscription {
        address: refunds_only.uri(),
        topics: vec![Topic::RefundsCreate],
        secret: "other".into(),
    });
    h.post(
        "orders/1001/refunds.json",
        json!({"refund": {"note": "money only"}}),
    )
    .await;
    h.mock.settle_webhooks().await;
    let a = received(&all).await;
    let r = received(&refunds_only).await;
    assert_eq!(topics(&a), ["refunds/create", "orders/updated"]);
    assert_eq!(topics(&r), ["refunds/create"]);
    assert_eq!(
        header(&a[0], "x-shopify-event-id"),
        header(&r[0], "x-shopify-event-id")
    );
    assert_ne!(
        header(&a[0], "x-shopify-webhook-id"),
        header(&r[0], "x-shopify-webhook-id")
    );
    assert_eq!(
        header(&r[0], "x-shopify-hmac-sha256"),
        shopify_mock::sign("other", &r[0].body)
    );

    assert!(h.mock.unsubscribe(id));
    assert!(!h.mock.unsubscribe(id));
    h.post("orders/1001/refunds.json", json!({"refund": {}}))
        .await;
    h.mock.settle_webhooks().await;
    assert_eq!(received(&refunds_only).await.len(), 1);
    assert_eq!(h.mock.subscriptions().len(), 1);
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_ids() {
    let h = seeded().await;
    let server = receiver(Flaky {
        n: 3,
        status: 500,
        delay: None,
        seen: AtomicUsize::new(0),
    })
    .await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(server.uri(), SECRET));
    h.post("orders/1001/close.json", json!({})).await;
    h.mock.settle_webhooks().await;
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_eq!(
            header(r, "x-shopify-webhook-id"),
            header(&reqs[0], "x-shopify-webhook-id")
        );
        assert_eq!(
            header(r, "x-shopify-event-id"),
            header(&reqs[0], "x-shopify-event-id")
        );
        assert_eq!(r.body, reqs[0].body);
    }
    let outcomes: Vec<_> = h
        .mock
        .delivery_log()
        .into_iter()
        .map(|a| (a.attempt, a.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, AttemptOutcome::Rejected { status: 500 }),
            (2, AttemptOutcome::Rejected { status: 500 }),
            (3, AttemptOutcome::Rejected { status: 500 }),
            (4, AttemptOutcome::Delivered { status: 200 }),
        ]
    );
    let d = &h.mock.deliveries()[0];
    assert_eq!((d.attempts, d.status), (4, DeliveryStatus::Delivered));
}

#[tokio::test]
async fn a_receiver_that_never_answers_2xx_gets_eight_retries() {
    let h = seeded().await;
    let server = receiver(ResponseTemplate::new(503)).await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(server.uri(), SECRET));
    h.post("orders/1001/close.json", json!({})).await;
    assert_eq!(h.mock.pending_webhooks(), 1);
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.pending_webhooks(), 0);
    assert_eq!(received(&server).await.len(), 9);
    let log = h.mock.delivery_log();
    assert_eq!(log.len(), 9);
    assert_eq!(
        log.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    assert!(
        log.iter()
            .all(|a| a.outcome == AttemptOutcome::Rejected { status: 503 })
    );
    assert_eq!(h.mock.deliveries()[0].status, DeliveryStatus::GaveUp);
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_fails_and_is_retried() {
    let h = harness_with(|c| {
        c.webhooks = WebhookConfig {
            timeout: Duration::from_millis(100),
            schedule: WebhookSchedule::Fast,
            base_backoff: Duration::from_millis(1),
            max_in_flight: 1,
            ..WebhookConfig::default()
        }
    })
    .await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    let server = receiver(Flaky {
        n: 1,
        status: 200,
        delay: Some(Duration::from_secs(3)),
        seen: AtomicUsize::new(0),
    })
    .await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(server.uri(), SECRET));
    h.post("orders/1/close.json", json!({})).await;
    h.mock.settle_webhooks().await;
    let outcomes: Vec<_> = h
        .mock
        .delivery_log()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            AttemptOutcome::TimedOut,
            AttemptOutcome::Delivered { status: 200 }
        ]
    );
}

#[tokio::test]
async fn an_unreachable_receiver_is_logged_and_given_up() {
    let h = harness_with(|c| c.webhooks.retries = 2).await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    h.mock.subscribe(WebhookSubscription::all_topics(
        format!("http://127.0.0.1:{port}/hooks"),
        SECRET,
    ));
    h.post("orders/1/close.json", json!({})).await;
    h.mock.settle_webhooks().await;
    let log = h.mock.delivery_log();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|a| matches!(a.outcome, AttemptOutcome::Unreachable { .. }))
    );
    assert_eq!(h.mock.deliveries()[0].status, DeliveryStatus::GaveUp);
}

#[tokio::test]
async fn with_no_retries_the_first_failure_gives_up() {
    let h = harness_with(|c| c.webhooks.retries = 0).await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    let server = receiver(ResponseTemplate::new(500)).await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(server.uri(), SECRET));
    h.post("orders/1/close.json", json!({})).await;
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.delivery_log().len(), 1);
    assert_eq!(h.mock.deliveries()[0].status, DeliveryStatus::GaveUp);
}

#[tokio::test]
async fn settling_with_nothing_sent_returns_at_once() {
    let h = seeded().await;
    h.mock.settle_webhooks().await;
    // Changes with no subscription send nothing.
    h.post("orders/1001/close.json", json!({})).await;
    h.mock.settle_webhooks().await;
    assert!(h.mock.deliveries().is_empty());
}

#[test]
fn topics_parse_and_print() {
    for t in Topic::ALL {
        assert_eq!(t.as_str().parse::<Topic>().unwrap(), t);
        assert_eq!(t.to_string(), t.as_str());
    }
    let e = "orders/exploded".parse::<Topic>().unwrap_err();
    assert!(e.to_string().contains("orders/updated"));
}

/// rules.md §4: an edit that changes nothing (a quantity set to what it is) is no
/// change: the commit succeeds, and nothing is sent.
#[tokio::test]
async fn an_edit_that_changes_nothing_sends_nothing() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    let begin = h
        .graphql(
            "mutation { orderEditBegin(id: \"gid://shopify/Order/1001\") { calculatedOrder { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    let calc = begin.body["data"]["orderEditBegin"]["calculatedOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let set = h
        .graphql(
            "mutation($id: ID!) { orderEditSetQuantity(id: $id, lineItemId: \"gid://shopify/CalculatedLineItem/11\", quantity: 5) { userErrors { message } } }",
            json!({"id": calc}),
        )
        .await;
    assert_eq!(
        set.body["data"]["orderEditSetQuantity"]["userErrors"],
        json!([])
    );
    let before = h.mock.order(1001).unwrap();
    let commit = h
        .graphql(
            "mutation($id: ID!) { orderEditCommit(id: $id) { userErrors { message } } }",
            json!({"id": calc}),
        )
        .await;
    assert_eq!(
        commit.body["data"]["orderEditCommit"]["userErrors"],
        json!([])
    );
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.order(1001).unwrap(), before);
    assert!(topics(&received(&server).await).is_empty());
}

/// REST's way to capture a payment: `POST orders/{id}/transactions.json` with
/// `kind: capture` pays the order (201, the transaction) and sends `orders/paid`;
/// a second capture, another kind or no body is refused and sends nothing.
#[tokio::test]
async fn a_rest_capture_transaction_pays_the_order() {
    let (h, server) = pending_order_subscribed().await;
    let path = "orders/1001/transactions.json";
    let captured = h
        .post(path, json!({"transaction": {"kind": "capture"}}))
        .await;
    assert_eq!(captured.status, 201, "{}", captured.body);
    let t = &captured.body["transaction"];
    assert_eq!(
        (
            t["id"].clone(),
            t["order_id"].clone(),
            t["kind"].clone(),
            t["status"].clone()
        ),
        (json!(1), json!(1001), json!("capture"), json!("success"))
    );
    assert_eq!(
        t["admin_graphql_api_id"],
        "gid://shopify/OrderTransaction/1"
    );
    assert_eq!(t["created_at"], "2026-01-01T09:01:00Z");
    let again = h
        .post(path, json!({"transaction": {"kind": "capture"}}))
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(
        again.body["errors"]["base"][0],
        "order #1001 has no pending payment to capture: its financial status is paid"
    );
    let refund = h
        .post(path, json!({"transaction": {"kind": "refund"}}))
        .await;
    assert_eq!(refund.status, 422);
    assert!(
        refund.body["errors"]["kind"][0]
            .as_str()
            .unwrap()
            .contains("use capture")
    );
    assert_eq!(h.post(path, json!({})).await.status, 400);
    assert_eq!(
        h.post(
            "orders/999/transactions.json",
            json!({"transaction": {"kind": "capture"}})
        )
        .await
        .status,
        404
    );
    h.mock.settle_webhooks().await;
    assert_eq!(
        topics(&received(&server).await),
        ["orders/paid", "orders/updated"]
    );
    assert_eq!(
        h.get("orders/1001.json").await.body["order"]["financial_status"],
        "paid"
    );
}
