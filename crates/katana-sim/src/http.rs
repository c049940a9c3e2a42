//! The HTTP transport: every Shopify step travels as a merchant's admin would send
//! it to the mock Shopify server (GraphQL for order edits, REST for refunds, cancel,
//! archive, unarchive and delete; the mock's library for checkout and fulfilment,
//! which have no Admin API there), the mock sends its signed webhooks to
//! katana-sync's receiver, and the sync reads the order back over REST and applies
//! the difference to Katana.
//!
//! Before the next step the runner waits until every webhook of this step has been
//! answered (`ShopifyMock::settle_webhooks`), and the receiver answers only once it
//! has applied the delivery: an explicit signal, never a sleep.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use jiff::Timestamp;
use katana_rules::{Effect, Katana};
use katana_sync::Settings;
use katana_sync::client::{RetryPolicy, ShopifyClient};
use katana_sync::service::{SyncService, WebhookServer};
use serde_json::{Value, json};
use shopify_mock::{
    BucketConfig, DeliveryStatus, ManualClock, MockConfig, ShopifyMock, WebhookSubscription,
};
use shopify_model::NewOrder;

use crate::runner::{StepError, Transport};
use crate::scenario::Step;

/// The app's webhook secret between the mock and the sync.
const SECRET: &str = "katana-sim-webhook-secret";
/// The Admin API version the simulator speaks.
const API_VERSION: &str = "2025-01";

/// A mock Shopify store and a webhook-driven sync, on loopback ports of their own.
pub struct Http {
    rt: tokio::runtime::Runtime,
    mock: ShopifyMock,
    clock: ManualClock,
    sync: SyncService,
    server: Option<WebhookServer>,
    http: reqwest::Client,
    /// Deliveries already checked, so each step checks only its own.
    checked_deliveries: usize,
}

/// GraphQL's top-level `errors` or a mutation's `userErrors`, as a refusal.
fn refusal(errors: Option<&Value>) -> Result<(), StepError> {
    match errors.and_then(Value::as_array) {
        Some(errors) if !errors.is_empty() => {
            let messages: Vec<&str> = errors
                .iter()
                .filter_map(|e| e.get("message")?.as_str())
                .collect();
            Err(StepError::Refused(format!(
                "Shopify: {}",
                messages.join("; ")
            )))
        }
        _ => Ok(()),
    }
}

fn transport(e: impl std::fmt::Display) -> StepError {
    StepError::Transport(e.to_string())
}

