//! The `faults:` section of a scenario: what goes wrong on the wire while it runs
//! over HTTP, tied to steps. Faults never change the outcome — the sync retries,
//! deduplicates and reconciles — so a scenario with faults gives the same snapshot
//! as without them, on both transports (in process there is no wire: they are
//! listed and have nothing to act on).
//!
//! ```yaml
//! faults:
//!   - { step: 1, fault: duplicate_webhook, index: 0 }
//!   - { step: 2, fault: rest_429, count: 2 }
//! ```

use std::fmt;
use std::time::Duration;

use shopify_mock::{Fault, ReadFault, WebhookOrder};

use super::convert::Cx;
use super::tree::{Kind, Node};
use super::yaml::is_null;

/// The fault kinds, as a scenario names them (the mock's plan entries name them
/// the same).
pub use shopify_mock::FAULT_KINDS;

/// Most times one read fault repeats: the sync's client retries a read 4 times.
pub const MAX_FAULT_COUNT: u32 = 4;

/// A fault of a scenario: before which step it is armed (0: the set-up), and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultEntry {
    /// The step it is armed for, 1-based; 0 for the set-up.
    pub step: usize,
    /// What goes wrong.
    pub fault: Fault,
}

impl FaultEntry {
    /// The fault's kind as a scenario names it (one of [`FAULT_KINDS`]).
    pub fn kind(&self) -> &'static str {
        match &self.fault {
            Fault::DuplicateWebhook { .. } => "duplicate_webhook",
            Fault::ReorderWebhooks { .. } => "reorder_webhooks",
            Fault::DelayWebhook { .. } => "delay_webhook",
            Fault::DropWebhook { .. } => "drop_webhook",
            Fault::FailDelivery { .. } => "fail_delivery",
            Fault::RestRead { kind, .. } => match kind {
                ReadFault::TooManyRequests { .. } => "rest_429",
                ReadFault::ServerError { .. } => "rest_5xx",
                ReadFault::Reset => "rest_reset",
                ReadFault::Slow { .. } => "rest_slow",
            },
            Fault::GraphqlThrottled { .. } => "graphql_throttled",
        }
    }
}

impl fmt::Display for FaultEntry {
    /// `{ step: 2, fault: rest_429, count: 2 }`, as the file writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{ step: {}, fault: {}", self.step, self.kind())?;
        let ms = |d: &Duration| d.as_millis();
        match &self.fault {
            Fault::DuplicateWebhook { index }
            | Fault::DelayWebhook { index }
            | Fault::DropWebhook { index } => write!(f, ", index: {index}"),
            Fault::ReorderWebhooks { order } => match order {
                WebhookOrder::Reverse => Ok(()),
                WebhookOrder::Permutation(p) => {
                    let items: Vec<String> = p.iter().map(ToString::to_string).collect();
                    write!(f, ", order: [{}]", items.join(", "))
                }
            },
            Fault::FailDelivery {
                index,
                attempts,
                timeout,
            } => write!(
                f,
                ", index: {index}, attempts: {attempts}, timeout: {timeout}"
            ),
            Fault::RestRead { kind, count } => {
                write!(f, ", count: {count}")?;
                match kind {
                    ReadFault::TooManyRequests { retry_after } => {
                        write!(f, ", retry_after_ms: {}", ms(retry_after))
                    }
                    ReadFault::ServerError { status } => write!(f, ", status: {status}"),
                    ReadFault::Reset => Ok(()),
                    ReadFault::Slow { delay } => write!(f, ", delay_ms: {}", ms(delay)),
                }
            }
            Fault::GraphqlThrottled { count } => write!(f, ", count: {count}"),
        }?;
        f.write_str(" }")
    }
}

const KEYS: [&str; 10] = [
    "step",
    "fault",
    "index",
    "order",
    "attempts",
    "timeout",
    "count",
    "retry_after_ms",
    "status",
    "delay_ms",
];

