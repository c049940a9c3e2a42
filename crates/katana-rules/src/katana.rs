//! The Katana state and every way it changes: SO changes from the sync (rules.md
//! §4–§5) and the user's actions (§7).
//!
//! Cost: an SO change touches its rows and the MOs linked to them through the
//! row's link, never a scan of all MOs, so its cost depends on what it affects, not
//! on how many MOs exist.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;

use crate::chosen;
use crate::effect::{Effect, fallback_number};
use crate::error::KatanaError;
use crate::model::{
    Message, MessageState, Mo, NewRow, Resolution, SalesOrder, SoRow, UnlinkReason,
};
use crate::types::{Delivery, LineId, MoId, MoStatus, OrderId, RowRef};
use crate::views::{Action, actions_for};

/// A change to sales orders, as the sync derives it from Shopify (rules.md §3–§4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoChange {
    /// Import a Shopify order as a new SO.
    Import {
        /// Shopify order id.
        order: OrderId,
        /// SO number (the Shopify order name).
        number: String,
        /// Rows, one per line with an effective quantity above 0.
        rows: Vec<NewRow>,
    },
    /// A row's quantity becomes `quantity` (at least 1: a line edited to 0 is a
    /// [`SoChange::DeleteRow`], as the sync decides in `katana_sync::chosen::row_quantity`).
    SetRowQuantity {
        /// Shopify order id.
        order: OrderId,
        /// Line id.
        line: LineId,
        /// New quantity.
        quantity: u32,
    },
    /// A new row, without an MO.
    AddRow {
        /// Shopify order id.
        order: OrderId,
        /// The row.
        row: NewRow,
    },
    /// A row is deleted.
    DeleteRow {
        /// Shopify order id.
        order: OrderId,
        /// Line id.
        line: LineId,
    },
    /// A row's line was completely fulfilled in Shopify: the row becomes delivered.
    MarkDelivered {
        /// Shopify order id.
        order: OrderId,
        /// Line id.
        line: LineId,
    },
    /// The SO is deleted (nothing if it is already gone).
    DeleteSo {
        /// Shopify order id.
        order: OrderId,
    },
    /// The order was not imported only because its payment is pending: Katana
    /// remembers it, to import it when the payment is captured (rules.md §3b).
    AwaitPayment {
        /// Shopify order id.
        order: OrderId,
    },
    /// The payment of an order Katana waited for was captured, but the order no
    /// longer qualifies for import: Katana stops waiting, and the order stays out
    /// for good (rules.md §3b).
    StopAwaitingPayment {
        /// Shopify order id.
        order: OrderId,
    },
}

/// An MO to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMo {
    /// Its id.
    pub id: MoId,
    /// Make-to-order for a row, or make-to-stock.
    pub kind: NewMoKind,
    /// Its status.
    pub status: MoStatus,
}

/// What an MO is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewMoKind {
    /// Make-to-order: sku and quantity come from the row.
    MakeToOrder(RowRef),
    /// Make-to-stock.
    MakeToStock {
        /// SKU.
        sku: String,
        /// Planned quantity.
        quantity: u32,
    },
}

/// Katana: every sales order and manufacturing order, and the orders ever imported.
#[derive(Debug, Clone, Default)]
pub struct Katana {
    sales_orders: HashMap<OrderId, SalesOrder>,
    /// In natural order of ids, the Schedule's.
    mos: BTreeMap<MoId, Mo>,
    imported: HashSet<OrderId>,
    awaiting_payment: HashSet<OrderId>,
}

impl Katana {
    /// An empty Katana.
    pub fn new() -> Self {
        Self::default()
    }

    /// The SO imported from a Shopify order, if it exists.
    pub fn sales_order(&self, order: OrderId) -> Option<&SalesOrder> {
        self.sales_orders.get(&order)
    }

    /// Every SO, by Shopify order id.
    pub fn sales_orders(&self) -> Vec<&SalesOrder> {
        let mut all: Vec<_> = self.sales_orders.values().collect();
        all.sort_by_key(|so| so.order);
        all
    }

    /// The MO with that id, if it exists.
    pub fn mo(&self, id: &MoId) -> Option<&Mo> {
        self.mos.get(id)
    }

    /// Every MO, in the Schedule's order (natural order of ids).
    pub fn mos(&self) -> Vec<&Mo> {
        self.mos.values().collect()
    }

