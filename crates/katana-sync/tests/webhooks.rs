//! Registering the sync's webhook subscriptions through the Admin API at start
//! (`SyncService::register_webhooks`), against stub servers: every topic on an
//! empty shop, only the missing ones otherwise, "already been taken" as present,
//! errors that name the topic and Shopify's answer, retries, and request bodies in
//! exactly Shopify's shape.

use std::time::Duration;

use jiff::Timestamp;
use katana_rules::Katana;
use katana_sync::Settings;
use katana_sync::client::{RetryPolicy, ShopifyClient, WebhookSubscription};
use katana_sync::service::{RegisterError, SyncService};
use katana_sync::webhook::WEBHOOK_TOPICS;
use serde_json::{Value, json};
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const LIST: &str = "/admin/api/2025-01/webhooks.json";
const HOOKS: &str = "http://127.0.0.1:9000/webhooks";

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        backoff: Duration::from_millis(1),
        max_retry_after: Duration::from_millis(5),
    }
}

fn sync(server: &MockServer) -> SyncService {
    let client = ShopifyClient::new(&server.uri(), "2025-01", "tok").with_retry(fast());
    let now = Timestamp::from_second(1_767_258_000).unwrap();
    SyncService::new(Katana::new(), Settings::default(), now, client, b"secret")
}

/// A subscription as Shopify lists it.
fn subscription(id: u64, topic: &str, address: &str) -> Value {
    json!({
        "id": id, "address": address, "topic": topic, "format": "json",
        "created_at": "2026-01-01T09:00:00-05:00", "updated_at": "2026-01-01T09:00:00-05:00",
        "fields": [], "metafield_namespaces": [], "api_version": "2025-01"
    })
}

/// `GET webhooks.json` answers these subscriptions.
async fn listing(server: &MockServer, webhooks: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(header("X-Shopify-Access-Token", "tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "webhooks": webhooks })))
        .mount(server)
        .await;
}

/// `POST webhooks.json` answers 201 with the subscription it was asked for.
async fn creating(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(LIST))
        .and(header("X-Shopify-Access-Token", "tok"))
        .respond_with(|request: &Request| {
            let asked: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let w = &asked["webhook"];
            let topic = w["topic"].as_str().unwrap_or_default();
            let address = w["address"].as_str().unwrap_or_default();
            ResponseTemplate::new(201)
                .set_body_json(json!({ "webhook": subscription(500, topic, address) }))
        })
        .mount(server)
        .await;
}

/// The bodies of the `POST webhooks.json` requests, in order.
async fn posted(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == LIST)
        .map(|r| {
            let kind = r.headers.get("content-type").and_then(|v| v.to_str().ok());
            assert_eq!(kind, Some("application/json"), "a POST sends JSON");
            serde_json::from_slice(&r.body).unwrap()
        })
        .collect()
}

/// Shopify's create body for one topic.
fn create_body(topic: &str) -> Value {
    json!({ "webhook": { "topic": topic, "address": HOOKS, "format": "json" } })
}

#[tokio::test]
async fn an_empty_shop_gets_every_topic_in_shopifys_shape() {
    let server = MockServer::start().await;
    listing(&server, vec![]).await;
    creating(&server).await;
    let registration = sync(&server).register_webhooks(HOOKS).await.unwrap();
    assert_eq!(registration.created, WEBHOOK_TOPICS);
    assert!(registration.existing.is_empty() && registration.elsewhere.is_empty());
    let expected: Vec<Value> = WEBHOOK_TOPICS.iter().map(|t| create_body(t)).collect();
    assert_eq!(posted(&server).await, expected);
}

#[tokio::test]
async fn only_the_missing_topics_are_created_and_nothing_is_deleted() {
    let server = MockServer::start().await;
    let old = "http://old.example/webhooks";
    listing(
        &server,
        vec![
            subscription(1, "orders/create", HOOKS),
            subscription(2, "orders/updated", HOOKS),
            subscription(3, "refunds/create", HOOKS),
            subscription(4, "orders/paid", old),
            subscription(5, "products/update", HOOKS),
        ],
    )
    .await;
    creating(&server).await;
    let registration = sync(&server).register_webhooks(HOOKS).await.unwrap();
    assert_eq!(
        registration.existing,
        ["orders/create", "orders/updated", "refunds/create"]
    );
    let missing: Vec<&str> = WEBHOOK_TOPICS
        .into_iter()
        .filter(|t| !registration.existing.contains(t))
        .collect();
    assert_eq!(registration.created, missing);
    assert!(registration.created.contains(&"orders/paid"));
    assert_eq!(
        registration.elsewhere,
        [WebhookSubscription {
            id: 4,
            address: old.into(),
            topic: "orders/paid".into(),
            format: Some("json".into()),
        }]
    );
    let expected: Vec<Value> = missing.iter().map(|t| create_body(t)).collect();
    assert_eq!(posted(&server).await, expected);
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() != "DELETE"),
        "another address's subscription is left alone"
    );
}

