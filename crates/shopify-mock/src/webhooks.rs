//! Webhooks: topics, subscriptions, signing, and at-least-once delivery with
//! retries, exponential backoff and a per-attempt timeout, recorded in a log.
//!
//! Delivery runs on a thread of its own (with its own Tokio runtime), so the mock
//! delivers whatever runtime, if any, its caller uses. Each event is offered to
//! every subscription whose topics include it. First attempts go out one at a time
//! in the order the changes happened, so a healthy receiver sees them in order; a
//! delivery that fails is retried in the background, after which order is no
//! longer guaranteed (as in Shopify).
//!
//! Webhook faults (`faults.rs`): while a plan with webhook faults is armed, the
//! webhooks sent are held as a *batch* until [`Webhooks::flush`] (called by
//! `settle_webhooks`, `arm_faults` and `disarm_faults`), which sends them per
//! subscription in the order the plan gives, with copies, without the dropped ones,
//! and with forced failures retried in line (so the log is the same on every run).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jiff::Timestamp;
use sha2::Sha256;
use tokio::sync::{mpsc, watch};

use crate::faults::{self, Fault, FaultLog, FaultTarget, InjectedFault};

/// A webhook topic the mock emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// `orders/create`: an order was created; the body is the order.
    OrdersCreate,
    /// `orders/updated`: an order changed in any way; the body is the order.
    OrdersUpdated,
    /// `orders/edited`: an order edit was committed; the body is `{"order_edit": …}`.
    OrdersEdited,
    /// `orders/cancelled`: an order was cancelled; the body is the order.
    OrdersCancelled,
    /// `orders/fulfilled`: every line of an order is fulfilled; the body is the order.
    OrdersFulfilled,
    /// `orders/partially_fulfilled`: a fulfilment left units to fulfil; the body is the order.
    OrdersPartiallyFulfilled,
    /// `orders/paid`: an order's payment was captured; the body is the order.
    OrdersPaid,
    /// `orders/delete`: an order was deleted; the body is `{"id": …}`.
    OrdersDelete,
    /// `refunds/create`: a refund was created; the body is the refund.
    RefundsCreate,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 9] = [
        Self::OrdersCreate,
        Self::OrdersUpdated,
        Self::OrdersEdited,
        Self::OrdersCancelled,
        Self::OrdersFulfilled,
        Self::OrdersPartiallyFulfilled,
        Self::OrdersPaid,
        Self::OrdersDelete,
        Self::RefundsCreate,
    ];

    /// The topic's name as Shopify writes it (`orders/create`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrdersCreate => "orders/create",
            Self::OrdersUpdated => "orders/updated",
            Self::OrdersEdited => "orders/edited",
            Self::OrdersCancelled => "orders/cancelled",
            Self::OrdersFulfilled => "orders/fulfilled",
            Self::OrdersPartiallyFulfilled => "orders/partially_fulfilled",
            Self::OrdersPaid => "orders/paid",
            Self::OrdersDelete => "orders/delete",
            Self::RefundsCreate => "refunds/create",
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A topic name the mock does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown webhook topic {0:?}; known topics: orders/create, orders/updated, orders/edited, orders/cancelled, orders/fulfilled, orders/partially_fulfilled, orders/paid, orders/delete, refunds/create"
)]
pub struct UnknownTopic(pub String);

impl FromStr for Topic {
    type Err = UnknownTopic;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Topic::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTopic(s.to_owned()))
    }
}

/// Where to send webhooks, for which topics, signed with which secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSubscription {
    /// The receiver's URL (`http://127.0.0.1:…/webhooks`); plain HTTP only.
    pub address: String,
    /// The topics to send; empty means every topic.
    pub topics: Vec<Topic>,
    /// The app's secret: the key of `X-Shopify-Hmac-Sha256`.
    pub secret: String,
}

impl WebhookSubscription {
    /// A subscription to every topic ([`Topic::ALL`], `orders/paid` included, and any
    /// topic added later).
    pub fn all_topics(address: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            topics: Vec::new(),
            secret: secret.into(),
        }
    }

    fn wants(&self, topic: Topic) -> bool {
        self.topics.is_empty() || self.topics.contains(&topic)
    }
}