    /// How many MOs exist.
    pub fn mo_count(&self) -> usize {
        self.mos.len()
    }

    /// True when the order was imported once, even if its SO is gone since.
    pub fn was_imported(&self, order: OrderId) -> bool {
        self.imported.contains(&order)
    }

    /// True when the order was skipped at its creation only because its payment
    /// was pending, and is not imported yet (rules.md §3b).
    pub fn awaits_payment(&self, order: OrderId) -> bool {
        self.awaiting_payment.contains(&order)
    }

    /// The row, if its SO and the row exist.
    pub fn row(&self, row: RowRef) -> Option<&SoRow> {
        self.sales_orders.get(&row.order)?.rows.get(&row.line)
    }

    /// Applies one SO change and its consequences for MOs (rules.md §4–§5).
    ///
    /// A change that Katana's rules skip (a packed or delivered row) is reported as
    /// [`Effect::Skipped`], not as an error. Errors mean the change does not fit the
    /// state (unknown SO or row), and nothing was changed.
    pub fn apply(&mut self, change: &SoChange, now: Timestamp) -> Result<Vec<Effect>, KatanaError> {
        let mut fx = Vec::new();
        match change {
            SoChange::Import {
                order,
                number,
                rows,
            } => self.import(*order, number, rows, &mut fx)?,
            SoChange::SetRowQuantity {
                order,
                line,
                quantity,
            } => {
                let row = RowRef {
                    order: *order,
                    line: *line,
                };
                self.set_row_quantity(row, *quantity, By::Shopify, now, &mut fx)?;
            }
            SoChange::AddRow { order, row } => self.add_row(*order, row, &mut fx)?,
            SoChange::DeleteRow { order, line } => {
                let row = RowRef {
                    order: *order,
                    line: *line,
                };
                self.delete_row(row, By::Shopify, now, &mut fx)?;
            }
            SoChange::MarkDelivered { order, line } => {
                let (number, row) = self.row_mut(*order, *line)?;
                if row.delivery != Delivery::Delivered {
                    fx.push(Effect::DeliveryChanged {
                        number,
                        line: *line,
                        from: row.delivery,
                        to: Delivery::Delivered,
                    });
                    row.delivery = Delivery::Delivered;
                }
            }
            SoChange::DeleteSo { order } => self.delete_so(*order, now, &mut fx),
            SoChange::AwaitPayment { order } => {
                if !self.imported.contains(order) {
                    self.awaiting_payment.insert(*order);
                }
            }
            SoChange::StopAwaitingPayment { order } => {
                self.awaiting_payment.remove(order);
            }
        }
        Ok(fx)
    }

    fn so_mut(&mut self, order: OrderId) -> Result<&mut SalesOrder, KatanaError> {
        self.sales_orders
            .get_mut(&order)
            .ok_or(KatanaError::UnknownSalesOrder(order))
    }

    /// The SO's number and the row, or why there is none.
    fn row_mut(
        &mut self,
        order: OrderId,
        line: LineId,
    ) -> Result<(String, &mut SoRow), KatanaError> {
        let so = self.so_mut(order)?;
        let number = so.number.clone();
        match so.rows.get_mut(&line) {
            Some(row) => Ok((number, row)),
            None => Err(KatanaError::UnknownRow { number, line }),
        }
    }

    fn import(
        &mut self,
        order: OrderId,
        number: &str,
        rows: &[NewRow],
        fx: &mut Vec<Effect>,
    ) -> Result<(), KatanaError> {
        if self.imported.contains(&order) {
            return Err(KatanaError::AlreadyImported(order));
        }
        let mut so = SalesOrder {
            order,
            number: number.to_string(),
            rows: Default::default(),
            synced: Default::default(),
        };
        for r in rows {
            if r.quantity == 0 {
                return Err(KatanaError::ZeroQuantity);
            }
            let row = SoRow {
                line: r.line,
                sku: r.sku.clone(),
                quantity: r.quantity,
                delivery: Delivery::NotShipped,
                mo: None,
            };
            if so.rows.insert(r.line, row).is_some() {
                return Err(KatanaError::DuplicateRow {
                    number: number.to_string(),
                    line: r.line,
                });
            }
            so.synced.insert(r.line, r.quantity);
        }
        fx.push(Effect::SoImported {
            number: number.to_string(),
            rows: so
                .rows
                .values()
                .map(|r| (r.line, r.sku.clone(), r.quantity))
                .collect(),
        });
        self.imported.insert(order);
        self.awaiting_payment.remove(&order);
        self.sales_orders.insert(order, so);
        Ok(())
    }

