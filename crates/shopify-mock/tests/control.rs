//! The test-control API under `/__mock/`: reset, seed and replace orders, the
//! webhook delivery log, settle (a long poll), redeliver, fault plans, the clock.
//! Everything over HTTP, as a test in another language would drive it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Answer, Harness, harness, harness_with, order};
use reqwest::Method;
use serde_json::{Value, json};
use shopify_mock::shopify_model::Order;
use shopify_mock::{Topic, WebhookConfig, WebhookSchedule, WebhookSubscription, sign};
use tokio::sync::Semaphore;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

impl Harness {
    fn control_url(&self, path: &str) -> String {
        format!("{}/__mock{path}", self.mock.base_url())
    }

    async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let token = self.mock.access_token().to_owned();
        self.request(method, &self.control_url(path), body, Some(&token))
            .await
    }

    /// A control call with a raw (e.g. YAML) body.
    async fn control_raw(&self, method: Method, path: &str, body: &str) -> Answer {
        self.raw(method, &self.control_url(path), "application/yaml", body)
            .await
    }
}

/// A receiver answering with `responder`, subscribed to every topic with `secret`.
async fn subscribed(h: &Harness, responder: impl Respond + 'static, secret: &str) -> MockServer {
    let hook = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(responder)
        .mount(&hook)
        .await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(hook.uri(), secret));
    hook
}

const SEED: &str = r#"[
  {"id": 1001, "lines": [{"id": 11, "sku": "CHAIR", "quantity": 2}]},
  {"id": 1002, "financial_status": "pending", "lines": [{"id": 21, "sku": "LAMP", "quantity": 1}]}
]"#;

#[tokio::test]
async fn the_control_api_needs_the_token_and_lists_its_endpoints() {
    let h = harness().await;
    let no_token = h.request(Method::GET, &h.control_url(""), None, None).await;
    assert_eq!(no_token.status, 401);
    assert!(
        no_token.body["hint"]
            .as_str()
            .unwrap()
            .contains("X-Shopify-Access-Token")
    );
    let wrong = h
        .request(Method::POST, &h.control_url("/reset"), None, Some("nope"))
        .await;
    assert_eq!(wrong.status, 401);

    let index = h.control(Method::GET, "", None).await;
    assert_eq!(index.status, 200);
    let endpoints: Vec<&str> = index.body["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    for e in [
        "POST /__mock/reset",
        "POST /__mock/orders",
        "PUT /__mock/orders",
        "GET /__mock/webhooks/attempts?at_least=N&timeout_ms=T",
        "POST /__mock/webhooks/{webhook_id}/redeliver",
        "POST /__mock/faults",
        "POST /__mock/clock/advance",
    ] {
        assert!(endpoints.contains(&e), "{e} missing from {endpoints:?}");
    }
    assert!(index.header("x-request-id").is_some());

    let unknown = h.control(Method::GET, "/nothing", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body["error"],
        "no control endpoint GET /__mock/nothing"
    );
    assert!(unknown.body["endpoints"].as_array().unwrap().len() >= 10);
}

