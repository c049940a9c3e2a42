//! Fault plans: what goes wrong on the wire, armed by the caller for what happens
//! next ([`crate::ShopifyMock::arm_faults`]). A leaf: the types, the pure planning
//! of a batch of webhooks, the counters of armed call faults, and the log of what
//! was injected. `webhooks.rs` applies the webhook faults, `http.rs` and
//! `graphql/` the call faults.
//!
//! Nothing here is random: the caller names every index and count, so the same
//! plan over the same traffic injects the same faults, in the same order.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::webhooks::{SubscriptionId, Topic};

/// Something that goes wrong on the wire. Faults never change what the store
/// does: they change how (and whether) its answers and webhooks travel.
///
/// Webhook faults name a webhook by its index in the *batch*: the webhooks sent to
/// one receiver address (by every subscription to it: an app subscribes one topic
/// at a time) between [`arm_faults`](crate::ShopifyMock::arm_faults) and the
/// next [`settle_webhooks`](crate::ShopifyMock::settle_webhooks) (or
/// `arm_faults`/`disarm_faults`), 0 for the first, in the order the changes sent
/// them. Call faults hit the next calls of their kind, whenever they come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Webhook `index` is sent twice, the copy right after the original (same
    /// body, `X-Shopify-Webhook-Id` and `X-Shopify-Event-Id`), as Shopify's
    /// at-least-once delivery may. Each `DuplicateWebhook` adds one copy.
    DuplicateWebhook {
        /// The webhook's index in the batch.
        index: usize,
    },
    /// The batch is sent in another order.
    ReorderWebhooks {
        /// Which order.
        order: WebhookOrder,
    },
    /// Webhook `index` is held back and sent after every other webhook of the
    /// batch (after reordering).
    DelayWebhook {
        /// The webhook's index in the batch.
        index: usize,
    },
    /// Webhook `index` is never sent: the delivery is [`DeliveryStatus::Dropped`]
    /// (one log line, attempt 0, [`AttemptOutcome::Dropped`]) and counts as
    /// settled. The one fault that breaks "at least once": the receiver must
    /// reconcile. Beats every other fault on the same index.
    ///
    /// [`DeliveryStatus::Dropped`]: crate::DeliveryStatus::Dropped
    /// [`AttemptOutcome::Dropped`]: crate::AttemptOutcome::Dropped
    DropWebhook {
        /// The webhook's index in the batch.
        index: usize,
    },
    /// The receiver's first `attempts` answers to webhook `index` count as
    /// failures, so the mock retries it. Each failed attempt is really sent (the
    /// receiver sees it and may apply it) and its answer awaited, then taken as a
    /// failure ([`AttemptOutcome::FailedByFault`]): a 503 when `timeout` is false,
    /// an answer that came after the timeout when it is true. The retries follow
    /// the configured schedule ([`WebhookConfig::schedule`]: on Shopify's, each is
    /// due on the mock's clock; on the fast one, after
    /// [`WebhookConfig::base_backoff`], doubling) in line, holding the receiver's
    /// slot, before the batch's next webhook, so the log is the same on every run.
    /// `attempts` is capped at [`WebhookConfig::retries`]: the last attempt always
    /// counts, so the webhook is still delivered at least once. Only the first
    /// `FailDelivery` of an index applies.
    ///
    /// [`AttemptOutcome::FailedByFault`]: crate::AttemptOutcome::FailedByFault
    /// [`WebhookConfig::base_backoff`]: crate::WebhookConfig::base_backoff
    /// [`WebhookConfig::schedule`]: crate::WebhookConfig::schedule
    /// [`WebhookConfig::retries`]: crate::WebhookConfig::retries
    FailDelivery {
        /// The webhook's index in the batch.
        index: usize,
        /// How many answers count as failures.
        attempts: u32,
        /// Log them as timeouts rather than as 503s.
        timeout: bool,
    },
    /// The next `count` REST reads (`GET` on the Admin API with a valid token:
    /// `orders/{id}.json`, `orders.json`, `orders/count.json`, refunds) go wrong
    /// as `kind` says, changing nothing.
    RestRead {
        /// What goes wrong.
        kind: ReadFault,
        /// How many reads.
        count: u32,
    },
    /// The next `count` GraphQL calls (with a valid token and a query) answer
    /// Shopify's `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED",…}}]}`
    /// with `extensions.cost` (the cost bucket as it is, untouched) and run nothing.
    GraphqlThrottled {
        /// How many calls.
        count: u32,
    },
}

