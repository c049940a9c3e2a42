//! Webhooks: topics, subscriptions, signing, and at-least-once delivery with
//! retries, exponential backoff and a per-attempt timeout, recorded in a log.
//!
//! Delivery runs on a thread of its own (with its own Tokio runtime), so the mock
//! delivers whatever runtime, if any, its caller uses. Each event is offered to
//! every subscription whose topics include it. Each receiver address has a *lane*:
//! its webhooks are taken in the order the changes happened, and at most
//! [`WebhookConfig::max_in_flight`] attempts to it are in flight at once (1: one
//! at a time, in order). An attempt holds its slot only while it is sent; a
//! delivery that fails waits for its retry without one, so after a failure order is
//! no longer guaranteed (as in Shopify).
//!
//! Retries follow [`WebhookConfig::schedule`]: Shopify's (due at instants of the
//! mock's clock, `clock.rs`'s `MockClock`, which a task waits for with a real-time
//! sleep raced against every move of the clock) or a fast one in real time.
//!
//! Webhook faults (`faults.rs`): while a plan with webhook faults is armed, the
//! webhooks sent are held as a *batch* until [`Webhooks::flush`] (called by
//! `settle_webhooks`, `arm_faults` and `disarm_faults`), which sends them per
//! receiver address (every subscription to it) in the order the plan gives, with copies, without the dropped ones,
//! and with forced failures retried in line: the delivery keeps its lane's slot
//! through them, so with `max_in_flight` 1 the log is the same on every run.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jiff::Timestamp;
use sha2::Sha256;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::clock::{self, Clock as _, MockClock};
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

/// When failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookSchedule {
    /// Shopify's: exponential backoff on the mock's clock, the wait doubling from
    /// 4 h / 255 (about 56.5 s) so that 8 retries end 4 hours after the first
    /// attempt. Retry `k` is due [`WebhookSchedule::shopify_wait`]`(k)` of mock time
    /// after the attempt before it started; a standalone mock follows real time, a
    /// test moves the clock (`ShopifyMock::advance_clock`) instead of waiting.
    #[default]
    Shopify,
    /// Fast, in real time, ignoring the mock's clock: retry `k` waits
    /// [`WebhookConfig::base_backoff`] × 2^(k−1) after the attempt before it ended
    /// (10 ms, 20 ms, … by default). For tests and simulations that do not move the
    /// clock.
    Fast,
}

/// Shopify's schedule spreads its retries over 4 hours.
const SHOPIFY_SPAN_NANOS: u128 = 4 * 3600 * 1_000_000_000;

impl WebhookSchedule {
    /// How long after the first attempt Shopify's retry `k` (1 for the first retry)
    /// is due when every attempt went out on time: 4 h × (2^k − 1) / 255, to the
    /// nanosecond below. `shopify_due(8)` is exactly 4 hours.
    pub fn shopify_due(k: u32) -> Duration {
        if k >= 100 {
            return Duration::MAX;
        }
        let nanos = SHOPIFY_SPAN_NANOS * ((1u128 << k) - 1) / 255;
        u64::try_from(nanos).map_or(Duration::MAX, Duration::from_nanos)
    }

    /// The wait before Shopify's retry `k` (1 for the first retry), from the start of
    /// the attempt before it: `shopify_due(k) − shopify_due(k − 1)`, about 56.5 s
    /// doubling (56.5 s, 1 min 53 s, 3 min 46 s, … 2 h 0 min 28 s).
    pub fn shopify_wait(k: u32) -> Duration {
        Self::shopify_due(k).saturating_sub(Self::shopify_due(k.saturating_sub(1)))
    }
}

