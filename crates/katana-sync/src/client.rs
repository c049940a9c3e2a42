//! A small REST Admin API client for what the sync needs: one order, the orders
//! updated since a given instant (every status, every page), and the app's webhook
//! subscriptions (list every page, create one). It sends the access token, honours
//! `Retry-After` on 429, and retries 5xx and a connection that breaks before the
//! answer (reset, closed) with exponential backoff: every read is idempotent, and
//! a repeated subscription is refused by Shopify as "already been taken", which the
//! client reads as "present".

use std::time::Duration;

use katana_rules::OrderId;
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::shopify::ShopifyOrder;

/// Why a read from Shopify failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer, or a broken one.
    #[error("request to Shopify failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// An answer with an unexpected status, after retries.
    #[error("Shopify answered {status} for {url}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The URL asked.
        url: String,
        /// The body, for a person.
        body: String,
    },
    /// The body is not the JSON the sync reads.
    #[error("Shopify's answer for {url} is not the JSON the sync reads: {error}")]
    Json {
        /// The URL asked.
        url: String,
        /// What did not fit.
        error: serde_json::Error,
    },
}

/// How the client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt, for 429 and 5xx answers and broken
    /// connections.
    pub max_retries: u32,
    /// The first backoff for a 5xx or a broken connection; doubled on each retry.
    pub backoff: Duration,
    /// The longest `Retry-After` the client will wait for one 429.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

/// A REST Admin API client for one store.
#[derive(Debug, Clone)]
pub struct ShopifyClient {
    http: reqwest::Client,
    /// e.g. `http://127.0.0.1:4000/admin/api/2025-01`
    api: String,
    token: String,
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct OrderList {
    orders: Vec<ShopifyOrder>,
}

impl ShopifyClient {
    /// A client for the store at `base_url` (e.g. `http://127.0.0.1:4000`), API `version`.
    pub fn new(base_url: &str, version: &str, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            api: format!("{}/admin/api/{version}", base_url.trim_end_matches('/')),
            token: token.to_string(),
            retry: RetryPolicy::default(),
        }
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// GET with the token, retrying 429 (after `Retry-After`), 5xx and a broken
    /// connection (with backoff). Returns the final response, whatever its status,
    /// or the last attempt's error.
    async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<reqwest::Response, ClientError> {
        self.send(Method::GET, url, query, None).await
    }

