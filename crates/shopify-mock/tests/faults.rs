//! Fault plans (`arm_faults`): each fault against a receiver that records what it
//! gets, REST and GraphQL faults with a plain HTTP client, and end to end with the
//! sync (katana-sync's `SyncService`) as the receiver: the sync ends in the same
//! state with and without each fault (a dropped webhook after `reconcile`).
//!
//! Tests wait on `settle_webhooks`, never on a sleep.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::{Harness, harness, harness_with, order, start_time};
use katana_rules::{Katana, MoId, MoStatus, NewMo, NewMoKind, RowRef};
use katana_sync::Settings;
use katana_sync::client::{RetryPolicy, ShopifyClient};
use katana_sync::service::{SyncService, WebhookServer};
use serde_json::{Value, json};
use shopify_mock::{
    AttemptOutcome, DeliveryStatus, Fault, FaultTarget, InjectedFault, ReadFault, SubscriptionId,
    Topic, WebhookOrder, WebhookSubscription,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "hush";

// ----- a recording receiver -------------------------------------------------------

async fn subscribed(h: &Harness) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    h.mock.subscribe(WebhookSubscription::all_topics(
        format!("{}/webhooks", server.uri()),
        SECRET,
    ));
    server
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn header<'r>(r: &'r Request, name: &str) -> &'r str {
    r.headers.get(name).unwrap().to_str().unwrap()
}

fn topics(reqs: &[Request]) -> Vec<String> {
    reqs.iter()
        .map(|r| header(r, "x-shopify-topic").to_owned())
        .collect()
}

async fn seeded() -> Harness {
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1001, &[(11, "CHAIR", 5, 0), (12, "TABLE", 1, 0)])])
        .unwrap();
    h
}

/// One step's changes, sending three webhooks: `orders/create` (#0),
/// `orders/partially_fulfilled` (#1), `orders/updated` (#2).
fn three_webhooks(h: &Harness) {
    h.mock
        .create_order(&order(1003, &[(31, "X", 3, 0)]))
        .unwrap();
    h.mock.fulfill(1001, 11, 2).unwrap();
}

const CREATE: &str = "orders/create";
const PARTIAL: &str = "orders/partially_fulfilled";
const UPDATED: &str = "orders/updated";

fn target(index: usize, topic: Topic, webhook: u64) -> FaultTarget {
    FaultTarget {
        subscription: SubscriptionId(1),
        index,
        topic,
        webhook_id: format!("00000000-0000-4000-8000-{webhook:012x}"),
    }
}

fn lines(faults: &[InjectedFault]) -> Vec<String> {
    faults.iter().map(ToString::to_string).collect()
}

// ----- webhook faults -------------------------------------------------------------

#[tokio::test]
async fn a_duplicated_webhook_is_sent_twice_with_the_same_ids_and_signature() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.mock
        .arm_faults(vec![Fault::DuplicateWebhook { index: 1 }]);
    three_webhooks(&h);
    // Held as the step's batch until the step settles.
    assert_eq!(h.mock.pending_webhooks(), 3);
    assert!(received(&server).await.is_empty());
    h.mock.settle_webhooks().await;
    let reqs = received(&server).await;
    assert_eq!(topics(&reqs), [CREATE, PARTIAL, PARTIAL, UPDATED]);
    for name in [
        "x-shopify-webhook-id",
        "x-shopify-event-id",
        "x-shopify-hmac-sha256",
        "x-shopify-triggered-at",
    ] {
        assert_eq!(header(&reqs[1], name), header(&reqs[2], name), "{name}");
    }
    assert_eq!(reqs[1].body, reqs[2].body);
    assert_eq!(
        header(&reqs[2], "x-shopify-hmac-sha256"),
        shopify_mock::sign(SECRET, &reqs[2].body)
    );
    let deliveries = h.mock.deliveries();
    assert_eq!(deliveries.len(), 4, "the copy is a delivery of its own");
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
    assert_eq!(deliveries[3].webhook_id, deliveries[1].webhook_id);
    let injected = h.mock.injected_faults();
    assert_eq!(
        injected,
        [InjectedFault::WebhookDuplicated(target(
            1,
            Topic::OrdersPartiallyFulfilled,
            2
        ))]
    );
    assert_eq!(
        lines(&injected),
        [
            "webhook #1 (orders/partially_fulfilled, 00000000-0000-4000-8000-000000000002) to subscription 1 sent twice"
        ]
    );
}