#[tokio::test]
async fn a_second_start_creates_nothing() {
    let server = MockServer::start().await;
    let all = WEBHOOK_TOPICS
        .iter()
        .zip(1..)
        .map(|(t, id)| subscription(id, t, HOOKS))
        .collect();
    listing(&server, all).await;
    creating(&server).await;
    let registration = sync(&server).register_webhooks(HOOKS).await.unwrap();
    assert!(registration.created.is_empty());
    assert_eq!(registration.existing, WEBHOOK_TOPICS);
    assert!(posted(&server).await.is_empty());
}

#[tokio::test]
async fn the_listing_is_read_through_every_page() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("limit", "250"))
        .and(query_param_is_missing("page_info"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "webhooks": [subscription(1, "orders/create", HOOKS)] }))
                .insert_header(
                    "Link",
                    format!("<{base}{LIST}?limit=250&page_info=p2>; rel=\"next\"").as_str(),
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("page_info", "p2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "webhooks": [subscription(2, "orders/delete", HOOKS)] })),
        )
        .mount(&server)
        .await;
    creating(&server).await;
    let registration = sync(&server).register_webhooks(HOOKS).await.unwrap();
    assert_eq!(registration.existing, ["orders/create", "orders/delete"]);
    assert_eq!(registration.created.len(), WEBHOOK_TOPICS.len() - 2);
}

#[tokio::test]
async fn already_taken_is_present_not_an_error() {
    let server = MockServer::start().await;
    listing(&server, vec![]).await;
    Mock::given(method("POST"))
        .and(path(LIST))
        .and(body_partial_json(
            json!({ "webhook": { "topic": "orders/paid" } }),
        ))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({ "errors": { "address": ["for this topic has already been taken"] } }),
        ))
        .mount(&server)
        .await;
    creating(&server).await;
    let registration = sync(&server).register_webhooks(HOOKS).await.unwrap();
    assert_eq!(registration.existing, ["orders/paid"]);
    assert_eq!(registration.created.len(), WEBHOOK_TOPICS.len() - 1);
    assert!(!registration.created.contains(&"orders/paid"));
}

#[tokio::test]
async fn another_422_names_the_topic_and_shopifys_answer() {
    let server = MockServer::start().await;
    listing(&server, vec![]).await;
    Mock::given(method("POST"))
        .and(path(LIST))
        .and(body_partial_json(
            json!({ "webhook": { "topic": "orders/edited" } }),
        ))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({ "errors": { "topic": ["Invalid topic specified: orders/edited"] } }),
        ))
        .mount(&server)
        .await;
    creating(&server).await;
    let err = sync(&server).register_webhooks(HOOKS).await.unwrap_err();
    assert!(
        matches!(
            &err,
            RegisterError::Create {
                topic: "orders/edited",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    for needle in ["orders/edited", HOOKS, "422", "Invalid topic specified"] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
}

#[tokio::test]
async fn a_refused_token_is_reported_clearly_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path(LIST))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        })))
        .mount(&server)
        .await;
    let err = sync(&server).register_webhooks(HOOKS).await.unwrap_err();
    assert!(matches!(err, RegisterError::List(_)), "{err:?}");
    let text = err.to_string();
    for needle in [
        "GET webhooks.json",
        "401",
        "Invalid API key",
        "check the token",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_by_the_clients_policy() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    listing(&server, vec![]).await;
    Mock::given(method("POST"))
        .and(path(LIST))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    creating(&server).await;
    let registration = sync(&server).register_webhooks(HOOKS).await.unwrap();
    assert_eq!(registration.created, WEBHOOK_TOPICS);
    let requests = server.received_requests().await.unwrap();
    let count = |m: &str| requests.iter().filter(|r| r.method.as_str() == m).count();
    assert_eq!(count("GET"), 3, "503, 503, then the list");
    assert_eq!(
        count("POST"),
        WEBHOOK_TOPICS.len() + 1,
        "the first topic twice"
    );
    assert_eq!(
        posted(&server).await[..2],
        [create_body("orders/create"), create_body("orders/create")]
    );
}

#[tokio::test]
async fn a_server_error_that_persists_names_the_topic() {
    let server = MockServer::start().await;
    listing(&server, vec![]).await;
    Mock::given(method("POST"))
        .and(path(LIST))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal Server Error"))
        .mount(&server)
        .await;
    let err = sync(&server).register_webhooks(HOOKS).await.unwrap_err();
    let text = err.to_string();
    for needle in ["orders/create", "500", "Internal Server Error"] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert_eq!(posted(&server).await.len(), 4, "first try and 3 retries");
}

#[tokio::test]
async fn a_subscription_in_xml_is_refused_with_the_fix() {
    let server = MockServer::start().await;
    let mut xml = subscription(7, "orders/cancelled", HOOKS);
    xml["format"] = json!("xml");
    listing(&server, vec![xml]).await;
    creating(&server).await;
    let err = sync(&server).register_webhooks(HOOKS).await.unwrap_err();
    let text = err.to_string();
    for needle in ["orders/cancelled", "xml", "DELETE webhooks/7.json"] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
}
