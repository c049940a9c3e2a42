//! The webhook-driven sync over real HTTP, against the mock Shopify server: webhooks
//! arrive signed and are applied, and each hostile or odd delivery leaves the state
//! exactly as it should be (issue 4, security tests). Reconciliation applies what
//! webhooks missed.

use std::path::Path;

use katana_rules::RowRef;
use katana_sim::http::Http;
use katana_sim::runner::{self, DEFAULT_START, Transport};
use katana_sim::scenario::parse_scenario;
use katana_sync::webhook::sign;
use shopify_mock::{DeliveryStatus, Topic};

const SCENARIO: &str = "\
description: an in-progress MO whose row is edited twice
shopify:
  orders:
    - { id: 1001, lines: [ { id: 11, sku: OAK, quantity: 5 }, { id: 12, sku: ASH, quantity: 2 } ] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 }, status: not_started }
steps:
  - edit: { order: 1001, line: 11, quantity: 4 }
  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect: { MO-1: { quantity: 3, type: make_to_order } }
";

/// The scenario replayed over HTTP; the transport stays up for more deliveries.
fn replayed() -> Http {
    let scenario = parse_scenario(Path::new("sync.yaml"), SCENARIO).unwrap();
    let mut http = Http::start(DEFAULT_START).unwrap();
    runner::run_with(&scenario, &mut http).unwrap();
    http
}

/// Everything Katana holds, as text, to prove a delivery changed nothing.
fn katana_state(http: &mut Http) -> String {
    let mut out = String::new();
    http.with_katana(&mut |k, s| out = format!("{:?}\n{:?}\n{s:?}", k.sales_orders(), k.mos()));
    out
}

/// Row `line` of SO #1001 as it is now.
fn row(http: &mut Http, line: u64) -> Option<katana_rules::SoRow> {
    let mut found = None;
    http.with_katana(&mut |k, _| found = k.row(RowRef { order: 1001, line }).cloned());
    found
}

fn row_quantity(http: &mut Http) -> Option<u32> {
    row(http, 11).map(|r| r.quantity)
}

