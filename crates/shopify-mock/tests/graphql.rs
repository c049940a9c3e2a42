//! The GraphQL Admin API: reading orders, the order-edit flow, cancel, close, open,
//! delete, refundCreate, userErrors, cost and throttling; and REST and GraphQL
//! showing the same state.

mod common;

use common::{Harness, harness, harness_with, order};
use serde_json::{Value, json};
use shopify_mock::BucketConfig;
use shopify_mock::shopify_model::ShopifyError;

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

const ORDER: &str = r#"query($id: ID!) { order(id: $id) {
    id legacyResourceId name createdAt updatedAt cancelledAt cancelReason closed closedAt
    displayFinancialStatus displayFulfillmentStatus
    lineItems(first: 10) { nodes { id sku quantity currentQuantity unfulfilledQuantity variant { id } } }
    refunds { id note refundLineItems(first: 10) { nodes { quantity restockType lineItem { id } } } }
} }"#;

async fn gql_order(h: &Harness, id: u64) -> Value {
    let a = h
        .graphql(ORDER, json!({"id": format!("gid://shopify/Order/{id}")}))
        .await;
    assert_eq!(a.status, 200);
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    a.body["data"]["order"].clone()
}

/// Runs a mutation and returns `data.<field>`, failing on top-level errors.
async fn mutate(h: &Harness, field: &str, query: &str, vars: Value) -> Value {
    let a = h.graphql(query, vars).await;
    assert_eq!(a.status, 200);
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    a.body["data"][field].clone()
}

#[tokio::test]
async fn order_reads_with_gids() {
    let h = seeded().await;
    let o = gql_order(&h, 1001).await;
    assert_eq!(o["id"], "gid://shopify/Order/1001");
    assert_eq!(o["legacyResourceId"], "1001");
    assert_eq!(o["name"], "#1001");
    assert_eq!(o["createdAt"], common::START);
    assert_eq!(o["closed"], false);
    assert_eq!(o["cancelReason"], Value::Null);
    assert_eq!(o["displayFinancialStatus"], "PAID");
    assert_eq!(o["displayFulfillmentStatus"], "UNFULFILLED");
    let line = &o["lineItems"]["nodes"][0];
    assert_eq!(line["id"], "gid://shopify/LineItem/11");
    assert_eq!(line["sku"], "CHAIR");
    assert_eq!(line["quantity"], 5);
    assert_eq!(line["variant"]["id"], "gid://shopify/ProductVariant/1");
    assert_eq!(
        gql_order(&h, 1002).await["displayFulfillmentStatus"],
        "PARTIALLY_FULFILLED"
    );
}

#[tokio::test]
async fn orders_that_start_archived_or_cancelled_read_as_such() {
    let h = harness().await;
    let mut archived = order(1001, &[(11, "CHAIR", 2, 1)]);
    archived.archived = true;
    let mut cancelled = order(1002, &[(21, "LAMP", 1, 0)]);
    cancelled.cancelled = true;
    cancelled.archived = true;
    h.mock.seed_orders(&[archived, cancelled]).unwrap();
    let o = gql_order(&h, 1001).await;
    assert_eq!(
        (&o["closed"], &o["closedAt"]),
        (&json!(true), &json!(common::START))
    );
    assert_eq!(o["cancelledAt"], Value::Null);
    assert_eq!(o["displayFulfillmentStatus"], "PARTIALLY_FULFILLED");
    let o = gql_order(&h, 1002).await;
    assert_eq!(o["cancelledAt"], common::START);
    assert_eq!(o["cancelReason"], "OTHER");
    assert_eq!(o["closed"], true);
    assert_eq!(o["lineItems"]["nodes"][0]["unfulfilledQuantity"], 0);
}

#[tokio::test]
async fn unknown_order_is_null_and_a_bad_gid_an_error() {
    let h = seeded().await;
    assert_eq!(gql_order(&h, 9).await, Value::Null);
    let a = h.graphql(ORDER, json!({"id": "1001"})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["errors"][0]["message"], "Invalid global id '1001'");
    let a = h
        .graphql(
            "{ order(id: \"gid://shopify/Order/1\") { nope } }",
            json!({}),
        )
        .await;
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
}