#[tokio::test]
async fn a_reordered_batch_is_sent_reversed_or_as_permuted() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.mock.arm_faults(vec![Fault::ReorderWebhooks {
        order: WebhookOrder::Reverse,
    }]);
    three_webhooks(&h);
    h.mock.settle_webhooks().await;
    assert_eq!(topics(&received(&server).await), [UPDATED, PARTIAL, CREATE]);

    h.mock.arm_faults(vec![Fault::ReorderWebhooks {
        order: WebhookOrder::Permutation(vec![2, 0]),
    }]);
    h.mock
        .create_order(&order(1004, &[(41, "Y", 3, 0)]))
        .unwrap();
    h.mock.fulfill(1004, 41, 1).unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(
        topics(&received(&server).await[3..]),
        [UPDATED, CREATE, PARTIAL]
    );
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "webhooks to subscription 1 sent in the order [2, 1, 0]",
            "webhooks to subscription 1 sent in the order [2, 0, 1]",
        ]
    );
}

#[tokio::test]
async fn a_delayed_webhook_is_sent_after_the_rest_of_its_batch() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.mock.arm_faults(vec![Fault::DelayWebhook { index: 0 }]);
    three_webhooks(&h);
    h.mock.settle_webhooks().await;
    assert_eq!(topics(&received(&server).await), [PARTIAL, UPDATED, CREATE]);
    assert_eq!(
        h.mock.injected_faults(),
        [InjectedFault::WebhookDelayed(target(
            0,
            Topic::OrdersCreate,
            1
        ))]
    );
}

#[tokio::test]
async fn a_dropped_webhook_is_never_sent_logged_as_dropped_and_settled() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.mock.arm_faults(vec![Fault::DropWebhook { index: 1 }]);
    three_webhooks(&h);
    h.mock.settle_webhooks().await;
    assert_eq!(h.mock.pending_webhooks(), 0);
    assert_eq!(topics(&received(&server).await), [CREATE, UPDATED]);
    let statuses: Vec<DeliveryStatus> = h.mock.deliveries().iter().map(|d| d.status).collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Delivered,
            DeliveryStatus::Dropped,
            DeliveryStatus::Delivered
        ]
    );
    let dropped: Vec<_> = h
        .mock
        .delivery_log()
        .into_iter()
        .filter(|a| a.outcome == AttemptOutcome::Dropped)
        .map(|a| (a.topic, a.attempt))
        .collect();
    assert_eq!(dropped, [(Topic::OrdersPartiallyFulfilled, 0)]);
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "webhook #1 (orders/partially_fulfilled, 00000000-0000-4000-8000-000000000002) to subscription 1 dropped"
        ]
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_in_line_with_the_same_ids() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.mock.arm_faults(vec![Fault::FailDelivery {
        index: 0,
        attempts: 2,
        timeout: false,
    }]);
    three_webhooks(&h);
    h.mock.settle_webhooks().await;
    let reqs = received(&server).await;
    // The receiver sees every attempt; the batch waits for the retries.
    assert_eq!(topics(&reqs), [CREATE, CREATE, CREATE, PARTIAL, UPDATED]);
    let ids: Vec<&str> = reqs[..3]
        .iter()
        .map(|r| header(r, "x-shopify-webhook-id"))
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    let log: Vec<(u32, AttemptOutcome)> = h
        .mock
        .delivery_log()
        .into_iter()
        .filter(|a| a.topic == Topic::OrdersCreate)
        .map(|a| (a.attempt, a.outcome))
        .collect();
    let failed = AttemptOutcome::FailedByFault {
        answered: Some(200),
        timeout: false,
    };
    assert_eq!(
        log,
        [
            (1, failed.clone()),
            (2, failed),
            (3, AttemptOutcome::Delivered { status: 200 })
        ]
    );
    let d = &h.mock.deliveries()[0];
    assert_eq!((d.attempts, d.status), (3, DeliveryStatus::Delivered));
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "webhook #0 (orders/create, 00000000-0000-4000-8000-000000000001) to subscription 1: attempt 1 answered 200, taken as a 503",
            "webhook #0 (orders/create, 00000000-0000-4000-8000-000000000001) to subscription 1: attempt 2 answered 200, taken as a 503",
        ]
    );
}