impl Http {
    /// Starts the mock and the sync's webhook receiver, with the clock at `start`.
    pub fn start(start: Timestamp) -> Result<Self, StepError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(transport)?;
        let clock = ManualClock::new(start);
        let config = MockConfig {
            clock: Arc::new(clock.clone()),
            // Shopify's real limits; the simulated minute between steps drains them.
            rest_bucket: BucketConfig::REST,
            ..MockConfig::default()
        };
        let mock = rt.block_on(ShopifyMock::start(config)).map_err(transport)?;
        // Quick retries: the mock's faults are injected by tests, not network weather.
        let retry = RetryPolicy {
            max_retries: 4,
            backoff: std::time::Duration::from_millis(2),
            max_retry_after: std::time::Duration::from_secs(1),
        };
        let client = ShopifyClient::new(&mock.base_url(), API_VERSION, mock.access_token())
            .with_retry(retry);
        let sync = SyncService::new(
            Katana::new(),
            Settings::default(),
            start,
            client,
            SECRET.as_bytes(),
        );
        let server = rt
            .block_on(sync.serve(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))
            .map_err(transport)?;
        mock.subscribe(WebhookSubscription::all_topics(server.url(), SECRET));
        Ok(Self {
            rt,
            mock,
            clock,
            sync,
            server: Some(server),
            http: reqwest::Client::new(),
            checked_deliveries: 0,
        })
    }

    /// The mock Shopify server.
    pub fn mock(&self) -> &ShopifyMock {
        &self.mock
    }

    /// The sync service (Katana's state, the webhook receiver's logic).
    pub fn sync(&self) -> &SyncService {
        &self.sync
    }

    /// The URL the mock sends webhooks to.
    pub fn webhook_url(&self) -> String {
        self.server
            .as_ref()
            .map(WebhookServer::url)
            .unwrap_or_default()
    }

    /// The webhook secret the mock signs with and the sync checks.
    pub fn webhook_secret(&self) -> &'static str {
        SECRET
    }

    /// Runs a future on the transport's runtime (for tests that talk to the servers).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }

    fn set_time(&mut self, at: Timestamp) {
        self.clock.set(at);
        self.rt.block_on(self.sync.state()).now = at;
    }

    /// Waits until every webhook sent so far is answered, checks that each was
    /// delivered, and takes what the sync did.
    fn settle(&mut self) -> Result<Vec<Effect>, StepError> {
        self.rt.block_on(self.mock.settle_webhooks());
        let deliveries = self.mock.deliveries();
        for d in deliveries.iter().skip(self.checked_deliveries) {
            if d.status != DeliveryStatus::Delivered {
                return Err(StepError::Transport(format!(
                    "webhook {} was not delivered: {:?}",
                    d.topic.as_str(),
                    d.status
                )));
            }
        }
        self.checked_deliveries = deliveries.len();
        Ok(self.rt.block_on(self.sync.state()).take_effects())
    }

    /// A GraphQL Admin API call; `Refused` with the `userErrors` of `field`.
    fn graphql(&self, query: &str, variables: Value, field: &str) -> Result<Value, StepError> {
        let url = self.mock.graphql_url();
        let body = self.rt.block_on(async {
            let response = self
                .http
                .post(&url)
                .header("X-Shopify-Access-Token", self.mock.access_token())
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await?;
            response.json::<Value>().await
        });
        let body = body.map_err(transport)?;
        refusal(body.get("errors"))?;
        let result = body
            .pointer(&format!("/data/{field}"))
            .cloned()
            .unwrap_or(Value::Null);
        refusal(result.get("userErrors"))?;
        Ok(result)
    }

    /// A REST Admin API call; 404 and 422 are refusals with Shopify's words.
    fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, StepError> {
        let url = format!("{}/{path}", self.mock.admin_url());
        let result = self.rt.block_on(async {
            let mut request = self
                .http
                .request(method, &url)
                .header("X-Shopify-Access-Token", self.mock.access_token());
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        });
        let (status, text) = result.map_err(transport)?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        if status.is_success() {
            return Ok(value);
        }
        let words = match value.get("errors") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(map)) => map
                .values()
                .flat_map(|v| match v {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    other => vec![other.to_string()],
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => text,
        };
        match status.as_u16() {
            404 | 422 => Err(StepError::Refused(format!("Shopify: {words}"))),
            code => Err(StepError::Transport(format!(
                "Shopify answered {code} to {path}: {words}"
            ))),
        }
    }

    /// An order edit through GraphQL: begin, one change, commit.
    fn order_edit(
        &self,
        order: u64,
        change: impl FnOnce(&str) -> Result<(), StepError>,
    ) -> Result<(), StepError> {
        let begun = self.graphql(
            "mutation begin($id: ID!) { orderEditBegin(id: $id) { calculatedOrder { id } userErrors { field message } } }",
            json!({ "id": format!("gid://shopify/Order/{order}") }),
            "orderEditBegin",
        )?;
        let calculated = begun
            .pointer("/calculatedOrder/id")
            .and_then(Value::as_str)
            .ok_or_else(|| transport("orderEditBegin returned no calculatedOrder id"))?
            .to_string();
        change(&calculated)?;
        self.graphql(
            "mutation commit($id: ID!) { orderEditCommit(id: $id, notifyCustomer: false) { order { id } userErrors { field message } } }",
            json!({ "id": calculated }),
            "orderEditCommit",
        )?;
        Ok(())
    }

    fn apply_shopify(&self, step: &Step) -> Result<(), StepError> {
        let refused = |e: shopify_model::ShopifyError| StepError::Refused(format!("Shopify: {e}"));
        match step {
            Step::Edit { order, line, quantity } => self.order_edit(*order, |calc| {
                self.graphql(
                    "mutation set($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q, restock: true) { calculatedOrder { id } userErrors { field message } } }",
                    json!({ "id": calc, "line": format!("gid://shopify/CalculatedLineItem/{line}"), "q": quantity }),
                    "orderEditSetQuantity",
                )
                .map(drop)
            }),
            Step::AddLine { order, line, sku, quantity } => {
                // The merchant picks a product variant from the catalogue; the
                // scenario names the new line item's id, which the mock will hand out.
                let variant = self.mock.catalogue_variant(sku);
                self.mock.reserve_line_id(*line).map_err(refused)?;
                self.order_edit(*order, |calc| {
                    self.graphql(
                        "mutation add($id: ID!, $v: ID!, $q: Int!) { orderEditAddVariant(id: $id, variantId: $v, quantity: $q) { calculatedOrder { id } userErrors { field message } } }",
                        json!({ "id": calc, "v": format!("gid://shopify/ProductVariant/{variant}"), "q": quantity }),
                        "orderEditAddVariant",
                    )
                    .map(drop)
                })
            }
            Step::Refund { order, lines } => {
                let items: Vec<Value> = lines
                    .iter()
                    .map(|l| json!({ "line_item_id": l.line, "quantity": l.quantity, "restock_type": l.restock.as_str() }))
                    .collect();
                let body = json!({ "refund": { "refund_line_items": items } });
                self.rest(reqwest::Method::POST, &format!("orders/{order}/refunds.json"), Some(body)).map(drop)
            }
            Step::Cancel { order, reason, restock } => {
                let mut body = json!({ "restock": restock });
                if let Some(reason) = reason {
                    body["reason"] = json!(reason.as_str());
                }
                self.rest(reqwest::Method::POST, &format!("orders/{order}/cancel.json"), Some(body)).map(drop)
            }
            Step::Archive { order } => {
                self.rest(reqwest::Method::POST, &format!("orders/{order}/close.json"), Some(json!({}))).map(drop)
            }
            Step::Unarchive { order } => {
                self.rest(reqwest::Method::POST, &format!("orders/{order}/open.json"), Some(json!({}))).map(drop)
            }
            Step::Delete { order } => self.rest(reqwest::Method::DELETE, &format!("orders/{order}.json"), None).map(drop),
            Step::Fulfill { order, line, quantity } => self.mock.fulfill(*order, *line, *quantity).map(drop).map_err(refused),
            Step::CreateOrder(new) => self.mock.create_order(new).map(drop).map_err(refused),
            other => Err(transport(format!("`{}` is not a Shopify step", other.name()))),
        }
    }
}

impl Transport for Http {
    fn setup_orders(
        &mut self,
        orders: &[NewOrder],
        settings: Settings,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError> {
        self.set_time(at);
        self.rt.block_on(self.sync.state()).settings = settings;
        self.mock
            .seed_orders(orders)
            .map_err(|e| StepError::Refused(e.to_string()))?;
        // The store existed before Katana connected: the first reconciliation
        // imports what qualifies, reading every order over REST.
        self.rt.block_on(self.sync.reconcile()).map_err(transport)?;
        self.settle()
    }

    fn shopify_step(&mut self, step: &Step, at: Timestamp) -> Result<Vec<Effect>, StepError> {
        self.set_time(at);
        let applied = self.apply_shopify(step);
        // Even a refused edit may have begun and sent nothing; settle either way.
        let effects = self.settle()?;
        applied.map(|()| effects)
    }

    fn with_katana(&mut self, f: &mut dyn FnMut(&mut Katana, &mut Settings)) {
        let mut state = self.rt.block_on(self.sync.state());
        let state = &mut *state;
        f(&mut state.katana, &mut state.settings);
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
    }
}
