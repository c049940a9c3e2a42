//! What a change did, one record each: the trace a scenario's snapshot shows.

use std::fmt;

use crate::model::{Resolution, UnlinkReason};
use crate::types::{Delivery, LineId, MoId, MoStatus, OrderId, RowRef};

/// One thing that a change did to Katana's records, or chose not to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A Shopify order became a sales order.
    SoImported {
        /// SO number.
        number: String,
        /// `(line, sku, quantity)` of each row.
        rows: Vec<(LineId, String, u32)>,
    },
    /// A row's quantity changed.
    RowQuantityChanged {
        /// SO number.
        number: String,
        /// Row.
        line: LineId,
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// A row was added.
    RowAdded {
        /// SO number.
        number: String,
        /// Row.
        line: LineId,
        /// SKU.
        sku: String,
        /// Quantity.
        quantity: u32,
    },
    /// A row was deleted.
    RowDeleted {
        /// SO number.
        number: String,
        /// Row.
        line: LineId,
    },
    /// A row's delivery status changed.
    DeliveryChanged {
        /// SO number.
        number: String,
        /// Row.
        line: LineId,
        /// Before.
        from: Delivery,
        /// After.
        to: Delivery,
    },
    /// A sales order was deleted.
    SoDeleted {
        /// SO number.
        number: String,
    },
    /// An MO was created.
    MoCreated {
        /// MO.
        mo: MoId,
        /// Its row, when make-to-order.
        link: Option<RowRef>,
        /// Planned quantity.
        quantity: u32,
        /// Status.
        status: MoStatus,
    },
    /// A not-started MTO MO followed its row's quantity.
    MoQuantityChanged {
        /// MO.
        mo: MoId,
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// A not-started MTO MO was deleted with its row.
    MoDeleted {
        /// MO.
        mo: MoId,
    },
    /// An MTO MO was unlinked, turned make-to-stock, and given a message.
    MoUnlinked {
        /// MO.
        mo: MoId,
        /// Why.
        reason: UnlinkReason,
        /// The new message's number.
        message: u32,
    },
    /// An MO's status changed.
    MoStatusChanged {
        /// MO.
        mo: MoId,
        /// Before.
        from: MoStatus,
        /// After.
        to: MoStatus,
    },
    /// An MO was linked to its former row again (Update MO quantity).
    MoRelinked {
        /// MO.
        mo: MoId,
        /// Row.
        row: RowRef,
        /// Quantity before.
        from: u32,
        /// Quantity after: the row's quantity now.
        to: u32,
    },
    /// A message was resolved by a user action.
    MessageResolved {
        /// MO.
        mo: MoId,
        /// Message number.
        message: u32,
        /// How.
        resolution: Resolution,
    },
    /// A change was not applied, and why.
    Skipped {
        /// What was not done.
        what: String,
        /// Why, for a person.
        reason: String,
    },
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::SoImported { number, rows } => {
                write!(f, "SO {number} imported with rows ")?;
                if rows.is_empty() {
                    return f.write_str("(none)");
                }
                for (i, (line, sku, q)) in rows.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{line} {sku}×{q}")?;
                }
                Ok(())
            }
            Effect::RowQuantityChanged {
                number,
                line,
                from,
                to,
            } => {
                write!(f, "SO {number} row {line}: quantity {from} → {to}")
            }
            Effect::RowAdded {
                number,
                line,
                sku,
                quantity,
            } => {
                write!(f, "SO {number} row {line} added: {sku}×{quantity}, no MO")
            }
            Effect::RowDeleted { number, line } => write!(f, "SO {number} row {line} deleted"),
            Effect::DeliveryChanged {
                number,
                line,
                from,
                to,
            } => {
                write!(f, "SO {number} row {line}: delivery {from} → {to}")
            }
            Effect::SoDeleted { number } => write!(f, "SO {number} deleted"),
            Effect::MoCreated {
                mo,
                link,
                quantity,
                status,
            } => match link {
                Some(row) => write!(
                    f,
                    "{mo} created: make-to-order for {row}, quantity {quantity}, {status}"
                ),
                None => write!(
                    f,
                    "{mo} created: make-to-stock, quantity {quantity}, {status}"
                ),
            },
            Effect::MoQuantityChanged { mo, from, to } => {
                write!(
                    f,
                    "{mo}: quantity {from} → {to} (not started, follows its row; no message)"
                )
            }
            Effect::MoDeleted { mo } => write!(f, "{mo} deleted (not started, its row is gone)"),
            Effect::MoUnlinked {
                mo,
                reason,
                message,
            } => {
                write!(f, "{mo} unlinked → make-to-stock; message {message} open: ")?;
                match reason {
                    UnlinkReason::SoQuantityChanged { from, to } => {
                        write!(f, "so_quantity_changed {from} → {to}")
                    }
                    UnlinkReason::SoDeleted { whole_order: true } => {
                        f.write_str("so_deleted (sales order)")
                    }
                    UnlinkReason::SoDeleted { whole_order: false } => {
                        f.write_str("so_deleted (row)")
                    }
                }
            }
            Effect::MoStatusChanged { mo, from, to } => write!(f, "{mo}: status {from} → {to}"),
            Effect::MoRelinked { mo, row, from, to } => {
                write!(
                    f,
                    "{mo} linked again to {row} → make-to-order; quantity {from} → {to}"
                )
            }
            Effect::MessageResolved {
                mo,
                message,
                resolution,
            } => {
                write!(
                    f,
                    "{mo}: message {message} resolved ({})",
                    resolution.as_str()
                )
            }
            Effect::Skipped { what, reason } => write!(f, "skipped: {what}: {reason}"),
        }
    }
}

impl Effect {
    /// A Shopify change not applied to a packed or delivered row (rules.md §4): the
    /// one wording of that skip.
    pub(crate) fn row_locked(what: String, delivery: Delivery) -> Self {
        Effect::Skipped {
            what,
            reason: format!(
                "the row is {delivery}; Shopify changes never touch a packed or delivered row"
            ),
        }
    }
}

/// The SO number used in effects for an order whose SO is gone or unknown.
pub(crate) fn fallback_number(order: OrderId) -> String {
    format!("#{order}")
}