/// How webhooks are delivered. The default is Shopify's behaviour: a 5 s timeout,
/// 8 retries over 4 hours on the mock's clock, and up to 10 attempts in flight per
/// receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// How long one attempt may take before it counts as failed (Shopify: 5 s).
    /// Connecting may take at most 1 s of it, as in Shopify.
    pub timeout: Duration,
    /// Retries after a failed first attempt (Shopify: 8).
    pub retries: u32,
    /// When retries are due: Shopify's schedule on the mock's clock (default), or a
    /// fast one in real time.
    pub schedule: WebhookSchedule,
    /// The wait before the first retry of the [`WebhookSchedule::Fast`] schedule;
    /// each later retry waits twice as long as the one before. Default 10 ms (the 8
    /// retries within 2.55 s). Shopify's schedule does not use it.
    pub base_backoff: Duration,
    /// How many attempts to one receiver address may be in flight at once (default
    /// 10). Webhooks to an address start in the order the changes happened; with 1
    /// they go out strictly one at a time, so a healthy receiver sees them in order.
    /// 0 is taken as 1.
    pub max_in_flight: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            retries: 8,
            schedule: WebhookSchedule::Shopify,
            base_backoff: Duration::from_millis(10),
            max_in_flight: 10,
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
    /// 1 for the first attempt, 2 for the next (a retry or a redelivery), …; 0 for
    /// a webhook dropped by a fault (never sent).
    pub attempt: u32,
    /// How it went.
    pub outcome: AttemptOutcome,
    /// When the attempt started, on the mock's clock (for a dropped webhook: when
    /// it was dropped).
    pub at: Timestamp,
    /// How long the attempt took in real time (zero for a dropped webhook). Not
    /// deterministic: leave it out of anything compared between runs.
    pub latency: Duration,
    /// When the next attempt is due, on the mock's clock; `None` when the delivery
    /// succeeded, gave up, or has no retry scheduled.
    pub next_retry: Option<Timestamp>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not yet delivered and retries remain, or a redelivery is under way.
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
    /// Attempts made so far (started, in flight included).
    pub attempts: u32,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// When its next retry is due, on the mock's clock, while it waits for one.
    pub next_attempt: Option<Timestamp>,
}