    /// rules.md §4: a line added in Shopify becomes a new row without an MO [chosen].
    fn add_row(
        &mut self,
        order: OrderId,
        new: &NewRow,
        fx: &mut Vec<Effect>,
    ) -> Result<(), KatanaError> {
        if new.quantity == 0 {
            return Err(KatanaError::ZeroQuantity);
        }
        let so = self.so_mut(order)?;
        if so.rows.contains_key(&new.line) {
            return Err(KatanaError::DuplicateRow {
                number: so.number.clone(),
                line: new.line,
            });
        }
        so.synced.insert(new.line, new.quantity);
        so.rows.insert(
            new.line,
            SoRow {
                line: new.line,
                sku: new.sku.clone(),
                quantity: new.quantity,
                delivery: Delivery::NotShipped,
                mo: None,
            },
        );
        fx.push(Effect::RowAdded {
            number: so.number.clone(),
            line: new.line,
            sku: new.sku.clone(),
            quantity: new.quantity,
        });
        Ok(())
    }

    /// A row's quantity becomes `to`, and its MO follows the rules of §5. The sync
    /// skips a packed or delivered row (§4); a user is refused (§4b). A change the
    /// sync makes records the Shopify quantity it brought (`SalesOrder::synced`).
    fn set_row_quantity(
        &mut self,
        row_ref: RowRef,
        to: u32,
        by: By,
        now: Timestamp,
        fx: &mut Vec<Effect>,
    ) -> Result<(), KatanaError> {
        let RowRef { order, line } = row_ref;
        if to == 0 {
            return Err(KatanaError::ZeroQuantity);
        }
        let (number, row) = self.row_mut(order, line)?;
        let from = row.quantity;
        let delivery = row.delivery;
        match by {
            By::Shopify if from != to && !chosen::shopify_may_change_row(delivery) => {
                fx.push(Effect::row_locked(
                    format!("SO {number} row {line}: quantity {from} → {to}"),
                    delivery,
                ));
                return Ok(());
            }
            By::Shopify => {
                self.so_mut(order)?.synced.insert(line, to);
            }
            By::User if delivery.is_locked() => {
                return Err(KatanaError::RowShipped {
                    number,
                    line,
                    delivery,
                    action: "editing it",
                });
            }
            By::User => {}
        }
        if from == to {
            return Ok(());
        }
        let (number, row) = self.row_mut(order, line)?;
        row.quantity = to;
        let linked = row.mo.clone();
        let sku = row.sku.clone();
        fx.push(Effect::RowQuantityChanged {
            number: number.clone(),
            line,
            from,
            to,
        });
        if let Some(mo_id) = linked {
            let mo = self
                .mos
                .get_mut(&mo_id)
                .expect("a row links only to an existing MO");
            if chosen::mo_follows_row(mo.status) {
                fx.push(Effect::MoQuantityChanged {
                    mo: mo_id.clone(),
                    from: mo.quantity,
                    to,
                });
                mo.quantity = to;
            } else {
                let reason = UnlinkReason::SoQuantityChanged { from, to };
                let seq = unlink(mo, row_ref, &number, &sku, reason, now);
                fx.push(Effect::MoUnlinked {
                    mo: mo_id,
                    reason,
                    message: seq,
                });
                self.clear_row_link(row_ref);
            }
        }
        Ok(())
    }

    fn clear_row_link(&mut self, row: RowRef) {
        if let Some(r) = self
            .sales_orders
            .get_mut(&row.order)
            .and_then(|so| so.rows.get_mut(&row.line))
        {
            r.mo = None;
        }
    }

