//! The REST client against stub servers: the token, 404 as "gone", `Retry-After` on
//! 429, backoff on 5xx, and every page through `Link`.

use std::time::Duration;

use katana_sync::client::{RetryPolicy, ShopifyClient};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn order(id: u64) -> serde_json::Value {
    json!({
        "id": id, "name": format!("#{id}"), "financial_status": "paid", "updated_at": "2026-01-01T09:00:00Z",
        "cancelled_at": null, "closed_at": null, "fulfillment_status": null,
        "line_items": [{ "id": id * 10, "sku": "OAK", "current_quantity": 1, "fulfillable_quantity": 1, "fulfillment_status": null }]
    })
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        backoff: Duration::from_millis(1),
        max_retry_after: Duration::from_millis(5),
    }
}

#[tokio::test]
async fn reads_an_order_with_the_token_and_treats_404_as_gone() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/admin/api/2025-01/orders/1001.json"))
        .and(header("X-Shopify-Access-Token", "tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "order": order(1001) })))
        .mount(&server)
        .await;
    Mock::given(path("/admin/api/2025-01/orders/404.json"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "errors": "Not Found" })))
        .mount(&server)
        .await;
    let client = ShopifyClient::new(&server.uri(), "2025-01", "tok");
    assert_eq!(client.order(1001).await.unwrap().unwrap().name, "#1001");
    assert_eq!(client.order(404).await.unwrap(), None);
}

#[tokio::test]
async fn waits_after_429_and_retries_5xx() {
    let server = MockServer::start().await;
    Mock::given(path("/admin/api/2025-01/orders/1.json"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2.0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/admin/api/2025-01/orders/1.json"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/admin/api/2025-01/orders/1.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "order": order(1) })))
        .mount(&server)
        .await;
    let client = ShopifyClient::new(&server.uri(), "2025-01", "tok").with_retry(fast());
    assert_eq!(client.order(1).await.unwrap().unwrap().id, 1);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "429, 503, 503, then 200"
    );
}

#[tokio::test]
async fn gives_up_after_its_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/admin/api/2025-01/orders/1.json"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let client = ShopifyClient::new(&server.uri(), "2025-01", "tok").with_retry(fast());
    let err = client.order(1).await.unwrap_err().to_string();
    assert!(err.contains("500") && err.contains("boom"), "{err}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "first try and 3 retries"
    );
}

#[tokio::test]
async fn lists_every_page_of_every_status() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(path("/admin/api/2025-01/orders.json"))
        .and(query_param("status", "any"))
        .and(query_param("updated_at_min", "2026-01-01T09:00:00Z"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "orders": [order(1), order(2)] }))
                .insert_header(
                    "Link",
                    format!(
                        "<{base}/admin/api/2025-01/orders.json?limit=2&page_info=p2>; rel=\"next\""
                    )
                    .as_str(),
                ),
        )
        .mount(&server)
        .await;
    Mock::given(path("/admin/api/2025-01/orders.json"))
        .and(query_param("page_info", "p2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "orders": [order(3)] })).insert_header(
                "Link",
                format!("<{base}/admin/api/2025-01/orders.json?limit=2&page_info=p1>; rel=\"previous\", <{base}/admin/api/2025-01/orders.json?limit=2&page_info=p3>; rel=\"next\"").as_str(),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(path("/admin/api/2025-01/orders.json"))
        .and(query_param("page_info", "p3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "orders": [order(4)] })))
        .mount(&server)
        .await;
    let client = ShopifyClient::new(&base, "2025-01", "tok");
    let ids: Vec<u64> = client
        .orders_updated_since(Some("2026-01-01T09:00:00Z"))
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
}