/// A webhook id [`crate::ShopifyMock::redeliver`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no webhook was sent with X-Shopify-Webhook-Id {0:?}; ShopifyMock::deliveries() lists the ids sent"
)]
pub struct UnknownWebhook(pub String);

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
    /// The delivery's index in `Records::entries`.
    index: usize,
    /// `Records::generation` when it was sent: a reset forgets it.
    generation: u64,
    subscription: SubscriptionId,
    address: String,
    headers: Arc<[(&'static str, String)]>,
    body: Bytes,
    /// Answers taken as failures before one counts (a `FailDelivery` fault).
    forced_failures: u32,
    /// Forced failures are logged as timeouts.
    forced_timeout: bool,
    /// The webhook as faults name it, when a fault acts on it.
    target: Option<FaultTarget>,
}

/// Work for a lane.
enum Work {
    /// A delivery's attempts: the first, then its retries. `epoch` is the
    /// delivery's at the time: a redelivery that succeeds ends the chain.
    Chain { job: Job, epoch: u64 },
    /// One attempt now ([`Webhooks::redeliver`]).
    Resend { job: Job },
}

impl Work {
    fn job(&self) -> &Job {
        match self {
            Self::Chain { job, .. } | Self::Resend { job } => job,
        }
    }
}

/// A delivery with what the mock needs to (re)send it.
struct Entry {
    public: Delivery,
    /// The first send, for a redelivery.
    job: Job,
    /// A chain of attempts is under way (queued, in flight, or waiting for a retry).
    chain: bool,
    /// Bumped to end a chain.
    epoch: u64,
    /// Redeliveries queued or in flight.
    resends: u32,
    /// An attempt succeeded.
    delivered: bool,
    /// Dropped by a fault.
    dropped: bool,
}

#[derive(Default)]
struct Records {
    /// Bumped by a reset: work of an older generation is forgotten.
    generation: u64,
    subscriptions: BTreeMap<SubscriptionId, WebhookSubscription>,
    next_subscription: u64,
    next_event: u64,
    next_webhook: u64,
    entries: Vec<Entry>,
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
    clock: Arc<MockClock>,
    records: Mutex<Records>,
    /// Deliveries pending.
    pending: watch::Sender<usize>,
    /// Lines in the delivery log.
    logged: watch::Sender<usize>,
    /// Sends queued for a lane's slot or holding one (retries waiting for their
    /// time excluded).
    active: watch::Sender<usize>,
    /// Set by a graceful stop: no attempt starts any more.
    stopping: AtomicBool,
    faults: FaultLog,
}

impl Inner {
    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn active_add(&self) {
        self.active.send_modify(|n| *n += 1);
    }

    fn active_done(&self) {
        self.active.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// Works out a delivery's status from its entry, keeping the pending count.
    fn refresh(&self, r: &mut Records, index: usize) {
        let e = &mut r.entries[index];
        let status = if e.chain || e.resends > 0 {
            DeliveryStatus::Pending
        } else if e.delivered {
            DeliveryStatus::Delivered
        } else if e.dropped && e.public.attempts == 0 {
            DeliveryStatus::Dropped
        } else {
            DeliveryStatus::GaveUp
        };
        if !e.chain {
            e.public.next_attempt = None;
        }
        let was = std::mem::replace(&mut e.public.status, status);
        match (
            was == DeliveryStatus::Pending,
            status == DeliveryStatus::Pending,
        ) {
            (true, false) => self.pending.send_modify(|n| *n = n.saturating_sub(1)),
            (false, true) => self.pending.send_modify(|n| *n += 1),
            _ => {}
        }
    }

    fn push_log(&self, r: &mut Records, line: DeliveryAttempt) {
        r.log.push(line);
        let len = r.log.len();
        self.logged.send_replace(len);
    }

    /// Starts an attempt of a chain (`epoch` given) or a redelivery: its number, or
    /// `None` when it must not be made (the mock is stopping, or the chain was
    /// ended by a redelivery).
    fn begin(&self, job: &Job, epoch: Option<u64>) -> Option<u32> {
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        let mut r = self.records();
        if job.generation != r.generation {
            return None;
        }
        let e = &mut r.entries[job.index];
        if let Some(epoch) = epoch {
            if !e.chain || e.epoch != epoch {
                return None;
            }
            e.public.next_attempt = None;
        }
        e.public.attempts += 1;
        Some(e.public.attempts)
    }

    fn line(&self, r: &Records, job: &Job, attempt: u32, done: Done) -> DeliveryAttempt {
        let d = &r.entries[job.index].public;
        DeliveryAttempt {
            webhook_id: d.webhook_id.clone(),
            event_id: d.event_id.clone(),
            topic: d.topic,
            address: d.address.clone(),
            attempt,
            outcome: done.outcome,
            at: done.at,
            latency: done.latency,
            next_retry: done.next_retry,
        }
    }
}

/// An attempt made.
struct Done {
    outcome: AttemptOutcome,
    at: Timestamp,
    latency: Duration,
    next_retry: Option<Timestamp>,
}

/// The webhook side of the mock: subscriptions, the queue and the log.
pub(crate) struct Webhooks {
    inner: Arc<Inner>,
    queue: mpsc::UnboundedSender<Work>,
}

impl Webhooks {
    /// Starts the delivery thread.
    pub(crate) fn start(
        config: WebhookConfig,
        shop_domain: String,
        api_version: String,
        clock: Arc<MockClock>,
        faults: FaultLog,
    ) -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            config,
            shop_domain,
            api_version,
            clock,
            records: Mutex::new(Records::default()),
            pending: watch::Sender::new(0),
            logged: watch::Sender::new(0),
            active: watch::Sender::new(0),
            stopping: AtomicBool::new(false),
            faults,
        });
        let (queue, works) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let worker = inner.clone();
        std::thread::Builder::new()
            .name("shopify-mock-webhooks".into())
            .spawn(move || runtime.block_on(deliver_all(worker, works)))?;
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
            let headers: Arc<[(&'static str, String)]> = Arc::new([
                ("content-type", "application/json".to_owned()),
                ("user-agent", "Shopify-Captain-Hook".to_owned()),
                ("x-shopify-topic", topic.as_str().to_owned()),
                ("x-shopify-hmac-sha256", sign(&sub.secret, &body)),
                ("x-shopify-shop-domain", self.inner.shop_domain.clone()),
                ("x-shopify-api-version", self.inner.api_version.clone()),
                ("x-shopify-webhook-id", webhook_id.clone()),
                ("x-shopify-event-id", event_id.clone()),
                ("x-shopify-triggered-at", triggered_at.to_string()),
            ]);
            let index = r.entries.len();
            let job = Job {
                index,
                generation: r.generation,
                subscription,
                address: sub.address.clone(),
                headers,
                body: body.clone(),
                forced_failures: 0,
                forced_timeout: false,
                target: None,
            };
            r.entries.push(Entry {
                public: Delivery {
                    webhook_id,
                    event_id: event_id.clone(),
                    topic,
                    address: sub.address,
                    body: text.clone(),
                    attempts: 0,
                    status: DeliveryStatus::GaveUp,
                    next_attempt: None,
                },
                job: job.clone(),
                chain: true,
                epoch: 0,
                resends: 0,
                delivered: false,
                dropped: false,
            });
            self.inner.refresh(&mut r, index);
            if r.plan.is_some() {
                r.held.push(job);
            } else {
                self.send(&mut r, job);
            }
        }
    }

    /// Queues a delivery's chain of attempts for the delivery thread.
    fn send(&self, r: &mut Records, job: Job) {
        let index = job.index;
        let e = &r.entries[index];
        if !e.chain {
            // A redelivery already settled it while it was held.
            return;
        }
        let epoch = e.epoch;
        self.inner.active_add();
        if self.queue.send(Work::Chain { job, epoch }).is_err() {
            // The delivery thread is gone (its runtime failed): give up at once
            // rather than leave a waiter hanging.
            self.inner.active_done();
            r.entries[index].chain = false;
            self.inner.refresh(r, index);
        }
    }

    /// Sends a delivery again now: one attempt, freshly numbered, with the same
    /// body and headers, whatever its status. Pending until the attempt ends; a
    /// success ends the retries it was waiting for, a failure leaves them as they
    /// were (or the delivery as it was: delivered stays delivered).
    pub(crate) fn redeliver(&self, webhook_id: &str) -> Result<(), UnknownWebhook> {
        let mut r = self.inner.records();
        let index = r
            .entries
            .iter()
            .position(|e| e.public.webhook_id == webhook_id)
            .ok_or_else(|| UnknownWebhook(webhook_id.to_owned()))?;
        let job = Job {
            forced_failures: 0,
            forced_timeout: false,
            target: None,
            ..r.entries[index].job.clone()
        };
        r.entries[index].resends += 1;
        self.inner.refresh(&mut r, index);
        self.inner.active_add();
        if self.queue.send(Work::Resend { job }).is_err() {
            self.inner.active_done();
            r.entries[index].resends -= 1;
            self.inner.refresh(&mut r, index);
        }
        Ok(())
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
        // One batch per receiver address (every subscription to it: an app
        // subscribes one topic at a time), named by its first subscription, in
        // that order.
        let mut batches: Vec<(String, SubscriptionId, Vec<Job>)> = Vec::new();
        for job in held {
            match batches.iter_mut().find(|(a, _, _)| *a == job.address) {
                Some((_, first, jobs)) => {
                    *first = (*first).min(job.subscription);
                    jobs.push(job);
                }
                None => batches.push((job.address.clone(), job.subscription, vec![job])),
            }
        }
        batches.sort_by_key(|(_, first, _)| *first);
        let now = self.inner.clock.now();
        for (_, subscription, batch) in batches {
            let planned = faults::plan_batch(&plan, batch.len(), self.inner.config.retries);
            let target = |r: &Records, index: usize| {
                let d = &r.entries[batch[index].index].public;
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
                let job = &batch[i];
                let e = &mut r.entries[job.index];
                e.dropped = true;
                e.chain = false;
                self.inner.refresh(r, job.index);
                let line = self.inner.line(
                    r,
                    job,
                    0,
                    Done {
                        outcome: AttemptOutcome::Dropped,
                        at: now,
                        latency: Duration::ZERO,
                        next_retry: None,
                    },
                );
                self.inner.push_log(r, line);
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
                    let original = &r.entries[job.index];
                    let public = Delivery {
                        attempts: 0,
                        status: DeliveryStatus::GaveUp,
                        next_attempt: None,
                        ..original.public.clone()
                    };
                    job.index = r.entries.len();
                    let copy = Entry {
                        public,
                        job: Job {
                            index: job.index,
                            ..original.job.clone()
                        },
                        chain: true,
                        epoch: 0,
                        resends: 0,
                        delivered: false,
                        dropped: false,
                    };
                    r.entries.push(copy);
                    self.inner.refresh(r, job.index);
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

    /// Waits until the delivery log holds at least `len` lines.
    pub(crate) async fn logged(&self, len: usize) {
        let mut rx = self.inner.logged.subscribe();
        let _ = rx.wait_for(|n| *n >= len).await;
    }

    /// A graceful stop: sends the held batch, waits at most `grace` for the sends
    /// queued or in flight (not for retries waiting for their time), then starts
    /// no attempt any more. Returns the deliveries still pending.
    pub(crate) async fn stop(&self, grace: Duration) -> Vec<Delivery> {
        self.flush();
        let mut rx = self.inner.active.subscribe();
        let _ = tokio::time::timeout(grace, rx.wait_for(|n| *n == 0)).await;
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.deliveries()
            .into_iter()
            .filter(|d| d.status == DeliveryStatus::Pending)
            .collect()
    }

    /// Forgets every delivery, the delivery log and the armed plan with its held
    /// batch (not sent): nothing is pending afterwards. Attempts under way finish
    /// unrecorded; retries waiting are dropped. Subscriptions stay, and ids go on
    /// counting (a receiver that remembers ids never sees one again).
    pub(crate) fn reset(&self) {
        let mut r = self.inner.records();
        r.generation += 1;
        r.entries.clear();
        r.log.clear();
        r.plan = None;
        r.held.clear();
        self.inner.pending.send_replace(0);
        self.inner.logged.send_replace(0);
    }

    pub(crate) fn pending(&self) -> usize {
        *self.inner.pending.borrow()
    }

    pub(crate) fn log(&self) -> Vec<DeliveryAttempt> {
        self.inner.records().log.clone()
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries_since(0)
    }

    /// The deliveries from the `since`-th on (oldest first), and how many there are
    /// in all: a caller that has read some reads only the rest.
    pub(crate) fn deliveries_since(&self, since: usize) -> Vec<Delivery> {
        let r = self.inner.records();
        r.entries
            .iter()
            .skip(since)
            .map(|e| e.public.clone())
            .collect()
    }

    /// How many deliveries there are.
    pub(crate) fn delivery_count(&self) -> usize {
        self.inner.records().entries.len()
    }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The delivery thread: hands each piece of work to its address's lane, in the
/// order queued.
async fn deliver_all(inner: Arc<Inner>, mut works: mpsc::UnboundedReceiver<Work>) {
    let mut connector = HttpConnector::new();
    // Shopify: 1 s to connect (within the attempt's timeout).
    connector.set_connect_timeout(Some(Duration::from_secs(1)));
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(connector);
    let mut lanes: HashMap<String, mpsc::UnboundedSender<Work>> = HashMap::new();
    while let Some(work) = works.recv().await {
        let lane = lanes.entry(work.job().address.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(lane(inner.clone(), client.clone(), rx));
            tx
        });
        // The lane lives as long as this loop holds its sender.
        let _ = lane.send(work);
    }
}

/// One receiver address: takes its work in order, each piece once a slot is free.
async fn lane(inner: Arc<Inner>, client: HttpClient, mut works: mpsc::UnboundedReceiver<Work>) {
    let permits = inner.config.max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(permits));
    while let Some(work) = works.recv().await {
        // The semaphore is fair: slots go to waiters in the order they asked, so
        // first attempts start in the order queued.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (inner, client, slots) = (inner.clone(), client.clone(), slots.clone());
        tokio::spawn(async move {
            match work {
                Work::Chain { job, epoch } => {
                    chain(&inner, &client, &slots, job, epoch, slot).await;
                }
                Work::Resend { job } => resend(&inner, &client, job, slot).await,
            }
        });
    }
}

/// A delivery's attempts: the first, then a retry after each failure until one
/// succeeds or the retries run out. Forced failures (a `FailDelivery` fault) keep
/// the slot through their backoff, so the lane's next webhook waits for them: the
/// same log on every run.
async fn chain(
    inner: &Inner,
    client: &HttpClient,
    slots: &Arc<Semaphore>,
    job: Job,
    epoch: u64,
    slot: OwnedSemaphorePermit,
) {
    let mut slot = Some(slot);
    let mut forced = job.forced_failures;
    let mut fast_backoff = inner.config.base_backoff;
    // 1 for the first attempt, 2 for the first retry, …
    let mut k: u32 = 1;
    loop {
        let held = match slot.take() {
            Some(s) => s,
            None => {
                inner.active_add();
                match slots.clone().acquire_owned().await {
                    Ok(s) => s,
                    Err(_) => {
                        inner.active_done();
                        return;
                    }
                }
            }
        };
        let Some(n) = inner.begin(&job, Some(epoch)) else {
            inner.active_done();
            return;
        };
        let at = inner.clock.now();
        let started = Instant::now();
        let answer = post(client, &job, inner.config.timeout).await;
        let latency = started.elapsed();
        let outcome = if forced > 0 {
            let answered = match answer {
                AttemptOutcome::Delivered { status } | AttemptOutcome::Rejected { status } => {
                    Some(status)
                }
                _ => None,
            };
            AttemptOutcome::FailedByFault {
                answered,
                timeout: job.forced_timeout,
            }
        } else {
            answer
        };
        let last = k > inner.config.retries;
        let fast_due = fast_backoff;
        let next_retry = (!outcome.is_success() && !last).then(|| match inner.config.schedule {
            WebhookSchedule::Shopify => clock::after(at, WebhookSchedule::shopify_wait(k)),
            WebhookSchedule::Fast => clock::after(inner.clock.now(), fast_due),
        });
        let fault = match &outcome {
            AttemptOutcome::FailedByFault { answered, timeout } => {
                job.target
                    .clone()
                    .map(|target| InjectedFault::DeliveryFailed {
                        target,
                        attempt: n,
                        timeout: *timeout,
                        answered: *answered,
                    })
            }
            _ => None,
        };
        let success = outcome.is_success();
        let done = Done {
            outcome,
            at,
            latency,
            next_retry,
        };
        let go_on = {
            let mut r = inner.records();
            if job.generation != r.generation {
                // Reset meanwhile: forgotten.
                drop(r);
                drop(held);
                inner.active_done();
                return;
            }
            let line = inner.line(&r, &job, n, done);
            inner.push_log(&mut r, line);
            let e = &mut r.entries[job.index];
            let current = e.chain && e.epoch == epoch;
            if success {
                e.delivered = true;
            }
            if current {
                if next_retry.is_none() {
                    e.chain = false;
                } else {
                    e.public.next_attempt = next_retry;
                }
            }
            inner.refresh(&mut r, job.index);
            current && next_retry.is_some()
        };
        if let Some(fault) = fault {
            inner.faults.push(fault);
        }
        if forced > 0 && go_on {
            // Retried in line: the slot stays taken.
            forced -= 1;
            slot = Some(held);
        } else {
            drop(held);
            inner.active_done();
        }
        let Some(due) = next_retry.filter(|_| go_on) else {
            return;
        };
        match inner.config.schedule {
            WebhookSchedule::Shopify => inner.clock.wait_until(due).await,
            WebhookSchedule::Fast => {
                tokio::time::sleep(fast_backoff).await;
                fast_backoff = fast_backoff.saturating_mul(2);
            }
        }
        k += 1;
    }
}

/// One attempt of a redelivery.
async fn resend(inner: &Inner, client: &HttpClient, job: Job, slot: OwnedSemaphorePermit) {
    let Some(n) = inner.begin(&job, None) else {
        // Stopping: it stays pending, as reported.
        drop(slot);
        inner.active_done();
        return;
    };
    let at = inner.clock.now();
    let started = Instant::now();
    let outcome = post(client, &job, inner.config.timeout).await;
    let latency = started.elapsed();
    drop(slot);
    {
        let mut r = inner.records();
        if job.generation != r.generation {
            // Reset meanwhile: forgotten.
            drop(r);
            inner.active_done();
            return;
        }
        let success = outcome.is_success();
        let e = &mut r.entries[job.index];
        if success {
            e.delivered = true;
            if e.chain {
                // The retries it waited for are not needed any more.
                e.chain = false;
                e.epoch += 1;
            }
        }
        // The retry its chain still waits for, if any.
        let next_retry = e.public.next_attempt.filter(|_| e.chain);
        e.resends -= 1;
        let line = inner.line(
            &r,
            &job,
            n,
            Done {
                outcome,
                at,
                latency,
                next_retry,
            },
        );
        inner.push_log(&mut r, line);
        inner.refresh(&mut r, job.index);
    }
    inner.active_done();
}

async fn post(client: &HttpClient, job: &Job, timeout: Duration) -> AttemptOutcome {
    let mut req = hyper::Request::post(job.address.as_str());
    for (k, v) in job.headers.iter() {
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