#[tokio::test]
async fn a_delivery_failed_by_timeout_more_often_than_the_retries_is_still_delivered() {
    let h = harness_with(|c| {
        c.webhooks.retries = 3;
    })
    .await;
    h.mock
        .seed_orders(&[order(1001, &[(11, "CHAIR", 5, 0)])])
        .unwrap();
    let server = subscribed(&h).await;
    h.mock.arm_faults(vec![Fault::FailDelivery {
        index: 1,
        attempts: 99,
        timeout: true,
    }]);
    h.mock.fulfill(1001, 11, 1).unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(
        topics(&received(&server).await),
        [PARTIAL, UPDATED, UPDATED, UPDATED, UPDATED],
        "capped at the 3 retries: the 4th attempt counts"
    );
    let log: Vec<AttemptOutcome> = h
        .mock
        .delivery_log()
        .into_iter()
        .filter(|a| a.topic == Topic::OrdersUpdated)
        .map(|a| a.outcome)
        .collect();
    assert_eq!(log.len(), 4);
    assert!(log[..3].iter().all(|o| *o
        == AttemptOutcome::FailedByFault {
            answered: Some(200),
            timeout: true
        }));
    assert_eq!(h.mock.deliveries()[1].status, DeliveryStatus::Delivered);
    assert!(
        lines(&h.mock.injected_faults())[2].ends_with("attempt 3 answered 200, taken as a timeout")
    );
}

#[tokio::test]
async fn webhook_faults_act_on_one_batch_per_subscription_and_then_are_spent() {
    let h = seeded().await;
    let first = subscribed(&h).await;
    let second = subscribed(&h).await;
    h.mock.arm_faults(vec![
        Fault::DropWebhook { index: 0 },
        Fault::DuplicateWebhook { index: 2 },
    ]);
    three_webhooks(&h);
    h.mock.settle_webhooks().await;
    for server in [&first, &second] {
        assert_eq!(topics(&received(server).await), [PARTIAL, UPDATED, UPDATED]);
    }
    // The plan is spent: the next change goes out at once, untouched.
    h.mock.fulfill(1001, 12, 1).unwrap();
    h.mock.settle_webhooks().await;
    assert_eq!(topics(&received(&first).await[3..]), [PARTIAL, UPDATED]);
    assert_eq!(
        h.mock.injected_faults().len(),
        4,
        "two faults, two subscriptions"
    );
}

#[tokio::test]
async fn the_subscriptions_of_one_receiver_make_one_batch() {
    // An app subscribes one topic at a time: three subscriptions, one receiver.
    let h = seeded().await;
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let address = format!("{}/webhooks", server.uri());
    for topic in [
        Topic::OrdersCreate,
        Topic::OrdersPartiallyFulfilled,
        Topic::OrdersUpdated,
    ] {
        h.mock.subscribe(WebhookSubscription {
            address: address.clone(),
            topics: vec![topic],
            secret: SECRET.to_owned(),
        });
    }
    h.mock.arm_faults(vec![
        Fault::ReorderWebhooks {
            order: WebhookOrder::Reverse,
        },
        Fault::DropWebhook { index: 1 },
    ]);
    three_webhooks(&h);
    h.mock.settle_webhooks().await;
    // Indexes count across the topics, as the changes sent them.
    assert_eq!(topics(&received(&server).await), [UPDATED, CREATE]);
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "webhooks to subscription 1 sent in the order [2, 1, 0]",
            "webhook #1 (orders/partially_fulfilled, 00000000-0000-4000-8000-000000000002) to subscription 1 dropped",
        ]
    );
}