impl Fault {
    /// True for the faults that act on webhooks.
    pub fn is_webhook_fault(&self) -> bool {
        !matches!(self, Self::RestRead { .. } | Self::GraphqlThrottled { .. })
    }

    /// The fault as a plan entry of the control API (`POST /__mock/faults`) writes
    /// it, which is a scenario's `faults:` entry without `step`:
    /// `{"fault": "rest_429", "count": 2, "retry_after_ms": 10}`. Every field is
    /// written, so the entry reads back as exactly this fault.
    pub fn plan_entry(&self) -> serde_json::Value {
        use serde_json::json;
        let ms = |d: &Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        match self {
            Self::DuplicateWebhook { index } => {
                json!({"fault": "duplicate_webhook", "index": index})
            }
            Self::DelayWebhook { index } => json!({"fault": "delay_webhook", "index": index}),
            Self::DropWebhook { index } => json!({"fault": "drop_webhook", "index": index}),
            Self::ReorderWebhooks { order } => match order {
                WebhookOrder::Reverse => json!({"fault": "reorder_webhooks", "order": "reverse"}),
                WebhookOrder::Permutation(p) => json!({"fault": "reorder_webhooks", "order": p}),
            },
            Self::FailDelivery {
                index,
                attempts,
                timeout,
            } => {
                json!({"fault": "fail_delivery", "index": index, "attempts": attempts, "timeout": timeout})
            }
            Self::RestRead { kind, count } => match kind {
                ReadFault::TooManyRequests { retry_after } => {
                    json!({"fault": "rest_429", "count": count, "retry_after_ms": ms(retry_after)})
                }
                ReadFault::ServerError { status } => {
                    json!({"fault": "rest_5xx", "count": count, "status": status})
                }
                ReadFault::Reset => json!({"fault": "rest_reset", "count": count}),
                ReadFault::Slow { delay } => {
                    json!({"fault": "rest_slow", "count": count, "delay_ms": ms(delay)})
                }
            },
            Self::GraphqlThrottled { count } => {
                json!({"fault": "graphql_throttled", "count": count})
            }
        }
    }
}

/// The fault kinds as a plan entry names them (`{"fault": "rest_429", …}`, in the
/// control API's `POST /__mock/faults` and in a scenario's `faults:`), in the
/// order of [`Fault`]'s variants.
pub const FAULT_KINDS: [&str; 10] = [
    "duplicate_webhook",
    "reorder_webhooks",
    "delay_webhook",
    "drop_webhook",
    "fail_delivery",
    "rest_429",
    "rest_5xx",
    "rest_reset",
    "rest_slow",
    "graphql_throttled",
];

/// The order [`Fault::ReorderWebhooks`] sends a batch in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOrder {
    /// Last first.
    Reverse,
    /// The listed indexes first, in the listed order, then the webhooks not
    /// listed in the order they had (their own, or an earlier reorder's). Indexes past the batch's end and repeats are
    /// ignored, so any list is a valid order.
    Permutation(Vec<usize>),
}

/// What goes wrong with a REST read ([`Fault::RestRead`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFault {
    /// 429 with `Retry-After` (decimal seconds: 10 ms is `0.01`, 2 s is `2.0`),
    /// Shopify's throttle body, and `X-Shopify-Shop-Api-Call-Limit: 40/40`. The
    /// REST bucket is not touched.
    TooManyRequests {
        /// The `Retry-After` to send.
        retry_after: Duration,
    },
    /// `status` (a 5xx; anything outside 500–599 is sent as 500) with
    /// `{"errors":"Internal Server Error"}` and an `X-Request-Id`.
    ServerError {
        /// The status.
        status: u16,
    },
    /// The connection is closed without an answer: the client's request fails as
    /// with a reset connection (hyper: "connection closed before message
    /// completed"). Made with wiremock's `respond_with_err`, not a TCP RST.
    Reset,
    /// The right answer, sent after `delay` (the store as it was when the request
    /// arrived).
    Slow {
        /// How long the answer waits.
        delay: Duration,
    },
}

