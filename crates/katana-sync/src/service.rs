//! The sync as a running service: Katana's state behind a lock, the webhook receiver
//! (axum), the REST client, and reconciliation.
//!
//! What it guarantees:
//! - a delivery without every needed header or with a wrong signature is answered
//!   401 and changes nothing;
//! - a delivery already processed (same `X-Shopify-Webhook-Id`, or same
//!   `X-Shopify-Event-Id`) is answered 200 and changes nothing;
//! - for an order event it reads the order *as it is now* and applies the
//!   difference, so a late, repeated or out-of-order delivery cannot roll anything
//!   back; `orders/delete` and a 404 mean the order is gone;
//! - deliveries are processed one at a time (read and apply under one lock);
//! - a delivery is answered 2xx only once it has been applied, so "every delivery
//!   answered" means "every change applied";
//! - at start, [`SyncService::register_webhooks`] subscribes the receiver's URL to
//!   every topic in [`WEBHOOK_TOPICS`] through the Admin API (`webhooks.json`), as a
//!   real app does: it lists what exists, creates only what is missing, and never
//!   deletes a subscription;
//! - reconciliation lists every order updated since the last pass (all statuses,
//!   every page), checks that the orders of existing SOs still exist, and applies
//!   what webhooks missed.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use jiff::Timestamp;
use katana_rules::{Effect, Katana, KatanaError, OrderId};
use tokio::sync::Mutex;

use crate::client::{ClientError, ShopifyClient, WebhookCreated, WebhookSubscription};
use crate::plan::{Settings, apply_plan, plan_for};
use crate::shopify::ShopifyOrder;
use crate::webhook::{OrderEvent, WEBHOOK_TOPICS, order_event, read_delivery};

/// Why the sync could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading Shopify failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Katana refused a change the sync planned (a bug in the plan).
    #[error("Katana refused a planned change: {0}")]
    Katana(#[from] KatanaError),
}

/// Why the sync could not subscribe to its webhooks; each names the request, the
/// topic where there is one, and Shopify's answer.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// `GET webhooks.json` failed.
    #[error("listing the app's webhook subscriptions (GET webhooks.json) failed{hint}: {0}", hint = hint(.0))]
    List(ClientError),
    /// `POST webhooks.json` for one topic failed.
    #[error("subscribing {address} to {topic} (POST webhooks.json) failed{hint}: {error}", hint = hint(.error))]
    Create {
        /// The topic.
        topic: &'static str,
        /// The receiver's URL.
        address: String,
        /// Shopify's answer.
        error: ClientError,
    },
    /// The topic already goes to this address, but not as JSON: the sync reads only
    /// JSON deliveries, and Shopify refuses a second subscription for the pair.
    #[error(
        "webhook subscription {id} sends {topic} to {address} as {format:?}, but the sync reads JSON; \
         delete it (DELETE webhooks/{id}.json) and start again"
    )]
    NotJson {
        /// The topic.
        topic: &'static str,
        /// The receiver's URL.
        address: String,
        /// The subscription's id.
        id: u64,
        /// Its format.
        format: String,
    },
}

/// A hint for the answers whose fix is on the caller's side.
fn hint(error: &ClientError) -> &'static str {
    match error {
        ClientError::Status { status: 401, .. } => {
            " (Shopify refused the access token: check the token the client was built with)"
        }
        ClientError::Status { status: 403, .. } => {
            " (the app lacks the access scope for this topic: order topics need read_orders)"
        }
        _ => "",
    }
}

/// What [`SyncService::register_webhooks`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    /// The topics subscribed now, in [`WEBHOOK_TOPICS`] order.
    pub created: Vec<&'static str>,
    /// The topics that already went to the address (listed, or refused as "already
    /// been taken" by a start racing this one), in [`WEBHOOK_TOPICS`] order.
    pub existing: Vec<&'static str>,
    /// Subscriptions of the sync's topics to other addresses, left alone: the token
    /// cannot tell an old address of this sync from another receiver of the same
    /// app (a second instance, a tool), so deleting them is a person's decision.
    /// They only add duplicate deliveries elsewhere.
    pub elsewhere: Vec<WebhookSubscription>,
}

