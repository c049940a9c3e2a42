//! The REST Admin API: every endpoint, every error, pagination, the bucket.

mod common;

use common::{Harness, harness, harness_with, link, order};
use reqwest::Method;
use serde_json::{Value, json};
use shopify_mock::BucketConfig;

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

fn ids(body: &Value) -> Vec<u64> {
    body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn get_order_returns_the_rest_json() {
    let h = seeded().await;
    let a = h.get("orders/1001.json").await;
    assert_eq!(a.status, 200);
    let o = &a.body["order"];
    assert_eq!(o["id"], 1001);
    assert_eq!(o["admin_graphql_api_id"], "gid://shopify/Order/1001");
    assert_eq!(o["name"], "#1001");
    assert_eq!(o["created_at"], common::START);
    assert_eq!(o["line_items"][0]["current_quantity"], 5);
    assert_eq!(
        o["line_items"][0]["admin_graphql_api_id"],
        "gid://shopify/LineItem/11"
    );
    assert_eq!(o["fulfillment_status"], Value::Null);
    assert_eq!(
        a.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(a.header("x-request-id").is_some());
}

#[tokio::test]
async fn seeded_orders_may_start_archived_or_cancelled() {
    let h = harness().await;
    let orders = shopify_mock::parse_orders(
        "- {id: 1001, archived: true, lines: [{id: 11, sku: CHAIR, quantity: 2, fulfilled: 2}]}\n\
         - {id: 1002, cancelled: true, financial_status: voided, lines: [{id: 21, sku: LAMP, quantity: 1}]}\n\
         - {id: 1003, lines: [{id: 31, sku: DESK, quantity: 1}]}\n",
        false,
    )
    .unwrap();
    h.mock.seed_orders(&orders).unwrap();
    let archived = h.get("orders/1001.json").await.body["order"].clone();
    assert_eq!(archived["closed_at"], common::START);
    assert_eq!(archived["cancelled_at"], Value::Null);
    assert_eq!(archived["fulfillment_status"], "fulfilled");
    let cancelled = h.get("orders/1002.json").await.body["order"].clone();
    assert_eq!(cancelled["cancelled_at"], common::START);
    assert_eq!(cancelled["cancel_reason"], "other");
    assert_eq!(cancelled["closed_at"], Value::Null);
    assert_eq!(cancelled["financial_status"], "voided");
    assert_eq!(cancelled["line_items"][0]["current_quantity"], 1);
    assert_eq!(cancelled["line_items"][0]["fulfillable_quantity"], 0);
    assert_eq!(ids(&h.get("orders.json").await.body), [1003]);
    assert_eq!(ids(&h.get("orders.json?status=closed").await.body), [1001]);
    assert_eq!(
        ids(&h.get("orders.json?status=cancelled").await.body),
        [1002]
    );
    // An order with fulfilled units cannot start cancelled: Shopify's refusal,
    // and nothing of the seed is added.
    let refused = shopify_mock::parse_orders(
        "- {id: 1004, lines: [{id: 41, sku: A, quantity: 1}]}\n\
         - {id: 1005, cancelled: true, lines: [{id: 51, sku: A, quantity: 2, fulfilled: 1}]}\n",
        false,
    )
    .unwrap();
    let err = h.mock.seed_orders(&refused).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot seed orders: order #1005 cannot be cancelled: 1 units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)"
    );
    assert_eq!(h.get("orders/1004.json").await.status, 404);
}

#[tokio::test]
async fn get_order_with_fields_keeps_only_those() {
    let h = seeded().await;
    let a = h.get("orders/1001.json?fields=id,name").await;
    assert_eq!(a.body, json!({"order": {"id": 1001, "name": "#1001"}}));
}

#[tokio::test]
async fn unknown_order_refund_and_path_are_404() {
    let h = seeded().await;
    for path in [
        "orders/9.json",
        "orders/abc.json",
        "orders/1001/refunds/77.json",
        "orders/9/refunds.json",
        "products.json",
        // Deeper than any route, and empty segments.
        "orders/1001/refunds/77/lines/1.json",
        "orders/1001/refunds/77/x/y/z.json",
        "orders//1001.json",
        "orders/1001.json/",
    ] {
        let a = h.get(path).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(a.body, json!({"errors": "Not Found"}), "{path}");
    }
    let a = h.post("orders/9/close.json", json!({})).await;
    assert_eq!(a.status, 404);
    let token = h.mock.access_token().to_owned();
    let a = h
        .request(
            Method::GET,
            &format!("{}/admin/orders.json", h.mock.base_url()),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn missing_or_wrong_token_is_401() {
    let h = seeded().await;
    let expected = json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"});
    let url = h.url("orders.json");
    let a = h.request(Method::GET, &url, None, None).await;
    assert_eq!((a.status, &a.body), (401, &expected));
    let a = h.request(Method::GET, &url, None, Some("wrong")).await;
    assert_eq!((a.status, &a.body), (401, &expected));
    assert!(a.header("x-shopify-shop-api-call-limit").is_some());
    let gql = h.url("graphql.json");
    let a = h
        .request(
            Method::POST,
            &gql,
            Some(json!({"query": "{ order(id: \"gid://shopify/Order/1001\") { id } }"})),
            None,
        )
        .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn list_filters_by_status() {
    let h = seeded().await;
    h.mock
        .seed_orders(&[
            order(1003, &[(31, "X", 1, 0)]),
            order(1004, &[(41, "Y", 1, 0)]),
        ])
        .unwrap();
    assert_eq!(
        h.post("orders/1003/close.json", json!({})).await.status,
        200
    );
    assert_eq!(
        h.post("orders/1004/cancel.json", json!({})).await.status,
        200
    );
    assert_eq!(ids(&h.get("orders.json").await.body), [1001, 1002]);
    assert_eq!(
        ids(&h.get("orders.json?status=open").await.body),
        [1001, 1002]
    );
    assert_eq!(ids(&h.get("orders.json?status=closed").await.body), [1003]);
    assert_eq!(
        ids(&h.get("orders.json?status=cancelled").await.body),
        [1004]
    );
    assert_eq!(
        ids(&h.get("orders.json?status=any").await.body),
        [1001, 1002, 1003, 1004]
    );
    let a = h.get("orders.json?status=weird").await;
    assert_eq!(a.status, 400);
    assert!(a.body["errors"]["status"].is_string());
}

#[tokio::test]
async fn list_filters_by_ids_since_id_statuses_and_times() {
    let h = seeded().await;
    h.tick(60);
    h.mock
        .seed_orders(&[shopify_mock::shopify_model::NewOrder {
            financial_status: shopify_mock::shopify_model::FinancialStatus::Pending,
            ..order(1003, &[(31, "X", 2, 2)])
        }])
        .unwrap();
    assert_eq!(
        ids(&h.get("orders.json?ids=1003,1001").await.body),
        [1001, 1003]
    );
    assert_eq!(
        ids(&h.get("orders.json?since_id=1001").await.body),
        [1002, 1003]
    );
    assert_eq!(
        ids(&h.get("orders.json?financial_status=pending").await.body),
        [1003]
    );
    assert_eq!(
        ids(&h.get("orders.json?financial_status=unpaid").await.body),
        [1003]
    );
    assert_eq!(
        ids(&h.get("orders.json?financial_status=paid").await.body),
        [1001, 1002]
    );
    assert_eq!(
        ids(&h.get("orders.json?fulfillment_status=shipped").await.body),
        [1003]
    );
    assert_eq!(
        ids(&h.get("orders.json?fulfillment_status=partial").await.body),
        [1002]
    );
    assert_eq!(
        ids(&h.get("orders.json?fulfillment_status=unshipped").await.body),
        [1001]
    );
    assert_eq!(
        ids(&h
            .get("orders.json?fulfillment_status=unfulfilled")
            .await
            .body),
        [1001, 1002]
    );
    let later = "2026-01-01T09:00:30Z";
    assert_eq!(
        ids(&h
            .get(&format!("orders.json?created_at_min={later}"))
            .await
            .body),
        [1003]
    );
    assert_eq!(
        ids(&h
            .get(&format!("orders.json?created_at_max={later}"))
            .await
            .body),
        [1001, 1002]
    );
    // An offset is honoured: 04:00:30-05:00 is 09:00:30Z.
    let a = h
        .get("orders.json?updated_at_min=2026-01-01T04:00:30-05:00")
        .await;
    assert_eq!(ids(&a.body), [1003]);
    assert_eq!(
        ids(&h
            .get(&format!("orders.json?updated_at_max={later}"))
            .await
            .body),
        [1001, 1002]
    );
    for bad in [
        "orders.json?ids=1,x",
        "orders.json?since_id=-1",
        "orders.json?created_at_min=yesterday",
        "orders.json?financial_status=rich",
        "orders.json?fulfillment_status=lost",
    ] {
        assert_eq!(h.get(bad).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn list_fields_and_limit() {
    let h = seeded().await;
    let a = h.get("orders.json?fields=id,financial_status").await;
    assert_eq!(
        a.body,
        json!({"orders": [
            {"id": 1001, "financial_status": "paid"},
            {"id": 1002, "financial_status": "paid"},
        ]})
    );
    assert_eq!(ids(&h.get("orders.json?limit=1").await.body), [1001]);
    for bad in [
        "orders.json?limit=0",
        "orders.json?limit=251",
        "orders.json?limit=x",
    ] {
        let a = h.get(bad).await;
        assert_eq!(a.status, 400, "{bad}");
        assert!(a.body["errors"]["limit"].is_string());
    }
    assert_eq!(h.get("orders.json?limit=250").await.status, 200);
}

#[tokio::test]
async fn count_uses_the_same_filters() {
    let h = seeded().await;
    assert_eq!(h.get("orders/count.json").await.body, json!({"count": 2}));
    assert_eq!(
        h.post("orders/1002/close.json", json!({})).await.status,
        200
    );
    assert_eq!(h.get("orders/count.json").await.body, json!({"count": 1}));
    assert_eq!(
        h.get("orders/count.json?status=any").await.body,
        json!({"count": 2})
    );
    assert_eq!(
        h.get("orders/count.json?status=closed&ids=1001").await.body,
        json!({"count": 0})
    );
    assert_eq!(h.get("orders/count.json?status=nope").await.status, 400);
}

#[tokio::test]
async fn pagination_walks_three_pages_forward_and_back() {
    let h = harness().await;
    let orders: Vec<_> = (1..=7)
        .map(|i| order(2000 + i, &[(100 + i, "SKU", 1, 0)]))
        .collect();
    h.mock.seed_orders(&orders).unwrap();

    let p1 = h.get("orders.json?limit=3&status=any&fields=id").await;
    assert_eq!(ids(&p1.body), [2001, 2002, 2003]);
    assert_eq!(link(&p1, "previous"), None);
    let next = link(&p1, "next").expect("page 1 links to page 2");
    assert!(
        next.starts_with(&format!(
            "{}/orders.json?limit=3&fields=id&page_info=",
            h.mock.admin_url()
        )),
        "{next}"
    );

    let p2 = h.get_url(&next).await;
    assert_eq!(p2.status, 200);
    assert_eq!(
        p2.body["orders"][0],
        json!({"id": 2004}),
        "fields carry over"
    );
    assert_eq!(ids(&p2.body), [2004, 2005, 2006]);
    let header = p2.header("link").unwrap();
    assert!(header.contains("rel=\"previous\", <"), "{header}");

    let p3 = h.get_url(&link(&p2, "next").unwrap()).await;
    assert_eq!(ids(&p3.body), [2007]);
    assert_eq!(link(&p3, "next"), None);

    let back = h.get_url(&link(&p3, "previous").unwrap()).await;
    assert_eq!(ids(&back.body), [2004, 2005, 2006]);
    let first = h.get_url(&link(&back, "previous").unwrap()).await;
    assert_eq!(ids(&first.body), [2001, 2002, 2003]);
    assert_eq!(link(&first, "previous"), None);
}

#[tokio::test]
async fn pagination_keeps_the_first_pages_filters() {
    let h = harness().await;
    let orders: Vec<_> = (1..=5)
        .map(|i| order(3000 + i, &[(200 + i, "SKU", 1, 0)]))
        .collect();
    h.mock.seed_orders(&orders).unwrap();
    assert_eq!(
        h.post("orders/3002/close.json", json!({})).await.status,
        200
    );
    let p1 = h.get("orders.json?limit=2").await;
    assert_eq!(ids(&p1.body), [3001, 3003]);
    let p2 = h.get_url(&link(&p1, "next").unwrap()).await;
    assert_eq!(ids(&p2.body), [3004, 3005]);
    assert_eq!(link(&p2, "next"), None);
}

#[tokio::test]
async fn a_single_page_has_no_link_header() {
    let h = seeded().await;
    let a = h.get("orders.json").await;
    assert_eq!(a.header("link"), None);
}

#[tokio::test]
async fn page_info_with_a_filter_is_400() {
    let h = harness().await;
    let orders: Vec<_> = (1..=3)
        .map(|i| order(4000 + i, &[(300 + i, "SKU", 1, 0)]))
        .collect();
    h.mock.seed_orders(&orders).unwrap();
    let p1 = h.get("orders.json?limit=1").await;
    let next = link(&p1, "next").unwrap();
    let a = h.get_url(&format!("{next}&status=any")).await;
    assert_eq!(a.status, 400);
    let msg = a.body["errors"]["status"].as_str().unwrap();
    assert!(
        msg.starts_with("status cannot be passed when page_info is present."),
        "{msg}"
    );
    let a = h.get("orders.json?page_info=garbage!").await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body, json!({"errors": {"page_info": "Invalid value."}}));
}

#[tokio::test]
async fn close_and_open_set_and_clear_closed_at() {
    let h = seeded().await;
    h.tick(60);
    let a = h.post("orders/1001/close.json", json!({})).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["order"]["closed_at"], "2026-01-01T09:01:00Z");
    assert_eq!(a.body["order"]["updated_at"], "2026-01-01T09:01:00Z");
    h.tick(60);
    let a = h.post("orders/1001/open.json", json!({})).await;
    assert_eq!(a.body["order"]["closed_at"], Value::Null);
    assert_eq!(a.body["order"]["updated_at"], "2026-01-01T09:02:00Z");
}

#[tokio::test]
async fn cancel_takes_reason_from_body_or_query() {
    let h = seeded().await;
    let a = h
        .post(
            "orders/1001/cancel.json",
            json!({"reason": "customer", "restock": true, "email": true}),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["notice"], "Order has been canceled");
    assert_eq!(a.body["order"]["cancel_reason"], "customer");
    assert_eq!(a.body["order"]["cancelled_at"], common::START);
    // Cancelling does not change current_quantity.
    assert_eq!(a.body["order"]["line_items"][0]["current_quantity"], 5);
    assert_eq!(a.body["order"]["line_items"][0]["fulfillable_quantity"], 0);

    h.mock
        .seed_orders(&[
            order(1003, &[(31, "X", 1, 0)]),
            order(1004, &[(41, "Y", 1, 0)]),
        ])
        .unwrap();
    let token = h.mock.access_token().to_owned();
    let a = h
        .request(
            Method::POST,
            &h.url("orders/1003/cancel.json?reason=fraud"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(a.body["order"]["cancel_reason"], "fraud");
    let a = h.post("orders/1004/cancel.json", json!({})).await;
    assert_eq!(a.body["order"]["cancel_reason"], "other");
}

#[tokio::test]
async fn cancel_refusals_are_422() {
    let h = seeded().await;
    // 1002 has a fulfilled unit.
    let a = h.post("orders/1002/cancel.json", json!({})).await;
    assert_eq!(a.status, 422);
    let msg = a.body["errors"]["base"][0].as_str().unwrap();
    assert!(msg.contains("cannot be cancelled"), "{msg}");
    assert_eq!(
        h.post("orders/1001/cancel.json", json!({})).await.status,
        200
    );
    let a = h.post("orders/1001/cancel.json", json!({})).await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("already cancelled")
    );
    let a = h
        .post("orders/1001/cancel.json", json!({"reason": "boredom"}))
        .await;
    assert_eq!(a.status, 422);
    assert!(a.body["errors"]["reason"][0].is_string());
    let token = h.mock.access_token().to_owned();
    let bad = h
        .http
        .post(h.url("orders/1001/cancel.json"))
        .header("X-Shopify-Access-Token", token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

#[tokio::test]
async fn delete_only_archived_or_cancelled() {
    let h = seeded().await;
    let a = h.delete("orders/1001.json").await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("cannot be deleted")
    );
    assert_eq!(
        h.post("orders/1001/close.json", json!({})).await.status,
        200
    );
    let a = h.delete("orders/1001.json").await;
    assert_eq!((a.status, a.body), (200, json!({})));
    assert_eq!(h.get("orders/1001.json").await.status, 404);
    assert_eq!(h.delete("orders/1001.json").await.status, 404);
}

#[tokio::test]
async fn refunds_create_list_get() {
    let h = seeded().await;
    let a = h
        .post(
            "orders/1001/refunds.json",
            json!({"refund": {"note": "damaged", "refund_line_items": [
                {"line_item_id": 11, "quantity": 2, "restock_type": "cancel"}
            ]}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let refund = &a.body["refund"];
    assert_eq!(refund["order_id"], 1001);
    assert_eq!(refund["note"], "damaged");
    assert_eq!(refund["refund_line_items"][0]["line_item_id"], 11);
    assert_eq!(refund["refund_line_items"][0]["restock_type"], "cancel");
    let rid = refund["id"].as_u64().unwrap();

    let o = h.get("orders/1001.json").await.body;
    assert_eq!(o["order"]["line_items"][0]["quantity"], 5);
    assert_eq!(o["order"]["line_items"][0]["current_quantity"], 3);
    assert_eq!(o["order"]["financial_status"], "partially_refunded");

    let list = h.get("orders/1001/refunds.json").await;
    assert_eq!(list.body["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["refunds"][0]["id"], rid);
    let one = h.get(&format!("orders/1001/refunds/{rid}.json")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["refund"], list.body["refunds"][0]);

    // Line item ids as strings and quantities as "1" are accepted, as Shopify does.
    let a = h
        .post(
            "orders/1001/refunds.json",
            json!({"refund": {"refund_line_items": [
                {"line_item_id": "12", "quantity": "1"}
            ]}}),
        )
        .await;
    assert_eq!(a.status, 201);
    assert_eq!(
        a.body["refund"]["refund_line_items"][0]["restock_type"],
        "no_restock"
    );
    // A refund of money only.
    let a = h
        .post(
            "orders/1001/refunds.json",
            json!({"refund": {"note": "goodwill"}}),
        )
        .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body["refund"]["refund_line_items"], json!([]));
}

#[tokio::test]
async fn refund_refusals() {
    let h = seeded().await;
    let post = |body: Value| h.post("orders/1002/refunds.json", body);
    // Only 1 of line 21's 2 units is unfulfilled.
    let a = post(json!({"refund": {"refund_line_items": [{"line_item_id": 21, "quantity": 2, "restock_type": "cancel"}]}})).await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("unfulfilled")
    );
    let a = post(json!({"refund": {"refund_line_items": [{"line_item_id": 21, "quantity": -1}]}}))
        .await;
    assert_eq!(a.status, 422);
    assert!(
        a.body["errors"]["base"][0]
            .as_str()
            .unwrap()
            .contains("whole number")
    );
    let a = post(json!({"refund": {"refund_line_items": [{"line_item_id": 21, "quantity": 1, "restock_type": "vanish"}]}})).await;
    assert_eq!(a.status, 422);
    assert!(a.body["errors"]["restock_type"][0].is_string());
    let a = post(json!({"refund": {"refund_line_items": [{"quantity": 1}]}})).await;
    assert_eq!(a.status, 422);
    // A line item that does not exist is a refusal of the refund (the order of the
    // path exists), worded by shopify-model.
    let a =
        post(json!({"refund": {"refund_line_items": [{"line_item_id": 99, "quantity": 1}]}})).await;
    assert_eq!(a.status, 422);
    assert_eq!(
        a.body,
        json!({"errors": {"base": ["order #1002 has no line item 99"]}})
    );
    // An order that does not exist is a 404 before the body is read.
    let a = h
        .post(
            "orders/9/refunds.json",
            json!({"refund": {"refund_line_items": [{"line_item_id": 21, "quantity": -1}]}}),
        )
        .await;
    assert_eq!((a.status, a.body), (404, json!({"errors": "Not Found"})));
    let a = post(json!({"nothing": {}})).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!({"errors": {"refund": "Required parameter missing or invalid"}})
    );
    // A return of the fulfilled unit is fine.
    let a = post(json!({"refund": {"refund_line_items": [{"line_item_id": 21, "quantity": 1, "restock_type": "return"}]}})).await;
    assert_eq!(a.status, 201);
}

#[tokio::test]
async fn every_answer_carries_the_call_limit() {
    let h = seeded().await;
    assert_eq!(
        h.get("orders.json")
            .await
            .header("x-shopify-shop-api-call-limit"),
        Some("1/40")
    );
    assert_eq!(
        h.get("orders/1001.json")
            .await
            .header("x-shopify-shop-api-call-limit"),
        Some("2/40")
    );
    assert_eq!(
        h.get("orders/9.json")
            .await
            .header("x-shopify-shop-api-call-limit"),
        Some("3/40")
    );
    let a = h.post("orders/1002/cancel.json", json!({})).await;
    assert_eq!(
        (a.status, a.header("x-shopify-shop-api-call-limit")),
        (422, Some("4/40"))
    );
}

#[tokio::test]
async fn the_bucket_fills_refuses_and_drains() {
    let h = seeded().await;
    for i in 1..=40 {
        let a = h.get("orders/1001.json").await;
        assert_eq!(a.status, 200, "call {i}");
        assert_eq!(
            a.header("x-shopify-shop-api-call-limit"),
            Some(format!("{i}/40").as_str())
        );
    }
    let a = h.get("orders/1001.json").await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("2.0"));
    assert_eq!(a.header("x-shopify-shop-api-call-limit"), Some("40/40"));
    assert_eq!(
        a.body,
        json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
    );
    // A refused call does not fill the bucket; one second leaks two calls.
    h.tick(1);
    assert_eq!(h.mock.rest_bucket_level(), 38.0);
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    assert_eq!(h.get("orders/1001.json").await.status, 200);
    assert_eq!(h.get("orders/1001.json").await.status, 429);
    // Twenty seconds drain it.
    h.tick(20);
    let a = h.get("orders/1001.json").await;
    assert_eq!(
        (a.status, a.header("x-shopify-shop-api-call-limit")),
        (200, Some("1/40"))
    );
}

#[tokio::test]
async fn the_bucket_size_and_rate_are_configurable() {
    let h = harness_with(|c| {
        c.rest_bucket = BucketConfig {
            size: 3.0,
            leak_per_second: 0.1,
        }
    })
    .await;
    h.mock.seed_orders(&[order(1, &[(1, "A", 1, 0)])]).unwrap();
    for _ in 0..3 {
        assert_eq!(h.get("orders/1.json").await.status, 200);
    }
    let a = h.get("orders/1.json").await;
    assert_eq!(a.status, 429);
    // At 0.1 calls per second the next call fits in 10 s.
    assert_eq!(a.header("retry-after"), Some("10.0"));
    assert_eq!(a.header("x-shopify-shop-api-call-limit"), Some("3/3"));
    h.tick(10);
    assert_eq!(h.get("orders/1.json").await.status, 200);
}

#[tokio::test]
async fn a_read_after_every_kind_of_change_sees_the_change() {
    // GET answers are cached per order until the next change: each change must show.
    let h = seeded().await;
    let get = || h.get("orders/1001.json");
    assert_eq!(get().await.body["order"]["closed_at"], Value::Null);
    h.post("orders/1001/close.json", json!({})).await;
    assert!(get().await.body["order"]["closed_at"].is_string());
    h.post("orders/1001/open.json", json!({})).await;
    assert_eq!(get().await.body["order"]["closed_at"], Value::Null);
    h.post(
        "orders/1001/refunds.json",
        json!({"refund": {"refund_line_items": [{"line_item_id": 11, "quantity": 1, "restock_type": "cancel"}]}}),
    )
    .await;
    assert_eq!(
        get().await.body["order"]["line_items"][0]["current_quantity"],
        4
    );
    h.mock.fulfill(1001, 11, 1).unwrap();
    assert_eq!(get().await.body["order"]["fulfillment_status"], "partial");
    let calc = h
        .graphql(r#"mutation { orderEditBegin(id: "gid://shopify/Order/1001") { calculatedOrder { id } } }"#, json!({}))
        .await
        .body["data"]["orderEditBegin"]["calculatedOrder"]["id"]
        .clone();
    h.graphql(
        r#"mutation($id: ID!) { orderEditSetQuantity(id: $id, lineItemId: "gid://shopify/CalculatedLineItem/12", quantity: 3) { userErrors { message } } }"#,
        json!({"id": calc}),
    )
    .await;
    assert_eq!(
        get().await.body["order"]["line_items"][1]["current_quantity"],
        1,
        "not before the commit"
    );
    h.graphql(
        r#"mutation($id: ID!) { orderEditCommit(id: $id) { userErrors { message } } }"#,
        json!({"id": calc}),
    )
    .await;
    assert_eq!(
        get().await.body["order"]["line_items"][1]["current_quantity"],
        3
    );
    h.mock
        .seed_orders(&[order(1005, &[(51, "Z", 1, 0)])])
        .unwrap();
    assert_eq!(h.get("orders/1005.json").await.status, 200);
    h.post("orders/1005/cancel.json", json!({})).await;
    assert!(h.get("orders/1005.json").await.body["order"]["cancelled_at"].is_string());
    h.delete("orders/1005.json").await;
    assert_eq!(h.get("orders/1005.json").await.status, 404);
}

#[tokio::test]
async fn injected_faults_fail_the_next_calls_and_change_nothing() {
    let h = seeded().await;
    h.mock.fail_next_requests(2, 503);
    let first = h.post("orders/1001/close.json", json!({})).await;
    assert_eq!(first.status, 503);
    assert_eq!(first.body, json!({"errors": "Internal Server Error"}));
    assert!(first.header("x-request-id").is_some());
    assert!(first.header("x-shopify-shop-api-call-limit").is_some());
    let second = h
        .graphql(
            "{ order(id: \"gid://shopify/Order/1001\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(second.status, 503, "GraphQL calls fail too");
    assert_eq!(
        h.mock.order(1001).unwrap().closed_at,
        None,
        "a failed call changes nothing"
    );
    let third = h.get("orders/1001.json").await;
    assert_eq!(third.status, 200, "the faults are used up");
    h.mock.fail_next_requests(5, 500);
    h.mock.fail_next_requests(0, 500);
    assert_eq!(
        h.get("orders/1001.json").await.status,
        200,
        "a count of 0 clears them"
    );
}

/// `HEAD` is served wherever `GET` is: the same status and headers, no body (read
/// off the wire with a raw socket).
#[tokio::test]
async fn head_is_served_wherever_get_is() {
    use std::io::{Read as _, Write as _};
    let h = seeded().await;
    for (path, status) in [
        ("orders.json", 200),
        ("orders/1001.json", 200),
        ("orders/count.json", 200),
        ("orders/1001/refunds.json", 200),
        ("orders/999.json", 404),
    ] {
        let a = h
            .request(
                Method::HEAD,
                &h.url(path),
                None,
                Some(h.mock.access_token()),
            )
            .await;
        assert_eq!(a.status, status, "HEAD {path}");
        assert!(
            a.header("x-shopify-shop-api-call-limit").is_some(),
            "{path}"
        );
        let url = reqwest::Url::parse(&h.url(path)).unwrap();
        let token = h.mock.access_token().to_owned();
        let raw = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect((
                url.host_str().unwrap(),
                url.port().unwrap(),
            ))
            .unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
                .unwrap();
            write!(
                s,
                "HEAD {} HTTP/1.1\r\nHost: x\r\nX-Shopify-Access-Token: {token}\r\nConnection: close\r\n\r\n",
                url.path()
            )
            .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").expect("a full answer");
        assert!(head.starts_with(&format!("HTTP/1.1 {status}")), "{head}");
        assert_eq!(body, "", "HEAD {path} sends no body");
    }
}