#[tokio::test]
async fn orders_are_seeded_replaced_and_read_back_exactly_as_the_store_holds_them() {
    let h = harness().await;
    let _hook = subscribed(&h, ResponseTemplate::new(200), "s").await;

    // JSON, then YAML wrapped in `orders:`.
    let seeded = h
        .control(
            Method::POST,
            "/orders",
            Some(serde_json::from_str(SEED).unwrap()),
        )
        .await;
    assert_eq!(seeded.status, 201, "{:?}", seeded.body);
    assert_eq!(seeded.body, json!({"seeded": 2, "orders": 2}));
    let yaml = "orders:\n  - id: 1003\n    lines: [{id: 31, sku: DESK, quantity: 4}]\n";
    let more = h.control_raw(Method::POST, "/orders", yaml).await;
    assert_eq!(more.status, 201, "{:?}", more.body);
    assert_eq!(more.body["orders"], 3);

    // Read back: the store's own order, field for field.
    let one = h.control(Method::GET, "/orders/1002", None).await;
    assert_eq!(one.status, 200);
    let read: Order = serde_json::from_value(one.body["order"].clone()).unwrap();
    assert_eq!(read, h.mock.order(1002).unwrap());
    let all = h.control(Method::GET, "/orders", None).await;
    let ids: Vec<u64> = all.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1001, 1002, 1003]);
    assert_eq!(h.control(Method::GET, "/orders/9", None).await.status, 404);
    assert_eq!(h.control(Method::GET, "/orders/x", None).await.status, 400);

    // Seeding sends no webhook, as the store existed before the app.
    h.mock.settle_webhooks().await;
    assert!(h.mock.deliveries().is_empty());

    // All or nothing: the second order's id is taken, so neither is added.
    let refused = h
        .control(
            Method::POST,
            "/orders",
            Some(json!([
                {"id": 1004, "lines": [{"id": 41, "sku": "RUG", "quantity": 1}]},
                {"id": 1001, "lines": [{"id": 42, "sku": "RUG", "quantity": 1}]}
            ])),
        )
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    assert!(
        refused.body["hint"]
            .as_str()
            .unwrap()
            .contains("nothing was changed")
    );
    assert!(h.mock.order(1004).is_err());

    // A malformed body names the problem and the format.
    let bad = h
        .control_raw(
            Method::POST,
            "/orders",
            "- {id: 1005, lines: [{id: 1, sku: A, qty: 1}]}",
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["error"].as_str().unwrap().contains("qty"),
        "{:?}",
        bad.body
    );
    assert!(bad.body["hint"].as_str().unwrap().contains("\"lines\""));

    // Replace: exactly the list given.
    let replaced = h
        .control(
            Method::PUT,
            "/orders",
            Some(json!([{"id": 2001, "lines": [{"id": 1, "sku": "OAK", "quantity": 5}]}])),
        )
        .await;
    assert_eq!(replaced.status, 201, "{:?}", replaced.body);
    let ids: Vec<u64> = h.mock.with_store(|s| s.orders().map(|o| o.id).collect());
    assert_eq!(ids, [2001]);
    // A refused replacement leaves the store as it was.
    let refused = h
        .control(
            Method::PUT,
            "/orders",
            Some(json!([
                {"id": 3001, "lines": [{"id": 1, "sku": "OAK", "quantity": 1}]},
                {"id": 3001, "lines": [{"id": 2, "sku": "OAK", "quantity": 1}]}
            ])),
        )
        .await;
    assert_eq!(refused.status, 422);
    let ids: Vec<u64> = h.mock.with_store(|s| s.orders().map(|o| o.id).collect());
    assert_eq!(ids, [2001]);

    let emptied = h.control(Method::DELETE, "/orders", None).await;
    assert_eq!(emptied.body, json!({"removed": 1}));
    assert!(h.mock.with_store(|s| s.orders().next().is_none()));
    h.mock.settle_webhooks().await;
    assert!(h.mock.deliveries().is_empty());
}

#[tokio::test]
async fn reset_empties_the_store_and_the_logs_but_keeps_subscriptions() {
    let h = harness().await;
    let _hook = subscribed(&h, ResponseTemplate::new(200), "s").await;
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 2, 0)]))
        .unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.delivery_log().len(), 1);
    // A fault plan half used, and an open edit session.
    let armed = h
        .control(
            Method::POST,
            "/faults",
            Some(json!({"faults": [{"fault": "rest_5xx", "count": 3}]})),
        )
        .await;
    assert_eq!(armed.body, json!({"armed": 1}));
    assert_eq!(h.get("orders.json").await.status, 503);
    let begun = h
        .graphql(
            "mutation { orderEditBegin(id: \"gid://shopify/Order/1001\") { calculatedOrder { id } } }",
            json!({}),
        )
        .await;
    let session = begun.body["data"]["orderEditBegin"]["calculatedOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let reset = h.control(Method::POST, "/reset", None).await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.body, json!({"reset": true}));

    assert!(h.mock.with_store(|s| s.orders().next().is_none()));
    assert!(h.mock.delivery_log().is_empty());
    assert!(h.mock.deliveries().is_empty());
    assert!(h.mock.injected_faults().is_empty());
    // The plan is gone: the next read is answered.
    assert_eq!(h.get("orders.json").await.status, 200);
    // The session is gone.
    let commit = h
        .graphql(
            "mutation c($id: ID!) { orderEditCommit(id: $id) { userErrors { message } } }",
            json!({"id": session}),
        )
        .await;
    assert_eq!(
        commit.body["data"]["orderEditCommit"]["userErrors"][0]["message"],
        "The calculated order does not exist"
    );
    // Subscriptions stay: a new order is delivered.
    assert_eq!(h.mock.subscriptions().len(), 1);
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 2, 0)]))
        .unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.deliveries().len(), 1);
    assert_eq!(h.mock.deliveries()[0].topic, Topic::OrdersCreate);
}