/// Katana and what the sync remembers, behind the service's lock.
#[derive(Debug)]
pub struct SyncState {
    /// Katana's records.
    pub katana: Katana,
    /// The integration settings.
    pub settings: Settings,
    /// The time the sync stamps on what it does (set by the caller: the simulator's
    /// clock in the harness).
    pub now: Timestamp,
    /// Orders the sync has heard of (and so made its import decision for).
    seen: HashSet<OrderId>,
    /// Webhook ids and event ids already processed.
    processed: HashSet<String>,
    /// What the sync did since the last [`SyncState::take_effects`].
    effects: Vec<Effect>,
    /// The newest `updated_at` the last reconciliation saw.
    reconciled_up_to: Option<Timestamp>,
    /// Deliveries answered 2xx as processed, duplicates and ignored topics included.
    accepted: u64,
    /// Deliveries answered 401.
    rejected: u64,
}

impl SyncState {
    fn new(katana: Katana, settings: Settings, now: Timestamp) -> Self {
        Self {
            katana,
            settings,
            now,
            seen: HashSet::new(),
            processed: HashSet::new(),
            effects: Vec::new(),
            reconciled_up_to: None,
            accepted: 0,
            rejected: 0,
        }
    }

    /// Takes what the sync did since the last call, in order: one trace for one
    /// Shopify change, however many deliveries carried it. A change skipped by one
    /// delivery is noted once, even when a later delivery of the same change skips
    /// it again for another reason (e.g. `orders/updated` after `orders/edited`
    /// finds the row delivered where the first found it packed).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut out: Vec<Effect> = Vec::new();
        for e in std::mem::take(&mut self.effects) {
            if let Effect::Skipped { what, .. } = &e
                && out
                    .iter()
                    .any(|o| matches!(o, Effect::Skipped { what: w, .. } if w == what))
            {
                continue;
            }
            out.push(e);
        }
        out
    }

    /// Deliveries answered 2xx and 401 so far.
    pub fn delivery_counts(&self) -> (u64, u64) {
        (self.accepted, self.rejected)
    }

    /// Applies the sync's decision for an order read as it is now (`None`: gone).
    fn apply_order(&mut self, id: OrderId, now: Option<&ShopifyOrder>) -> Result<(), SyncError> {
        let first_sight = self.seen.insert(id);
        let plan = plan_for(id, now, first_sight, &self.katana, &self.settings);
        let effects = apply_plan(&mut self.katana, &plan, self.now)?;
        self.effects.extend(effects);
        Ok(())
    }
}

struct Inner {
    state: Mutex<SyncState>,
    client: ShopifyClient,
    secret: Vec<u8>,
}

/// The sync service: cheap to clone, shared by the webhook server and its owner.
#[derive(Clone)]
pub struct SyncService {
    inner: Arc<Inner>,
}

