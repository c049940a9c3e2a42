//! How to run the mock: [`MockConfig`], and the request log it can call. A leaf:
//! every other layer reads it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::bucket::BucketConfig;
use crate::clock::{Clock, SystemClock};
use crate::webhooks::WebhookConfig;

/// One line of the request log: what was asked and how it was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLogLine {
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

/// Called once per request after it is answered (the binary's `--verbose` prints).
pub type RequestLogger = Arc<dyn Fn(&RequestLogLine) + Send + Sync>;

/// How to run the mock. `MockConfig::default()` is Shopify's behaviour on a free
/// loopback port with the wall clock.
#[derive(Clone)]
pub struct MockConfig {
    /// Where to listen; port 0 picks a free port. Default `127.0.0.1:0`.
    pub bind: SocketAddr,
    /// The `X-Shopify-Access-Token` every request must carry.
    pub access_token: String,
    /// The API version webhooks name in `X-Shopify-API-Version` (any version is served).
    pub api_version: String,
    /// The shop's domain, for `X-Shopify-Shop-Domain`.
    pub shop_domain: String,
    /// The REST bucket (calls).
    pub rest_bucket: BucketConfig,
    /// The GraphQL bucket (cost points): 1000 points restoring 100 per second by default.
    pub graphql_bucket: BucketConfig,
    /// The single query max cost: a query whose requested cost is over it (or over
    /// the GraphQL bucket's size, when that is smaller) is refused whole with
    /// `MAX_COST_EXCEEDED` and takes nothing from the bucket. Default 1000 (Shopify's).
    pub graphql_max_cost: f64,
    /// Webhook timeout, retries and backoff.
    pub webhooks: WebhookConfig,
    /// The app's secret: the key of `X-Shopify-Hmac-Sha256` for the subscriptions
    /// made over the API (REST `webhooks.json`, GraphQL `webhookSubscriptionCreate`),
    /// as Shopify signs every webhook of an app with its client secret. Default
    /// `mock-webhook-secret` (what `serve --webhook-secret` defaults to).
    pub webhook_secret: String,
    /// Where "now" comes from: timestamps and the buckets.
    pub clock: Arc<dyn Clock>,
    /// Called for every request answered.
    pub request_log: Option<RequestLogger>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            access_token: "shpat_mock_access_token".to_owned(),
            api_version: "2025-01".to_owned(),
            shop_domain: "mock-shop.myshopify.com".to_owned(),
            rest_bucket: BucketConfig::REST,
            graphql_bucket: BucketConfig::GRAPHQL,
            graphql_max_cost: 1000.0,
            webhooks: WebhookConfig::default(),
            webhook_secret: "mock-webhook-secret".to_owned(),
            clock: Arc::new(SystemClock),
            request_log: None,
        }
    }
}

impl std::fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockConfig")
            .field("bind", &self.bind)
            .field("access_token", &self.access_token)
            .field("api_version", &self.api_version)
            .field("shop_domain", &self.shop_domain)
            .field("rest_bucket", &self.rest_bucket)
            .field("graphql_bucket", &self.graphql_bucket)
            .field("graphql_max_cost", &self.graphql_max_cost)
            .field("webhooks", &self.webhooks)
            .field("webhook_secret", &self.webhook_secret)
            .field("clock", &self.clock)
            .field("request_log", &self.request_log.is_some())
            .finish()
    }
}
