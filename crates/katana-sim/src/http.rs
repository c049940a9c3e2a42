//! The HTTP transport: every Shopify step travels as a merchant's admin or an app
//! would send it to the mock Shopify server (each step's file says how: GraphQL for
//! order edits and payment capture, REST for orders created, refunds, fulfilments,
//! cancel, archive, unarchive and delete), the mock sends its signed webhooks to
//! katana-sync's receiver, and the sync reads the order back over REST and applies
//! the difference to Katana.
//!
//! Beyond starting the mock server, the transport makes no in-process call into
//! it: the sync subscribes to webhooks through `webhooks.json` as a real app does,
//! and the set-up, the clock, the fault plan, the catalogue and waiting for
//! webhooks go through the mock's test-control API (`/__mock/`), as a test in
//! any language would drive it.
//!
//! Refusals come back as Shopify sends them (a REST 404 or 422, GraphQL
//! `userErrors`) and are read back into shopify-model's typed error, so they have
//! the same kind and message as in process.
//!
//! Before the next step the runner waits until every webhook of this step has been
//! answered (`POST /__mock/webhooks/settle`, a long poll), and the receiver answers
//! only once it has applied the delivery: an explicit signal, never a sleep.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use jiff::Timestamp;
use katana_rules::{Effect, Katana};
use katana_sync::Settings;
use katana_sync::client::{RetryPolicy, ShopifyClient};
use katana_sync::service::{SyncService, WebhookServer};
use serde_json::{Value, json};
use shopify_mock::{BucketConfig, ManualClock, MockConfig, ShopifyMock};
use shopify_model::{NewOrder, OrderId, ShopifyError};

use crate::runner::{DEFAULT_START, Failure, FailureReason, StepError, Transport};
use crate::steps::ShopifyStep;

/// The app's webhook secret between the mock and the sync.
const SECRET: &str = "katana-sim-webhook-secret";
/// The Admin API version the simulator speaks.
const API_VERSION: &str = "2025-01";

/// A mock Shopify store and a webhook-driven sync, on loopback ports of their own.
pub struct Http {
    rt: tokio::runtime::Runtime,
    /// Started here and kept alive; every call after that goes over HTTP.
    mock: ShopifyMock,
    /// `http://127.0.0.1:{port}/__mock`.
    control: String,
    /// The Admin API base and the access token.
    admin: String,
    token: String,
    /// The instant of the step under way (the mock's clock is set to it).
    now: Timestamp,
    sync: SyncService,
    server: Option<WebhookServer>,
    http: reqwest::Client,
    /// Deliveries already checked, so each step checks only its own.
    checked_deliveries: usize,
    /// Injected faults already reported, so each step reports only its own.
    injected_seen: usize,
    /// A fault plan is armed on the mock (so the next step without faults ends it).
    armed: bool,
}

/// A refusal's message as Shopify sent it, read back into shopify-model's typed
/// error: the same kind and message as in process. A message the model does not
/// know is a transport error, so a drift between the two paths fails loudly.
fn refused(message: &str) -> StepError {
    match ShopifyError::from_message(message) {
        Some(e) => StepError::Refused(e.into()),
        None => StepError::Transport(format!(
            "Shopify refused with a message shopify-model does not know: {message}"
        )),
    }
}

/// GraphQL's top-level `errors` (a transport problem: the request itself was
/// wrong) or a mutation's `userErrors` (Shopify's refusal).
fn graphql_errors(errors: Option<&Value>, user_errors: bool) -> Result<(), StepError> {
    let Some(errors) = errors.and_then(Value::as_array).filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    let messages: Vec<&str> = errors
        .iter()
        .filter_map(|e| e.get("message")?.as_str())
        .collect();
    match messages.as_slice() {
        [first, ..] if user_errors => Err(refused(first)),
        _ => Err(StepError::Transport(format!(
            "GraphQL error: {}",
            messages.join("; ")
        ))),
    }
}

fn transport(e: impl std::fmt::Display) -> StepError {
    StepError::Transport(e.to_string())
}

impl Http {
    /// Starts the mock and the sync's webhook receiver, with the clock at `start`.
    pub fn start(start: Timestamp) -> Result<Self, StepError> {
        // One thread: the transport's calls run one after another, and the sync's
        // receiver runs while the transport waits (the mock has threads of its own).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(transport)?;
        // A clock that stands still: the mock's time moves only when the transport
        // sets it over the control API, to each step's instant.
        let config = MockConfig {
            clock: Arc::new(ManualClock::new(start)),
            webhook_secret: SECRET.to_owned(),
            // Shopify's real limits; the simulated minute between steps drains them.
            rest_bucket: BucketConfig::REST,
            // Retries in real time (the steps' clock never waits for them), and one
            // attempt in flight, so that the delivery log and the faults injected
            // are the same on every run.
            webhooks: shopify_mock::WebhookConfig {
                schedule: shopify_mock::WebhookSchedule::Fast,
                max_in_flight: 1,
                ..shopify_mock::WebhookConfig::default()
            },
            ..MockConfig::default()
        };
        let mock = rt.block_on(ShopifyMock::start(config)).map_err(transport)?;
        let (base, admin, token) = (
            mock.base_url(),
            mock.admin_url(),
            mock.access_token().to_owned(),
        );
        // Quick retries: the mock's faults are injected by tests, not network weather.
        let retry = RetryPolicy {
            max_retries: 4,
            backoff: std::time::Duration::from_millis(2),
            max_retry_after: std::time::Duration::from_secs(1),
        };
        let client = ShopifyClient::new(&base, API_VERSION, &token).with_retry(retry);
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
        // The sync subscribes itself through `webhooks.json`, as a real app does.
        rt.block_on(sync.register_webhooks(&server.url()))
            .map_err(transport)?;
        Ok(Self {
            rt,
            mock,
            control: format!("{base}/__mock"),
            admin,
            token,
            now: start,
            sync,
            server: Some(server),
            http: reqwest::Client::new(),
            checked_deliveries: 0,
            injected_seen: 0,
            armed: false,
        })
    }