#[tokio::test]
async fn line_items_paginate() {
    let h = seeded().await;
    let q = r#"{ order(id: "gid://shopify/Order/1001") { lineItems(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }"#;
    let a = h.graphql(q, json!({})).await;
    let conn = &a.body["data"]["order"]["lineItems"];
    assert_eq!(conn["edges"][0]["node"]["id"], "gid://shopify/LineItem/11");
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let after = conn["pageInfo"]["endCursor"].as_str().unwrap();
    let q2 = format!(
        r#"{{ order(id: "gid://shopify/Order/1001") {{ lineItems(first: 1, after: "{after}") {{ nodes {{ id }} pageInfo {{ hasNextPage }} }} }} }}"#
    );
    let b = h.graphql(&q2, json!({})).await;
    assert_eq!(
        b.body["data"]["order"]["lineItems"]["nodes"][0]["id"],
        "gid://shopify/LineItem/12"
    );
    assert_eq!(
        b.body["data"]["order"]["lineItems"]["pageInfo"]["hasNextPage"],
        false
    );
}

const BEGIN: &str = r#"mutation($id: ID!) { orderEditBegin(id: $id) {
    calculatedOrder { id originalOrder { id } lineItems(first: 10) { nodes { id quantity editableQuantity sku } } }
    userErrors { field message } } }"#;
const SET: &str = r#"mutation($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q, restock: true) {
    calculatedLineItem { id quantity }
    calculatedOrder { lineItems(first: 10) { nodes { id quantity } } }
    userErrors { field message } } }"#;
const ADD: &str = r#"mutation($id: ID!, $variant: ID!, $q: Int!) { orderEditAddVariant(id: $id, variantId: $variant, quantity: $q) {
    calculatedLineItem { id quantity sku }
    calculatedOrder { addedLineItems(first: 10) { nodes { id quantity } } }
    userErrors { field message } } }"#;
const COMMIT: &str = r#"mutation($id: ID!) { orderEditCommit(id: $id, notifyCustomer: false, staffNote: "phone call") {
    order { id lineItems(first: 10) { nodes { id sku quantity currentQuantity } } }
    userErrors { field message } } }"#;