    /// A request with the token, retried as [`ShopifyClient::get`] says. Only for
    /// requests that are safe to repeat: reads, and writes whose repetition Shopify
    /// refuses in a way the caller recognises (a second `POST webhooks.json` for the
    /// same topic and address is a 422 "already been taken").
    async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Response, ClientError> {
        let mut backoff = self.retry.backoff;
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url)
                .query(query)
                .header("X-Shopify-Access-Token", &self.token)
                .header("Accept", "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(response) => response,
                // A request that could not be built will not be mended by a retry.
                Err(e) if e.is_builder() || attempt >= self.retry.max_retries => {
                    return Err(e.into());
                }
                // A reset or closed connection, no answer: the request is safe to repeat.
                Err(_) => {
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                    continue;
                }
            };
            let status = response.status();
            if attempt >= self.retry.max_retries {
                return Ok(response);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(&response)
                    .unwrap_or(Duration::from_secs(2))
                    .min(self.retry.max_retry_after);
                tokio::time::sleep(wait).await;
            } else if status.is_server_error() {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            } else {
                return Ok(response);
            }
            attempt += 1;
        }
    }

    /// Every item of a paginated list: the first page at `url` with `query`, then
    /// every `rel="next"` page of the `Link` header; `items` reads one page's body.
    async fn all_pages<T>(
        &self,
        url: String,
        mut query: Vec<(&str, String)>,
        items: impl Fn(&[u8]) -> Result<Vec<T>, serde_json::Error>,
    ) -> Result<Vec<T>, ClientError> {
        let mut url = url;
        let mut all = Vec::new();
        // A bounded walk: a store of this size would be a bug in the server.
        for _ in 0..100_000 {
            let response = self.get(&url, &query).await?;
            let next = next_link(&response);
            let bytes = checked(response, &url).await?;
            let page = items(&bytes).map_err(|error| ClientError::Json {
                url: url.clone(),
                error,
            })?;
            all.extend(page);
            match next {
                Some(next) => {
                    url = next;
                    query.clear();
                }
                None => break,
            }
        }
        Ok(all)
    }

    /// The order as it is now; `None` when Shopify answers 404 (it was deleted).
    pub async fn order(&self, id: OrderId) -> Result<Option<ShopifyOrder>, ClientError> {
        let url = format!("{}/orders/{id}.json", self.api);
        let response = self.get(&url, &[]).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let bytes = checked(response, &url).await?;
        ShopifyOrder::from_json(&bytes)
            .map(Some)
            .map_err(|error| ClientError::Json { url, error })
    }

    /// Every order (any status) updated at or after `since` (all when `None`), every
    /// page followed through the `Link` header.
    pub async fn orders_updated_since(
        &self,
        since: Option<&str>,
    ) -> Result<Vec<ShopifyOrder>, ClientError> {
        let url = format!("{}/orders.json", self.api);
        let mut query = vec![("status", "any".to_string()), ("limit", "250".to_string())];
        if let Some(since) = since {
            query.push(("updated_at_min", since.to_string()));
        }
        self.all_pages(url, query, |bytes| {
            serde_json::from_slice::<OrderList>(bytes).map(|page| page.orders)
        })
        .await
    }

    /// The app's webhook subscriptions (`GET webhooks.json`, every page). Shopify
    /// lists only the subscriptions of the app whose token asks.
    pub async fn webhooks(&self) -> Result<Vec<WebhookSubscription>, ClientError> {
        let url = format!("{}/webhooks.json", self.api);
        let query = vec![("limit", "250".to_string())];
        self.all_pages(url, query, |bytes| {
            serde_json::from_slice::<WebhookList>(bytes).map(|page| page.webhooks)
        })
        .await
    }

    /// Subscribes `address` to `topic` in JSON (`POST webhooks.json` with
    /// `{"webhook":{"topic","address","format":"json"}}`). Shopify's 422 "for this
    /// topic has already been taken" (that topic already goes to that address) is
    /// [`WebhookCreated::AlreadyTaken`]; any other refusal is an error carrying
    /// Shopify's answer. Retried like a read: a repeat of a create that did land is
    /// answered "already taken".
    pub async fn create_webhook(
        &self,
        topic: &str,
        address: &str,
    ) -> Result<WebhookCreated, ClientError> {
        let url = format!("{}/webhooks.json", self.api);
        let body = serde_json::json!({
            "webhook": { "topic": topic, "address": address, "format": "json" }
        });
        let response = self.send(Method::POST, &url, &[], Some(&body)).await?;
        if response.status() == StatusCode::UNPROCESSABLE_ENTITY {
            let bytes = response.bytes().await?;
            if already_taken(&bytes) {
                return Ok(WebhookCreated::AlreadyTaken);
            }
            return Err(ClientError::Status {
                status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
                url,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        let bytes = checked(response, &url).await?;
        serde_json::from_slice::<WebhookEnvelope>(&bytes)
            .map(|e| WebhookCreated::Created(e.webhook))
            .map_err(|error| ClientError::Json { url, error })
    }
}

/// One webhook subscription as `webhooks.json` shows it (the fields the sync reads;
/// `created_at`, `updated_at`, `api_version` and the rest are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookSubscription {
    /// Shopify's id, for `DELETE webhooks/{id}.json`.
    pub id: u64,
    /// Where deliveries go.
    pub address: String,
    /// e.g. `orders/create`.
    pub topic: String,
    /// `json` or `xml`; absent in an answer counts as Shopify's default, `json`.
    #[serde(default)]
    pub format: Option<String>,
}

/// What `POST webhooks.json` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookCreated {
    /// A new subscription (201).
    Created(WebhookSubscription),
    /// 422 "for this topic has already been taken": the topic already goes to that
    /// address (made by an earlier start, or by another start racing this one).
    AlreadyTaken,
}