#[tokio::test]
async fn disarming_ends_the_batch_and_logs_what_was_not_used() {
    let h = seeded().await;
    let server = subscribed(&h).await;
    h.mock.arm_faults(vec![
        Fault::DelayWebhook { index: 5 },
        Fault::RestRead {
            kind: ReadFault::ServerError { status: 503 },
            count: 3,
        },
        Fault::GraphqlThrottled { count: 1 },
    ]);
    h.mock.fulfill(1001, 11, 1).unwrap();
    assert_eq!(h.get("orders/1001.json").await.status, 503);
    h.mock.disarm_faults();
    h.mock.settle_webhooks().await;
    assert_eq!(topics(&received(&server).await), [PARTIAL, UPDATED]);
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "GET /admin/api/2025-01/orders/1001.json: 503",
            "unused: delay webhook #5 (subscription 1: no webhook #5: the batch has 2 webhook(s))",
            "unused: next 2 REST read(s): 503 (2 REST read(s) fewer than armed came)",
            "unused: next 1 GraphQL call(s): THROTTLED (1 GraphQL call(s) fewer than armed came)",
        ]
    );
    // A plan armed while nothing is sent leaves its webhook faults unused.
    h.mock
        .arm_faults(vec![Fault::DuplicateWebhook { index: 0 }]);
    h.mock.settle_webhooks().await;
    assert_eq!(
        lines(&h.mock.injected_faults()).last().unwrap(),
        "unused: duplicate webhook #0 (no webhook was sent)"
    );
}

#[tokio::test]
async fn the_same_plan_over_the_same_changes_gives_the_same_log() {
    async fn run() -> (Vec<String>, Vec<String>) {
        let h = seeded().await;
        let server = subscribed(&h).await;
        h.mock.arm_faults(vec![
            Fault::ReorderWebhooks {
                order: WebhookOrder::Reverse,
            },
            Fault::DelayWebhook { index: 2 },
            Fault::DuplicateWebhook { index: 0 },
            Fault::FailDelivery {
                index: 1,
                attempts: 1,
                timeout: false,
            },
        ]);
        three_webhooks(&h);
        h.mock.settle_webhooks().await;
        let log = h
            .mock
            .delivery_log()
            .iter()
            .map(|a| format!("{} {} {} {:?}", a.webhook_id, a.topic, a.attempt, a.outcome))
            .collect();
        let reqs = topics(&received(&server).await);
        assert_eq!(reqs, [PARTIAL, PARTIAL, CREATE, CREATE, UPDATED]);
        (log, lines(&h.mock.injected_faults()))
    }
    assert_eq!(run().await, run().await);
}

// ----- REST and GraphQL faults ----------------------------------------------------

#[tokio::test]
async fn rest_reads_answer_429_with_a_short_retry_after_and_leave_the_bucket_alone() {
    let h = seeded().await;
    h.mock.arm_faults(vec![Fault::RestRead {
        kind: ReadFault::TooManyRequests {
            retry_after: Duration::from_millis(10),
        },
        count: 2,
    }]);
    // Writes and GraphQL are not reads: untouched, and the fault stays armed.
    assert_eq!(
        h.post("orders/1001/close.json", json!({})).await.status,
        200
    );
    let level = h.mock.rest_bucket_level();
    for _ in 0..2 {
        let a = h.get("orders/1001.json").await;
        assert_eq!(a.status, 429);
        assert_eq!(a.header("retry-after"), Some("0.01"));
        assert_eq!(a.header("x-shopify-shop-api-call-limit"), Some("40/40"));
        assert!(a.header("x-request-id").is_some());
        assert!(a.body["errors"].as_str().unwrap().starts_with("Exceeded"));
    }
    assert_eq!(h.mock.rest_bucket_level(), level, "faults change nothing");
    let a = h.get("orders.json?status=any").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "GET /admin/api/2025-01/orders/1001.json: 429 with Retry-After: 0.01",
            "GET /admin/api/2025-01/orders/1001.json: 429 with Retry-After: 0.01",
        ]
    );
}

#[tokio::test]
async fn rest_reads_answer_5xx_in_the_order_armed() {
    let h = seeded().await;
    h.mock.arm_faults(vec![
        Fault::RestRead {
            kind: ReadFault::ServerError { status: 502 },
            count: 1,
        },
        // Not a 5xx: sent as 500 rather than anything wiremock cannot send.
        Fault::RestRead {
            kind: ReadFault::ServerError { status: 1234 },
            count: 1,
        },
    ]);
    let a = h.get("orders.json").await;
    assert_eq!(a.status, 502);
    assert_eq!(a.body, json!({"errors": "Internal Server Error"}));
    assert!(a.header("x-request-id").is_some());
    assert_eq!(h.get("orders/count.json").await.status, 500);
    assert_eq!(h.get("orders/count.json").await.status, 200);
}

