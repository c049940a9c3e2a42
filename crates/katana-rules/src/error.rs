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
        /// The actions that fit, e.g. "its only action is dismiss (Close)".
        hint: String,
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
    /// A user edit or deletion of a packed or delivered row, or of an SO with one
    /// (rules.md §4b).
    #[error(
        "row {line} of sales order {number} is {delivery}; set it back to not_shipped before {action}"
    )]
    RowShipped {
        /// SO number.
        number: String,
        /// Line id.
        line: LineId,
        /// Its delivery status.
        delivery: Delivery,
        /// What was attempted, e.g. "editing it".
        action: &'static str,
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

impl KatanaError {
    /// The refusal's stable name, the `kind` a scenario's `expect_error` names
    /// (listed with their meanings in [`KatanaError::CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownMo(_) => "mo_not_found",
            Self::DuplicateMo(_) => "mo_exists",
            Self::UnknownSalesOrder(_) => "so_not_found",
            Self::UnknownRow { .. } => "row_not_found",
            Self::RowHasMo { .. } => "row_has_mo",
            Self::DuplicateRow { .. } => "row_exists",
            Self::AlreadyImported(_) => "already_imported",
            Self::ZeroQuantity => "zero_quantity",
            Self::NoOpenMessage { .. } => "no_open_message",
            Self::WrongMessage { .. } => "wrong_action",
            Self::RowGone { .. } => "row_gone",
            Self::RowLocked {
                delivery: Delivery::Delivered,
                ..
            }
            | Self::RowShipped {
                delivery: Delivery::Delivered,
                ..
            } => "row_delivered",
            Self::RowLocked { .. } | Self::RowShipped { .. } => "row_packed",
            Self::RowTaken { .. } => "row_taken",
        }
    }

    /// Every code [`KatanaError::code`] gives, once, with what it means.
    pub const CODES: &'static [(&'static str, &'static str)] = &[
        ("mo_not_found", "no MO has this id"),
        ("mo_exists", "an MO with this id exists already"),
        (
            "so_not_found",
            "the Shopify order has no sales order in Katana (never imported, or deleted)",
        ),
        ("row_not_found", "the sales order has no row for this line"),
        (
            "row_has_mo",
            "the row already has its make-to-order MO (a row has at most one)",
        ),
        (
            "row_exists",
            "the sales order already has a row for this line",
        ),
        (
            "already_imported",
            "the Shopify order was imported before; Katana never imports an order twice",
        ),
        (
            "zero_quantity",
            "a row or MO needs a quantity of at least 1",
        ),
        (
            "no_open_message",
            "the MO has no open message, so there is nothing to act on",
        ),
        (
            "wrong_action",
            "the action does not fit the MO's open message (see its banner's buttons)",
        ),
        (
            "row_gone",
            "Update MO quantity: the MO's former row no longer exists",
        ),
        (
            "row_packed",
            "the row is packed: a user cannot edit or delete it (nor its SO), and Update MO quantity cannot re-link to it",
        ),
        (
            "row_delivered",
            "the row is delivered: a user cannot edit or delete it (nor its SO), and Update MO quantity cannot re-link to it",
        ),
        (
            "row_taken",
            "Update MO quantity: another MO is now linked to the former row",
        ),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        let row = RowRef { order: 1, line: 2 };
        let mo = MoId::new("MO-1");
        let all = [
            KatanaError::UnknownMo(mo.clone()),
            KatanaError::DuplicateMo(mo.clone()),
            KatanaError::UnknownSalesOrder(1),
            KatanaError::UnknownRow {
                number: "#1".into(),
                line: 2,
            },
            KatanaError::RowHasMo {
                number: "#1".into(),
                line: 2,
                mo: mo.clone(),
            },
            KatanaError::DuplicateRow {
                number: "#1".into(),
                line: 2,
            },
            KatanaError::AlreadyImported(1),
            KatanaError::ZeroQuantity,
            KatanaError::NoOpenMessage {
                mo: mo.clone(),
                action: "x",
            },
            KatanaError::WrongMessage {
                mo: mo.clone(),
                text: "t".into(),
                hint: "h".into(),
            },
            KatanaError::RowGone {
                mo: mo.clone(),
                row,
                number: "#1".into(),
            },
            KatanaError::RowLocked {
                mo: mo.clone(),
                row,
                number: "#1".into(),
                delivery: Delivery::Packed,
            },
            KatanaError::RowLocked {
                mo: mo.clone(),
                row,
                number: "#1".into(),
                delivery: Delivery::Delivered,
            },
            KatanaError::RowShipped {
                number: "#1".into(),
                line: 2,
                delivery: Delivery::Packed,
                action: "editing it",
            },
            KatanaError::RowTaken {
                mo: mo.clone(),
                row,
                number: "#1".into(),
                other: mo,
            },
        ];
        let codes: Vec<&str> = all.iter().map(KatanaError::code).collect();
        let listed: Vec<&str> = KatanaError::CODES.iter().map(|(c, _)| *c).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), listed.len(), "a code is listed twice");
        for c in &codes {
            assert!(listed.contains(c), "{c} is not in CODES");
        }
        for c in &listed {
            assert!(codes.contains(c), "{c} is in CODES but no error has it");
        }
    }
}
