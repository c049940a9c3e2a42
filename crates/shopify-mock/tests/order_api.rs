//! Every order API an app uses, over HTTP: REST `POST orders.json`, fulfilment
//! orders and `POST fulfillments.json`, `webhooks.json` CRUD; GraphQL `orders`
//! (cursors, `pageInfo`, `query`, `sortKey`), `fulfillmentCreate` and the webhook
//! subscription mutations. Webhooks are awaited with `settle_webhooks`, never a
//! sleep; time moves on the manual clock.

mod common;

use common::{Answer, Harness, harness, order};
use reqwest::Method;
use serde_json::{Value, json};
use shopify_mock::shopify_model::{NewLine, NewOrder, Store};
use shopify_mock::{WebhookSubscription, sign};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "hush";

async fn receiver() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn header<'r>(r: &'r Request, name: &str) -> &'r str {
    r.headers.get(name).unwrap().to_str().unwrap()
}

fn topics(reqs: &[Request]) -> Vec<&str> {
    reqs.iter().map(|r| header(r, "x-shopify-topic")).collect()
}

async fn seeded() -> Harness {
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1001, &[(11, "CHAIR", 5, 0), (12, "TABLE", 1, 0)])])
        .unwrap();
    h
}

async fn put(h: &Harness, path: &str, body: Value) -> Answer {
    let token = h.mock.access_token().to_owned();
    h.request(Method::PUT, &h.url(path), Some(body), Some(&token))
        .await
}

/// A raw body, as a client that sends broken JSON would.
async fn post_raw(h: &Harness, path: &str, body: &str) -> Answer {
    h.raw(Method::POST, &h.url(path), "application/json", body)
        .await
}