/// POSTs a delivery to the sync's receiver; returns the status and body.
fn post(http: &Http, headers: &[(&str, String)], body: &str) -> (u16, String) {
    let url = http.webhook_url();
    http.block_on(async {
        let mut request = reqwest::Client::new().post(url).body(body.to_string());
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

fn headers(
    topic: &str,
    webhook_id: &str,
    event_id: &str,
    signature: String,
) -> Vec<(&'static str, String)> {
    vec![
        ("X-Shopify-Topic", topic.to_string()),
        ("X-Shopify-Hmac-Sha256", signature),
        (
            "X-Shopify-Shop-Domain",
            "mock-shop.myshopify.com".to_string(),
        ),
        ("X-Shopify-API-Version", "2025-01".to_string()),
        ("X-Shopify-Webhook-Id", webhook_id.to_string()),
        ("X-Shopify-Event-Id", event_id.to_string()),
        ("X-Shopify-Triggered-At", "2026-01-01T09:00:00Z".to_string()),
    ]
}

/// The first `orders/updated` body the mock sent: the order as it was after the
/// first edit (quantity 4), now stale.
fn first_update(http: &Http) -> shopify_mock::Delivery {
    http.mock()
        .deliveries()
        .into_iter()
        .find(|d| d.topic == Topic::OrdersUpdated)
        .unwrap()
}

#[test]
fn every_change_arrives_as_signed_webhooks_that_are_applied() {
    let mut http = replayed();
    let deliveries = http.mock().deliveries();
    let topics: Vec<&str> = deliveries.iter().map(|d| d.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "orders/edited",
            "orders/updated",
            "orders/edited",
            "orders/updated"
        ]
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
    let (accepted, rejected) = http.block_on(http.sync().state()).delivery_counts();
    assert_eq!((accepted, rejected), (4, 0));
    assert_eq!(row_quantity(&mut http), Some(3));
}

#[test]
fn a_forged_signature_is_refused_and_changes_nothing() {
    let mut http = replayed();
    let before = katana_state(&mut http);
    let original = first_update(&http);
    let forged = original
        .body
        .replace("\"current_quantity\":4", "\"current_quantity\":1");
    assert_ne!(forged, original.body);
    let signature = sign(original.body.as_bytes(), http.webhook_secret().as_bytes());
    let (status, _) = post(
        &http,
        &headers("orders/updated", "forged-1", "forged-e1", signature),
        &forged,
    );
    assert_eq!(status, 401);
    assert_eq!(katana_state(&mut http), before);
}

#[test]
fn a_delivery_signed_with_another_secret_is_refused() {
    let mut http = replayed();
    let before = katana_state(&mut http);
    let body = r#"{"id":1001}"#;
    let (status, text) = post(
        &http,
        &headers(
            "orders/updated",
            "w-x",
            "e-x",
            sign(body.as_bytes(), b"not-the-secret"),
        ),
        body,
    );
    assert_eq!(
        (status, text.as_str()),
        (
            401,
            "the X-Shopify-Hmac-Sha256 signature does not match the body"
        )
    );
    assert_eq!(katana_state(&mut http), before);
}

#[test]
fn a_delivery_missing_any_needed_header_is_refused() {
    let mut http = replayed();
    let before = katana_state(&mut http);
    let body = r#"{"id":1001}"#;
    let all = headers(
        "orders/updated",
        "w-m",
        "e-m",
        sign(body.as_bytes(), http.webhook_secret().as_bytes()),
    );
    for needed in [
        "X-Shopify-Topic",
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
    ] {
        let some: Vec<_> = all.iter().filter(|(k, _)| *k != needed).cloned().collect();
        let (status, text) = post(&http, &some, body);
        assert_eq!(status, 401, "without {needed}");
        assert!(text.contains(&needed.to_lowercase()), "{text}");
    }
    let (accepted, rejected) = http.block_on(http.sync().state()).delivery_counts();
    assert_eq!((accepted, rejected), (4, 4));
    assert_eq!(katana_state(&mut http), before);
}

#[test]
fn a_replayed_delivery_is_ignored() {
    let mut http = replayed();
    let before = katana_state(&mut http);
    let d = first_update(&http);
    let signature = sign(d.body.as_bytes(), http.webhook_secret().as_bytes());
    let (status, text) = post(
        &http,
        &headers("orders/updated", &d.webhook_id, &d.event_id, signature),
        &d.body,
    );
    assert_eq!((status, text.as_str()), (200, "already processed"));
    assert_eq!(katana_state(&mut http), before);
}

#[test]
fn a_stale_delivery_after_a_newer_one_rolls_nothing_back() {
    let mut http = replayed();
    let before = katana_state(&mut http);
    // The body says quantity 4 (after the first edit), but it arrives late, as a new
    // delivery: the sync reads the order as it is now (3) and changes nothing.
    let d = first_update(&http);
    assert!(d.body.contains("\"current_quantity\":4"), "{}", d.body);
    let signature = sign(d.body.as_bytes(), http.webhook_secret().as_bytes());
    let (status, text) = post(
        &http,
        &headers("orders/updated", "late-1", "late-e1", signature),
        &d.body,
    );
    assert_eq!((status, text.as_str()), (200, "applied"));
    assert_eq!(row_quantity(&mut http), Some(3));
    assert_eq!(katana_state(&mut http), before);
}

#[test]
fn a_webhook_for_an_unknown_order_changes_nothing() {
    let mut http = replayed();
    let before = katana_state(&mut http);
    let body = r##"{"id":424242,"name":"#424242"}"##;
    let signature = sign(body.as_bytes(), http.webhook_secret().as_bytes());
    let (status, _) = post(
        &http,
        &headers("orders/updated", "unknown-1", "unknown-e1", signature),
        body,
    );
    assert_eq!(status, 200);
    assert_eq!(katana_state(&mut http), before);
}

#[test]
fn reconciliation_applies_what_webhooks_missed() {
    let mut http = replayed();
    for (id, _) in http.mock().subscriptions() {
        http.mock().unsubscribe(id);
    }
    // The order is cancelled, then deleted, while no webhook reaches Katana.
    let token = http.mock().access_token().to_string();
    let admin = http.mock().admin_url();
    http.block_on(async {
        let client = reqwest::Client::new();
        let cancel = client
            .post(format!("{admin}/orders/1001/cancel.json"))
            .header("X-Shopify-Access-Token", &token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(cancel.status().as_u16(), 200);
    });
    assert_eq!(
        row_quantity(&mut http),
        Some(3),
        "no webhook: Katana does not know yet"
    );
    http.block_on(http.sync().reconcile()).unwrap();
    let mut so = None;
    http.with_katana(&mut |k, _| so = Some(k.sales_order(1001).is_some()));
    assert_eq!(
        so,
        Some(false),
        "the cancelled order's SO is deleted by reconciliation"
    );

    http.block_on(async {
        let deleted = reqwest::Client::new()
            .delete(format!("{admin}/orders/1001.json"))
            .header("X-Shopify-Access-Token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status().as_u16(), 200);
    });
    http.block_on(http.sync().reconcile()).unwrap();
    let mut mo = None;
    http.with_katana(&mut |k, _| {
        mo = k
            .mo(&katana_rules::MoId::new("MO-1"))
            .map(|m| m.messages.len())
    });
    assert_eq!(
        mo, None,
        "the not-started MO went with its SO, and deleting the order later changes nothing"
    );
}

#[test]
fn reconciliation_notices_a_deleted_order() {
    let scenario = parse_scenario(
        Path::new("r.yaml"),
        "description: r\nshopify:\n  orders:\n    - { id: 7, lines: [ { id: 71, sku: OAK, quantity: 1 } ] }\nsteps: []\n",
    )
    .unwrap();
    let mut http = Http::start(DEFAULT_START).unwrap();
    runner::run_with(&scenario, &mut http).unwrap();
    for (id, _) in http.mock().subscriptions() {
        http.mock().unsubscribe(id);
    }
    let (admin, token) = (
        http.mock().admin_url(),
        http.mock().access_token().to_string(),
    );
    http.block_on(async {
        let client = reqwest::Client::new();
        for (method, path) in [
            (reqwest::Method::POST, "orders/7/close.json"),
            (reqwest::Method::DELETE, "orders/7.json"),
        ] {
            let r = client
                .request(method, format!("{admin}/{path}"))
                .header("X-Shopify-Access-Token", &token)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
        }
    });
    let mut exists = None;
    http.with_katana(&mut |k, _| exists = Some(k.sales_order(7).is_some()));
    assert_eq!(exists, Some(true));
    http.block_on(http.sync().reconcile()).unwrap();
    http.with_katana(&mut |k, _| exists = Some(k.sales_order(7).is_some()));
    assert_eq!(
        exists,
        Some(false),
        "reconciliation finds the order gone (404) and deletes its SO"
    );
}

#[test]
fn a_5xx_while_reading_the_order_is_retried_with_backoff() {
    let mut http = replayed();
    for (id, _) in http.mock().subscriptions() {
        http.mock().unsubscribe(id);
    }
    // A refund Katana has not heard of yet: line 12 goes from 2 to 1.
    let (admin, token) = (
        http.mock().admin_url(),
        http.mock().access_token().to_string(),
    );
    http.block_on(async {
        let body = serde_json::json!({ "refund": { "refund_line_items": [
            { "line_item_id": 12, "quantity": 1, "restock_type": "cancel" } ] } });
        let r = reqwest::Client::new()
            .post(format!("{admin}/orders/1001/refunds.json"))
            .header("X-Shopify-Access-Token", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    });
    http.mock().fail_next_requests(2, 503);
    let body = r#"{"id":1001}"#;
    let signature = sign(body.as_bytes(), http.webhook_secret().as_bytes());
    let (status, text) = post(
        &http,
        &headers("orders/updated", "retry-1", "retry-e1", signature),
        body,
    );
    assert_eq!(
        (status, text.as_str()),
        (200, "applied"),
        "two 503s, then the read succeeds"
    );
    assert_eq!(row(&mut http, 12).map(|r| r.quantity), Some(1));
}

#[test]
fn when_shopify_keeps_failing_the_delivery_fails_and_shopifys_retry_applies_it() {
    let mut http = replayed();
    // More faults than the sync's client retries (1 + 4): the first delivery attempt
    // is answered 503 and not marked processed; the mock retries it with backoff.
    http.mock().fail_next_requests(5, 502);
    http.mock().fulfill(1001, 12, 2).unwrap();
    http.block_on(http.mock().settle_webhooks());
    let deliveries = http.mock().deliveries();
    let first = &deliveries[4];
    assert_eq!(
        first.topic,
        Topic::OrdersPartiallyFulfilled,
        "{deliveries:?}"
    );
    assert_eq!(first.status, DeliveryStatus::Delivered);
    assert_eq!(
        first.attempts, 2,
        "failed once, delivered on Shopify's retry"
    );
    let failed: Vec<_> = http
        .mock()
        .delivery_log()
        .into_iter()
        .filter(|a| !a.outcome.is_success())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        row(&mut http, 12).map(|r| r.delivery),
        Some(katana_rules::Delivery::Delivered)
    );
}
