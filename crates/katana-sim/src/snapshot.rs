//! The snapshot document of a scenario (scenarios.md, "Snapshot"): final SOs and
//! MOs, the Schedule as a person sees it, the MO detail views, and the trace.
//! Deterministic: sorted, simulated time only, no random ids, no hash-map order.

use std::path::{Component, Path};

use jiff::Timestamp;
use katana_rules::{Katana, MessageState, UnlinkReason};
use serde::Serialize;

use crate::runner::TraceLine;
use crate::scenario::Scenario;

/// Everything a scenario's snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The scenario's description.
    pub description: String,
    /// Final sales orders, by Shopify order id.
    pub sales_orders: Vec<SoSnap>,
    /// Final MOs, in the Schedule's order.
    pub manufacturing_orders: Vec<MoSnap>,
    /// The Schedule (Make screen), one line per MO.
    pub schedule: Vec<String>,
    /// The MOs that the Schedule's "unlinked" filter shows.
    pub unlinked_filter: Vec<String>,
    /// The MO detail view of each MO that has messages.
    pub mo_details: Vec<DetailSnap>,
    /// For each step, what it changed and what was skipped.
    pub trace: Vec<TraceEntry>,
    /// The faults of the scenario (`faults:`), by step: what went wrong on the wire
    /// over HTTP; the rest of the snapshot is the same as without them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// What the mock Shopify server really injected, by step, over HTTP (a planned
    /// fault that found nothing to act on is listed as unused). Transports and
    /// fault-free runs are compared without it ([`Snapshot::outcome_yaml`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub injected_faults: Vec<String>,
}

/// A sales order in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoSnap {
    /// SO number.
    pub number: String,
    /// Shopify order id.
    pub shopify_order: u64,
    /// Rows by line id.
    pub rows: Vec<RowSnap>,
}

/// An SO row in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowSnap {
    /// Line id.
    pub line: u64,
    /// SKU.
    pub sku: String,
    /// Quantity.
    pub quantity: u32,
    /// Delivery status.
    pub delivery: &'static str,
    /// The linked MTO MO.
    pub mo: Option<String>,
}

/// An MO in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoSnap {
    /// Id.
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Planned quantity.
    pub quantity: u32,
    /// Status.
    pub status: &'static str,
    /// `make_to_order` or `make_to_stock`.
    #[serde(rename = "type")]
    pub production_type: &'static str,
    /// `order N line L`, or none.
    pub linked_to: Option<String>,
    /// `none`, `so_quantity_changed` or `so_deleted`.
    pub indicator: &'static str,
    /// Every message, oldest first.
    pub messages: Vec<MessageSnap>,
}

/// An unlink message in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageSnap {
    /// Sequence number.
    pub seq: u32,
    /// Simulated time.
    pub at: String,
    /// SO number.
    pub sales_order: String,
    /// Row (line id).
    pub row: u64,
    /// `so_quantity_changed` or `so_deleted`.
    pub reason: &'static str,
    /// Row quantity before, for a quantity change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    /// Row quantity after, for a quantity change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    /// For a deletion: `sales_order` or `row`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<&'static str>,
    /// `open`, or `resolved (action) at time`.
    pub state: String,
    /// What the user reads.
    pub text: String,
}

/// The MO detail view in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetailSnap {
    /// MO id.
    pub mo: String,
    /// The banner's text and buttons while a message is open.
    pub banner: Option<String>,
    /// The message history at the bottom, oldest first.
    pub history: Vec<String>,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceEntry {
    /// Step number; 0 for the set-up.
    pub step: usize,
    /// Simulated time of the step.
    #[serde(serialize_with = "ser_time")]
    pub at: Timestamp,
    /// The step as written.
    #[serde(rename = "do")]
    pub does: String,
    /// What changed and what was skipped, in order.
    pub effects: Vec<String>,
}

impl TraceEntry {
    /// A step's entry, its trace lines rendered as the snapshot shows them.
    pub fn new(step: usize, at: Timestamp, does: String, lines: Vec<TraceLine>) -> Self {
        Self {
            step,
            at,
            does,
            effects: lines.iter().map(ToString::to_string).collect(),
        }
    }
}

fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