impl ReadFault {
    /// The 5xx status sent for [`ReadFault::ServerError`].
    pub(crate) fn server_status(status: u16) -> u16 {
        if (500..600).contains(&status) {
            status
        } else {
            500
        }
    }
}

/// `Retry-After` as Shopify writes it: decimal seconds, at least one decimal
/// (`2.0`, `0.01`, `0.001`); sub-millisecond parts are dropped.
pub(crate) fn retry_after_text(d: Duration) -> String {
    let millis = d.as_millis();
    let (secs, frac) = (millis / 1000, millis % 1000);
    if frac == 0 {
        return format!("{secs}.0");
    }
    let frac = format!("{frac:03}");
    format!("{secs}.{}", frac.trim_end_matches('0'))
}

/// A duration for a person: `250ms`, `2s`, `1.5s`.
fn duration_text(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", retry_after_text(d).trim_end_matches(".0"))
    }
}

impl fmt::Display for WebhookOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reverse => f.write_str("reversed"),
            Self::Permutation(p) => {
                let p: Vec<String> = p.iter().map(usize::to_string).collect();
                write!(f, "in the order [{}]", p.join(", "))
            }
        }
    }
}

impl fmt::Display for ReadFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyRequests { retry_after } => write!(
                f,
                "429 with Retry-After: {}",
                retry_after_text(*retry_after)
            ),
            Self::ServerError { status } => write!(f, "{}", Self::server_status(*status)),
            Self::Reset => f.write_str("connection reset"),
            Self::Slow { delay } => write!(f, "answered after {}", duration_text(*delay)),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateWebhook { index } => write!(f, "duplicate webhook #{index}"),
            Self::ReorderWebhooks { order } => write!(f, "webhooks {order}"),
            Self::DelayWebhook { index } => write!(f, "delay webhook #{index}"),
            Self::DropWebhook { index } => write!(f, "drop webhook #{index}"),
            Self::FailDelivery {
                index,
                attempts,
                timeout,
            } => write!(
                f,
                "fail {attempts} attempt(s) of webhook #{index}{}",
                if *timeout { " by timeout" } else { "" }
            ),
            Self::RestRead { kind, count } => write!(f, "next {count} REST read(s): {kind}"),
            Self::GraphqlThrottled { count } => {
                write!(f, "next {count} GraphQL call(s): THROTTLED")
            }
        }
    }
}

/// A webhook a fault acted on, as the trace names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultTarget {
    /// Its batch's receiver, named by the first subscription to that address.
    pub subscription: SubscriptionId,
    /// Its index in the batch.
    pub index: usize,
    /// Its topic.
    pub topic: Topic,
    /// Its `X-Shopify-Webhook-Id`.
    pub webhook_id: String,
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "webhook #{} ({}, {}) to subscription {}",
            self.index, self.topic, self.webhook_id, self.subscription.0
        )
    }
}

/// One fault as it was injected, in the order they happened:
/// [`ShopifyMock::injected_faults`](crate::ShopifyMock::injected_faults). Its
/// `Display` is one deterministic line for a trace (no ports, no wall clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InjectedFault {
    /// A batch was sent in another order: `order[i]` is the index sent `i`-th.
    WebhooksReordered {
        /// The subscription.
        subscription: SubscriptionId,
        /// The batch's indexes in the order they were sent.
        order: Vec<usize>,
    },
    /// A webhook was sent twice.
    WebhookDuplicated(FaultTarget),
    /// A webhook was held back to the end of its batch.
    WebhookDelayed(FaultTarget),
    /// A webhook was never sent.
    WebhookDropped(FaultTarget),
    /// An attempt to deliver a webhook was taken as a failure.
    DeliveryFailed {
        /// The webhook.
        target: FaultTarget,
        /// Which attempt (1 for the first).
        attempt: u32,
        /// Taken as a timeout (else as a 503).
        timeout: bool,
        /// What the receiver really answered (`None`: no answer).
        answered: Option<u16>,
    },
    /// A REST read went wrong.
    RestRead {
        /// How.
        kind: ReadFault,
        /// The path and query asked (`/admin/api/2025-01/orders/1001.json`).
        path: String,
    },
    /// A GraphQL call was answered `THROTTLED`.
    GraphqlThrottled,
    /// A fault that was armed and had nothing to act on before the plan ended (no
    /// webhook with its index in the batch, fewer calls than its count, …).
    Unused {
        /// The fault as armed (for a call fault, with the count left).
        fault: Fault,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WebhooksReordered {
                subscription,
                order,
            } => {
                let order: Vec<String> = order.iter().map(usize::to_string).collect();
                write!(
                    f,
                    "webhooks to subscription {} sent in the order [{}]",
                    subscription.0,
                    order.join(", ")
                )
            }
            Self::WebhookDuplicated(t) => write!(f, "{t} sent twice"),
            Self::WebhookDelayed(t) => write!(f, "{t} held back to the end of its batch"),
            Self::WebhookDropped(t) => write!(f, "{t} dropped"),
            Self::DeliveryFailed {
                target,
                attempt,
                timeout,
                answered,
            } => {
                let answered = match answered {
                    Some(s) => format!("answered {s}"),
                    None => "no answer".to_owned(),
                };
                let taken = if *timeout { "a timeout" } else { "a 503" };
                write!(
                    f,
                    "{target}: attempt {attempt} {answered}, taken as {taken}"
                )
            }
            Self::RestRead { kind, path } => write!(f, "GET {path}: {kind}"),
            Self::GraphqlThrottled => f.write_str("POST graphql.json: THROTTLED"),
            Self::Unused { fault, reason } => write!(f, "unused: {fault} ({reason})"),
        }
    }
}