#[derive(Deserialize)]
struct WebhookList {
    webhooks: Vec<WebhookSubscription>,
}

#[derive(Deserialize)]
struct WebhookEnvelope {
    webhook: WebhookSubscription,
}

/// Whether a 422 body is Shopify's "already been taken" for a topic and address:
/// `{"errors":{"address":["for this topic has already been taken"]}}`.
fn already_taken(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let Some(errors) = v.get("errors").and_then(serde_json::Value::as_object) else {
        return false;
    };
    errors.values().any(|messages| {
        messages.as_array().is_some_and(|list| {
            list.iter()
                .filter_map(serde_json::Value::as_str)
                .any(|m| m.contains("already been taken"))
        })
    })
}

async fn checked(response: reqwest::Response, url: &str) -> Result<Vec<u8>, ClientError> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        return Err(ClientError::Status {
            status: status.as_u16(),
            url: url.to_string(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    Ok(bytes.to_vec())
}

/// `Retry-After: 2.0` (seconds, a decimal string) as a duration.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let v = response.headers().get("retry-after")?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// The `rel="next"` URL of a `Link` header, if any.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    parse_next_link(link)
}

/// The `rel="next"` URL of a `Link` header value.
pub fn parse_next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{RetryPolicy, ShopifyClient, parse_next_link};

    /// A connection closed without an answer (what a reset looks like to the
    /// client) is retried like a 5xx, and given up after the retries.
    #[tokio::test]
    async fn a_connection_closed_without_an_answer_is_retried() {
        use wiremock::matchers::path;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        let reset = |_: &wiremock::Request| {
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset")
        };
        Mock::given(path("/admin/api/2025-01/orders/1.json"))
            .respond_with_err(reset)
            .up_to_n_times(2)
            .mount(&server)
            .await;
        let order = serde_json::json!({ "order": {
            "id": 1, "name": "#1", "financial_status": "paid", "updated_at": "2026-01-01T09:00:00Z",
            "cancelled_at": null, "closed_at": null, "fulfillment_status": null, "line_items": [] } });
        Mock::given(path("/admin/api/2025-01/orders/1.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(order))
            .mount(&server)
            .await;
        Mock::given(path("/admin/api/2025-01/orders/2.json"))
            .respond_with_err(reset)
            .mount(&server)
            .await;
        let client = ShopifyClient::new(&server.uri(), "2025-01", "tok").with_retry(RetryPolicy {
            max_retries: 3,
            backoff: Duration::from_millis(1),
            max_retry_after: Duration::from_millis(5),
        });
        assert_eq!(client.order(1).await.unwrap().unwrap().name, "#1");
        assert!(
            client.order(2).await.is_err(),
            "4 resets: the error comes out"
        );
        let asked = server.received_requests().await.unwrap();
        let count = |p: &str| asked.iter().filter(|r| r.url.path().ends_with(p)).count();
        assert_eq!((count("/1.json"), count("/2.json")), (3, 4));
    }

    #[test]
    fn next_link_is_found_among_previous_and_next() {
        let link = "<http://h/admin/api/2025-01/orders.json?limit=2&page_info=abc>; rel=\"previous\", \
                    <http://h/admin/api/2025-01/orders.json?limit=2&page_info=def>; rel=\"next\"";
        assert_eq!(
            parse_next_link(link).as_deref(),
            Some("http://h/admin/api/2025-01/orders.json?limit=2&page_info=def")
        );
        assert_eq!(parse_next_link("<http://h/x>; rel=\"previous\""), None);
    }
}