impl SyncService {
    /// A service over `katana`, reading Shopify with `client`, trusting webhooks
    /// signed with `secret`.
    pub fn new(
        katana: Katana,
        settings: Settings,
        now: Timestamp,
        client: ShopifyClient,
        secret: &[u8],
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(SyncState::new(katana, settings, now)),
                client,
                secret: secret.to_vec(),
            }),
        }
    }

    /// The state, locked: read Katana, run a Katana-side action, set the clock.
    pub async fn state(&self) -> tokio::sync::MutexGuard<'_, SyncState> {
        self.inner.state.lock().await
    }

    /// The webhook receiver: `POST /webhooks` (any topic).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/webhooks", post(receive))
            .with_state(self.clone())
    }

    /// Makes sure `callback_url` (the receiver's URL, e.g. [`WebhookServer::url`]) is
    /// subscribed to every topic in [`WEBHOOK_TOPICS`], through the Admin API as a
    /// real app does at start. Idempotent: it lists the app's subscriptions first
    /// (`GET webhooks.json`), creates only the missing topics for that address
    /// (`POST webhooks.json`, JSON format), and counts Shopify's 422 "already been
    /// taken" as present (another start got there first). It deletes nothing:
    /// subscriptions of its topics to other addresses are reported in
    /// [`Registration::elsewhere`]. Requests are retried as the client's
    /// [`crate::client::RetryPolicy`] says.
    pub async fn register_webhooks(
        &self,
        callback_url: &str,
    ) -> Result<Registration, RegisterError> {
        let client = &self.inner.client;
        let listed = client.webhooks().await.map_err(RegisterError::List)?;
        let mut registration = Registration::default();
        for topic in WEBHOOK_TOPICS {
            let mut present = false;
            for sub in listed.iter().filter(|s| s.topic == topic) {
                if sub.address != callback_url {
                    registration.elsewhere.push(sub.clone());
                    continue;
                }
                match sub.format.as_deref() {
                    None | Some("json") => present = true,
                    Some(other) => {
                        return Err(RegisterError::NotJson {
                            topic,
                            address: callback_url.to_string(),
                            id: sub.id,
                            format: other.to_string(),
                        });
                    }
                }
            }
            if present {
                registration.existing.push(topic);
                continue;
            }
            match client.create_webhook(topic, callback_url).await {
                Ok(WebhookCreated::Created(_)) => registration.created.push(topic),
                Ok(WebhookCreated::AlreadyTaken) => registration.existing.push(topic),
                Err(error) => {
                    return Err(RegisterError::Create {
                        topic,
                        address: callback_url.to_string(),
                        error,
                    });
                }
            }
        }
        Ok(registration)
    }

    /// Serves the webhook receiver on `addr` (port 0: a free port) until the
    /// returned server is dropped or shut down.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<WebhookServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = self.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(WebhookServer {
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Handles one delivery: the status to answer and a short reason.
    pub async fn handle(&self, headers: &HeaderMap, body: &[u8]) -> (StatusCode, String) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let delivery = match read_delivery(header, body, &self.inner.secret) {
            Ok(d) => d,
            Err(e) => {
                self.inner.state.lock().await.rejected += 1;
                return (StatusCode::UNAUTHORIZED, e.to_string());
            }
        };
        let mut state = self.inner.state.lock().await;
        let event_key = delivery.event_id.as_ref().map(|e| format!("event:{e}"));
        let webhook_key = format!("webhook:{}", delivery.webhook_id);
        if state.processed.contains(&webhook_key)
            || event_key
                .as_ref()
                .is_some_and(|k| state.processed.contains(k))
        {
            state.accepted += 1;
            return (StatusCode::OK, "already processed".into());
        }
        let event = match order_event(&delivery.topic, body) {
            Ok(e) => e,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()),
        };
        let result = match event {
            OrderEvent::Ignored => Ok(()),
            OrderEvent::Deleted(id) => state.apply_order(id, None),
            // Read the order as it is now, under the lock, so that deliveries are
            // applied one at a time against the newest state.
            OrderEvent::Changed(id) => match self.inner.client.order(id).await {
                Ok(now) => state.apply_order(id, now.as_ref()),
                Err(e) => Err(e.into()),
            },
        };
        match result {
            Ok(()) => {
                state.processed.insert(webhook_key);
                if let Some(k) = event_key {
                    state.processed.insert(k);
                }
                state.accepted += 1;
                (StatusCode::OK, "applied".into())
            }
            // Not marked as processed: Shopify's retry will try again.
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
    }

    /// Reconciliation: applies what webhooks missed. Lists every order updated since
    /// the last pass (all statuses, every page) and applies each as it is now, in
    /// order id order; then checks that the order of every SO still exists.
    /// Reads these orders as they are now and applies them, as their webhooks
    /// would have: the repair for deliveries known to be lost (a deleted order
    /// reads as gone).
    pub async fn resync(&self, orders: &[OrderId]) -> Result<(), SyncError> {
        let mut state = self.inner.state.lock().await;
        for id in orders {
            let order = self.inner.client.order(*id).await?;
            state.apply_order(*id, order.as_ref())?;
        }
        Ok(())
    }

    /// Lists every order updated since the last pass (all statuses, every page)
    /// and applies it; checks that the orders of existing SOs still exist.
    pub async fn reconcile(&self) -> Result<(), SyncError> {
        let mut state = self.inner.state.lock().await;
        let since = state.reconciled_up_to.map(|t| t.to_string());
        let mut orders = self
            .inner
            .client
            .orders_updated_since(since.as_deref())
            .await?;
        orders.sort_by_key(|o| o.id);
        let mut listed = HashSet::new();
        for order in &orders {
            listed.insert(order.id);
            if let Some(t) = order
                .updated_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
            {
                state.reconciled_up_to = Some(state.reconciled_up_to.map_or(t, |u| u.max(t)));
            }
            state.apply_order(order.id, Some(order))?;
        }
        let mut unlisted: Vec<OrderId> = state
            .katana
            .sales_orders()
            .iter()
            .map(|so| so.order)
            .filter(|id| !listed.contains(id))
            .collect();
        unlisted.sort_unstable();
        for id in unlisted {
            if self.inner.client.order(id).await?.is_none() {
                state.apply_order(id, None)?;
            }
        }
        Ok(())
    }
}

async fn receive(
    AxumState(service): AxumState<SyncService>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    service.handle(&headers, &body).await
}

/// A running webhook receiver.
pub struct WebhookServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl WebhookServer {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to subscribe webhooks to.
    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.addr)
    }

    /// Stops accepting, finishes what is in flight, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
