//! The snapshot document of a scenario (scenarios.md, "Snapshot"): final SOs and
//! MOs, the Schedule as a person sees it, the MO detail views, and the trace.
//! Deterministic: sorted, simulated time only, no random ids, no hash-map order.

use std::path::{Component, Path};

use jiff::Timestamp;
use katana_rules::{Banner, Katana, MessageState, UnlinkReason};
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
        let mo_details = detail_snaps(katana);
        Snapshot {
            description: scenario.description.clone(),
            sales_orders,
            manufacturing_orders,
            schedule: katana.schedule().iter().map(ToString::to_string).collect(),
            unlinked_filter: unlinked_filter(katana),
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

/// The MOs the Schedule's "unlinked" filter shows, as the snapshot names them.
pub fn unlinked_filter(katana: &Katana) -> Vec<String> {
    katana
        .unlinked_filter()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The snapshot's line for an MO detail view's banner: its text, then its buttons
/// as `[Label]`.
pub fn banner_line(banner: &Banner) -> String {
    let buttons: Vec<String> = banner
        .actions
        .iter()
        .map(|a| format!("[{}]", a.label()))
        .collect();
    format!("{} {}", banner.text, buttons.join(" "))
}

/// The MO detail view of each MO that has messages, in the Schedule's order.
pub fn detail_snaps(katana: &Katana) -> Vec<DetailSnap> {
    katana
        .mos()
        .iter()
        .filter(|mo| !mo.messages.is_empty())
        .filter_map(|mo| katana.mo_detail(&mo.id))
        .map(|d| DetailSnap {
            mo: d.mo.to_string(),
            banner: d.banner.as_ref().map(banner_line),
            history: d.history,
        })
        .collect()
}

/// The state of the world right after one step (step 0: after the set-up), as a
/// person sees it: Katana's Schedule, its "unlinked" filter and MO detail views,
/// and the Shopify orders as the merchant sees them, with the step's trace. Built
/// by the same view functions as the [`Snapshot`], so the last step's state shows
/// what the snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepState {
    /// The step and what it did.
    pub trace: TraceEntry,
    /// The Schedule, one row per MO.
    pub schedule: Vec<ScheduleRow>,
    /// The MOs the "unlinked" filter shows.
    pub unlinked_filter: Vec<String>,
    /// The MO detail view of every MO, in the Schedule's order.
    pub mo_details: Vec<DetailView>,
    /// The Shopify orders the scenario names, as the merchant sees them.
    pub shopify_orders: Vec<ShopifyOrderView>,
}

impl StepState {
    /// The state after a step: Katana's views and the given Shopify orders.
    pub fn of(trace: TraceEntry, katana: &Katana, shopify_orders: Vec<ShopifyOrderView>) -> Self {
        let schedule = katana
            .schedule()
            .into_iter()
            .map(|l| ScheduleRow {
                line: l.to_string(),
                mo: l.mo.to_string(),
                hover: l.hover,
                sku: l.sku,
                quantity: l.quantity,
                status: l.status,
                production: l.production,
            })
            .collect();
        let mo_details = katana
            .mos()
            .iter()
            .filter_map(|mo| katana.mo_detail(&mo.id))
            .map(|d| DetailView {
                mo: d.mo.to_string(),
                banner: d.banner.as_ref().map(|b| BannerView {
                    text: b.text.clone(),
                    actions: b.actions.iter().map(|a| a.label()).collect(),
                    line: banner_line(b),
                }),
                history: d.history,
            })
            .collect();
        StepState {
            trace,
            schedule,
            unlinked_filter: unlinked_filter(katana),
            mo_details,
            shopify_orders,
        }
    }

    /// The Schedule lines as the snapshot writes them.
    pub fn schedule_lines(&self) -> Vec<String> {
        self.schedule.iter().map(|r| r.line.clone()).collect()
    }

    /// The MO detail views as the snapshot lists them (MOs with messages only).
    pub fn detail_snaps(&self) -> Vec<DetailSnap> {
        self.mo_details
            .iter()
            .filter(|d| !d.history.is_empty())
            .map(|d| DetailSnap {
                mo: d.mo.clone(),
                banner: d.banner.as_ref().map(|b| b.line.clone()),
                history: d.history.clone(),
            })
            .collect()
    }
}

/// One row of the Schedule (Make screen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleRow {
    /// The row as the snapshot writes it.
    pub line: String,
    /// MO number.
    pub mo: String,
    /// The amber indicator's hover text; `None` when the indicator does not show.
    pub hover: Option<String>,
    /// Product SKU.
    pub sku: String,
    /// Planned quantity.
    pub quantity: u32,
    /// Status label, e.g. "Work in progress".
    pub status: &'static str,
    /// Production type, e.g. "Make-to-order for #1001 row 11" or "Make-to-stock".
    pub production: String,
}

/// An MO detail view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetailView {
    /// MO id.
    pub mo: String,
    /// The banner, while a message is open.
    pub banner: Option<BannerView>,
    /// The message history, oldest first.
    pub history: Vec<String>,
}

/// The banner of an MO detail view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BannerView {
    /// The open message's text.
    pub text: String,
    /// The labels of its action buttons.
    pub actions: Vec<&'static str>,
    /// Text and buttons as the snapshot writes them.
    pub line: String,
}

/// A Shopify order as the merchant sees it in Shopify admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopifyOrderView {
    /// Order id.
    pub id: u64,
    /// Name, e.g. `#1001`.
    pub name: String,
    /// Financial status, e.g. `paid`.
    pub financial_status: &'static str,
    /// Fulfilment status: `partial`, `fulfilled`, or `None` (unfulfilled).
    pub fulfillment_status: Option<&'static str>,
    /// Archived (closed).
    pub archived: bool,
    /// Cancelled.
    pub cancelled: bool,
    /// Line items.
    pub lines: Vec<ShopifyLineView>,
}

/// A Shopify line item as the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopifyLineView {
    /// Line id.
    pub id: u64,
    /// SKU.
    pub sku: String,
    /// Quantity as ordered.
    pub quantity: u32,
    /// Quantity after edits and refunds.
    pub current_quantity: u32,
    /// Units fulfilled.
    pub fulfilled: u32,
}

impl ShopifyOrderView {
    /// The merchant's view of a Shopify order.
    pub fn of(order: &shopify_model::Order) -> Self {
        Self {
            id: order.id,
            name: order.name.clone(),
            financial_status: order.financial_status.as_str(),
            fulfillment_status: order.fulfillment_status().map(|s| s.as_str()),
            archived: order.is_closed(),
            cancelled: order.is_cancelled(),
            lines: order
                .line_items
                .iter()
                .map(|l| ShopifyLineView {
                    id: l.id,
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    current_quantity: l.current_quantity,
                    fulfilled: l.fulfilled_quantity,
                })
                .collect(),
        }
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