#[tokio::test]
async fn a_reset_read_gets_no_answer_and_the_mock_keeps_serving() {
    let h = seeded().await;
    h.mock.arm_faults(vec![Fault::RestRead {
        kind: ReadFault::Reset,
        count: 2,
    }]);
    // A read without the token is not an Admin API read: answered 401, not reset.
    let a = h
        .request(reqwest::Method::GET, &h.url("orders/1001.json"), None, None)
        .await;
    assert_eq!(a.status, 401);
    let url = h.url("orders/1001.json");
    for _ in 0..2 {
        let sent = h
            .http
            .get(&url)
            .header("X-Shopify-Access-Token", h.mock.access_token())
            .send()
            .await;
        let e = sent.expect_err("no answer");
        assert!(!e.is_status(), "{e:?}");
    }
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    assert_eq!(
        lines(&h.mock.injected_faults()),
        [
            "GET /admin/api/2025-01/orders/1001.json: connection reset",
            "GET /admin/api/2025-01/orders/1001.json: connection reset",
        ]
    );
}

#[tokio::test]
async fn a_slow_read_answers_after_its_delay() {
    let h = seeded().await;
    h.mock.arm_faults(vec![Fault::RestRead {
        kind: ReadFault::Slow {
            delay: Duration::from_millis(60),
        },
        count: 1,
    }]);
    let t = Instant::now();
    let a = h.get("orders/1001.json").await;
    assert!(t.elapsed() >= Duration::from_millis(60));
    assert_eq!(a.status, 200);
    assert_eq!(a.body["order"]["id"], 1001);
    assert_eq!(
        lines(&h.mock.injected_faults()),
        ["GET /admin/api/2025-01/orders/1001.json: answered after 60ms"]
    );
}

#[tokio::test]
async fn graphql_calls_answer_throttled_and_run_nothing() {
    let h = seeded().await;
    h.mock
        .arm_faults(vec![Fault::GraphqlThrottled { count: 1 }]);
    let close = "mutation { orderClose(input: {id: \"gid://shopify/Order/1001\"}) { order { closedAt } userErrors { message } } }";
    let a = h.graphql(close, json!({})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["errors"][0]["message"], "Throttled");
    assert_eq!(a.body["errors"][0]["extensions"]["code"], "THROTTLED");
    let cost = &a.body["extensions"]["cost"];
    assert_eq!(cost["actualQueryCost"], Value::Null);
    assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 1000.0);
    assert!(a.body.get("data").is_none_or(Value::is_null));
    assert!(h.mock.order(1001).unwrap().closed_at.is_none());
    // REST reads are not GraphQL calls.
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    let a = h.graphql(close, json!({})).await;
    assert!(a.body["data"]["orderClose"]["order"]["closedAt"].is_string());
    assert_eq!(
        lines(&h.mock.injected_faults()),
        ["POST graphql.json: THROTTLED"]
    );
}

#[tokio::test]
async fn an_unsendable_status_is_answered_500_not_a_panic() {
    let h = seeded().await;
    h.mock.fail_next_requests(1, 42);
    assert_eq!(h.get("orders/1001.json").await.status, 500);
    assert_eq!(h.get("orders/1001.json").await.status, 200);
}

// ----- end to end: the sync as receiver -------------------------------------------

/// A mock, and the sync subscribed to it with an SO imported and an MO on line 11.
struct World {
    h: Harness,
    sync: SyncService,
    _server: WebhookServer,
}

