//! The typed scenario: what a valid file means, with the location of each set-up
//! item and step. The steps themselves are defined in [`crate::steps`], one file each.

use std::path::PathBuf;

use katana_rules::{Delivery, MoId, MoStatus, RowRef};
use katana_sync::Settings;
use shopify_model::NewOrder;

use super::diag::Loc;
use crate::steps::Step;

/// A parsed and validated scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The file it was read from, as given.
    pub path: PathBuf,
    /// What the scenario shows, in one sentence (required).
    pub description: String,
    /// The top-level `settings:`; unset fields keep the defaults of rules.md §2.
    pub settings: SettingsPatch,
    /// The simulated clock's start (`start:`, RFC 3339); `None` leaves the runner's default.
    pub start: Option<jiff::Timestamp>,
    /// `shopify.orders`: the orders that exist before the first step.
    pub orders: Vec<OrderSetup>,
    /// `katana.sales_orders`: delivery statuses of imported rows.
    pub deliveries: Vec<DeliverySetup>,
    /// `katana.manufacturing_orders`: the MOs that exist before the first step.
    pub mos: Vec<MoSetup>,
    /// The steps, in order.
    pub steps: Vec<StepEntry>,
    /// `faults:`: what goes wrong on the wire, by step (over HTTP only).
    pub faults: Vec<super::faults::FaultEntry>,
}

/// Integration settings to change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SettingsPatch {
    /// Katana's "bring order changes from Shopify" option.
    pub sync_order_changes: Option<bool>,
    /// Also import orders whose payment is pending.
    pub import_payment_pending: Option<bool>,
}

/// One setting changed by a [`SettingsPatch`]: its name, before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingChange {
    /// The setting's key, e.g. `sync_order_changes`.
    pub name: &'static str,
    /// Its value before.
    pub from: bool,
    /// Its value after.
    pub to: bool,
}

impl SettingsPatch {
    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.sync_order_changes.is_none() && self.import_payment_pending.is_none()
    }

    /// Applies the patch: the one place a scenario changes settings (the top-level
    /// `settings:` and the `settings` step). Returns each setting it names.
    pub fn apply(&self, settings: &mut Settings) -> Vec<SettingChange> {
        let mut out = Vec::new();
        for (name, patch, slot) in [
            (
                "sync_order_changes",
                self.sync_order_changes,
                &mut settings.sync_order_changes,
            ),
            (
                "import_payment_pending",
                self.import_payment_pending,
                &mut settings.import_payment_pending,
            ),
        ] {
            if let Some(to) = patch {
                out.push(SettingChange {
                    name,
                    from: *slot,
                    to,
                });
                *slot = to;
            }
        }
        out
    }
}

/// A `shopify.orders` entry: an order that exists before the first step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSetup {
    /// The order as Shopify creates it.
    pub order: NewOrder,
    /// Where the entry is written.
    pub loc: Loc,
}

/// A `katana.sales_orders` entry: the delivery status of one imported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySetup {
    /// The row (Shopify order and line item ids).
    pub row: RowRef,
    /// The row's delivery status.
    pub delivery: Delivery,
    /// Where the entry is written.
    pub loc: Loc,
}

/// A `katana.manufacturing_orders` entry: an MO that exists before the first step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoSetup {
    /// The MO id, e.g. `MO-1`.
    pub id: MoId,
    /// Linked to a row, or make-to-stock.
    pub kind: MoKind,
    /// The MO's status; defaults to `not_started`.
    pub status: MoStatus,
    /// Where the entry is written.
    pub loc: Loc,
}

/// How a set-up MO is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoKind {
    /// Linked to an SO row, taking its sku and quantity from the row.
    MakeToOrder(RowRef),
    /// Not linked, with its own sku and quantity.
    MakeToStock {
        /// The product's SKU.
        sku: String,
        /// The planned quantity.
        quantity: u32,
    },
}

/// A step with the location where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEntry {
    /// The step.
    pub step: Step,
    /// Where the step starts in the file.
    pub loc: Loc,
}