#[tokio::test]
async fn a_fault_plan_is_armed_read_and_ended_over_http() {
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1001, &[(11, "CHAIR", 2, 0)])])
        .unwrap();
    let yaml = "faults:\n  - { fault: rest_429, count: 2, retry_after_ms: 50 }\n  - { fault: graphql_throttled }\n";
    let armed = h.control_raw(Method::POST, "/faults", yaml).await;
    assert_eq!(armed.status, 200, "{:?}", armed.body);
    assert_eq!(armed.body["armed"], 2);
    for _ in 0..2 {
        let a = h.get("orders/1001.json").await;
        assert_eq!(a.status, 429);
        assert_eq!(a.header("retry-after"), Some("0.05"));
    }
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    let injected = h.control(Method::GET, "/faults", None).await;
    let lines: Vec<&str> = injected.body["injected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("429"), "{lines:?}");

    // Ending the plan logs what it left unused.
    let ended = h.control(Method::DELETE, "/faults", None).await;
    assert_eq!(ended.body, json!({"armed": 0}));
    let injected = h.control(Method::GET, "/faults", None).await;
    let last = injected.body["injected"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last.as_str().unwrap().starts_with("unused:"), "{last}");

    // A wrong plan arms nothing and says how to write it.
    let bad = h
        .control(
            Method::POST,
            "/faults",
            Some(json!({"faults": [{"fault": "rest_5xx"}, {"fault": "rest_404"}]})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "faults[1]: unknown fault `rest_404`");
    assert_eq!(h.get("orders/1001.json").await.status, 200);
}

/// A receiver that answers each webhook 200 once a permit is released (a deferred
/// response: the receiver's server goes on meanwhile).
struct Gate(Arc<Semaphore>);

impl Respond for Gate {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let permits = self.0.clone();
        ResponseTemplate::deferred(async move {
            permits.acquire().await.expect("open").forget();
            ResponseTemplate::new(200)
        })
    }
}

#[tokio::test]
async fn settle_answers_once_every_webhook_is_delivered_while_other_calls_go_on() {
    let h = harness().await;
    let permits = Arc::new(Semaphore::new(0));
    let hook = subscribed(&h, Gate(permits.clone()), "s").await;
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 2, 0)]))
        .unwrap();

    // The settle call waits; meanwhile the mock answers other calls.
    let settle_url = h.control_url("/webhooks/settle?timeout_ms=60000");
    let token = h.mock.access_token().to_owned();
    let http = h.http.clone();
    let settle = tokio::spawn(async move {
        let r = http
            .post(settle_url)
            .header("X-Shopify-Access-Token", token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    });
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    let state = h.control(Method::GET, "/webhooks", None).await;
    assert_eq!(state.body["pending"], 1);
    assert!(!settle.is_finished());

    // The receiver answers: settle answers.
    permits.add_permits(1);
    let (status, body) = settle.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"settled": true, "pending": 0, "deliveries": 1})
    );

    let state = h.control(Method::GET, "/webhooks", None).await;
    assert_eq!(state.body["pending"], 0);
    let d = &state.body["deliveries"][0];
    assert_eq!(d["topic"], "orders/create");
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["address"], hook.uri());
    assert!(d["body"].as_str().unwrap().contains("\"id\":1001"));
    assert_eq!(state.body["subscriptions"][0]["address"], hook.uri());
    assert_eq!(state.body["total"], 1);
    // Only the deliveries after the first N.
    let later = h.control(Method::GET, "/webhooks?since=1", None).await;
    assert_eq!(later.body["deliveries"], json!([]));
    assert_eq!(later.body["total"], 1);
    let bad = h.control(Method::GET, "/webhooks?since=x", None).await;
    assert_eq!(bad.status, 400);
    // Settle lists what came after the first N, when asked.
    let listed = h
        .control(Method::POST, "/webhooks/settle?since=0", None)
        .await;
    assert_eq!(listed.body["since"], 0);
    assert_eq!(listed.body["list"], state.body["deliveries"]);
    let none = h
        .control(Method::POST, "/webhooks/settle?since=1", None)
        .await;
    assert_eq!(none.body["list"], json!([]));
    assert_eq!(none.body["deliveries"], 1);

    // The attempt is in the log.
    let log = h.control(Method::GET, "/webhooks/attempts", None).await;
    let attempts = log.body["attempts"].as_array().unwrap();
    let last = attempts.last().unwrap();
    assert_eq!(
        last["outcome"],
        json!({"result": "delivered", "status": 200})
    );
    assert_eq!(last["webhook_id"], d["webhook_id"]);
    assert_eq!(last["topic"], "orders/create");
}