#[tokio::test]
async fn the_order_edit_flow_changes_the_order_on_commit() {
    let h = seeded().await;
    let begin = mutate(
        &h,
        "orderEditBegin",
        BEGIN,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(begin["userErrors"], json!([]));
    let calc = begin["calculatedOrder"]["id"].as_str().unwrap().to_owned();
    assert!(calc.starts_with("gid://shopify/CalculatedOrder/"), "{calc}");
    assert_eq!(
        begin["calculatedOrder"]["originalOrder"]["id"],
        "gid://shopify/Order/1001"
    );
    assert_eq!(
        begin["calculatedOrder"]["lineItems"]["nodes"][0]["id"],
        "gid://shopify/CalculatedLineItem/11"
    );

    let set = mutate(
        &h,
        "orderEditSetQuantity",
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/11", "q": 3}),
    )
    .await;
    assert_eq!(set["userErrors"], json!([]));
    assert_eq!(set["calculatedLineItem"]["quantity"], 3);
    let removed = mutate(
        &h,
        "orderEditSetQuantity",
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/12", "q": 0}),
    )
    .await;
    assert_eq!(removed["calculatedLineItem"]["quantity"], 0);

    // LAMP's variant exists (order 1002); add two.
    let add = mutate(
        &h,
        "orderEditAddVariant",
        ADD,
        json!({"id": calc, "variant": "gid://shopify/ProductVariant/3", "q": 2}),
    )
    .await;
    assert_eq!(add["userErrors"], json!([]), "{add}");
    assert_eq!(add["calculatedLineItem"]["sku"], "LAMP");
    let added_id = add["calculatedLineItem"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        add["calculatedOrder"]["addedLineItems"]["nodes"][0]["quantity"],
        2
    );
    // An added line's quantity can be changed before the commit.
    let again = mutate(
        &h,
        "orderEditSetQuantity",
        SET,
        json!({"id": calc, "line": added_id, "q": 4}),
    )
    .await;
    assert_eq!(again["userErrors"], json!([]));
    assert_eq!(again["calculatedLineItem"]["quantity"], 4);

    // Nothing changed before the commit.
    let before = h.get("orders/1001.json").await.body;
    assert_eq!(before["order"]["line_items"][0]["current_quantity"], 5);
    assert_eq!(before["order"]["line_items"].as_array().unwrap().len(), 2);

    let commit = mutate(&h, "orderEditCommit", COMMIT, json!({"id": calc})).await;
    assert_eq!(commit["userErrors"], json!([]));
    let lines = &commit["order"]["lineItems"]["nodes"];
    assert_eq!(lines[0]["currentQuantity"], 3);
    assert_eq!(lines[0]["quantity"], 5, "quantity never changes");
    assert_eq!(
        lines[1]["currentQuantity"], 0,
        "a removed line stays with 0"
    );
    assert_eq!(lines[2]["sku"], "LAMP");
    assert_eq!(lines[2]["currentQuantity"], 4);

    // REST shows the same.
    let rest = h.get("orders/1001.json").await.body;
    let rest_lines = rest["order"]["line_items"].as_array().unwrap();
    assert_eq!(rest_lines.len(), 3);
    assert_eq!(rest_lines[0]["current_quantity"], 3);
    assert_eq!(rest_lines[1]["current_quantity"], 0);
    assert_eq!(rest_lines[2]["current_quantity"], 4);
    assert_eq!(rest_lines[2]["admin_graphql_api_id"], lines[2]["id"]);

    // The session is gone after the commit.
    let again = mutate(&h, "orderEditCommit", COMMIT, json!({"id": calc})).await;
    assert_eq!(
        again["userErrors"][0]["message"],
        "The calculated order does not exist"
    );
}

#[tokio::test]
async fn order_edit_refusals_are_user_errors() {
    let h = seeded().await;
    // Unknown order.
    let b = mutate(
        &h,
        "orderEditBegin",
        BEGIN,
        json!({"id": "gid://shopify/Order/9"}),
    )
    .await;
    assert_eq!(b["calculatedOrder"], Value::Null);
    assert_eq!(
        b["userErrors"],
        json!([{"field": ["id"], "message": "order 9 not found"}]),
        "shopify-model's own message"
    );
    // An archived order cannot be edited.
    h.post("orders/1001/close.json", json!({})).await;
    let b = mutate(
        &h,
        "orderEditBegin",
        BEGIN,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert!(
        b["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("archived"),
        "{b}"
    );

    // Below the fulfilled units; negative; unknown line; unknown variant.
    let b = mutate(
        &h,
        "orderEditBegin",
        BEGIN,
        json!({"id": "gid://shopify/Order/1002"}),
    )
    .await;
    let calc = b["calculatedOrder"]["id"].as_str().unwrap().to_owned();
    let s = mutate(
        &h,
        "orderEditSetQuantity",
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/21", "q": 0}),
    )
    .await;
    assert_eq!(s["calculatedOrder"], Value::Null);
    assert!(
        s["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fulfilled"),
        "{s}"
    );
    let s = mutate(
        &h,
        "orderEditSetQuantity",
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/21", "q": -1}),
    )
    .await;
    assert!(
        s["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("whole number")
    );
    let s = mutate(
        &h,
        "orderEditSetQuantity",
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/11", "q": 1}),
    )
    .await;
    assert_eq!(s["userErrors"][0]["field"], json!(["lineItemId"]));
    let s = mutate(
        &h,
        "orderEditAddVariant",
        ADD,
        json!({"id": calc, "variant": "gid://shopify/ProductVariant/99", "q": 1}),
    )
    .await;
    assert_eq!(s["userErrors"][0]["field"], json!(["variantId"]));
    let s = mutate(
        &h,
        "orderEditAddVariant",
        ADD,
        json!({"id": calc, "variant": "gid://shopify/ProductVariant/1", "q": 0}),
    )
    .await;
    assert_eq!(s["userErrors"][0]["field"], json!(["quantity"]));
    let msg = s["userErrors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("at least 1"), "the store's own message: {msg}");
    let s = mutate(&h, "orderEditSetQuantity", SET, json!({"id": "gid://shopify/CalculatedOrder/777", "line": "gid://shopify/CalculatedLineItem/21", "q": 1})).await;
    assert_eq!(s["userErrors"][0]["field"], json!(["id"]));
    // The refused steps left the session as it was: committing changes nothing but updated_at.
    let c = mutate(&h, "orderEditCommit", COMMIT, json!({"id": calc})).await;
    assert_eq!(c["userErrors"], json!([]));
    assert_eq!(c["order"]["lineItems"]["nodes"][0]["currentQuantity"], 2);

    // A session whose order was cancelled meanwhile cannot be committed.
    h.post("orders/1001/open.json", json!({})).await;
    let b = mutate(
        &h,
        "orderEditBegin",
        BEGIN,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    let calc = b["calculatedOrder"]["id"].as_str().unwrap().to_owned();
    // (Returning 1002's fulfilled unit would not make it cancellable: returned
    // units stay fulfilled.)
    let return_all = json!({"refund": {"refund_line_items": [{"line_item_id": 21, "quantity": 1, "restock_type": "return"}]}});
    assert_eq!(
        h.post("orders/1002/refunds.json", return_all).await.status,
        201
    );
    let refused = h.post("orders/1002/cancel.json", json!({})).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        ShopifyError::from_message(refused.body["errors"]["base"][0].as_str().unwrap())
            .map(|e| e.code()),
        Some("order_has_fulfilments")
    );
    assert_eq!(
        h.post("orders/1001/cancel.json", json!({})).await.status,
        200
    );
    let c = mutate(&h, "orderEditCommit", COMMIT, json!({"id": calc})).await;
    assert_eq!(c["order"], Value::Null);
    assert!(
        c["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cancelled"),
        "{c}"
    );
}

const CANCEL: &str = r#"mutation($id: ID!, $reason: OrderCancelReason!) { orderCancel(orderId: $id, reason: $reason, refund: false, restock: true) {
    job { id done } orderCancelUserErrors { field message code } userErrors { field message } } }"#;
const CLOSE: &str = r#"mutation($id: ID!) { orderClose(input: {id: $id}) { order { id closed closedAt } userErrors { field message } } }"#;
const OPEN: &str = r#"mutation($id: ID!) { orderOpen(input: {id: $id}) { order { id closed } userErrors { field message } } }"#;
const DELETE: &str = r#"mutation($id: ID!) { orderDelete(orderId: $id) { deletedId userErrors { field message } } }"#;

const MARK_AS_PAID: &str = r#"mutation($input: OrderMarkAsPaidInput!) { orderMarkAsPaid(input: $input) {
    order { id displayFinancialStatus updatedAt closed } userErrors { field message } } }"#;

async fn mark_as_paid(h: &Harness, id: u64) -> Value {
    mutate(
        h,
        "orderMarkAsPaid",
        MARK_AS_PAID,
        json!({"input": {"id": format!("gid://shopify/Order/{id}")}}),
    )
    .await
}

#[tokio::test]
async fn order_mark_as_paid_captures_a_pending_payment() {
    use shopify_mock::shopify_model::{CancelReason, FinancialStatus, Store};
    let h = harness().await;
    let pending = |id, status, archived, cancelled| {
        let mut o = order(id, &[(id * 10 + 1, "CHAIR", 2, 0)]);
        o.financial_status = status;
        o.archived = archived;
        o.cancelled = cancelled;
        o
    };
    let orders = [
        pending(1001, FinancialStatus::Pending, false, false),
        pending(1002, FinancialStatus::Authorized, true, false),
        pending(1003, FinancialStatus::Pending, false, true),
        pending(1004, FinancialStatus::PartiallyRefunded, false, false),
    ];
    h.mock.seed_orders(&orders).unwrap();
    let mut store = Store::with_orders(&orders, common::start_time()).unwrap();
    h.tick(60);
    let later = common::start_time() + jiff::SignedDuration::from_secs(60);

    // Pending, and authorized on an archived order: paid.
    for id in [1001, 1002] {
        let p = mark_as_paid(&h, id).await;
        assert_eq!(p["userErrors"], json!([]));
        assert_eq!(p["order"]["id"], format!("gid://shopify/Order/{id}"));
        assert_eq!(p["order"]["displayFinancialStatus"], "PAID");
        assert_eq!(p["order"]["updatedAt"], "2026-01-01T09:01:00Z");
        assert_eq!(p["order"]["closed"], id == 1002);
        store.pay(id, later).unwrap();
        assert_eq!(h.mock.order(id).unwrap(), *store.order(id).unwrap());
        let rest = h.get(&format!("orders/{id}.json")).await.body;
        assert_eq!(rest["order"]["financial_status"], "paid");
    }

    // Refusals are the store's, word for word, and change nothing.
    for id in [1001, 1003, 1004, 9] {
        let before = h.mock.store();
        let expected = store.pay(id, later).unwrap_err();
        let p = mark_as_paid(&h, id).await;
        assert_eq!(p["order"], Value::Null);
        assert_eq!(p["userErrors"][0]["field"], json!(["id"]));
        let message = p["userErrors"][0]["message"].as_str().unwrap();
        assert_eq!(message, expected.to_string());
        assert_eq!(ShopifyError::from_message(message), Some(expected));
        assert_eq!(h.mock.store(), before);
    }
    let codes = |id| store.clone().pay(id, later).unwrap_err().code();
    assert_eq!(
        [codes(1001), codes(1003), codes(1004), codes(9)],
        [
            "payment_not_pending",
            "order_cancelled",
            "payment_not_pending",
            "order_not_found"
        ]
    );
    // Cancelled is checked before the payment: a paid order, cancelled, is
    // `order_cancelled`.
    store
        .cancel(1001, CancelReason::Other, false, later)
        .unwrap();
    assert_eq!(
        store.pay(1001, later).unwrap_err().code(),
        "order_cancelled"
    );

    // A malformed gid is a top-level error, as for the other mutations.
    let a = h
        .graphql(
            MARK_AS_PAID,
            json!({"input": {"id": "gid://shopify/Product/1"}}),
        )
        .await;
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid global id")
    );
    // The library API does the same.
    assert_eq!(
        h.mock.pay(1004).unwrap_err(),
        store.pay(1004, later).unwrap_err()
    );
}