/// The log of injected faults, shared by the webhook thread and the front door.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultLog(Arc<Mutex<Vec<InjectedFault>>>);

impl FaultLog {
    pub(crate) fn push(&self, fault: InjectedFault) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fault);
    }

    pub(crate) fn extend(&self, faults: impl IntoIterator<Item = InjectedFault>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(faults);
    }

    pub(crate) fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    pub(crate) fn snapshot(&self) -> Vec<InjectedFault> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

// ----- call faults ---------------------------------------------------------------

/// The armed call faults: REST reads (in the order armed) and GraphQL throttles.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArmedCalls {
    reads: VecDeque<(ReadFault, u32)>,
    graphql: u32,
}

impl ArmedCalls {
    /// The call faults of a plan.
    pub(crate) fn new(faults: &[Fault]) -> Self {
        let mut armed = Self::default();
        for f in faults {
            match f {
                Fault::RestRead { kind, count } if *count > 0 => {
                    armed.reads.push_back((kind.clone(), *count));
                }
                Fault::GraphqlThrottled { count } => {
                    armed.graphql = armed.graphql.saturating_add(*count);
                }
                _ => {}
            }
        }
        armed
    }

    /// True when REST read faults are armed.
    pub(crate) fn has_reads(&self) -> bool {
        !self.reads.is_empty()
    }

    /// True when the next REST read is to be reset.
    pub(crate) fn next_read_is_reset(&self) -> bool {
        matches!(self.reads.front(), Some((ReadFault::Reset, _)))
    }

    /// The fault of the next REST read, if one is armed (used up).
    pub(crate) fn take_read(&mut self) -> Option<ReadFault> {
        let (kind, left) = self.reads.front_mut()?;
        let kind = kind.clone();
        *left -= 1;
        if *left == 0 {
            self.reads.pop_front();
        }
        Some(kind)
    }

    /// True when the next GraphQL call is to be throttled (used up).
    pub(crate) fn take_graphql(&mut self) -> bool {
        let armed = self.graphql > 0;
        self.graphql = self.graphql.saturating_sub(1);
        armed
    }

    /// What is left, as unused faults.
    pub(crate) fn leftovers(&self) -> Vec<InjectedFault> {
        let mut out: Vec<InjectedFault> = self
            .reads
            .iter()
            .map(|(kind, count)| InjectedFault::Unused {
                fault: Fault::RestRead {
                    kind: kind.clone(),
                    count: *count,
                },
                reason: format!("{count} REST read(s) fewer than armed came"),
            })
            .collect();
        if self.graphql > 0 {
            out.push(InjectedFault::Unused {
                fault: Fault::GraphqlThrottled {
                    count: self.graphql,
                },
                reason: format!("{} GraphQL call(s) fewer than armed came", self.graphql),
            });
        }
        out
    }
}

// ----- webhook batches -----------------------------------------------------------

