//! The typed scenario: what a valid file means, with the location of each setup item and step.

use std::collections::BTreeMap;
use std::path::PathBuf;

use katana_rules::{Delivery, Indicator, MoId, MoStatus, ProductionType, RowRef};
use shopify_model::{CancelReason, NewOrder, RestockType};

use super::diag::Loc;

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
    pub orders: Vec<NewOrder>,
    /// `katana.sales_orders`: delivery statuses of imported rows.
    pub deliveries: Vec<DeliverySetup>,
    /// `katana.manufacturing_orders`: the MOs that exist before the first step.
    pub mos: Vec<MoSetup>,
    /// The steps, in order.
    pub steps: Vec<StepEntry>,
}

/// Integration settings to change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SettingsPatch {
    /// Katana's "bring order changes from Shopify" option.
    pub sync_order_changes: Option<bool>,
    /// Also import orders whose payment is pending.
    pub import_payment_pending: Option<bool>,
}

impl SettingsPatch {
    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.sync_order_changes.is_none() && self.import_payment_pending.is_none()
    }
}

/// A `katana.sales_orders` entry: the delivery status of one imported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySetup {
    /// The Shopify order id.
    pub order: u64,
    /// The Shopify line item id.
    pub line: u64,
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

/// How a setup MO is made.
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

/// One line of a `refund` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLine {
    /// The line item id.
    pub line: u64,
    /// Units refunded.
    pub quantity: u32,
    /// What happens to the units' stock.
    pub restock: RestockType,
}

/// One step of a scenario: a Shopify action, a Katana action or a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Shopify order edit: set a line's quantity (0 removes the line).
    Edit {
        /// The order id.
        order: u64,
        /// The line item id.
        line: u64,
        /// The new quantity.
        quantity: u32,
    },
    /// Shopify order edit: add a new line.
    AddLine {
        /// The order id.
        order: u64,
        /// The new line item id.
        line: u64,
        /// The variant's SKU.
        sku: String,
        /// Units ordered.
        quantity: u32,
    },
    /// Shopify refund; no lines means a refund of money only.
    Refund {
        /// The order id.
        order: u64,
        /// The refunded lines.
        lines: Vec<RefundLine>,
    },
    /// Shopify cancel.
    Cancel {
        /// The order id.
        order: u64,
        /// The cancel reason, if given.
        reason: Option<CancelReason>,
        /// Whether to restock the items (default false).
        restock: bool,
    },
    /// Shopify archive (close).
    Archive {
        /// The order id.
        order: u64,
    },
    /// Shopify unarchive (open).
    Unarchive {
        /// The order id.
        order: u64,
    },
    /// Shopify delete.
    Delete {
        /// The order id.
        order: u64,
    },
    /// Shopify fulfilment of some units of a line.
    Fulfill {
        /// The order id.
        order: u64,
        /// The line item id.
        line: u64,
        /// Units fulfilled.
        quantity: u32,
    },
    /// A new Shopify order (imported if it qualifies).
    CreateOrder(NewOrder),
    /// Katana: change an MO's status.
    SetStatus {
        /// The MO.
        mo: MoId,
        /// The new status.
        status: MoStatus,
    },
    /// Katana: create a new MTO MO for a row.
    MakeToOrder {
        /// The new MO's id.
        mo: MoId,
        /// The order id.
        order: u64,
        /// The line item id.
        line: u64,
        /// The new MO's status, if given.
        status: Option<MoStatus>,
    },
    /// Katana: change a row's delivery status.
    SetDelivery {
        /// The order id.
        order: u64,
        /// The line item id.
        line: u64,
        /// The new delivery status.
        delivery: Delivery,
    },
    /// MO detail view: **Update MO quantity**.
    UpdateMoQuantity(MoId),
    /// MO detail view: **Keep current MO quantity**.
    KeepMoQuantity(MoId),
    /// MO detail view: **Close** a "deleted" message.
    Dismiss(MoId),
    /// Change integration settings.
    Settings(SettingsPatch),
    /// Check the state of MOs and SOs.
    Expect(Expectation),
    /// Check that a step is refused.
    ExpectError {
        /// The step that must be refused.
        step: Box<Step>,
        /// Text the error must contain, if given.
        contains: Option<String>,
    },
}

impl Step {
    /// The step's key in the file, e.g. `edit`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Edit { .. } => "edit",
            Self::AddLine { .. } => "add_line",
            Self::Refund { .. } => "refund",
            Self::Cancel { .. } => "cancel",
            Self::Archive { .. } => "archive",
            Self::Unarchive { .. } => "unarchive",
            Self::Delete { .. } => "delete",
            Self::Fulfill { .. } => "fulfill",
            Self::CreateOrder(_) => "create_order",
            Self::SetStatus { .. } => "set_status",
            Self::MakeToOrder { .. } => "make_to_order",
            Self::SetDelivery { .. } => "set_delivery",
            Self::UpdateMoQuantity(_) => "update_mo_quantity",
            Self::KeepMoQuantity(_) => "keep_mo_quantity",
            Self::Dismiss(_) => "dismiss",
            Self::Settings(_) => "settings",
            Self::Expect(_) => "expect",
            Self::ExpectError { .. } => "expect_error",
        }
    }
}

/// An `expect` step: fields of MOs and SOs that must hold; fields not named are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expectation {
    /// Checks per MO.
    pub mos: BTreeMap<MoId, MoExpect>,
    /// Checks per SO, keyed by Shopify order id (`sales_orders:`).
    pub sales_orders: BTreeMap<u64, SoExpect>,
}

/// What must hold for one MO; `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MoExpect {
    /// Production type (key `type`).
    pub production_type: Option<ProductionType>,
    /// Status.
    pub status: Option<MoStatus>,
    /// Planned quantity.
    pub quantity: Option<u32>,
    /// Link: `Some(None)` means "not linked" (`linked_to: null`).
    pub linked_to: Option<Option<RowRef>>,
    /// The Schedule's indicator.
    pub indicator: Option<Indicator>,
    /// Number of unlink messages, open or resolved.
    pub messages: Option<usize>,
    /// Whether the MO exists.
    pub exists: Option<bool>,
}

/// What must hold for one SO; `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoExpect {
    /// Whether the SO exists.
    pub exists: Option<bool>,
    /// The SO's rows exactly: line id → quantity.
    pub rows: Option<BTreeMap<u64, u32>>,
}