/// The id of a subscription, for [`crate::ShopifyMock::unsubscribe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionId(pub u64);

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// How long one attempt may take before it counts as failed (Shopify: 5 s).
    pub timeout: Duration,
    /// Retries after a failed first attempt (Shopify: 8).
    pub retries: u32,
    /// The wait before the first retry; each later retry waits twice as long as the
    /// one before. Shopify spreads its retries over 4 hours; the default 10 ms spreads
    /// them over 2.55 s so tests stay fast.
    pub base_backoff: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            retries: 8,
            base_backoff: Duration::from_millis(10),
        }
    }
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered {
        /// The HTTP status.
        status: u16,
    },
    /// The receiver answered something other than 2xx.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// No answer within the timeout.
    TimedOut,
    /// No connection, or the connection broke.
    Unreachable {
        /// What went wrong.
        error: String,
    },
    /// Sent, answered, and taken as a failure by an armed fault
    /// ([`crate::Fault::FailDelivery`]).
    FailedByFault {
        /// What the receiver really answered (`None`: no answer, or a broken one).
        answered: Option<u16>,
        /// Taken as a timeout (else as a 503).
        timeout: bool,
    },
    /// Never sent: dropped by an armed fault ([`crate::Fault::DropWebhook`]).
    Dropped,
}

impl AttemptOutcome {
    /// True for a 2xx answer.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Delivered { .. })
    }
}

/// One attempt to deliver one webhook: a line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// `X-Shopify-Webhook-Id`: one per event and subscription, the same on every attempt.
    pub webhook_id: String,
    /// `X-Shopify-Event-Id`: one per event, the same for every subscription and attempt.
    pub event_id: String,
    /// The topic.
    pub topic: Topic,
    /// The receiver.
    pub address: String,
    /// 1 for the first attempt, 2 for the first retry, …; 0 for a webhook
    /// dropped by a fault (never sent).
    pub attempt: u32,
    /// How it went.
    pub outcome: AttemptOutcome,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not yet delivered and retries remain.
    Pending,
    /// An attempt succeeded.
    Delivered,
    /// Every attempt failed.
    GaveUp,
    /// Never sent: dropped by an armed fault ([`crate::Fault::DropWebhook`]).
    /// Counts as settled.
    Dropped,
}

/// One webhook (one event for one subscription) and where its delivery stands. The
/// copy of a duplicated webhook ([`crate::Fault::DuplicateWebhook`]) is a delivery
/// of its own with the same ids and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `X-Shopify-Webhook-Id`.
    pub webhook_id: String,
    /// `X-Shopify-Event-Id`.
    pub event_id: String,
    /// The topic.
    pub topic: Topic,
    /// The receiver.
    pub address: String,
    /// The raw body sent.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Where it stands.
    pub status: DeliveryStatus,
}

