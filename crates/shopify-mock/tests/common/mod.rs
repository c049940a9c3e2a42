//! Helpers shared by the integration tests: a mock on a hand-moved clock, seeded
//! orders, and a small HTTP client.
#![allow(dead_code)]

use std::sync::Arc;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use shopify_mock::shopify_model::{NewLine, NewOrder};
use shopify_mock::{ManualClock, MockConfig, ShopifyMock, WebhookConfig};

/// The instant every test starts at.
pub const START: &str = "2026-01-01T09:00:00Z";

pub fn start_time() -> Timestamp {
    START.parse().unwrap()
}

/// An order with the given lines (id, sku, quantity, fulfilled).
pub fn order(id: u64, lines: &[(u64, &str, u32, u32)]) -> NewOrder {
    NewOrder {
        id,
        name: None,
        financial_status: shopify_mock::shopify_model::FinancialStatus::Paid,
        lines: lines
            .iter()
            .map(|(id, sku, quantity, fulfilled)| NewLine {
                id: *id,
                sku: (*sku).to_owned(),
                quantity: *quantity,
                fulfilled: *fulfilled,
            })
            .collect(),
        archived: false,
        cancelled: false,
    }
}

/// A mock with a manual clock and fast webhook retries.
pub struct Harness {
    pub mock: ShopifyMock,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

pub fn fast_webhooks() -> WebhookConfig {
    WebhookConfig {
        timeout: std::time::Duration::from_millis(2000),
        retries: 8,
        schedule: shopify_mock::WebhookSchedule::Fast,
        base_backoff: std::time::Duration::from_millis(1),
        max_in_flight: 1,
    }
}

pub async fn harness_with(f: impl FnOnce(&mut MockConfig)) -> Harness {
    let clock = ManualClock::new(start_time());
    let mut config = MockConfig {
        clock: Arc::new(clock.clone()),
        webhooks: fast_webhooks(),
        ..MockConfig::default()
    };
    f(&mut config);
    let mock = ShopifyMock::start(config).await.expect("mock starts");
    Harness {
        mock,
        clock,
        http: reqwest::Client::new(),
    }
}

pub async fn harness() -> Harness {
    harness_with(|_| {}).await
}

/// An answer: status, headers, JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.mock.admin_url(), path)
    }

    pub async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Answer {
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.header("X-Shopify-Access-Token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request reaches the mock");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request with the token and a raw body (broken JSON, YAML, …).
    pub async fn raw(&self, method: Method, url: &str, content_type: &str, body: &str) -> Answer {
        let resp = self
            .http
            .request(method, url)
            .header("X-Shopify-Access-Token", self.mock.access_token())
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("request reaches the mock");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let token = self.mock.access_token().to_owned();
        self.request(Method::GET, &self.url(path), None, Some(&token))
            .await
    }

    pub async fn get_url(&self, url: &str) -> Answer {
        let token = self.mock.access_token().to_owned();
        self.request(Method::GET, url, None, Some(&token)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let token = self.mock.access_token().to_owned();
        self.request(Method::POST, &self.url(path), Some(body), Some(&token))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        let token = self.mock.access_token().to_owned();
        self.request(Method::DELETE, &self.url(path), None, Some(&token))
            .await
    }

    pub async fn graphql(&self, query: &str, variables: Value) -> Answer {
        self.post(
            "graphql.json",
            json!({"query": query, "variables": variables}),
        )
        .await
    }

    /// Moves the clock on by whole seconds (empties the REST bucket by 2/s).
    pub fn tick(&self, secs: u64) {
        self.clock.advance(std::time::Duration::from_secs(secs));
    }
}

/// The `next` URL of a `Link` header.
pub fn link(answer: &Answer, rel: &str) -> Option<String> {
    let header = answer.header("link")?;
    header.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\""))
            .then(|| url.trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}