#[tokio::test]
async fn settle_gives_up_waiting_after_its_timeout() {
    let h = harness().await;
    let _hook = subscribed(
        &h,
        ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
        "s",
    )
    .await;
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 2, 0)]))
        .unwrap();
    let a = h
        .control(Method::POST, "/webhooks/settle?timeout_ms=50", None)
        .await;
    assert_eq!(a.status, 504);
    assert_eq!(
        a.body,
        json!({"settled": false, "pending": 1, "deliveries": 1})
    );
    let bad = h
        .control(Method::POST, "/webhooks/settle?timeout_ms=soon", None)
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["hint"]
            .as_str()
            .unwrap()
            .contains("timeout_ms=5000")
    );
}

#[tokio::test]
async fn the_clock_is_read_set_and_advanced_over_http() {
    let h = harness().await;
    let now = h.control(Method::GET, "/clock", None).await;
    assert_eq!(now.body, json!({"now": common::START}));
    let set = h
        .control(
            Method::POST,
            "/clock",
            Some(json!({"now": "2026-03-01T12:00:00Z"})),
        )
        .await;
    assert_eq!(set.body, json!({"now": "2026-03-01T12:00:00Z"}));
    assert_eq!(h.mock.now().to_string(), "2026-03-01T12:00:00Z");
    let by = h
        .control(
            Method::POST,
            "/clock/advance",
            Some(json!({"by": "1h 30m"})),
        )
        .await;
    assert_eq!(by.body, json!({"now": "2026-03-01T13:30:00Z"}));
    let secs = h
        .control(Method::POST, "/clock/advance", Some(json!({"seconds": 90})))
        .await;
    assert_eq!(secs.body, json!({"now": "2026-03-01T13:31:30Z"}));
    // Orders made now carry the mock's time.
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 1, 0)]))
        .unwrap();
    assert_eq!(
        h.mock.order(1001).unwrap().created_at.to_string(),
        "2026-03-01T13:31:30Z"
    );

    for (body, error) in [
        (json!({"by": "soon"}), "`by` \"soon\" is not a duration"),
        (json!({"by": "-5m"}), "the clock only moves forward here"),
        (
            json!({"by": "5m", "seconds": 1}),
            "give exactly one of `by` and `seconds`",
        ),
        (json!({}), "give exactly one of `by` and `seconds`"),
    ] {
        let a = h
            .control(Method::POST, "/clock/advance", Some(body.clone()))
            .await;
        assert_eq!(a.status, 400, "{body}");
        assert!(
            a.body["error"].as_str().unwrap().starts_with(error),
            "{body}: {}",
            a.body
        );
        assert!(
            a.body["hint"]
                .as_str()
                .unwrap()
                .contains("{\"by\": \"10m\"}")
                || a.body["hint"]
                    .as_str()
                    .unwrap()
                    .contains("POST /__mock/clock"),
            "{}",
            a.body
        );
    }
    let a = h
        .control(Method::POST, "/clock", Some(json!({"now": "tomorrow"})))
        .await;
    assert_eq!(a.status, 400);
    assert!(a.body["hint"].as_str().unwrap().contains("RFC 3339"));
    assert_eq!(h.mock.now().to_string(), "2026-03-01T13:31:30Z");
}

/// A receiver that answers 503 while `down`, then 200; every request is kept.
struct Outage {
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl Respond for Outage {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            ResponseTemplate::new(503)
        } else {
            ResponseTemplate::new(200)
        }
    }
}