/// `X-Shopify-Hmac-Sha256` of a body: base64 of HMAC-SHA256 of the raw body, keyed
/// with the app's secret.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A deterministic id in UUID form (no randomness: same run, same ids).
fn uuid_like(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

#[derive(Clone)]
struct Job {
    /// The delivery's index in `Records::deliveries`.
    index: usize,
    subscription: SubscriptionId,
    address: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    /// Answers taken as failures before one counts (a `FailDelivery` fault).
    forced_failures: u32,
    /// Forced failures are logged as timeouts.
    forced_timeout: bool,
    /// The webhook as faults name it, when a fault acts on it.
    target: Option<FaultTarget>,
}

#[derive(Default)]
struct Records {
    subscriptions: BTreeMap<SubscriptionId, WebhookSubscription>,
    next_subscription: u64,
    next_event: u64,
    next_webhook: u64,
    deliveries: Vec<Delivery>,
    log: Vec<DeliveryAttempt>,
    /// The armed webhook faults; `Some` while webhooks are held as a batch.
    plan: Option<Vec<Fault>>,
    /// The batch: webhooks sent since the plan was armed, in the order sent.
    held: Vec<Job>,
}

struct Inner {
    config: WebhookConfig,
    shop_domain: String,
    api_version: String,
    records: Mutex<Records>,
    pending: watch::Sender<usize>,
    faults: FaultLog,
}

impl Inner {
    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The webhook side of the mock: subscriptions, the queue and the log.
pub(crate) struct Webhooks {
    inner: Arc<Inner>,
    queue: mpsc::UnboundedSender<Job>,
}

impl Webhooks {
    /// Starts the delivery thread.
    pub(crate) fn start(
        config: WebhookConfig,
        shop_domain: String,
        api_version: String,
        faults: FaultLog,
    ) -> std::io::Result<Self> {
        let (pending, _) = watch::channel(0usize);
        let inner = Arc::new(Inner {
            config,
            shop_domain,
            api_version,
            records: Mutex::new(Records::default()),
            pending,
            faults,
        });
        let (queue, jobs) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let worker = inner.clone();
        std::thread::Builder::new()
            .name("shopify-mock-webhooks".into())
            .spawn(move || runtime.block_on(deliver_all(worker, jobs)))?;
        Ok(Self { inner, queue })
    }

    pub(crate) fn subscribe(&self, sub: WebhookSubscription) -> SubscriptionId {
        let mut r = self.inner.records();
        r.next_subscription += 1;
        let id = SubscriptionId(r.next_subscription);
        r.subscriptions.insert(id, sub);
        id
    }

    pub(crate) fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.inner.records().subscriptions.remove(&id).is_some()
    }

    pub(crate) fn subscriptions(&self) -> Vec<(SubscriptionId, WebhookSubscription)> {
        let r = self.inner.records();
        r.subscriptions
            .iter()
            .map(|(id, s)| (*id, s.clone()))
            .collect()
    }

    /// Queues one event for every subscription that wants its topic. Counted as
    /// pending before this returns, so [`Self::settled`] waits for it.
    pub(crate) fn emit(&self, topic: Topic, body: Vec<u8>, triggered_at: Timestamp) {
        let body = Bytes::from(body);
        let mut r = self.inner.records();
        let subs: Vec<(SubscriptionId, WebhookSubscription)> = r
            .subscriptions
            .iter()
            .filter(|(_, s)| s.wants(topic))
            .map(|(id, s)| (*id, s.clone()))
            .collect();
        if subs.is_empty() {
            return;
        }
        r.next_event += 1;
        let event_id = uuid_like(r.next_event);
        let text = String::from_utf8_lossy(&body).into_owned();
        for (subscription, sub) in subs {
            r.next_webhook += 1;
            let webhook_id = uuid_like(r.next_webhook);
            let headers = vec![
                ("content-type", "application/json".to_owned()),
                ("user-agent", "Shopify-Captain-Hook".to_owned()),
                ("x-shopify-topic", topic.as_str().to_owned()),
                ("x-shopify-hmac-sha256", sign(&sub.secret, &body)),
                ("x-shopify-shop-domain", self.inner.shop_domain.clone()),
                ("x-shopify-api-version", self.inner.api_version.clone()),
                ("x-shopify-webhook-id", webhook_id.clone()),
                ("x-shopify-event-id", event_id.clone()),
                ("x-shopify-triggered-at", triggered_at.to_string()),
            ];
            let index = r.deliveries.len();
            r.deliveries.push(Delivery {
                webhook_id,
                event_id: event_id.clone(),
                topic,
                address: sub.address.clone(),
                body: text.clone(),
                attempts: 0,
                status: DeliveryStatus::Pending,
            });
            self.inner.pending.send_modify(|n| *n += 1);
            let job = Job {
                index,
                subscription,
                address: sub.address,
                headers,
                body: body.clone(),
                forced_failures: 0,
                forced_timeout: false,
                target: None,
            };
            if r.plan.is_some() {
                r.held.push(job);
            } else {
                self.send(&mut r, job);
            }
        }
    }

    /// Queues a job for the delivery thread.
    fn send(&self, r: &mut Records, job: Job) {
        let index = job.index;
        if self.queue.send(job).is_err() {
            // The delivery thread is gone (its runtime failed): give up at once
            // rather than leave a waiter hanging.
            r.deliveries[index].status = DeliveryStatus::GaveUp;
            self.inner.pending.send_modify(|n| *n -= 1);
        }
    }

    /// Ends the batch of the armed plan (sending it as the plan says), then arms
    /// `faults` (webhook faults only) for the next batch. With no webhook fault,
    /// webhooks go out as they are sent.
    pub(crate) fn arm(&self, faults: Vec<Fault>) {
        let mut r = self.inner.records();
        self.flush_locked(&mut r);
        let faults: Vec<Fault> = faults.into_iter().filter(Fault::is_webhook_fault).collect();
        r.plan = (!faults.is_empty()).then_some(faults);
    }

    /// Ends the batch: sends the held webhooks as the armed plan says, and disarms
    /// the plan (its faults are spent). Nothing to do when no plan is armed.
    pub(crate) fn flush(&self) {
        let mut r = self.inner.records();
        self.flush_locked(&mut r);
    }

    fn flush_locked(&self, r: &mut Records) {
        let Some(plan) = r.plan.take() else {
            return;
        };
        let held = std::mem::take(&mut r.held);
        let mut injected = Vec::new();
        if held.is_empty() {
            injected.extend(plan.iter().map(|f| InjectedFault::Unused {
                fault: f.clone(),
                reason: "no webhook was sent".to_owned(),
            }));
        }
        // One batch per subscription, in subscription order.
        let mut batches: BTreeMap<SubscriptionId, Vec<Job>> = BTreeMap::new();
        for job in held {
            batches.entry(job.subscription).or_default().push(job);
        }
        for (subscription, batch) in batches {
            let planned = faults::plan_batch(&plan, batch.len(), self.inner.config.retries);
            let target = |r: &Records, index: usize| {
                let d = &r.deliveries[batch[index].index];
                FaultTarget {
                    subscription,
                    index,
                    topic: d.topic,
                    webhook_id: d.webhook_id.clone(),
                }
            };
            if let Some(order) = &planned.reordered {
                injected.push(InjectedFault::WebhooksReordered {
                    subscription,
                    order: order.clone(),
                });
            }
            for &i in &planned.dropped {
                let t = target(r, i);
                let d = &mut r.deliveries[batch[i].index];
                d.status = DeliveryStatus::Dropped;
                let line = DeliveryAttempt {
                    webhook_id: d.webhook_id.clone(),
                    event_id: d.event_id.clone(),
                    topic: d.topic,
                    address: d.address.clone(),
                    attempt: 0,
                    outcome: AttemptOutcome::Dropped,
                };
                r.log.push(line);
                self.inner.pending.send_modify(|n| *n -= 1);
                injected.push(InjectedFault::WebhookDropped(t));
            }
            for &i in &planned.delayed {
                injected.push(InjectedFault::WebhookDelayed(target(r, i)));
            }
            for &i in &planned.duplicated {
                injected.push(InjectedFault::WebhookDuplicated(target(r, i)));
            }
            for (fault, reason) in planned.unused {
                let reason = format!("subscription {}: {reason}", subscription.0);
                injected.push(InjectedFault::Unused { fault, reason });
            }
            for send in planned.sends {
                let mut job = batch[send.index].clone();
                if send.copy {
                    // A delivery of its own, with the original's ids and body.
                    let copy = r.deliveries[job.index].clone();
                    job.index = r.deliveries.len();
                    r.deliveries.push(Delivery {
                        attempts: 0,
                        status: DeliveryStatus::Pending,
                        ..copy
                    });
                    self.inner.pending.send_modify(|n| *n += 1);
                }
                job.forced_failures = send.forced_failures;
                job.forced_timeout = send.timeout;
                if send.forced_failures > 0 {
                    job.target = Some(target(r, send.index));
                }
                self.send(r, job);
            }
        }
        self.inner.faults.extend(injected);
    }

    /// Waits until no delivery is pending: every webhook emitted before the call has
    /// been delivered or given up on.
    pub(crate) async fn settled(&self) {
        let mut rx = self.inner.pending.subscribe();
        // `wait_for` only fails when the sender is dropped, and `self` holds it.
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    pub(crate) fn pending(&self) -> usize {
        *self.inner.pending.borrow()
    }

    pub(crate) fn log(&self) -> Vec<DeliveryAttempt> {
        self.inner.records().log.clone()
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.inner.records().deliveries.clone()
    }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

async fn deliver_all(inner: Arc<Inner>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    while let Some(job) = jobs.recv().await {
        // Forced failures are retried in line, on the configured backoff, so the
        // batch's next webhook waits for them: the same log on every run.
        let mut backoff = inner.config.base_backoff;
        let mut n = 1;
        while n <= job.forced_failures {
            forced_failure(&inner, &client, &job, n).await;
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
            n += 1;
        }
        if attempt(&inner, &client, &job, n).await {
            continue;
        }
        let (inner, client) = (inner.clone(), client.clone());
        tokio::spawn(async move {
            for n in n + 1..=inner.config.retries.saturating_add(1) {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
                if attempt(&inner, &client, &job, n).await {
                    return;
                }
            }
        });
    }
}

fn finish(inner: &Inner, index: usize, status: DeliveryStatus) {
    inner.records().deliveries[index].status = status;
    inner.pending.send_modify(|n| *n -= 1);
}

/// Logs attempt `n` of a delivery.
fn log_attempt(inner: &Inner, job: &Job, n: u32, outcome: AttemptOutcome) {
    let mut r = inner.records();
    let d = &mut r.deliveries[job.index];
    d.attempts = n;
    let line = DeliveryAttempt {
        webhook_id: d.webhook_id.clone(),
        event_id: d.event_id.clone(),
        topic: d.topic,
        address: d.address.clone(),
        attempt: n,
        outcome,
    };
    r.log.push(line);
}

/// Makes attempt `n`, logs it, and returns whether the delivery is done: delivered
/// (marked so), or failed on its last attempt (marked given up).
async fn attempt(inner: &Inner, client: &HttpClient, job: &Job, n: u32) -> bool {
    let outcome = post(client, job, inner.config.timeout).await;
    let success = outcome.is_success();
    log_attempt(inner, job, n, outcome);
    if success {
        finish(inner, job.index, DeliveryStatus::Delivered);
        true
    } else if n > inner.config.retries {
        finish(inner, job.index, DeliveryStatus::GaveUp);
        true
    } else {
        false
    }
}

/// Makes attempt `n` and takes its answer, whatever it is, as a failure.
async fn forced_failure(inner: &Inner, client: &HttpClient, job: &Job, n: u32) {
    let answered = match post(client, job, inner.config.timeout).await {
        AttemptOutcome::Delivered { status } | AttemptOutcome::Rejected { status } => Some(status),
        _ => None,
    };
    let timeout = job.forced_timeout;
    log_attempt(
        inner,
        job,
        n,
        AttemptOutcome::FailedByFault { answered, timeout },
    );
    if let Some(target) = &job.target {
        inner.faults.push(InjectedFault::DeliveryFailed {
            target: target.clone(),
            attempt: n,
            timeout,
            answered,
        });
    }
}

async fn post(client: &HttpClient, job: &Job, timeout: Duration) -> AttemptOutcome {
    let mut req = hyper::Request::post(job.address.as_str());
    for (k, v) in &job.headers {
        req = req.header(*k, v);
    }
    let req = match req.body(Full::new(job.body.clone())) {
        Ok(r) => r,
        Err(e) => {
            return AttemptOutcome::Unreachable {
                error: format!("bad webhook address {:?}: {e}", job.address),
            };
        }
    };
    let exchange = async {
        let resp = client.request(req).await?;
        let status = resp.status().as_u16();
        // Read the answer to the end so the connection can be reused.
        resp.into_body().collect().await?;
        Ok::<u16, Box<dyn std::error::Error + Send + Sync>>(status)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => AttemptOutcome::TimedOut,
        Ok(Err(e)) => AttemptOutcome::Unreachable {
            error: e.to_string(),
        },
        Ok(Ok(status)) if (200..300).contains(&status) => AttemptOutcome::Delivered { status },
        Ok(Ok(status)) => AttemptOutcome::Rejected { status },
    }
}
