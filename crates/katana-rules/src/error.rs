//! Why Katana refused a change or an action, in words a person understands.

use crate::types::{Delivery, LineId, MoId, OrderId, RowRef};

/// A refused change or user action. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KatanaError {
    /// No MO with that id.
    #[error("there is no MO {0}")]
    UnknownMo(MoId),
    /// The MO id is taken.
    #[error("MO {0} already exists; choose another id")]
    DuplicateMo(MoId),
    /// No SO for that Shopify order.
    #[error("there is no sales order for Shopify order {0} (not imported, or deleted)")]
    UnknownSalesOrder(OrderId),
    /// The SO has no such row.
    #[error("sales order {number} has no row for line {line}")]
    UnknownRow {
        /// SO number.
        number: String,
        /// Line id.
        line: LineId,
    },
    /// The row already has an MTO MO.
    #[error(
        "row {line} of sales order {number} already has make-to-order MO {mo}; a row has at most one"
    )]
    RowHasMo {
        /// SO number.
        number: String,
        /// Line id.
        line: LineId,
        /// The MO linked to it.
        mo: MoId,
    },
    /// The row exists already.
    #[error("sales order {number} already has a row for line {line}")]
    DuplicateRow {
        /// SO number.
        number: String,
        /// Line id.
        line: LineId,
    },
    /// Import of an order Katana imported before.
    #[error("Shopify order {0} was imported before; Katana never imports an order twice")]
    AlreadyImported(OrderId),
    /// A row or MO with quantity 0.
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    /// A user action on an MO without an open message.
    #[error("{mo} has no open message, so there is nothing to {action}")]
    NoOpenMessage {
        /// MO.
        mo: MoId,
        /// The action's name for a person.
        action: &'static str,
    },
    /// A user action that does not fit the open message.
    #[error("{mo}'s open message is \"{text}\"; {hint}")]
    WrongMessage {
        /// MO.
        mo: MoId,
        /// The open message's text.
        text: String,
        /// The actions that fit.
        hint: &'static str,
    },
    /// Update MO quantity when the former row is gone.
    #[error(
        "cannot update {mo}'s quantity: row {line} of sales order {number} no longer exists in Katana; keep the current quantity instead",
        line = row.line
    )]
    RowGone {
        /// MO.
        mo: MoId,
        /// The former row.
        row: RowRef,
        /// The SO number the message names.
        number: String,
    },
    /// Update MO quantity when the former row is packed or delivered.
    #[error(
        "cannot update {mo}'s quantity: row {line} of sales order {number} is {delivery}; keep the current quantity instead",
        line = row.line
    )]
    RowLocked {
        /// MO.
        mo: MoId,
        /// The former row.
        row: RowRef,
        /// The SO number.
        number: String,
        /// Its delivery status.
        delivery: Delivery,
    },
    /// Update MO quantity when another MO took the row.
    #[error(
        "cannot update {mo}'s quantity: row {line} of sales order {number} is now linked to {other}; keep the current quantity instead",
        line = row.line
    )]
    RowTaken {
        /// MO.
        mo: MoId,
        /// The former row.
        row: RowRef,
        /// The SO number.
        number: String,
        /// The MO now linked to it.
        other: MoId,
    },
}