/// One send of a batch: which webhook, and how many of its answers count as failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchSend {
    /// The webhook's index in the batch.
    pub index: usize,
    /// True for the copy of a duplicated webhook.
    pub copy: bool,
    /// Answers taken as failures before one counts.
    pub forced_failures: u32,
    /// Failures logged as timeouts.
    pub timeout: bool,
}

/// How a batch of `n` webhooks to one receiver address goes out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct BatchPlan {
    /// What is sent, in order.
    pub sends: Vec<BatchSend>,
    /// The order after `ReorderWebhooks` (before delays), when one applied.
    pub reordered: Option<Vec<usize>>,
    /// Indexes dropped, ascending.
    pub dropped: Vec<usize>,
    /// Indexes delayed, in the order they are sent.
    pub delayed: Vec<usize>,
    /// Indexes duplicated, ascending (once per copy).
    pub duplicated: Vec<usize>,
    /// Faults with nothing to act on, and why, in the order they were armed.
    pub unused: Vec<(Fault, String)>,
}

/// Plans a batch of `n` webhooks under `faults` (webhook faults only; others are
/// ignored). Reorder first, then delays to the end, then copies after their
/// originals; drops remove a webhook and everything else aimed at it. `retries` caps
/// the forced failures so the last attempt always counts.
pub(crate) fn plan_batch(faults: &[Fault], n: usize, retries: u32) -> BatchPlan {
    let mut plan = BatchPlan::default();
    let out_of_range = |f: &Fault, index: usize| {
        (
            f.clone(),
            format!("no webhook #{index}: the batch has {n} webhook(s)"),
        )
    };
    let mut dropped = vec![false; n];
    for f in faults {
        if let Fault::DropWebhook { index } = f {
            match dropped.get_mut(*index) {
                Some(d) if !*d => *d = true,
                Some(_) => plan
                    .unused
                    .push((f.clone(), format!("webhook #{index} is already dropped"))),
                None => plan.unused.push(out_of_range(f, *index)),
            }
        }
    }
    // Order.
    let mut order: Vec<usize> = (0..n).collect();
    let mut reordered = false;
    for f in faults {
        if let Fault::ReorderWebhooks { order: how } = f {
            if n == 0 {
                plan.unused
                    .push((f.clone(), "the batch is empty".to_owned()));
                continue;
            }
            order = match how {
                WebhookOrder::Reverse => order.into_iter().rev().collect(),
                WebhookOrder::Permutation(p) => {
                    let mut taken = vec![false; n];
                    let mut next = Vec::with_capacity(n);
                    for &index in p {
                        if index < n && !taken[index] {
                            taken[index] = true;
                            next.push(index);
                        }
                    }
                    next.extend(order.into_iter().filter(|&index| !taken[index]));
                    next
                }
            };
            reordered = true;
        }
    }
    if reordered {
        plan.reordered = Some(order.clone());
    }
    // Delays: to the end, in the order reached.
    let mut delayed = vec![false; n];
    for f in faults {
        if let Fault::DelayWebhook { index } = f {
            match delayed.get_mut(*index) {
                None => plan.unused.push(out_of_range(f, *index)),
                Some(_) if dropped[*index] => plan
                    .unused
                    .push((f.clone(), format!("webhook #{index} is dropped"))),
                Some(d) if *d => plan
                    .unused
                    .push((f.clone(), format!("webhook #{index} is already delayed"))),
                Some(d) => *d = true,
            }
        }
    }
    let (mut late, mut on_time): (Vec<usize>, Vec<usize>) =
        order.into_iter().partition(|&i| delayed[i]);
    plan.delayed = late.clone();
    on_time.append(&mut late);
    // Copies and failures.
    let mut copies = vec![0u32; n];
    let mut failures: Vec<Option<(u32, bool)>> = vec![None; n];
    for f in faults {
        match f {
            Fault::DuplicateWebhook { index } => match copies.get_mut(*index) {
                None => plan.unused.push(out_of_range(f, *index)),
                Some(_) if dropped[*index] => plan
                    .unused
                    .push((f.clone(), format!("webhook #{index} is dropped"))),
                Some(c) => {
                    *c += 1;
                    plan.duplicated.push(*index);
                }
            },
            Fault::FailDelivery {
                index,
                attempts,
                timeout,
            } => match failures.get_mut(*index) {
                None => plan.unused.push(out_of_range(f, *index)),
                Some(_) if dropped[*index] => plan
                    .unused
                    .push((f.clone(), format!("webhook #{index} is dropped"))),
                Some(Some(_)) => plan.unused.push((
                    f.clone(),
                    format!("webhook #{index} already has a FailDelivery"),
                )),
                Some(_) if *attempts == 0 => {
                    plan.unused.push((f.clone(), "0 attempts".to_owned()));
                }
                Some(slot) => *slot = Some(((*attempts).min(retries), *timeout)),
            },
            _ => {}
        }
    }
    plan.duplicated.sort_unstable();
    for index in on_time {
        if dropped[index] {
            continue;
        }
        let (forced_failures, timeout) = failures[index].unwrap_or((0, false));
        plan.sends.push(BatchSend {
            index,
            copy: false,
            forced_failures,
            timeout,
        });
        for _ in 0..copies[index] {
            plan.sends.push(BatchSend {
                index,
                copy: true,
                forced_failures: 0,
                timeout: false,
            });
        }
    }
    plan.dropped = (0..n).filter(|&i| dropped[i]).collect();
    let position = |f: &Fault| faults.iter().position(|g| g == f);
    plan.unused.sort_by_key(|(f, _)| position(f));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(plan: &BatchPlan) -> Vec<(usize, bool, u32)> {
        plan.sends
            .iter()
            .map(|s| (s.index, s.copy, s.forced_failures))
            .collect()
    }

    #[test]
    fn no_fault_sends_the_batch_in_order() {
        let plan = plan_batch(&[], 3, 8);
        assert_eq!(sent(&plan), [(0, false, 0), (1, false, 0), (2, false, 0)]);
        assert_eq!(plan.reordered, None);
    }

    #[test]
    fn reorder_then_delay_then_copies_and_drops() {
        let faults = [
            Fault::ReorderWebhooks {
                order: WebhookOrder::Reverse,
            },
            Fault::DelayWebhook { index: 3 },
            Fault::DuplicateWebhook { index: 3 },
            Fault::DropWebhook { index: 1 },
            Fault::DuplicateWebhook { index: 1 },
            Fault::FailDelivery {
                index: 0,
                attempts: 20,
                timeout: false,
            },
            Fault::DelayWebhook { index: 9 },
        ];
        let plan = plan_batch(&faults, 4, 8);
        // Unused faults come in the order they were armed.
        assert_eq!(
            sent(&plan),
            [(2, false, 0), (0, false, 8), (3, false, 0), (3, true, 0)]
        );
        assert_eq!(plan.reordered, Some(vec![3, 2, 1, 0]));
        assert_eq!(plan.dropped, [1]);
        assert_eq!(plan.delayed, [3]);
        assert_eq!(plan.duplicated, [3]);
        let unused: Vec<&Fault> = plan.unused.iter().map(|(f, _)| f).collect();
        assert_eq!(
            unused,
            [
                &Fault::DuplicateWebhook { index: 1 },
                &Fault::DelayWebhook { index: 9 }
            ]
        );
    }

    #[test]
    fn a_permutation_is_total() {
        let faults = [Fault::ReorderWebhooks {
            order: WebhookOrder::Permutation(vec![2, 7, 2, 0]),
        }];
        let plan = plan_batch(&faults, 4, 8);
        assert_eq!(plan.reordered, Some(vec![2, 0, 1, 3]));
    }

    #[test]
    fn an_empty_batch_leaves_every_fault_unused() {
        let faults = [
            Fault::ReorderWebhooks {
                order: WebhookOrder::Reverse,
            },
            Fault::DropWebhook { index: 0 },
        ];
        let plan = plan_batch(&faults, 0, 8);
        assert!(plan.sends.is_empty());
        assert_eq!(plan.unused.len(), 2);
    }

    #[test]
    fn retry_after_is_decimal_seconds() {
        assert_eq!(retry_after_text(Duration::from_secs(2)), "2.0");
        assert_eq!(retry_after_text(Duration::from_millis(10)), "0.01");
        assert_eq!(retry_after_text(Duration::from_millis(1500)), "1.5");
        assert_eq!(retry_after_text(Duration::from_micros(10)), "0.0");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1.5s");
        assert_eq!(duration_text(Duration::from_millis(20)), "20ms");
    }
}