    /// A row is deleted, its MO follows §5, and an SO without rows is deleted. The
    /// sync skips a packed or delivered row (§4) and records that the line is gone
    /// in Shopify; a user is refused (§4b).
    fn delete_row(
        &mut self,
        row_ref: RowRef,
        by: By,
        now: Timestamp,
        fx: &mut Vec<Effect>,
    ) -> Result<(), KatanaError> {
        let RowRef { order, line } = row_ref;
        let (number, row) = self.row_mut(order, line)?;
        let delivery = row.delivery;
        match by {
            By::Shopify if !chosen::shopify_may_change_row(delivery) => {
                fx.push(Effect::row_locked(
                    format!("SO {number} row {line}: delete"),
                    delivery,
                ));
                return Ok(());
            }
            By::User if delivery.is_locked() => {
                return Err(KatanaError::RowShipped {
                    number,
                    line,
                    delivery,
                    action: "deleting it",
                });
            }
            By::Shopify | By::User => {}
        }
        let so = self.so_mut(order)?;
        if by == By::Shopify {
            so.synced.insert(line, 0);
        }
        let row = so.rows.remove(&line).expect("row_mut found it");
        let last = so.rows.is_empty();
        fx.push(Effect::RowDeleted {
            number: number.clone(),
            line,
        });
        self.row_gone(row_ref, &row, &number, false, now, fx);
        if last && chosen::delete_so_without_rows() {
            self.sales_orders.remove(&order);
            fx.push(Effect::SoDeleted { number });
        }
        Ok(())
    }

    /// rules.md §5, last column: the MO of a deleted row (or of a deleted SO's row).
    fn row_gone(
        &mut self,
        row_ref: RowRef,
        row: &SoRow,
        number: &str,
        whole_order: bool,
        now: Timestamp,
        fx: &mut Vec<Effect>,
    ) {
        let Some(mo_id) = &row.mo else { return };
        let Some(mo) = self.mos.get_mut(mo_id) else {
            return;
        };
        if chosen::mo_follows_row(mo.status) {
            self.mos.remove(mo_id);
            fx.push(Effect::MoDeleted { mo: mo_id.clone() });
        } else {
            let reason = UnlinkReason::SoDeleted { whole_order };
            let seq = unlink(mo, row_ref, number, &row.sku, reason, now);
            fx.push(Effect::MoUnlinked {
                mo: mo_id.clone(),
                reason,
                message: seq,
            });
        }
    }

    fn delete_so(&mut self, order: OrderId, now: Timestamp, fx: &mut Vec<Effect>) {
        let Some(so) = self.sales_orders.get(&order) else {
            fx.push(Effect::Skipped {
                what: format!("delete SO {}", fallback_number(order)),
                reason: "it is already gone".to_string(),
            });
            return;
        };
        if let Some(locked) = so
            .rows
            .values()
            .find(|r| !chosen::shopify_may_change_row(r.delivery))
        {
            fx.push(Effect::Skipped {
                what: format!("delete SO {}", so.number),
                reason: format!(
                    "row {} is {}; an SO with a packed or delivered row is never deleted by a Shopify change",
                    locked.line, locked.delivery
                ),
            });
            return;
        }
        self.remove_so(order, now, fx);
    }

    /// Removes an SO; the MO of each row follows §5 (the order stays imported).
    fn remove_so(&mut self, order: OrderId, now: Timestamp, fx: &mut Vec<Effect>) {
        let Some(so) = self.sales_orders.remove(&order) else {
            return;
        };
        fx.push(Effect::SoDeleted {
            number: so.number.clone(),
        });
        for row in so.rows.values() {
            self.row_gone(
                RowRef {
                    order,
                    line: row.line,
                },
                row,
                &so.number,
                true,
                now,
                fx,
            );
        }
    }

    /// A user edits a row's quantity in Katana (rules.md §4b); its MO follows §5.
    /// Refused for a packed or delivered row. The next Shopify change of that line
    /// overwrites it (`katana_sync::chosen::shopify_line_changed`).
    pub fn user_edit_row(
        &mut self,
        row: RowRef,
        quantity: u32,
        now: Timestamp,
    ) -> Result<Vec<Effect>, KatanaError> {
        let mut fx = Vec::new();
        self.set_row_quantity(row, quantity, By::User, now, &mut fx)?;
        Ok(fx)
    }

    /// A user deletes a row in Katana (rules.md §4b); its MO follows §5, and an SO
    /// without rows is deleted. Refused for a packed or delivered row.
    pub fn user_delete_row(
        &mut self,
        row: RowRef,
        now: Timestamp,
    ) -> Result<Vec<Effect>, KatanaError> {
        let mut fx = Vec::new();
        self.delete_row(row, By::User, now, &mut fx)?;
        Ok(fx)
    }