#[tokio::test]
async fn cancel_close_open_delete() {
    let h = seeded().await;
    let c = mutate(
        &h,
        "orderClose",
        CLOSE,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(c["order"]["closed"], true);
    assert_eq!(c["order"]["closedAt"], common::START);
    let o = mutate(
        &h,
        "orderOpen",
        OPEN,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(o["order"]["closed"], false);

    let d = mutate(
        &h,
        "orderDelete",
        DELETE,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(d["deletedId"], Value::Null);
    assert!(
        d["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be deleted")
    );

    let k = mutate(
        &h,
        "orderCancel",
        CANCEL,
        json!({"id": "gid://shopify/Order/1001", "reason": "CUSTOMER"}),
    )
    .await;
    assert_eq!(k["job"]["done"], true);
    assert_eq!(k["orderCancelUserErrors"], json!([]));
    let rest = h.get("orders/1001.json").await.body;
    assert_eq!(rest["order"]["cancel_reason"], "customer");
    assert_eq!(gql_order(&h, 1001).await["cancelReason"], "CUSTOMER");

    let k = mutate(
        &h,
        "orderCancel",
        CANCEL,
        json!({"id": "gid://shopify/Order/1002", "reason": "OTHER"}),
    )
    .await;
    assert_eq!(k["job"], Value::Null);
    assert_eq!(k["orderCancelUserErrors"][0]["code"], "INVALID");
    assert!(
        k["orderCancelUserErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fulfilled")
    );
    let k = mutate(
        &h,
        "orderCancel",
        CANCEL,
        json!({"id": "gid://shopify/Order/9", "reason": "OTHER"}),
    )
    .await;
    assert_eq!(k["orderCancelUserErrors"][0]["code"], "NOT_FOUND");

    let d = mutate(
        &h,
        "orderDelete",
        DELETE,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(d["deletedId"], "gid://shopify/Order/1001");
    assert_eq!(h.get("orders/1001.json").await.status, 404);
    let c = mutate(
        &h,
        "orderClose",
        CLOSE,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(c["userErrors"][0]["message"], "order 1001 not found");
    let o = mutate(
        &h,
        "orderOpen",
        OPEN,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    assert_eq!(o["userErrors"][0]["message"], "order 1001 not found");
}

const REFUND: &str = r#"mutation($input: RefundInput!) { refundCreate(input: $input) {
    refund { id note refundLineItems(first: 5) { nodes { quantity restockType lineItem { id } } } }
    order { id displayFinancialStatus lineItems(first: 5) { nodes { currentQuantity } } }
    userErrors { field message } } }"#;

#[tokio::test]
async fn returned_units_stay_fulfilled() {
    let h = harness().await;
    h.mock
        .seed_orders(&[order(1003, &[(31, "CHAIR", 5, 3)])])
        .unwrap();
    let input = json!({"orderId": "gid://shopify/Order/1003", "refundLineItems": [
        {"lineItemId": "gid://shopify/LineItem/31", "quantity": 2, "restockType": "RETURN"}
    ]});
    let r = mutate(&h, "refundCreate", REFUND, json!({"input": input})).await;
    assert_eq!(r["userErrors"], json!([]));
    assert_eq!(r["order"]["lineItems"]["nodes"][0]["currentQuantity"], 3);

    // A line of 5, 3 fulfilled, 2 of them returned: 3 ordered now, 2 to fulfil.
    let rest = h.get("orders/1003.json").await.body["order"].clone();
    let line = &rest["line_items"][0];
    assert_eq!(line["quantity"], 5);
    assert_eq!(line["current_quantity"], 3);
    assert_eq!(line["fulfillable_quantity"], 2);
    assert_eq!(line["fulfillment_status"], "partial");
    assert_eq!(rest["fulfillment_status"], "partial");
    // The refund lists the return as Shopify does: what a client adds back.
    let rli = &rest["refunds"][0]["refund_line_items"][0];
    assert_eq!(
        (&rli["line_item_id"], &rli["quantity"], &rli["restock_type"]),
        (&json!(31), &json!(2), &json!("return"))
    );
    let g = gql_order(&h, 1003).await;
    assert_eq!(g["displayFulfillmentStatus"], "PARTIALLY_FULFILLED");
    assert_eq!(g["lineItems"]["nodes"][0]["unfulfilledQuantity"], 2);
    assert_eq!(
        g["refunds"][0]["refundLineItems"]["nodes"][0]["restockType"],
        "RETURN"
    );

    // Only the fulfilled unit the customer kept can still be returned.
    let again = json!({"orderId": "gid://shopify/Order/1003", "refundLineItems": [
        {"lineItemId": "gid://shopify/LineItem/31", "quantity": 2, "restockType": "RETURN"}
    ]});
    let r = mutate(&h, "refundCreate", REFUND, json!({"input": again})).await;
    assert_eq!(
        r["userErrors"][0]["message"],
        "line item 31 of order #1003: only 1 fulfilled units can be returned; asked 2 (3 are fulfilled, 2 of them already returned)"
    );
    assert_eq!(
        r["userErrors"][0]["field"],
        json!(["refundLineItems", "0", "quantity"])
    );

    // Fulfilling the 2 left completes the line; the returned units count as fulfilled.
    h.mock.fulfill(1003, 31, 2).unwrap();
    let rest = h.get("orders/1003.json").await.body["order"].clone();
    assert_eq!(rest["fulfillment_status"], "fulfilled");
    assert_eq!(rest["line_items"][0]["fulfillable_quantity"], 0);
    assert_eq!(
        h.get("orders.json?fulfillment_status=shipped&status=any")
            .await
            .body["orders"][0]["id"],
        1003
    );
    // And the order, fulfilled, cannot be cancelled.
    let k = mutate(
        &h,
        "orderCancel",
        CANCEL,
        json!({"id": "gid://shopify/Order/1003", "reason": "OTHER"}),
    )
    .await;
    let message = k["userErrors"][0]["message"].as_str().unwrap();
    assert_eq!(
        ShopifyError::from_message(message).map(|e| e.code()),
        Some("order_has_fulfilments")
    );
}

#[tokio::test]
async fn refund_create_and_rest_agree() {
    let h = seeded().await;
    let r = mutate(
        &h,
        "refundCreate",
        REFUND,
        json!({"input": {"orderId": "gid://shopify/Order/1001", "note": "broken", "notify": false,
            "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/11", "quantity": 2, "restockType": "CANCEL"}],
            "transactions": [{"amount": "10.00", "kind": "REFUND", "gateway": "manual", "orderId": "gid://shopify/Order/1001"}]}}),
    )
    .await;
    assert_eq!(r["userErrors"], json!([]), "{r}");
    assert_eq!(r["refund"]["note"], "broken");
    assert_eq!(
        r["refund"]["refundLineItems"]["nodes"][0]["restockType"],
        "CANCEL"
    );
    assert_eq!(r["order"]["displayFinancialStatus"], "PARTIALLY_REFUNDED");
    assert_eq!(r["order"]["lineItems"]["nodes"][0]["currentQuantity"], 3);
    let rid = r["refund"]["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let rest = h.get(&format!("orders/1001/refunds/{rid}.json")).await.body;
    assert_eq!(rest["refund"]["note"], "broken");
    assert_eq!(rest["refund"]["refund_line_items"][0]["quantity"], 2);
    let o = gql_order(&h, 1001).await;
    assert_eq!(
        o["refunds"][0]["refundLineItems"]["nodes"][0]["lineItem"]["id"],
        "gid://shopify/LineItem/11"
    );

    // Refusals.
    let bad = |q: i64, restock: &str| {
        json!({"input": {"orderId": "gid://shopify/Order/1002",
        "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/21", "quantity": q, "restockType": restock}]}})
    };
    let r = mutate(&h, "refundCreate", REFUND, bad(2, "CANCEL")).await;
    assert_eq!(r["refund"], Value::Null);
    assert!(
        r["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unfulfilled")
    );
    let r = mutate(&h, "refundCreate", REFUND, bad(-2, "CANCEL")).await;
    assert_eq!(
        r["userErrors"][0]["field"],
        json!(["refundLineItems", "0", "quantity"])
    );
    let r = mutate(
        &h,
        "refundCreate",
        REFUND,
        json!({"input": {"orderId": "gid://shopify/Order/9"}}),
    )
    .await;
    assert_eq!(r["userErrors"][0]["message"], "order 9 not found");
}

#[tokio::test]
async fn rest_and_graphql_show_the_same_state() {
    let h = seeded().await;
    h.tick(60);
    // Change through REST, read through GraphQL.
    h.post("orders/1001/close.json", json!({})).await;
    let refund = json!({"refund": {"refund_line_items": [{"line_item_id": 11, "quantity": 1, "restock_type": "no_restock"}]}});
    h.post("orders/1001/refunds.json", refund).await;
    let rest = h.get("orders/1001.json").await.body["order"].clone();
    let gql = gql_order(&h, 1001).await;
    assert_eq!(gql["id"], rest["admin_graphql_api_id"]);
    assert_eq!(gql["name"], rest["name"]);
    assert_eq!(gql["closedAt"], rest["closed_at"]);
    assert_eq!(gql["updatedAt"], rest["updated_at"]);
    assert_eq!(gql["closed"], true);
    assert_eq!(gql["displayFinancialStatus"], "PARTIALLY_REFUNDED");
    assert_eq!(rest["financial_status"], "partially_refunded");
    for (g, r) in gql["lineItems"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(rest["line_items"].as_array().unwrap())
    {
        assert_eq!(g["id"], r["admin_graphql_api_id"]);
        assert_eq!(g["quantity"], r["quantity"]);
        assert_eq!(g["currentQuantity"], r["current_quantity"]);
        assert_eq!(g["unfulfilledQuantity"], r["fulfillable_quantity"]);
    }
    // Change through GraphQL, read through REST and the library.
    mutate(
        &h,
        "orderOpen",
        OPEN,
        json!({"id": "gid://shopify/Order/1001"}),
    )
    .await;
    mutate(
        &h,
        "orderCancel",
        CANCEL,
        json!({"id": "gid://shopify/Order/1001", "reason": "INVENTORY"}),
    )
    .await;
    let rest = h.get("orders/1001.json").await.body["order"].clone();
    assert_eq!(rest["closed_at"], Value::Null);
    assert_eq!(rest["cancel_reason"], "inventory");
    let lib = h.mock.order(1001).unwrap();
    assert_eq!(lib.to_rest_json(), rest);
    assert_eq!(h.mock.store().order(1001).unwrap(), &lib);
}

#[tokio::test]
async fn responses_carry_the_cost_and_the_bucket_throttles() {
    let h = harness_with(|c| {
        c.graphql_bucket = BucketConfig {
            size: 30.0,
            leak_per_second: 5.0,
        }
    })
    .await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    let q = r#"{ order(id: "gid://shopify/Order/1") { id lineItems(first: 5) { nodes { id } } } }"#;
    let a = h.graphql(q, json!({})).await;
    // order (1) + lineItems(first: 5) (2 + 5 × 1): 8 (tests/graphql_cost.rs has more).
    let cost = &a.body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 8.0);
    assert_eq!(cost["actualQueryCost"], 8.0);
    assert_eq!(
        cost["throttleStatus"],
        json!({"maximumAvailable": 30.0, "currentlyAvailable": 22.0, "restoreRate": 5.0})
    );
    // Two mutations: 10 each.
    let m = h
        .graphql(CLOSE, json!({"id": "gid://shopify/Order/1"}))
        .await;
    assert_eq!(m.body["extensions"]["cost"]["requestedQueryCost"], 10.0);
    let m = h
        .graphql(CLOSE, json!({"id": "gid://shopify/Order/1"}))
        .await;
    assert_eq!(
        m.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        2.0
    );
    let t = h
        .graphql(CLOSE, json!({"id": "gid://shopify/Order/1"}))
        .await;
    assert_eq!(t.status, 200);
    assert_eq!(t.body["errors"][0]["message"], "Throttled");
    assert_eq!(t.body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(t.body.get("data"), Some(&Value::Null));
    assert_eq!(t.body["extensions"]["cost"]["requestedQueryCost"], 10.0);
    // Two seconds restore ten points.
    h.tick(2);
    let m = h
        .graphql(CLOSE, json!({"id": "gid://shopify/Order/1"}))
        .await;
    assert!(m.body.get("errors").is_none(), "{}", m.body);
    assert_eq!(
        m.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        2.0
    );
}

#[tokio::test]
async fn a_raw_graphql_body_and_a_bad_body() {
    let h = seeded().await;
    let token = h.mock.access_token().to_owned();
    let resp = h
        .http
        .post(h.url("graphql.json"))
        .header("X-Shopify-Access-Token", &token)
        .header("Content-Type", "application/graphql")
        .body(r#"query { order(id: "gid://shopify/Order/1001") { name } }"#)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["order"]["name"], "#1001");
    let resp = h
        .http
        .post(h.url("graphql.json"))
        .header("X-Shopify-Access-Token", &token)
        .body("{\"nothing\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let get = h.get("graphql.json").await;
    assert_eq!(get.status, 404);
}