/// Shopify's schedule on the harness's hand-moved clock.
async fn shopify_schedule() -> Harness {
    harness_with(|c| {
        c.webhooks = WebhookConfig {
            schedule: WebhookSchedule::Shopify,
            max_in_flight: 1,
            ..WebhookConfig::default()
        };
    })
    .await
}

#[tokio::test]
async fn a_receiver_down_for_ten_minutes_gets_the_delivery_when_the_clock_is_advanced() {
    let h = shopify_schedule().await;
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let hook = subscribed(&h, Outage { down: down.clone() }, "s3cret").await;
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 2, 0)]))
        .unwrap();

    // The first attempt fails; its retry is due on the mock's clock.
    let log = h
        .control(Method::GET, "/webhooks/attempts?at_least=1", None)
        .await;
    assert_eq!(log.status, 200);
    let first = log.body["attempts"][0].clone();
    assert_eq!(
        first["outcome"],
        json!({"result": "rejected", "status": 503})
    );
    assert_eq!(first["at"], common::START);
    let due = WebhookSchedule::shopify_due(1);
    let expected = common::start_time()
        .checked_add(jiff::SignedDuration::try_from(due).unwrap())
        .unwrap();
    assert_eq!(first["next_retry"], expected.to_string());

    // Ten minutes of mock time, the receiver still down: the retry that came due
    // (each waits after the attempt before it, doubling) fails too.
    let moved = h
        .control(Method::POST, "/clock/advance", Some(json!({"by": "10m"})))
        .await;
    assert_eq!(moved.status, 200);
    let log = h
        .control(Method::GET, "/webhooks/attempts?at_least=2", None)
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let second = &log.body["attempts"][1];
    assert_eq!(second["at"], "2026-01-01T09:10:00Z");
    let state = h.control(Method::GET, "/webhooks", None).await;
    assert_eq!(state.body["deliveries"][0]["status"], "pending");
    assert_eq!(
        state.body["deliveries"][0]["next_attempt"],
        second["next_retry"]
    );

    // Back up: the next retry delivers it.
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    h.control(Method::POST, "/clock/advance", Some(json!({"by": "2m"})))
        .await;
    let settled = h
        .control(Method::POST, "/webhooks/settle?timeout_ms=30000", None)
        .await;
    assert_eq!(settled.body["settled"], true, "{}", settled.body);
    let log = h.control(Method::GET, "/webhooks/attempts", None).await;
    let attempts = log.body["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    let last = attempts.last().unwrap();
    assert_eq!(last["attempt"], 3);
    assert_eq!(
        last["outcome"],
        json!({"result": "delivered", "status": 200})
    );
    assert_eq!(last["next_retry"], Value::Null);

    // Every request carried the same ids and body, signed with the secret.
    let requests = hook.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        let header = |k: &str| r.headers.get(k).unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            header("x-shopify-webhook-id"),
            first["webhook_id"].as_str().unwrap()
        );
        assert_eq!(
            header("x-shopify-event-id"),
            first["event_id"].as_str().unwrap()
        );
        assert_eq!(header("x-shopify-hmac-sha256"), sign("s3cret", &r.body));
        assert_eq!(r.body, requests[0].body);
    }
}

#[tokio::test]
async fn a_delivery_is_sent_again_on_request() {
    let h = harness().await;
    let hook = subscribed(&h, ResponseTemplate::new(200), "s").await;
    h.mock
        .create_order(&order(1001, &[(11, "CHAIR", 2, 0)]))
        .unwrap();
    h.mock.settle_webhooks().await;
    let id = h.mock.deliveries()[0].webhook_id.clone();

    let again = h
        .control(Method::POST, &format!("/webhooks/{id}/redeliver"), None)
        .await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body, json!({"redelivering": id}));
    let settled = h.control(Method::POST, "/webhooks/settle", None).await;
    assert_eq!(settled.body["settled"], true);
    let log = h.control(Method::GET, "/webhooks/attempts", None).await;
    let attempts: Vec<(u64, &str)> = log.body["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["webhook_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, [(1, id.as_str()), (2, id.as_str())]);
    let requests = hook.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);

    let unknown = h
        .control(Method::POST, "/webhooks/nope/redeliver", None)
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body["error"].as_str().unwrap().contains("nope"));
}