async fn world() -> World {
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1001, &[(11, "OAK", 5, 0), (12, "ASH", 2, 0)])])
        .unwrap();
    let client = ShopifyClient::new(&h.mock.base_url(), "2025-01", h.mock.access_token())
        .with_retry(RetryPolicy {
            max_retries: 4,
            backoff: Duration::from_millis(1),
            max_retry_after: Duration::from_millis(50),
        });
    let sync = SyncService::new(
        Katana::new(),
        Settings::default(),
        start_time(),
        client,
        SECRET.as_bytes(),
    );
    let server = sync
        .serve(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    h.mock
        .subscribe(WebhookSubscription::all_topics(server.url(), SECRET));
    sync.reconcile().await.unwrap();
    {
        let mut state = sync.state().await;
        state
            .katana
            .create_mo(&NewMo {
                id: MoId::new("MO-1"),
                kind: NewMoKind::MakeToOrder(RowRef {
                    order: 1001,
                    line: 11,
                }),
                status: MoStatus::NotStarted,
            })
            .unwrap();
        state.take_effects();
    }
    World {
        h,
        sync,
        _server: server,
    }
}

impl World {
    async fn at_minute(&self, minute: u64) {
        let t = start_time() + Duration::from_secs(60 * minute);
        self.h.clock.set(t);
        self.sync.state().await.now = t;
    }

    /// A GraphQL call that retries `THROTTLED`, as a client must (bounded).
    async fn graphql(&self, query: &str, variables: Value) -> Value {
        for _ in 0..20 {
            let a = self.h.graphql(query, variables.clone()).await;
            if a.body["errors"][0]["extensions"]["code"] != "THROTTLED" {
                assert_eq!(a.body.get("errors"), None, "{}", a.body);
                return a.body["data"].clone();
            }
        }
        panic!("still throttled after 20 calls");
    }

    /// An order edit: begin, set a line's quantity, commit (`orders/edited`,
    /// `orders/updated`).
    async fn edit(&self, line: u64, quantity: u32) {
        let begun = self
            .graphql(
                "mutation($id: ID!) { orderEditBegin(id: $id) { calculatedOrder { id } userErrors { message } } }",
                json!({"id": "gid://shopify/Order/1001"}),
            )
            .await;
        let calc = begun["orderEditBegin"]["calculatedOrder"]["id"].clone();
        self.graphql(
            "mutation($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q, restock: true) { userErrors { message } } }",
            json!({"id": calc, "line": format!("gid://shopify/CalculatedLineItem/{line}"), "q": quantity}),
        )
        .await;
        let commit = self
            .graphql(
                "mutation($id: ID!) { orderEditCommit(id: $id, notifyCustomer: false) { userErrors { message } } }",
                json!({"id": calc}),
            )
            .await;
        assert_eq!(commit["orderEditCommit"]["userErrors"], json!([]));
    }

