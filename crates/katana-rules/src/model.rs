//! Katana's records: sales orders with their rows, manufacturing orders with their
//! unlink messages.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::types::{Delivery, Indicator, LineId, MoId, MoStatus, OrderId, ProductionType, RowRef};

/// A Katana sales order imported from one Shopify order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrder {
    /// The hidden Shopify order id.
    pub order: OrderId,
    /// The SO number: the Shopify order name, e.g. `#1001`.
    pub number: String,
    /// One row per Shopify line item with an effective quantity above 0, by line id.
    pub rows: BTreeMap<LineId, SoRow>,
    /// For each Shopify line the sync has brought into this SO, the quantity it
    /// brought last (0 once the line was removed). A row edited or deleted in Katana
    /// keeps its entry, so the sync can tell a change of that line in Shopify from
    /// a difference a user made in Katana (rules.md §4b).
    pub synced: BTreeMap<LineId, u32>,
}

/// One row of a sales order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoRow {
    /// The Shopify line item id.
    pub line: LineId,
    /// The product's SKU.
    pub sku: String,
    /// Units sold.
    pub quantity: u32,
    /// Delivery status.
    pub delivery: Delivery,
    /// The make-to-order MO linked to this row, if any (at most one).
    pub mo: Option<MoId>,
}

/// A row as it is imported or added: no delivery status yet, no MO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRow {
    /// The Shopify line item id.
    pub line: LineId,
    /// The product's SKU.
    pub sku: String,
    /// Units sold (> 0).
    pub quantity: u32,
}

/// A manufacturing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mo {
    /// The MO id.
    pub id: MoId,
    /// The product made.
    pub sku: String,
    /// Planned quantity.
    pub quantity: u32,
    /// Production status.
    pub status: MoStatus,
    /// The SO row it is made for (make-to-order), or `None` (make-to-stock).
    pub link: Option<RowRef>,
    /// Every unlink message, oldest first; never removed.
    pub messages: Vec<Message>,
}

impl Mo {
    /// Make-to-order when linked to a row, make-to-stock otherwise.
    pub fn production_type(&self) -> ProductionType {
        if self.link.is_some() {
            ProductionType::MakeToOrder
        } else {
            ProductionType::MakeToStock
        }
    }

    /// The open message, if any (there is at most one).
    pub fn open_message(&self) -> Option<&Message> {
        self.messages.iter().rev().find(|m| m.is_open())
    }

    /// The amber indicator the Schedule shows for this MO.
    pub fn indicator(&self) -> Indicator {
        match self.open_message() {
            None => Indicator::None,
            Some(m) => m.reason.indicator(),
        }
    }
}

/// A message appended to an MO when a Shopify change unlinks it (rules.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// 1 for the MO's first message, then 2, 3, …
    pub seq: u32,
    /// Simulated time of the unlink.
    pub at: Timestamp,
    /// The SO number, e.g. `#1001`.
    pub so_number: String,
    /// The row the MO was linked to.
    pub row: RowRef,
    /// The row's SKU.
    pub sku: String,
    /// Why the MO was unlinked.
    pub reason: UnlinkReason,
    /// Open, or resolved by a user action.
    pub state: MessageState,
}

impl Message {
    /// True while the message waits for the user.
    pub fn is_open(&self) -> bool {
        matches!(self.state, MessageState::Open)
    }

    /// The hover text of the Schedule's amber indicator and the MO detail view's banner.
    pub fn text(&self) -> String {
        match self.reason {
            UnlinkReason::SoQuantityChanged { from, to } => format!(
                "Sales order {} quantity changed from {from} to {to}",
                self.so_number
            ),
            UnlinkReason::SoDeleted { whole_order: true } => {
                format!("Sales order {} was deleted", self.so_number)
            }
            UnlinkReason::SoDeleted { whole_order: false } => format!(
                "Sales order {} row {} ({}) was deleted",
                self.so_number, self.row.line, self.sku
            ),
        }
    }
}

/// Why an MO was unlinked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlinkReason {
    /// The row's quantity changed while the MO was past not started.
    SoQuantityChanged {
        /// Row quantity before.
        from: u32,
        /// Row quantity after.
        to: u32,
    },
    /// The SO, or only the MO's row, was deleted.
    SoDeleted {
        /// True when the whole SO went, false when only the row did.
        whole_order: bool,
    },
}

impl UnlinkReason {
    /// The indicator an open message with this reason shows.
    pub fn indicator(self) -> Indicator {
        match self {
            Self::SoQuantityChanged { .. } => Indicator::SoQuantityChanged,
            Self::SoDeleted { .. } => Indicator::SoDeleted,
        }
    }

    /// The reason's name in snapshots: `so_quantity_changed` or `so_deleted`.
    pub fn as_str(self) -> &'static str {
        self.indicator().as_str()
    }
}

/// Whether a message still waits for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Waiting: the amber indicator shows.
    Open,
    /// Resolved by a user action at a simulated time.
    Resolved {
        /// The action that resolved it.
        resolution: Resolution,
        /// When.
        at: Timestamp,
    },
}

/// How the user resolved a message (rules.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// **Update MO quantity**: re-linked to the row with its quantity now.
    Updated,
    /// **Keep current MO quantity**: stays make-to-stock.
    Kept,
    /// **Close**: the deletion was acknowledged.
    Acknowledged,
}

impl Resolution {
    /// The name used in snapshots.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Updated => "updated",
            Self::Kept => "kept",
            Self::Acknowledged => "acknowledged",
        }
    }
}