fn line_ids(order: &Value) -> Vec<u64> {
    order["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect()
}

// ----- POST orders.json ----------------------------------------------------------------

#[tokio::test]
async fn create_order_gives_ids_sends_orders_create_and_reads_back() {
    let h = seeded().await;
    let hooks = receiver().await;
    h.mock.subscribe(WebhookSubscription::all_topics(
        format!("{}/hooks", hooks.uri()),
        SECRET,
    ));
    let lamp = h.mock.catalogue_variant("LAMP");
    let a = h
        .post(
            "orders.json",
            json!({"order": {
                "line_items": [
                    {"sku": "DESK", "quantity": 2, "title": "A desk"},
                    {"variant_id": lamp, "quantity": 1},
                ],
                "financial_status": "pending",
                "test": true,
            }}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let o = &a.body["order"];
    assert_eq!(o["id"], 1002);
    assert_eq!(o["name"], "#1002");
    assert_eq!(o["financial_status"], "pending");
    assert_eq!(line_ids(o), [13, 14]);
    assert_eq!(o["line_items"][0]["sku"], "DESK");
    assert_eq!(o["line_items"][1]["sku"], "LAMP");
    assert_eq!(o["line_items"][1]["variant_id"], lamp);
    assert_eq!(h.get("orders/1002.json").await.body, a.body);
    h.mock.settle_webhooks().await;
    let reqs = received(&hooks).await;
    assert_eq!(topics(&reqs), ["orders/create"]);
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body, a.body["order"]);
    assert_eq!(
        header(&reqs[0], "x-shopify-hmac-sha256"),
        sign(SECRET, &reqs[0].body)
    );

    // The mock extension: ids given are used when free.
    let a = h
        .post(
            "orders.json",
            json!({"order": {"id": 5000, "name": "#A-1", "line_items": [{"id": 77, "sku": "X", "quantity": 1}, {"sku": "Y", "quantity": 3}]}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["order"]["id"], 5000);
    assert_eq!(a.body["order"]["name"], "#A-1");
    assert_eq!(a.body["order"]["financial_status"], "paid");
    assert_eq!(line_ids(&a.body["order"]), [77, 78]);
    // The next order goes on from the highest id.
    let a = h
        .post(
            "orders.json",
            json!({"order": {"line_items": [{"sku": "X", "quantity": 1}]}}),
        )
        .await;
    assert_eq!(
        (a.body["order"]["id"].as_u64(), line_ids(&a.body["order"])),
        (Some(5001), vec![79])
    );
}

#[tokio::test]
async fn create_order_refusals_name_the_problem() {
    let h = seeded().await;
    let a = post_raw(&h, "orders.json", "{\"order\": ").await;
    assert_eq!(a.status, 400);
    let msg = a.body["errors"]["order"].as_str().unwrap();
    assert!(msg.contains("not valid JSON"), "{msg}");
    let a = h.post("orders.json", json!({"line_items": []})).await;
    assert_eq!(a.status, 400);
    assert!(
        a.body["errors"]["order"]
            .as_str()
            .unwrap()
            .contains("no \"order\" object")
    );
    let refusals = [
        (
            json!({"order": {"line_items": [{"quantity": 1}]}}),
            json!({"line_items": ["line item 1 needs a sku or a variant_id"]}),
        ),
        (
            json!({"order": {"line_items": [{"variant_id": 999, "quantity": 1}]}}),
            json!({"line_items": ["line item 1: variant 999 does not exist; give a sku, or a variant_id the store has (variants exist for the SKUs it has seen)"]}),
        ),
        (
            json!({"order": {"id": 1001, "line_items": [{"sku": "A", "quantity": 1}]}}),
            json!({"base": ["order 1001 already exists"]}),
        ),
        (
            json!({"order": {"line_items": []}}),
            json!({"base": [shopify_mock::shopify_model::ShopifyError::EmptyOrder { order: "#1002".into() }.to_string()]}),
        ),
        (
            json!({"order": {"financial_status": "owed", "line_items": [{"sku": "A", "quantity": 1}]}}),
            json!({"financial_status": ["\"owed\" is not a financial status; use pending, authorized, partially_paid, paid, partially_refunded, refunded or voided"]}),
        ),
        (
            json!({"order": {"fulfillment_status": "partial", "line_items": [{"sku": "A", "quantity": 1}]}}),
            json!({"fulfillment_status": ["\"partial\" is not a fulfillment status an order is created with; use \"fulfilled\" or null (or `fulfilled` per line item)"]}),
        ),
        (
            json!({"order": {"closed_at": "yesterday", "line_items": [{"sku": "A", "quantity": 1}]}}),
            json!({"closed_at": ["\"yesterday\" is not a time; give an ISO 8601 time such as \"2026-01-01T09:00:00Z\" (the order is created at the mock's now either way), or leave it out"]}),
        ),
        (
            json!({"order": {"line_items": [{"sku": "A", "quantity": 1, "fulfilled": -1}]}}),
            json!({"line_items": ["line item 1: fulfilled -1 is not a number of units"]}),
        ),
    ];
    for (body, errors) in refusals {
        let a = h.post("orders.json", body.clone()).await;
        assert_eq!(a.status, 422, "{body}");
        assert_eq!(a.body, json!({ "errors": errors }), "{body}");
    }
    // A line item id in use: the store's words.
    let a = h
        .post(
            "orders.json",
            json!({"order": {"line_items": [{"id": 11, "sku": "A", "quantity": 1}]}}),
        )
        .await;
    assert_eq!(a.status, 422);
    let msg = a.body["errors"]["base"][0].as_str().unwrap();
    assert!(msg.starts_with("line item 11 already exists"), "{msg}");
    // Nothing was created.
    assert_eq!(h.get("orders/count.json?status=any").await.body["count"], 1);
}

#[tokio::test]
async fn create_order_makes_an_order_in_any_state_in_one_orders_create() {
    let h = seeded().await;
    let hook = receiver().await;
    h.mock
        .subscribe(WebhookSubscription::all_topics(hook.uri(), "s"));
    let mut store = h.mock.store();
    let a = h
        .post(
            "orders.json",
            json!({"order": {
                "id": 2001,
                "financial_status": "partially_refunded",
                "closed_at": "2026-01-01T09:00:00Z",
                "line_items": [
                    {"id": 31, "sku": "A", "quantity": 3, "fulfilled": 2},
                    {"id": 32, "sku": "B", "quantity": 1, "fulfillment_status": "fulfilled"},
                    {"id": 33, "sku": "C", "quantity": 4}
                ]
            }}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // The same order as the store makes from the same description.
    let expected = NewOrder {
        id: 2001,
        name: None,
        financial_status: shopify_mock::shopify_model::FinancialStatus::PartiallyRefunded,
        lines: vec![
            NewLine {
                id: 31,
                sku: "A".into(),
                quantity: 3,
                fulfilled: 2,
            },
            NewLine {
                id: 32,
                sku: "B".into(),
                quantity: 1,
                fulfilled: 1,
            },
            NewLine {
                id: 33,
                sku: "C".into(),
                quantity: 4,
                fulfilled: 0,
            },
        ],
        archived: true,
        cancelled: false,
    };
    let made = store
        .create_order(&expected, common::start_time())
        .unwrap()
        .clone();
    assert_eq!(h.mock.order(2001).unwrap(), made);
    assert_eq!(a.body["order"], made.to_rest_json());

    // Cancelled at creation, and every line fulfilled by the order's status.
    let a = h
        .post(
            "orders.json",
            json!({"order": {"id": 2002, "cancelled_at": "2026-01-01T09:00:00Z",
                   "line_items": [{"id": 41, "sku": "A", "quantity": 1}]}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(h.mock.order(2002).unwrap().is_cancelled());
    let a = h
        .post(
            "orders.json",
            json!({"order": {"id": 2003, "fulfillment_status": "fulfilled",
                   "line_items": [{"id": 51, "sku": "A", "quantity": 2}, {"id": 52, "sku": "B", "quantity": 1}]}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let o = h.mock.order(2003).unwrap();
    assert!(
        o.line_items
            .iter()
            .all(|l| l.fulfilled_quantity == l.quantity)
    );
    // Cancelled with fulfilled units: the store's refusal, in its words.
    let a = h
        .post(
            "orders.json",
            json!({"order": {"id": 2004, "cancelled_at": "2026-01-01T09:00:00Z",
                   "line_items": [{"id": 61, "sku": "A", "quantity": 1, "fulfilled": 1}]}}),
        )
        .await;
    assert_eq!(a.status, 422);
    let refused = NewOrder {
        id: 2004,
        name: None,
        financial_status: shopify_mock::shopify_model::FinancialStatus::Paid,
        lines: vec![NewLine {
            id: 61,
            sku: "A".into(),
            quantity: 1,
            fulfilled: 1,
        }],
        archived: false,
        cancelled: true,
    };
    let words = Store::new()
        .create_order(&refused, common::start_time())
        .unwrap_err()
        .to_string();
    assert_eq!(a.body, json!({"errors": {"base": [words]}}));

    // One orders/create per order made, nothing else.
    h.mock.settle_webhooks().await;
    let topics: Vec<&str> = h
        .mock
        .deliveries()
        .iter()
        .map(|d| d.topic.as_str())
        .collect();
    assert_eq!(topics, ["orders/create"; 3]);
}

// ----- fulfilment orders and fulfilments ---------------------------------------------

fn fo_id(order: u64) -> u64 {
    1_000_000_000_000 + order
}

#[tokio::test]
async fn fulfillments_fulfil_by_fulfillment_order_and_send_the_topics() {
    let h = seeded().await;
    let hooks = receiver().await;
    h.mock.subscribe(WebhookSubscription::all_topics(
        format!("{}/hooks", hooks.uri()),
        SECRET,
    ));
    let a = h.get("orders/1001/fulfillment_orders.json").await;
    assert_eq!(a.status, 200);
    let fo = &a.body["fulfillment_orders"][0];
    assert_eq!(fo["id"], fo_id(1001));
    assert_eq!(fo["order_id"], 1001);
    assert_eq!(fo["status"], "open");
    let lines = fo["line_items"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line_item_id"], 11);
    assert_eq!(lines[0]["quantity"], 5);
    assert_eq!(lines[0]["fulfillable_quantity"], 5);
    let chair = lines[0]["id"].as_u64().unwrap();

    let a = h
        .post(
            "fulfillments.json",
            json!({"fulfillment": {
                "line_items_by_fulfillment_order": [{
                    "fulfillment_order_id": fo_id(1001),
                    "fulfillment_order_line_items": [{"id": chair, "quantity": 2}],
                }],
                "notify_customer": false,
                "tracking_info": {"number": "1Z999", "company": "UPS"},
            }}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let f = &a.body["fulfillment"];
    assert_eq!(f["id"], 1);
    assert_eq!(f["order_id"], 1001);
    assert_eq!(f["status"], "success");
    assert_eq!(f["tracking_number"], "1Z999");
    assert_eq!(f["line_items"][0]["id"], 11);
    assert_eq!(f["line_items"][0]["quantity"], 2);
    let fo =
        h.get("orders/1001/fulfillment_orders.json").await.body["fulfillment_orders"][0].clone();
    assert_eq!(fo["status"], "in_progress");
    assert_eq!(fo["line_items"][0]["fulfillable_quantity"], 3);
    let o = h.get("orders/1001.json").await.body["order"].clone();
    assert_eq!(o["fulfillment_status"], "partial");

    // No line items: everything that remains.
    let a = h
        .post(
            "fulfillments.json",
            json!({"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id(1001)}]}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["fulfillment"]["id"], 2);
    let fulfilled: Vec<(u64, u64)> = a.body["fulfillment"]["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_u64().unwrap(), l["quantity"].as_u64().unwrap()))
        .collect();
    assert_eq!(fulfilled, [(11, 3), (12, 1)]);
    assert_eq!(
        h.get("orders/1001.json").await.body["order"]["fulfillment_status"],
        "fulfilled"
    );
    let fo =
        h.get("orders/1001/fulfillment_orders.json").await.body["fulfillment_orders"][0].clone();
    assert_eq!(fo["status"], "closed");
    assert_eq!(fo["supported_actions"], json!([]));

    h.mock.settle_webhooks().await;
    let reqs = received(&hooks).await;
    assert_eq!(
        topics(&reqs),
        [
            "orders/partially_fulfilled",
            "orders/updated",
            "orders/fulfilled",
            "orders/updated"
        ]
    );

    // Nothing remains: the store's refusal.
    let a = h
        .post(
            "fulfillments.json",
            json!({"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id(1001)}]}}),
        )
        .await;
    assert_eq!(a.status, 422);
    let msg = a.body["errors"]["base"][0].as_str().unwrap();
    assert!(msg.contains("line item 11"), "{msg}");
}

#[tokio::test]
async fn fulfillment_refusals_change_nothing() {
    let h = seeded().await;
    let chair = fo_id(11);
    let table = fo_id(12);
    let fulfil = |lines: Value| {
        json!({"fulfillment": {"line_items_by_fulfillment_order": [
            {"fulfillment_order_id": fo_id(1001), "fulfillment_order_line_items": lines}
        ]}})
    };
    // The chair's units fit, the table's do not: all or nothing, in the store's words.
    let a = h
        .post(
            "fulfillments.json",
            fulfil(json!([{"id": chair, "quantity": 2}, {"id": table, "quantity": 2}])),
        )
        .await;
    assert_eq!(a.status, 422);
    let expected = h.mock.with_store(|s| {
        let mut copy = s.clone();
        copy.fulfill(1001, 12, 2, common::start_time())
            .unwrap_err()
            .to_string()
    });
    assert_eq!(a.body, json!({"errors": {"base": [expected]}}));
    let o = h.get("orders/1001.json").await.body["order"].clone();
    assert_eq!(o["fulfillment_status"], Value::Null);
    assert_eq!(o["line_items"][0]["fulfillable_quantity"], 5);

    // An order's line item id is not a fulfilment order line item id.
    let a = h
        .post(
            "fulfillments.json",
            fulfil(json!([{"id": 11, "quantity": 1}])),
        )
        .await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["line_items_by_fulfillment_order"][0]
            .as_str()
            .unwrap()
            .contains("not in fulfillment order")
    );
    // A line item the order does not have, in the fulfilment order's numbering:
    // the store's own refusal, as in process.
    let a = h
        .post(
            "fulfillments.json",
            fulfil(json!([{"id": 1_000_000_000_099_u64, "quantity": 1}])),
        )
        .await;
    assert_eq!(a.status, 422);
    let expected = h.mock.with_store(|s| {
        let mut copy = s.clone();
        copy.fulfill(1001, 99, 1, common::start_time())
            .unwrap_err()
            .to_string()
    });
    assert_eq!(a.body, json!({"errors": {"base": [expected]}}));
    // Zero units: the store's refusal.
    let a = h
        .post(
            "fulfillments.json",
            fulfil(json!([{"id": chair, "quantity": 0}])),
        )
        .await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("needs a quantity of at least 1")
    );
    // An unknown fulfilment order is 404; a missing list is 400.
    let a = h
        .post(
            "fulfillments.json",
            json!({"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": 1001}]}}),
        )
        .await;
    assert_eq!(
        (a.status, a.body.clone()),
        (404, json!({"errors": "Not Found"}))
    );
    let a = h
        .post("fulfillments.json", json!({"fulfillment": {}}))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(h.get("orders/9/fulfillment_orders.json").await.status, 404);
    // A cancelled order cannot be fulfilled.
    h.post("orders/1001/cancel.json", json!({})).await;
    let a = h
        .post(
            "fulfillments.json",
            fulfil(json!([{"id": chair, "quantity": 1}])),
        )
        .await;
    assert_eq!(a.status, 422);
    assert_eq!(
        a.body["errors"]["base"][0],
        "order #1001 is cancelled and cannot be fulfilled"
    );
    let fo =
        h.get("orders/1001/fulfillment_orders.json").await.body["fulfillment_orders"][0].clone();
    assert_eq!(fo["status"], "closed");
}

// ----- webhooks.json ----------------------------------------------------------------------

#[tokio::test]
async fn webhooks_json_create_list_get_update_delete() {
    let h = seeded().await;
    let a = h
        .post(
            "webhooks.json",
            json!({"webhook": {"topic": "orders/create", "address": "http://127.0.0.1:9/a", "format": "json"}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let w = a.body["webhook"].clone();
    assert_eq!(w["id"], 1);
    assert_eq!(w["topic"], "orders/create");
    assert_eq!(w["address"], "http://127.0.0.1:9/a");
    assert_eq!(w["format"], "json");
    assert_eq!(w["api_version"], "2025-01");
    assert_eq!(w["created_at"], common::START);
    assert_eq!(w["updated_at"], common::START);
    h.post(
        "webhooks.json",
        json!({"webhook": {"topic": "orders/paid", "address": "http://127.0.0.1:9/a"}}),
    )
    .await;

    let list = h.get("webhooks.json").await.body["webhooks"].clone();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0], w);
    let only = h.get("webhooks.json?topic=orders/paid").await.body["webhooks"].clone();
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["id"], 2);
    assert_eq!(
        h.get("webhooks/count.json?address=http://127.0.0.1:9/a")
            .await
            .body,
        json!({"count": 2})
    );
    assert_eq!(h.get("webhooks/1.json").await.body["webhook"], w);

    // Refusals in Shopify's shapes.
    let a = h
        .post(
            "webhooks.json",
            json!({"webhook": {"topic": "orders/create", "address": "http://127.0.0.1:9/a"}}),
        )
        .await;
    assert_eq!(
        (a.status, a.body.clone()),
        (
            422,
            json!({"errors": {"address": ["for this topic has already been taken"]}})
        )
    );
    let a = h
        .post(
            "webhooks.json",
            json!({"webhook": {"topic": "products/create", "address": "http://127.0.0.1:9/a"}}),
        )
        .await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["topic"][0]
            .as_str()
            .unwrap()
            .starts_with("Invalid topic specified")
    );
    let a = h
        .post(
            "webhooks.json",
            json!({"webhook": {"topic": "orders/create", "address": "ftp://x"}}),
        )
        .await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["address"][0]
            .as_str()
            .unwrap()
            .contains("http://")
    );
    let a = h
        .post(
            "webhooks.json",
            json!({"webhook": {"topic": "orders/create"}}),
        )
        .await;
    assert_eq!(a.body, json!({"errors": {"address": ["can't be blank"]}}));

    // Update the address: same id, new updated_at.
    h.tick(60);
    let a = put(
        &h,
        "webhooks/1.json",
        json!({"webhook": {"id": 1, "address": "http://127.0.0.1:9/b"}}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["webhook"]["id"], 1);
    assert_eq!(a.body["webhook"]["address"], "http://127.0.0.1:9/b");
    assert_eq!(a.body["webhook"]["created_at"], common::START);
    assert_eq!(a.body["webhook"]["updated_at"], "2026-01-01T09:01:00Z");
    assert_eq!(h.get("webhooks/1.json").await.body, a.body);

    assert_eq!(h.delete("webhooks/1.json").await.body, json!({}));
    assert_eq!(h.get("webhooks/1.json").await.status, 404);
    assert_eq!(h.delete("webhooks/1.json").await.status, 404);
    assert_eq!(
        put(&h, "webhooks/1.json", json!({"webhook": {}}))
            .await
            .status,
        404
    );
    assert_eq!(h.get("webhooks/count.json").await.body, json!({"count": 1}));
}

#[tokio::test]
async fn a_library_subscription_lists_once_per_topic_and_splits_when_changed() {
    let h = seeded().await;
    let id = h.mock.subscribe(WebhookSubscription::all_topics(
        "http://127.0.0.1:9/all",
        SECRET,
    ));
    let list = h.get("webhooks.json").await.body["webhooks"].clone();
    let rows: Vec<(u64, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["id"].as_u64().unwrap(), w["topic"].as_str().unwrap()))
        .collect();
    assert_eq!(rows.len(), shopify_mock::Topic::ALL.len());
    assert_eq!(rows[0], (1, "orders/create"));
    assert_eq!(rows[8], (9, "refunds/create"));
    // Deleting one topic keeps the others, with their ids and the secret.
    assert_eq!(h.delete("webhooks/2.json").await.status, 200);
    let ids: Vec<u64> = h.get("webhooks.json").await.body["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3, 4, 5, 6, 7, 8, 9]);
    let subs = h.mock.subscriptions();
    assert!(!subs.iter().any(|(sid, _)| *sid == id));
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].1.secret, SECRET);
    assert!(
        !subs[0]
            .1
            .topics
            .contains(&shopify_mock::Topic::OrdersUpdated)
    );
}

#[tokio::test]
async fn an_api_subscription_receives_signed_webhooks_until_deleted() {
    let h = harness().await;
    let first = receiver().await;
    let second = receiver().await;
    let a = h
        .post(
            "webhooks.json",
            json!({"webhook": {"topic": "orders/create", "address": format!("{}/hooks", first.uri())}}),
        )
        .await;
    let id = a.body["webhook"]["id"].as_u64().unwrap();
    let created = h
        .post(
            "orders.json",
            json!({"order": {"line_items": [{"sku": "CHAIR", "quantity": 1}]}}),
        )
        .await;
    h.mock.settle_webhooks().await;
    let reqs = received(&first).await;
    assert_eq!(topics(&reqs), ["orders/create"]);
    // Signed with the app's secret (MockConfig::webhook_secret).
    assert_eq!(h.mock.config().webhook_secret, "mock-webhook-secret");
    assert_eq!(
        header(&reqs[0], "x-shopify-hmac-sha256"),
        sign("mock-webhook-secret", &reqs[0].body)
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body, created.body["order"]);

    // Moved to another address: the next webhook goes there.
    put(
        &h,
        &format!("webhooks/{id}.json"),
        json!({"webhook": {"address": format!("{}/hooks", second.uri())}}),
    )
    .await;
    h.post(
        "orders.json",
        json!({"order": {"line_items": [{"sku": "CHAIR", "quantity": 2}]}}),
    )
    .await;
    h.mock.settle_webhooks().await;
    assert_eq!(received(&first).await.len(), 1);
    let reqs = received(&second).await;
    assert_eq!(topics(&reqs), ["orders/create"]);
    assert_eq!(
        header(&reqs[0], "x-shopify-hmac-sha256"),
        sign("mock-webhook-secret", &reqs[0].body)
    );

    // Deleted: nothing more.
    h.delete(&format!("webhooks/{id}.json")).await;
    h.post(
        "orders.json",
        json!({"order": {"line_items": [{"sku": "CHAIR", "quantity": 3}]}}),
    )
    .await;
    h.mock.settle_webhooks().await;
    assert_eq!(received(&second).await.len(), 1);
}

// ----- GraphQL -------------------------------------------------------------------------

const ORDERS: &str = "query($first: Int, $after: String, $last: Int, $before: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query, sortKey: $sortKey, reverse: $reverse) {
    edges { cursor node { id name } }
    nodes { legacyResourceId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

/// The order ids of an `orders` page, and its page info.
fn page(a: &Answer) -> (Vec<u64>, Value) {
    let c = &a.body["data"]["orders"];
    let ids = c["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", a.body))
        .iter()
        .map(|n| n["legacyResourceId"].as_str().unwrap().parse().unwrap())
        .collect();
    (ids, c["pageInfo"].clone())
}

async fn five_orders() -> Harness {
    let h = harness().await;
    for i in 0..5u64 {
        h.mock
            .create_order(&order(1001 + i, &[(11 + i, "CHAIR", 1, 0)]))
            .unwrap();
        h.tick(60);
    }
    h
}

#[tokio::test]
async fn graphql_orders_pages_forward_and_back() {
    let h = five_orders().await;
    let a = h.graphql(ORDERS, json!({"first": 2})).await;
    let (ids, info) = page(&a);
    assert_eq!(ids, [1001, 1002]);
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    assert_eq!(
        info["startCursor"],
        a.body["data"]["orders"]["edges"][0]["cursor"]
    );
    let a = h
        .graphql(ORDERS, json!({"first": 2, "after": info["endCursor"]}))
        .await;
    let (ids, info) = page(&a);
    assert_eq!(ids, [1003, 1004]);
    assert_eq!(
        (info["hasNextPage"].clone(), info["hasPreviousPage"].clone()),
        (json!(true), json!(true))
    );
    let a = h
        .graphql(ORDERS, json!({"first": 2, "after": info["endCursor"]}))
        .await;
    let (ids, last_info) = page(&a);
    assert_eq!(ids, [1005]);
    assert_eq!(last_info["hasNextPage"], false);
    // Back from the last page.
    let a = h
        .graphql(
            ORDERS,
            json!({"last": 2, "before": last_info["startCursor"]}),
        )
        .await;
    let (ids, info) = page(&a);
    assert_eq!(ids, [1003, 1004]);
    assert_eq!(info["hasPreviousPage"], true);
    let a = h
        .graphql(ORDERS, json!({"last": 2, "before": info["startCursor"]}))
        .await;
    let (ids, info) = page(&a);
    assert_eq!(ids, [1001, 1002]);
    assert_eq!(info["hasPreviousPage"], false);
    let (ids, _) = page(&h.graphql(ORDERS, json!({"last": 2})).await);
    assert_eq!(ids, [1004, 1005]);
    // Reversed, and by last change: the order changed last comes last.
    let (ids, _) = page(
        &h.graphql(ORDERS, json!({"first": 3, "reverse": true}))
            .await,
    );
    assert_eq!(ids, [1005, 1004, 1003]);
    h.post("orders/1002/close.json", json!({})).await;
    let (ids, _) = page(
        &h.graphql(ORDERS, json!({"first": 5, "sortKey": "UPDATED_AT"}))
            .await,
    );
    assert_eq!(ids, [1001, 1003, 1004, 1005, 1002]);
    // A cursor keeps its place when an order before it goes away.
    let a = h.graphql(ORDERS, json!({"first": 2})).await;
    let after = page(&a).1["endCursor"].clone();
    h.delete("orders/1002.json").await;
    let (ids, _) = page(&h.graphql(ORDERS, json!({"first": 2, "after": after})).await);
    assert_eq!(ids, [1003, 1004]);
    // A cursor of another sort key, or none at all, is refused.
    let a = h
        .graphql(
            ORDERS,
            json!({"first": 2, "after": after, "sortKey": "CREATED_AT"}),
        )
        .await;
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid cursor")
    );
}

#[tokio::test]
async fn graphql_orders_page_sizes_are_checked() {
    let h = five_orders().await;
    let a = h.graphql(ORDERS, json!({})).await;
    assert_eq!(
        a.body["errors"][0]["message"],
        "you must provide one of first or last"
    );
    // Each query below costs about half the bucket: the clock refills it.
    h.tick(10);
    let a = h.graphql(ORDERS, json!({"first": 251})).await;
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("between 0 and 250")),
        "{}",
        a.body
    );
    h.tick(10);
    let (ids, _) = page(&h.graphql(ORDERS, json!({"first": 250})).await);
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn graphql_orders_query_filters() {
    let h = five_orders().await;
    // 1001 pending; 1002 fulfilled; 1003 partly fulfilled (2 units); 1004 cancelled;
    // 1005 archived.
    let pending = h
        .post(
            "orders.json",
            json!({"order": {"id": 1006, "financial_status": "pending", "line_items": [{"sku": "A", "quantity": 2}]}}),
        )
        .await;
    assert_eq!(pending.status, 201);
    h.mock.fulfill(1002, 12, 1).unwrap();
    h.post("orders/1004/cancel.json", json!({})).await;
    h.post("orders/1005/close.json", json!({})).await;
    h.mock
        .fulfill(
            1006,
            pending.body["order"]["line_items"][0]["id"]
                .as_u64()
                .unwrap(),
            1,
        )
        .unwrap();
    let ids = |q: &'static str| {
        let h = &h;
        async move { page(&h.graphql(ORDERS, json!({"first": 10, "query": q})).await).0 }
    };
    assert_eq!(ids("financial_status:pending").await, [1006]);
    assert_eq!(
        ids("financial_status:paid").await,
        [1001, 1002, 1003, 1004, 1005]
    );
    assert_eq!(ids("fulfillment_status:shipped").await, [1002]);
    assert_eq!(ids("fulfillment_status:partial").await, [1006]);
    assert_eq!(
        ids("fulfillment_status:unshipped").await,
        [1001, 1003, 1004, 1005]
    );
    assert_eq!(ids("status:open").await, [1001, 1002, 1003, 1006]);
    assert_eq!(ids("status:cancelled").await, [1004]);
    assert_eq!(ids("status:closed").await, [1005]);
    assert_eq!(ids("id:>1002 id:<=1004").await, [1003, 1004]);
    assert_eq!(ids("id:>=1005 AND -status:closed").await, [1006]);
    assert_eq!(ids("name:#1003").await, [1003]);
    assert_eq!(ids("name:1003").await, [1003]);
    // Created one minute apart from 09:00.
    assert_eq!(
        ids("created_at:>=2026-01-01T09:02:00Z").await,
        [1003, 1004, 1005, 1006]
    );
    assert_eq!(
        ids("created_at:<'2026-01-01T09:02:00Z'").await,
        [1001, 1002]
    );
    assert_eq!(ids("created_at:2026-01-01").await.len(), 6);
    assert_eq!(ids("created_at:2026-01-02").await, Vec::<u64>::new());
    assert_eq!(
        ids("updated_at:>2026-01-01T09:04:30Z status:any").await,
        [1002, 1004, 1005, 1006]
    );

    // A field the mock does not know is ignored with a warning, as Shopify does.
    let a = h
        .graphql(
            ORDERS,
            json!({"first": 10, "query": "tag:vip status:cancelled"}),
        )
        .await;
    assert_eq!(page(&a).0, [1004]);
    assert_eq!(
        a.body["extensions"]["search"],
        json!([{"path": ["orders"], "query": "tag:vip status:cancelled",
                "warnings": [{"field": "tag", "message": "Invalid search field for this query."}]}])
    );
    // OR is a top-level error.
    let a = h
        .graphql(ORDERS, json!({"first": 5, "query": "id:1001 OR id:1002"}))
        .await;
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("OR is not supported")
    );
}

#[tokio::test]
async fn graphql_fulfillment_create_and_fulfillment_orders() {
    let h = seeded().await;
    let read = "{ order(id: \"gid://shopify/Order/1001\") { fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 5) { nodes { id totalQuantity remainingQuantity lineItem { id } } } } } } }";
    let a = h.graphql(read, json!({})).await;
    let fo = a.body["data"]["order"]["fulfillmentOrders"]["nodes"][0].clone();
    assert_eq!(
        fo["id"],
        format!("gid://shopify/FulfillmentOrder/{}", fo_id(1001))
    );
    assert_eq!(fo["status"], "OPEN");
    let line = fo["lineItems"]["nodes"][0].clone();
    assert_eq!(line["lineItem"]["id"], "gid://shopify/LineItem/11");
    assert_eq!(
        (
            line["totalQuantity"].clone(),
            line["remainingQuantity"].clone()
        ),
        (json!(5), json!(5))
    );

    let create = "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id status trackingInfo { number } fulfillmentLineItems { quantity lineItem { id } } } userErrors { field message } } }";
    let input = |items: Value| {
        json!({"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": items}],
                     "trackingInfo": {"number": "T1"}}})
    };
    let a = h
        .graphql(create, input(json!([{"id": line["id"], "quantity": 5}])))
        .await;
    let p = &a.body["data"]["fulfillmentCreate"];
    assert_eq!(p["userErrors"], json!([]), "{}", a.body);
    assert_eq!(p["fulfillment"]["id"], "gid://shopify/Fulfillment/1");
    assert_eq!(p["fulfillment"]["status"], "SUCCESS");
    assert_eq!(p["fulfillment"]["trackingInfo"][0]["number"], "T1");
    assert_eq!(p["fulfillment"]["fulfillmentLineItems"][0]["quantity"], 5);
    assert_eq!(
        h.get("orders/1001.json").await.body["order"]["line_items"][0]["fulfillable_quantity"],
        0
    );
    let a = h.graphql(read, json!({})).await;
    assert_eq!(
        a.body["data"]["order"]["fulfillmentOrders"]["nodes"][0]["status"],
        "IN_PROGRESS"
    );
    // More than remains: the store's words in userErrors.
    let a = h
        .graphql(create, input(json!([{"id": line["id"], "quantity": 1}])))
        .await;
    let p = &a.body["data"]["fulfillmentCreate"];
    assert_eq!(p["fulfillment"], Value::Null);
    let expected = h.mock.with_store(|s| {
        s.clone()
            .fulfill(1001, 11, 1, common::start_time())
            .unwrap_err()
            .to_string()
    });
    assert_eq!(
        p["userErrors"],
        json!([{"field": ["fulfillment"], "message": expected}])
    );
}

const SUBSCRIPTIONS: &str = "query($topics: [WebhookSubscriptionTopic!]) { webhookSubscriptions(first: 10, topics: $topics) { nodes { id topic format callbackUrl endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } } }";

#[tokio::test]
async fn graphql_webhook_subscriptions_create_list_delete_and_deliver() {
    let h = seeded().await;
    let hooks = receiver().await;
    let url = format!("{}/hooks", hooks.uri());
    // `callbackUrl` is of Shopify's `URL` scalar, as clients declare it.
    let create = "mutation($topic: WebhookSubscriptionTopic!, $url: URL!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) { webhookSubscription { id topic callbackUrl } userErrors { field message } } }";
    let a = h
        .graphql(create, json!({"topic": "ORDERS_FULFILLED", "url": url}))
        .await;
    let p = &a.body["data"]["webhookSubscriptionCreate"];
    assert_eq!(p["userErrors"], json!([]), "{}", a.body);
    assert_eq!(
        p["webhookSubscription"]["id"],
        "gid://shopify/WebhookSubscription/1"
    );
    assert_eq!(p["webhookSubscription"]["topic"], "ORDERS_FULFILLED");
    h.graphql(create, json!({"topic": "ORDERS_PAID", "url": url}))
        .await;
    let a = h
        .graphql(create, json!({"topic": "ORDERS_PAID", "url": url}))
        .await;
    assert_eq!(
        a.body["data"]["webhookSubscriptionCreate"]["userErrors"],
        json!([{"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}])
    );

    let a = h.graphql(SUBSCRIPTIONS, json!({})).await;
    let nodes = a.body["data"]["webhookSubscriptions"]["nodes"].clone();
    assert_eq!(nodes.as_array().unwrap().len(), 2);
    assert_eq!(nodes[0]["format"], "JSON");
    assert_eq!(
        nodes[0]["endpoint"],
        json!({"__typename": "WebhookHttpEndpoint", "callbackUrl": url})
    );
    let a = h
        .graphql(SUBSCRIPTIONS, json!({"topics": ["ORDERS_PAID"]}))
        .await;
    assert_eq!(
        a.body["data"]["webhookSubscriptions"]["nodes"][0]["id"],
        "gid://shopify/WebhookSubscription/2"
    );
    // REST shows the same rows.
    assert_eq!(h.get("webhooks/count.json").await.body["count"], 2);

    // A fulfilment is delivered to the subscription, signed with the app's secret.
    h.post(
        "fulfillments.json",
        json!({"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id(1001)}]}}),
    )
    .await;
    h.mock.settle_webhooks().await;
    let reqs = received(&hooks).await;
    assert_eq!(topics(&reqs), ["orders/fulfilled"]);
    assert_eq!(
        header(&reqs[0], "x-shopify-hmac-sha256"),
        sign(&h.mock.config().webhook_secret, &reqs[0].body)
    );

    let delete = "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }";
    let a = h
        .graphql(delete, json!({"id": "gid://shopify/WebhookSubscription/1"}))
        .await;
    assert_eq!(
        a.body["data"]["webhookSubscriptionDelete"],
        json!({"deletedWebhookSubscriptionId": "gid://shopify/WebhookSubscription/1", "userErrors": []})
    );
    let a = h
        .graphql(delete, json!({"id": "gid://shopify/WebhookSubscription/1"}))
        .await;
    assert_eq!(
        a.body["data"]["webhookSubscriptionDelete"]["userErrors"][0]["message"],
        "Webhook subscription does not exist"
    );
    assert_eq!(h.get("webhooks/count.json").await.body["count"], 1);
}

#[tokio::test]
async fn the_new_fields_cost_what_shopify_charges() {
    let h = five_orders().await;
    let cost = |a: &Answer| a.body["extensions"]["cost"]["requestedQueryCost"].clone();
    // A connection: 2 + first × one node (an order, 1).
    let a = h
        .graphql("{ orders(first: 10) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(cost(&a), 12);
    // Nested: 2 + 3 × (1 + (2 + 4 × 1)).
    let a = h
        .graphql(
            "{ orders(first: 3) { nodes { fulfillmentOrders(first: 4) { nodes { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(cost(&a), 2 + 3 * (1 + 2 + 4));
    let a = h
        .graphql(
            "{ webhookSubscriptions(first: 5) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(cost(&a), 7);
    // Mutations: 10.
    let a = h
        .graphql(
            "mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/9\") { userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(cost(&a), 10);
    // Over the single query max: refused before it runs.
    let a = h
        .graphql(
            "{ orders(first: 250) { nodes { fulfillmentOrders(first: 5) { nodes { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a.body["errors"][0]["extensions"]["code"],
        "MAX_COST_EXCEEDED"
    );
}