impl Cx<'_> {
    /// A fault plan file: `faults:` alone, for steps up to 1,000,000.
    pub(crate) fn fault_plan(&mut self, root: &Node) -> Option<Vec<FaultEntry>> {
        let top = self.map(root, "the fault plan", &["faults"])?;
        let list = self.req(&top, "faults", "the fault plan")?;
        self.faults(list, 1_000_000)
    }

    /// The `faults:` list of a scenario of `steps` steps.
    pub(crate) fn faults(&mut self, node: &Node, steps: usize) -> Option<Vec<FaultEntry>> {
        let items = self.seq(node, "`faults`")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        // THROTTLED answers of one step add up, and the client tries a call again
        // at most MAX_FAULT_COUNT times.
        let mut throttled: std::collections::BTreeMap<usize, u32> = Default::default();
        for item in items {
            let mut entry = self.fault(item, steps);
            if let Some(FaultEntry {
                step,
                fault: Fault::GraphqlThrottled { count },
            }) = &entry
            {
                let total = throttled.entry(*step).or_default();
                *total += count;
                if *total > MAX_FAULT_COUNT {
                    let msg = format!(
                        "the graphql_throttled faults of step {step} add up to {total} THROTTLED \
                         answers in a row; a client tries a call again at most {MAX_FAULT_COUNT} times"
                    );
                    let hint = Some(format!(
                        "give step {step} at most {MAX_FAULT_COUNT} in all, or spread them over steps"
                    ));
                    self.err(item.loc, msg, hint);
                    entry = None;
                }
            }
            super::convert::push_or_fail(&mut out, entry);
        }
        out
    }

    fn fault(&mut self, node: &Node, steps: usize) -> Option<FaultEntry> {
        let what = "a fault";
        let m = self.map(node, what, &KEYS)?;
        let step_node = self.req(&m, "step", what);
        let step = step_node
            .and_then(|n| self.uint(n, "step", 1_000_000))
            .map(|s| s as usize);
        if let (Some(s), Some(n)) = (step, step_node)
            && s > steps
        {
            let msg = format!("fault for step {s}, but the scenario has {steps} steps");
            let hint = Some("`step` is a step number from 1, or 0 for the set-up".into());
            self.err(n.loc, msg, hint);
            return None;
        }
        let kinds: Vec<(&str, &str)> = FAULT_KINDS.iter().map(|k| (*k, *k)).collect();
        let kind = self
            .req(&m, "fault", what)
            .and_then(|n| self.choice(n, "fault", &kinds));
        let small = |cx: &mut Self, key: &str, default: u64, max: u64| -> Option<u64> {
            match m.get(key) {
                Some(n) => cx.uint(n, key, max),
                None => Some(default),
            }
        };
        let index = small(self, "index", 0, 100)? as usize;
        let count = small(self, "count", 1, u64::from(MAX_FAULT_COUNT))? as u32;
        if count == 0 {
            let loc = m.get("count").map_or(node.loc, |n| n.loc);
            self.err(loc, "`count` must be at least 1", None);
            return None;
        }
        let fault = match kind? {
            "duplicate_webhook" => Fault::DuplicateWebhook { index },
            "delay_webhook" => Fault::DelayWebhook { index },
            "drop_webhook" => Fault::DropWebhook { index },
            "reorder_webhooks" => {
                let order = match m.get("order") {
                    None => WebhookOrder::Reverse,
                    Some(n) if is_null(n) => WebhookOrder::Reverse,
                    Some(n) if matches!(n.kind, Kind::Scalar { .. }) => {
                        let word = self.string(n, "order")?;
                        if word != "reverse" {
                            self.err(
                                n.loc,
                                format!("unknown order `{word}`"),
                                Some("write `reverse` or a list of indexes, e.g. [1, 0]".into()),
                            );
                            return None;
                        }
                        WebhookOrder::Reverse
                    }
                    Some(n) => {
                        let items = self.seq(n, "`order`")?;
                        let mut p = Vec::with_capacity(items.len());
                        for i in items {
                            p.push(self.uint(i, "order", 100)? as usize);
                        }
                        WebhookOrder::Permutation(p)
                    }
                };
                Fault::ReorderWebhooks { order }
            }
            "fail_delivery" => {
                let attempts = small(self, "attempts", 1, 8)? as u32;
                let timeout = match m.get("timeout") {
                    Some(n) => self.boolean(n, "timeout")?,
                    None => false,
                };
                Fault::FailDelivery {
                    index,
                    attempts: attempts.max(1),
                    timeout,
                }
            }
            "rest_429" => Fault::RestRead {
                kind: ReadFault::TooManyRequests {
                    retry_after: Duration::from_millis(small(self, "retry_after_ms", 10, 1000)?),
                },
                count,
            },
            "rest_5xx" => Fault::RestRead {
                kind: ReadFault::ServerError {
                    status: small(self, "status", 503, 599)?.max(500) as u16,
                },
                count,
            },
            "rest_reset" => Fault::RestRead {
                kind: ReadFault::Reset,
                count,
            },
            "rest_slow" => Fault::RestRead {
                kind: ReadFault::Slow {
                    delay: Duration::from_millis(small(self, "delay_ms", 20, 1000)?),
                },
                count,
            },
            _ => Fault::GraphqlThrottled { count },
        };
        Some(FaultEntry { step: step?, fault })
    }
}