    /// A user deletes a sales order in Katana (rules.md §4b); the MO of each row
    /// follows §5 and the order is never imported again. Refused while a row is
    /// packed or delivered.
    pub fn user_delete_so(
        &mut self,
        order: OrderId,
        now: Timestamp,
    ) -> Result<Vec<Effect>, KatanaError> {
        let so = self
            .sales_order(order)
            .ok_or(KatanaError::UnknownSalesOrder(order))?;
        if let Some(locked) = so.rows.values().find(|r| r.delivery.is_locked()) {
            return Err(KatanaError::RowShipped {
                number: so.number.clone(),
                line: locked.line,
                delivery: locked.delivery,
                action: "deleting the sales order",
            });
        }
        let mut fx = Vec::new();
        self.remove_so(order, now, &mut fx);
        Ok(fx)
    }

    /// Creates an MO: make-to-order for an existing row without an MO, or make-to-stock.
    pub fn create_mo(&mut self, new: &NewMo) -> Result<Vec<Effect>, KatanaError> {
        if self.mos.contains_key(&new.id) {
            return Err(KatanaError::DuplicateMo(new.id.clone()));
        }
        let mo = match &new.kind {
            NewMoKind::MakeToStock { sku, quantity } => {
                if *quantity == 0 {
                    return Err(KatanaError::ZeroQuantity);
                }
                Mo {
                    id: new.id.clone(),
                    sku: sku.clone(),
                    quantity: *quantity,
                    status: new.status,
                    link: None,
                    messages: Vec::new(),
                }
            }
            NewMoKind::MakeToOrder(row_ref) => {
                let (number, row) = self.row_mut(row_ref.order, row_ref.line)?;
                if let Some(other) = &row.mo {
                    return Err(KatanaError::RowHasMo {
                        number,
                        line: row_ref.line,
                        mo: other.clone(),
                    });
                }
                row.mo = Some(new.id.clone());
                Mo {
                    id: new.id.clone(),
                    sku: row.sku.clone(),
                    quantity: row.quantity,
                    status: new.status,
                    link: Some(*row_ref),
                    messages: Vec::new(),
                }
            }
        };
        let effect = Effect::MoCreated {
            mo: mo.id.clone(),
            link: mo.link,
            quantity: mo.quantity,
            status: mo.status,
        };
        self.mos.insert(mo.id.clone(), mo);
        Ok(vec![effect])
    }

    /// Sets an MO's status (the user moving it through production).
    pub fn set_status(&mut self, id: &MoId, status: MoStatus) -> Result<Vec<Effect>, KatanaError> {
        let mo = self
            .mos
            .get_mut(id)
            .ok_or_else(|| KatanaError::UnknownMo(id.clone()))?;
        if mo.status == status {
            return Ok(Vec::new());
        }
        let from = mo.status;
        mo.status = status;
        Ok(vec![Effect::MoStatusChanged {
            mo: id.clone(),
            from,
            to: status,
        }])
    }

    /// Sets a row's delivery status (the user packing or delivering in Katana).
    pub fn set_delivery(
        &mut self,
        row: RowRef,
        delivery: Delivery,
    ) -> Result<Vec<Effect>, KatanaError> {
        let (number, r) = self.row_mut(row.order, row.line)?;
        if r.delivery == delivery {
            return Ok(Vec::new());
        }
        let from = r.delivery;
        r.delivery = delivery;
        Ok(vec![Effect::DeliveryChanged {
            number,
            line: row.line,
            from,
            to: delivery,
        }])
    }

    /// **Update MO quantity** (rules.md §7): re-links the MO to its former row with
    /// the row's quantity now and resolves the message `updated`.
    pub fn update_mo_quantity(
        &mut self,
        id: &MoId,
        now: Timestamp,
    ) -> Result<Vec<Effect>, KatanaError> {
        let mo = self
            .mos
            .get(id)
            .ok_or_else(|| KatanaError::UnknownMo(id.clone()))?;
        let msg = open_message_for(mo, Action::UpdateMoQuantity)?;
        let row_ref = msg.row;
        let seq = msg.seq;
        let UnlinkReason::SoQuantityChanged {
            to: to_in_message, ..
        } = msg.reason
        else {
            // open_message_for lets only a quantity message through for this action.
            return Err(KatanaError::NoOpenMessage {
                mo: id.clone(),
                action: Action::UpdateMoQuantity.verb(),
            });
        };
        let number = msg.so_number.clone();
        let Some(row) = self.row(row_ref) else {
            return Err(KatanaError::RowGone {
                mo: id.clone(),
                row: row_ref,
                number,
            });
        };
        // rules.md §7 [doc]: a packed or delivered row takes no MO back (Katana's
        // own rule, not the [chosen] one about Shopify changes).
        if row.delivery.is_locked() {
            return Err(KatanaError::RowLocked {
                mo: id.clone(),
                row: row_ref,
                number,
                delivery: row.delivery,
            });
        }
        if let Some(other) = &row.mo {
            return Err(KatanaError::RowTaken {
                mo: id.clone(),
                row: row_ref,
                number,
                other: other.clone(),
            });
        }
        let quantity = chosen::relink_quantity(row.quantity, to_in_message);
        // All checks passed: change the MO and the row together.
        let mo = self.mos.get_mut(id).expect("checked above");
        let from = mo.quantity;
        mo.quantity = quantity;
        mo.link = Some(row_ref);
        resolve(mo, seq, Resolution::Updated, now);
        self.sales_orders
            .get_mut(&row_ref.order)
            .and_then(|so| so.rows.get_mut(&row_ref.line))
            .expect("checked above")
            .mo = Some(id.clone());
        Ok(vec![
            Effect::MoRelinked {
                mo: id.clone(),
                row: row_ref,
                from,
                to: quantity,
            },
            Effect::MessageResolved {
                mo: id.clone(),
                message: seq,
                resolution: Resolution::Updated,
            },
        ])
    }