impl Snapshot {
    /// The snapshot of a scenario's final world and trace.
    pub fn of(scenario: &Scenario, katana: &Katana, trace: Vec<TraceEntry>) -> Snapshot {
        let sales_orders = katana
            .sales_orders()
            .into_iter()
            .map(|so| SoSnap {
                number: so.number.clone(),
                shopify_order: so.order,
                rows: so
                    .rows
                    .values()
                    .map(|r| RowSnap {
                        line: r.line,
                        sku: r.sku.clone(),
                        quantity: r.quantity,
                        delivery: r.delivery.as_str(),
                        mo: r.mo.as_ref().map(ToString::to_string),
                    })
                    .collect(),
            })
            .collect();
        let mos = katana.mos();
        let manufacturing_orders = mos
            .iter()
            .map(|mo| MoSnap {
                id: mo.id.to_string(),
                sku: mo.sku.clone(),
                quantity: mo.quantity,
                status: mo.status.as_str(),
                production_type: mo.production_type().as_str(),
                linked_to: mo.link.map(|r| r.to_string()),
                indicator: mo.indicator().as_str(),
                messages: mo
                    .messages
                    .iter()
                    .map(|m| {
                        let (from, to, deleted) = match m.reason {
                            UnlinkReason::SoQuantityChanged { from, to } => {
                                (Some(from), Some(to), None)
                            }
                            UnlinkReason::SoDeleted { whole_order } => (
                                None,
                                None,
                                Some(if whole_order { "sales_order" } else { "row" }),
                            ),
                        };
                        MessageSnap {
                            seq: m.seq,
                            at: m.at.to_string(),
                            sales_order: m.so_number.clone(),
                            row: m.row.line,
                            reason: m.reason.as_str(),
                            from,
                            to,
                            deleted,
                            state: match m.state {
                                MessageState::Open => "open".to_string(),
                                MessageState::Resolved { resolution, at } => {
                                    format!("resolved ({}) at {at}", resolution.as_str())
                                }
                            },
                            text: m.text(),
                        }
                    })
                    .collect(),
            })
            .collect();
        let mo_details = mos
            .iter()
            .filter(|mo| !mo.messages.is_empty())
            .filter_map(|mo| katana.mo_detail(&mo.id))
            .map(|d| DetailSnap {
                mo: d.mo.to_string(),
                banner: d.banner.map(|b| {
                    let buttons: Vec<String> = b
                        .actions
                        .iter()
                        .map(|a| format!("[{}]", a.label()))
                        .collect();
                    format!("{} {}", b.text, buttons.join(" "))
                }),
                history: d.history,
            })
            .collect();
        Snapshot {
            description: scenario.description.clone(),
            sales_orders,
            manufacturing_orders,
            schedule: katana.schedule().iter().map(ToString::to_string).collect(),
            unlinked_filter: katana
                .unlinked_filter()
                .iter()
                .map(ToString::to_string)
                .collect(),
            mo_details,
            trace,
            faults: scenario.faults.iter().map(ToString::to_string).collect(),
            injected_faults: Vec::new(),
        }
    }

    /// The snapshot as transports must agree on it: [`Snapshot::to_yaml`] without
    /// the faults injected on the wire (only a run over HTTP has any).
    pub fn outcome_yaml(&self) -> String {
        if self.injected_faults.is_empty() {
            return self.to_yaml();
        }
        Snapshot {
            injected_faults: Vec::new(),
            ..self.clone()
        }
        .to_yaml()
    }

    /// The snapshot as the YAML document stored under `snapshots/` and printed by `show`.
    pub fn to_yaml(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail; keep a
        // readable note rather than a panic if the serializer ever disagrees.
        serde_saphyr::to_string(self)
            .unwrap_or_else(|e| format!("# the snapshot could not be written: {e}\n"))
    }
}

/// The snapshot's name for a scenario: its path under `scenarios/`, without the
/// extension, with `/` written as `__` (e.g. `edit/edit-down.yaml` → `edit__edit-down`).
pub fn snapshot_name(scenarios_dir: &Path, scenario: &Path) -> String {
    let rel = scenario.strip_prefix(scenarios_dir).unwrap_or(scenario);
    let rel = rel.with_extension("");
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("__")
}