    /// Starts the servers for `scenario`, with the clock at its `start` (or the
    /// default); a failure to start fails the scenario at its set-up.
    pub fn for_scenario(scenario: &crate::scenario::Scenario) -> Result<Self, Box<Failure>> {
        Self::start(scenario.start.unwrap_or(DEFAULT_START)).map_err(|e| {
            Box::new(Failure {
                path: scenario.path.clone(),
                step: 0,
                loc: None,
                step_text: "starting the mock Shopify server and the sync".into(),
                reason: FailureReason::Transport(format!("{e:?}")),
            })
        })
    }

    /// The mock Shopify server (for tests that look inside it; the transport
    /// itself only talks to it over HTTP).
    pub fn mock(&self) -> &ShopifyMock {
        &self.mock
    }

    /// The instant of the step under way.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// A call to the mock's test-control API (`/__mock/{path}`): its JSON answer,
    /// or a transport error with the status and body.
    pub fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, StepError> {
        let (status, value) = self.control_call(method, path, body)?;
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(StepError::Transport(format!(
                "the mock's control API answered {status} to {path}: {value}"
            )))
        }
    }

    /// A control call's status and JSON body, whatever the status.
    fn control_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), StepError> {
        let (status, text) = self.call(method, &format!("{}/{path}", self.control), body)?;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    /// One request with the access token (and a JSON body): the status and the
    /// body's text.
    fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<(u16, String), StepError> {
        self.rt
            .block_on(async {
                let mut request = self
                    .http
                    .request(method, url)
                    .header("X-Shopify-Access-Token", &self.token);
                if let Some(body) = &body {
                    request = request.json(body);
                }
                let response = request.send().await?;
                let status = response.status().as_u16();
                let text = response.text().await?;
                Ok::<_, reqwest::Error>((status, text))
            })
            .map_err(transport)
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

    fn set_time(&mut self, at: Timestamp) -> Result<(), StepError> {
        if at != self.now {
            self.control(
                reqwest::Method::POST,
                "clock",
                Some(json!({ "now": at.to_string() })),
            )?;
        }
        self.now = at;
        self.rt.block_on(self.sync.state()).now = at;
        Ok(())
    }

    /// Waits until every webhook sent so far is answered (a long poll on the
    /// control API), checks that each was delivered, and takes what the sync did.
    fn settle(&mut self) -> Result<Vec<Effect>, StepError> {
        // The answer lists this step's deliveries (those after the ones checked).
        let (status, settled) = self.control_call(
            reqwest::Method::POST,
            &format!(
                "webhooks/settle?timeout_ms=60000&since={}",
                self.checked_deliveries
            ),
            None,
        )?;
        if status != 200 {
            return Err(StepError::Transport(format!(
                "the webhooks did not settle within 60 s: {settled}"
            )));
        }
        let deliveries = settled
            .get("list")
            .and_then(Value::as_array)
            .ok_or_else(|| transport(format!("no deliveries in {settled}")))?;
        let total = settled
            .get("deliveries")
            .and_then(Value::as_u64)
            .ok_or_else(|| transport(format!("no delivery count in {settled}")))?;
        let mut dropped = Vec::new();
        for d in deliveries {
            let field = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or_default();
            match field("status") {
                "delivered" => {}
                // A fault dropped it: the sync reads that order again, as the lost
                // delivery would have made it.
                "dropped" => {
                    let event =
                        katana_sync::webhook::order_event(field("topic"), field("body").as_bytes())
                            .map_err(transport)?;
                    let id = match event {
                        katana_sync::webhook::OrderEvent::Changed(id)
                        | katana_sync::webhook::OrderEvent::Deleted(id) => Some(id),
                        katana_sync::webhook::OrderEvent::Ignored => None,
                    };
                    if let Some(id) = id.filter(|id| !dropped.contains(id)) {
                        dropped.push(id);
                    }
                }
                other => {
                    return Err(StepError::Transport(format!(
                        "webhook {} was not delivered: {other}",
                        field("topic"),
                    )));
                }
            }
        }
        self.checked_deliveries = usize::try_from(total).map_err(transport)?;
        if !dropped.is_empty() {
            self.rt
                .block_on(self.sync.resync(&dropped))
                .map_err(transport)?;
        }
        Ok(self.rt.block_on(self.sync.state()).take_effects())
    }

    /// A GraphQL Admin API call; `Refused` with the `userErrors` of `field`.
    pub fn graphql(&self, query: &str, variables: Value, field: &str) -> Result<Value, StepError> {
        let url = format!("{}/graphql.json", self.admin);
        let call = || {
            let (status, text) = self.call(
                reqwest::Method::POST,
                &url,
                Some(json!({ "query": query, "variables": variables })),
            )?;
            serde_json::from_str::<Value>(&text).map_err(|e| {
                StepError::Transport(format!(
                    "GraphQL answered {status} with no JSON ({e}): {text}"
                ))
            })
        };
        // Shopify answers THROTTLED when the cost bucket is empty: a client tries
        // again (a bounded number of times).
        let throttled = |body: &Value| {
            body.pointer("/errors/0/extensions/code")
                .and_then(Value::as_str)
                == Some("THROTTLED")
        };
        let mut body = call()?;
        for _ in 0..5 {
            if !throttled(&body) {
                break;
            }
            body = call()?;
        }
        graphql_errors(body.get("errors"), false)?;
        let result = body
            .pointer(&format!("/data/{field}"))
            .cloned()
            .unwrap_or(Value::Null);
        graphql_errors(result.get("userErrors"), true)?;
        Ok(result)
    }

    /// A REST Admin API call about `order`: a 404 is Shopify's "Not Found" for the
    /// order in the path, a 422 a refusal with shopify-model's words.
    pub fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        order: OrderId,
    ) -> Result<Value, StepError> {
        let (status, text) = self.call(method, &format!("{}/{path}", self.admin), body)?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let base = value
            .pointer("/errors/base/0")
            .and_then(Value::as_str)
            .map(str::to_string);
        match (status, base) {
            (404, _) => Err(StepError::Refused(
                ShopifyError::OrderNotFound { order }.into(),
            )),
            (422, Some(message)) => Err(refused(&message)),
            (code, _) => Err(StepError::Transport(format!(
                "Shopify answered {code} to {path}: {text}"
            ))),
        }
    }

    /// An order edit through GraphQL: begin, one change, commit.
    pub fn order_edit(
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
}

impl Transport for Http {
    fn setup_orders(
        &mut self,
        orders: &[NewOrder],
        settings: Settings,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError> {
        self.set_time(at)?;
        self.rt.block_on(self.sync.state()).settings = settings;
        let body = serde_json::to_value(orders).map_err(transport)?;
        let (status, answer) = self.control_call(reqwest::Method::POST, "orders", Some(body))?;
        match status {
            201 => {}
            // Shopify refused a set-up order, in shopify-model's words.
            422 => {
                let message = answer
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                return Err(refused(message));
            }
            _ => {
                return Err(StepError::Transport(format!(
                    "the mock's control API answered {status} to the set-up orders: {answer}"
                )));
            }
        }
        // The store existed before Katana connected: the first reconciliation
        // imports what qualifies, reading every order over REST.
        self.rt.block_on(self.sync.reconcile()).map_err(transport)?;
        self.settle()
    }

    fn shopify_step(
        &mut self,
        step: &dyn ShopifyStep,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError> {
        self.set_time(at)?;
        let applied = step.over_http(self);
        // Even a refused edit may have begun and sent nothing; settle either way.
        let effects = self.settle()?;
        applied.map(|()| effects)
    }

    fn shopify_order(&mut self, id: OrderId) -> Result<Option<shopify_model::Order>, StepError> {
        let (status, answer) =
            self.control_call(reqwest::Method::GET, &format!("orders/{id}"), None)?;
        match status {
            200 => {
                let order = answer.get("order").cloned().unwrap_or(Value::Null);
                serde_json::from_value(order).map(Some).map_err(transport)
            }
            404 => Ok(None),
            _ => Err(StepError::Transport(format!(
                "the mock's control API answered {status} to order {id}: {answer}"
            ))),
        }
    }

    fn injected_faults(&mut self) -> Result<Vec<String>, StepError> {
        let answer = self.control(reqwest::Method::GET, "faults", None)?;
        let all: Vec<String> = answer
            .get("injected")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect();
        let new = all.iter().skip(self.injected_seen).cloned().collect();
        self.injected_seen = all.len();
        Ok(new)
    }

    fn arm_faults(&mut self, faults: &[shopify_mock::Fault]) -> Result<(), StepError> {
        if faults.is_empty() {
            // Nothing armed since the last disarm: nothing to end.
            if std::mem::take(&mut self.armed) {
                self.control(reqwest::Method::DELETE, "faults", None)?;
            }
        } else {
            self.armed = true;
            let entries: Vec<Value> = faults.iter().map(shopify_mock::Fault::plan_entry).collect();
            self.control(
                reqwest::Method::POST,
                "faults",
                Some(json!({ "faults": entries })),
            )?;
        }
        Ok(())
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