    /// **Keep current MO quantity** (rules.md §7): resolves the message `kept`; the MO stays make-to-stock.
    pub fn keep_mo_quantity(
        &mut self,
        id: &MoId,
        now: Timestamp,
    ) -> Result<Vec<Effect>, KatanaError> {
        self.resolve_only(id, Action::KeepMoQuantity, Resolution::Kept, now)
    }

    /// **Close** on a deletion message (rules.md §7): resolves it `acknowledged`.
    pub fn dismiss(&mut self, id: &MoId, now: Timestamp) -> Result<Vec<Effect>, KatanaError> {
        self.resolve_only(id, Action::Dismiss, Resolution::Acknowledged, now)
    }

    fn resolve_only(
        &mut self,
        id: &MoId,
        action: Action,
        resolution: Resolution,
        now: Timestamp,
    ) -> Result<Vec<Effect>, KatanaError> {
        let mo = self
            .mos
            .get_mut(id)
            .ok_or_else(|| KatanaError::UnknownMo(id.clone()))?;
        let seq = open_message_for(mo, action)?.seq;
        resolve(mo, seq, resolution, now);
        Ok(vec![Effect::MessageResolved {
            mo: id.clone(),
            message: seq,
            resolution,
        }])
    }
}

/// Who changes a row: the sync bringing a Shopify change (§4), or a user in
/// Katana (§4b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Shopify,
    User,
}

/// The open message `action` resolves, or why the action is refused. Which action
/// fits which message is [`actions_for`]'s to say, here as on the banner.
fn open_message_for(mo: &Mo, action: Action) -> Result<&Message, KatanaError> {
    let msg = mo
        .open_message()
        .ok_or_else(|| KatanaError::NoOpenMessage {
            mo: mo.id.clone(),
            action: action.verb(),
        })?;
    let fits = actions_for(msg);
    if fits.contains(&action) {
        return Ok(msg);
    }
    let names: Vec<String> = fits
        .iter()
        .map(|a| format!("{} ({})", a.step(), a.label()))
        .collect();
    let hint = match names.as_slice() {
        [only] => format!("its only action is {only}"),
        [init @ .., last] => format!("its actions are {} and {last}", init.join(", ")),
        [] => "it has no action".to_string(),
    };
    Err(KatanaError::WrongMessage {
        mo: mo.id.clone(),
        text: msg.text(),
        hint,
    })
}

/// Unlinks an MTO MO, turning it make-to-stock, and appends an open message.
/// Returns the message's number.
fn unlink(
    mo: &mut Mo,
    row: RowRef,
    number: &str,
    sku: &str,
    reason: UnlinkReason,
    now: Timestamp,
) -> u32 {
    mo.link = None;
    let seq = u32::try_from(mo.messages.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    mo.messages.push(Message {
        seq,
        at: now,
        so_number: number.to_string(),
        row,
        sku: sku.to_string(),
        reason,
        state: MessageState::Open,
    });
    seq
}

fn resolve(mo: &mut Mo, seq: u32, resolution: Resolution, now: Timestamp) {
    if let Some(m) = mo.messages.iter_mut().find(|m| m.seq == seq) {
        m.state = MessageState::Resolved {
            resolution,
            at: now,
        };
    }
}