    /// A refund of unfulfilled units (`refunds/create`, `orders/updated`).
    async fn refund(&self, line: u64, quantity: u32) {
        let a = self
            .h
            .post(
                "orders/1001/refunds.json",
                json!({"refund": {"refund_line_items": [
                    {"line_item_id": line, "quantity": quantity, "restock_type": "cancel"}]}}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }

    async fn katana(&self) -> String {
        let state = self.sync.state().await;
        format!(
            "{:#?}\n{:#?}",
            state.katana.sales_orders(),
            state.katana.mos()
        )
    }

    async fn effects(&self) -> Vec<String> {
        let effects = self.sync.state().await.take_effects();
        effects.iter().map(ToString::to_string).collect()
    }
}

/// What the sync did and ended with.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// The effects of each step (and of the reconciliation, when asked).
    effects: Vec<Vec<String>>,
    /// Katana's SOs and MOs.
    katana: String,
}

/// Two steps (an edit, a refund), each under `plan`, then optionally a
/// reconciliation. Every delivery not dropped must be delivered.
async fn run(plan: &[Fault], reconcile: bool) -> (Outcome, Vec<InjectedFault>) {
    let w = world().await;
    let mut effects = Vec::new();
    w.at_minute(1).await;
    w.h.mock.arm_faults(plan.to_vec());
    w.edit(11, 3).await;
    w.h.mock.settle_webhooks().await;
    effects.push(w.effects().await);
    w.at_minute(2).await;
    w.h.mock.arm_faults(plan.to_vec());
    w.refund(12, 1).await;
    w.h.mock.settle_webhooks().await;
    effects.push(w.effects().await);
    w.h.mock.disarm_faults();
    if reconcile {
        w.at_minute(3).await;
        w.sync.reconcile().await.unwrap();
        effects.push(w.effects().await);
    }
    for d in w.h.mock.deliveries() {
        assert!(
            matches!(
                d.status,
                DeliveryStatus::Delivered | DeliveryStatus::Dropped
            ),
            "{d:?}"
        );
    }
    let katana = w.katana().await;
    (Outcome { effects, katana }, w.h.mock.injected_faults())
}

fn read(kind: ReadFault, count: u32) -> Fault {
    Fault::RestRead { kind, count }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_ends_the_same_with_and_without_each_fault() {
    let (baseline, none) = run(&[], false).await;
    assert!(none.is_empty());
    assert!(
        baseline.katana.contains("quantity: 3"),
        "the edit reached Katana: {}",
        baseline.katana
    );
    let faults: Vec<(&str, Vec<Fault>)> = vec![
        ("duplicate", vec![Fault::DuplicateWebhook { index: 0 }]),
        (
            "reverse",
            vec![Fault::ReorderWebhooks {
                order: WebhookOrder::Reverse,
            }],
        ),
        ("delay", vec![Fault::DelayWebhook { index: 0 }]),
        ("drop the first", vec![Fault::DropWebhook { index: 0 }]),
        (
            "fail by 503",
            vec![Fault::FailDelivery {
                index: 0,
                attempts: 2,
                timeout: false,
            }],
        ),
        (
            "fail by timeout",
            vec![Fault::FailDelivery {
                index: 1,
                attempts: 3,
                timeout: true,
            }],
        ),
        (
            "429",
            vec![read(
                ReadFault::TooManyRequests {
                    retry_after: Duration::from_millis(10),
                },
                2,
            )],
        ),
        ("503", vec![read(ReadFault::ServerError { status: 503 }, 3)]),
        // More than the client retries (1 + 4): the delivery fails, and the
        // mock's retry of it applies the change.
        (
            "503 beyond the client",
            vec![read(ReadFault::ServerError { status: 502 }, 6)],
        ),
        ("reset", vec![read(ReadFault::Reset, 2)]),
        (
            "slow",
            vec![read(
                ReadFault::Slow {
                    delay: Duration::from_millis(20),
                },
                1,
            )],
        ),
        ("throttled", vec![Fault::GraphqlThrottled { count: 2 }]),
        (
            "everything at once",
            vec![
                Fault::ReorderWebhooks {
                    order: WebhookOrder::Reverse,
                },
                Fault::DuplicateWebhook { index: 1 },
                Fault::DelayWebhook { index: 1 },
                Fault::FailDelivery {
                    index: 0,
                    attempts: 1,
                    timeout: false,
                },
                read(ReadFault::Reset, 1),
                read(
                    ReadFault::TooManyRequests {
                        retry_after: Duration::from_millis(5),
                    },
                    1,
                ),
                read(ReadFault::ServerError { status: 503 }, 1),
                Fault::GraphqlThrottled { count: 1 },
            ],
        ),
    ];
    for (name, plan) in faults {
        let (outcome, injected) = run(&plan, false).await;
        assert_eq!(outcome, baseline, "{name}: {}", lines(&injected).join("\n"));
        assert!(
            injected
                .iter()
                .any(|f| !matches!(f, InjectedFault::Unused { .. })),
            "{name}: the fault was injected: {injected:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_webhooks_are_repaired_by_reconciliation() {
    let (baseline, _) = run(&[], true).await;
    let drop_all = [
        Fault::DropWebhook { index: 0 },
        Fault::DropWebhook { index: 1 },
    ];
    // Without reconciliation the sync misses both steps.
    let w = world().await;
    let before = w.katana().await;
    w.at_minute(1).await;
    w.h.mock.arm_faults(drop_all.to_vec());
    w.edit(11, 3).await;
    w.h.mock.settle_webhooks().await;
    assert_eq!(w.katana().await, before, "nothing was delivered");
    drop(w);
    // With it, the same state as without faults.
    let (outcome, injected) = run(&drop_all, true).await;
    assert_eq!(outcome.katana, baseline.katana);
    assert_eq!(
        injected
            .iter()
            .filter(|f| matches!(f, InjectedFault::WebhookDropped(_)))
            .count(),
        4
    );
    // What the webhooks would have done, reconciliation did.
    assert_eq!(outcome.effects[0], Vec::<String>::new());
    assert!(!outcome.effects[2].is_empty());
}
