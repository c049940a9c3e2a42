//! Invariants checked after every step of every run — `katana-sim run`, `cargo
//! test` of the suite, and `explore` — so they guard every scenario, hand-written
//! or generated. Each is stated from rules.md, independently of the code that
//! applies the rules: a violation names the invariant, the step and the objects.

use std::collections::BTreeSet;
use std::fmt;

use katana_rules::{Katana, MessageState, MoId, MoStatus, OrderId};
use shopify_model::Order;

/// The invariants, by name, as a violation names them.
pub const INVARIANTS: [(&str, &str); 11] = [
    (
        "mts_untouched",
        "a make-to-stock MO is never changed by an SO change (only by an action on it)",
    ),
    (
        "link_points_at_row",
        "a linked MO points at an existing row, and the row points back at it",
    ),
    (
        "not_started_follows_row",
        "a not-started linked MO's quantity equals its row's",
    ),
    ("one_mo_per_row", "a row has at most one MO"),
    ("one_open_message", "an MO has at most one open message"),
    (
        "indicator_iff_open",
        "the amber indicator shows iff a message is open, and the \"unlinked\" filter is exactly those MOs",
    ),
    (
        "messages_kept",
        "messages are never removed or reordered, and a resolved one stays resolved",
    ),
    (
        "locked_rows_kept",
        "a Shopify change never changes a packed or delivered row (but to deliver a packed one) nor deletes an SO holding one",
    ),
    (
        "never_reimported",
        "an SO, once deleted, is never imported again",
    ),
    (
        "imported_only_when_allowed",
        "an SO appears only when its order is created, or when an order waiting for its payment is paid",
    ),
    (
        "rows_follow_shopify",
        "after a sync of an order while order changes sync is on, its SO's rows are what the rules derive from the Shopify order",
    ),
];

/// An invariant that does not hold after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's name (see [`INVARIANTS`]).
    pub invariant: &'static str,
    /// What does not hold, naming the objects.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} broken: {}", self.invariant, self.detail)
    }
}

/// What a step was, as the invariants need to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind<'a> {
    /// The set-up.
    Setup,
    /// A Shopify change of `order`; `synced` when it reached Katana with order
    /// changes sync on (Katana now reflects the whole difference), with the
    /// Shopify order as it is now (`None` once deleted).
    Shopify {
        /// The order.
        order: OrderId,
        /// True when the change brought a sync with order changes sync on.
        synced: bool,
        /// The order in Shopify now.
        now: Option<&'a Order>,
        /// Whether the change may import the order.
        import: Import,
    },
    /// A user action on one MO (it may change that MO).
    OnMo(&'a MoId),
    /// A user change of an SO in Katana (rows edited or deleted).
    OnSalesOrder(OrderId),
    /// Anything else that may not touch an MTS MO (settings, deliveries, checks).
    Other,
}

/// Which Shopify changes may import an order (rules.md §3, §3b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Import {
    /// The order's creation.
    Creation,
    /// A payment captured: imports an order that was waiting for it.
    Payment,
    /// Any other change: never imports.
    Never,
}

/// The invariants' memory across the steps of one run.
#[derive(Debug, Clone, Default)]
pub struct Invariants {
    /// Orders whose SO a user changed in Katana: their rows may differ from Shopify.
    edited_in_katana: BTreeSet<OrderId>,
}

impl Invariants {
    /// A fresh run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks every invariant after a step that took Katana from `before` to `after`.
    pub fn check(
        &mut self,
        kind: StepKind<'_>,
        before: &Katana,
        after: &Katana,
    ) -> Result<(), Violation> {
        if let StepKind::OnSalesOrder(order) = kind {
            self.edited_in_katana.insert(order);
        }
        structure(after)?;
        transitions(kind, before, after)?;
        if let StepKind::Shopify {
            order,
            synced: true,
            now,
            ..
        } = kind
            && !self.edited_in_katana.contains(&order)
        {
            rows_follow_shopify(order, now, after)?;
        }
        Ok(())
    }
}

fn broken(invariant: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { invariant, detail })
}

/// What holds in any state.
fn structure(k: &Katana) -> Result<(), Violation> {
    for mo in k.mos() {
        if let Some(link) = mo.link {
            let Some(row) = k.row(link) else {
                return broken(
                    "link_points_at_row",
                    format!("{} is linked to {link}, which does not exist", mo.id),
                );
            };
            if row.mo.as_ref() != Some(&mo.id) {
                return broken(
                    "link_points_at_row",
                    format!(
                        "{} is linked to {link}, but the row's MO is {:?}",
                        mo.id, row.mo
                    ),
                );
            }
            if mo.status == MoStatus::NotStarted && mo.quantity != row.quantity {
                return broken(
                    "not_started_follows_row",
                    format!(
                        "{} (not started) has quantity {}, its row {link} {}",
                        mo.id, mo.quantity, row.quantity
                    ),
                );
            }
        }
        let open = mo.messages.iter().filter(|m| m.is_open()).count();
        if open > 1 {
            return broken(
                "one_open_message",
                format!("{} has {open} open messages", mo.id),
            );
        }
    }
    for so in k.sales_orders() {
        for row in so.rows.values() {
            if let Some(id) = &row.mo {
                let back = k.mo(id).and_then(|m| m.link);
                if back.map(|r| (r.order, r.line)) != Some((so.order, row.line)) {
                    return broken(
                        "one_mo_per_row",
                        format!(
                            "row {} of SO {} names {id}, which is linked to {back:?}",
                            row.line, so.number
                        ),
                    );
                }
            }
        }
    }
    let with_open: Vec<MoId> = k
        .mos()
        .into_iter()
        .filter(|m| m.messages.iter().any(|x| x.is_open()))
        .map(|m| m.id.clone())
        .collect();
    if k.unlinked_filter() != with_open {
        return broken(
            "indicator_iff_open",
            format!(
                "the unlinked filter shows {:?}, the MOs with an open message are {with_open:?}",
                k.unlinked_filter()
            ),
        );
    }
    for line in k.schedule() {
        if line.amber != with_open.contains(&line.mo) || line.amber != line.hover.is_some() {
            return broken(
                "indicator_iff_open",
                format!("the Schedule shows {} with amber {}", line.mo, line.amber),
            );
        }
    }
    Ok(())
}

/// What holds from one state to the next.
fn transitions(kind: StepKind<'_>, before: &Katana, after: &Katana) -> Result<(), Violation> {
    for b in before.mos() {
        let a = after.mo(&b.id);
        if let Some(a) = a {
            let kept = a.messages.len() >= b.messages.len()
                && b.messages.iter().zip(&a.messages).all(|(was, now)| {
                    let same = was.seq == now.seq
                        && was.at == now.at
                        && was.so_number == now.so_number
                        && was.row == now.row
                        && was.reason == now.reason;
                    let state_ok = match (was.state, now.state) {
                        (MessageState::Open, _) => true,
                        (resolved, now) => resolved == now,
                    };
                    same && state_ok
                });
            if !kept {
                return broken(
                    "messages_kept",
                    format!(
                        "the messages of {} changed: {:?} → {:?}",
                        b.id, b.messages, a.messages
                    ),
                );
            }
        } else if !b.messages.is_empty() {
            return broken(
                "messages_kept",
                format!("{} had messages and is gone", b.id),
            );
        }
        let acted_on = matches!(kind, StepKind::OnMo(id) if *id == b.id);
        if b.link.is_none() && !acted_on && a != Some(b) {
            return broken(
                "mts_untouched",
                format!("make-to-stock {} changed: {b:?} → {a:?}", b.id),
            );
        }
    }
    for so in before.sales_orders() {
        if !matches!(kind, StepKind::Shopify { .. }) {
            continue;
        }
        for row in so.rows.values().filter(|r| r.delivery.is_locked()) {
            let now = after
                .sales_order(so.order)
                .and_then(|s| s.rows.get(&row.line));
            let ok = now.is_some_and(|n| {
                n.quantity == row.quantity
                    && (n.delivery == row.delivery
                        || (row.delivery == katana_rules::Delivery::Packed
                            && n.delivery == katana_rules::Delivery::Delivered))
            });
            if !ok {
                return broken(
                    "locked_rows_kept",
                    format!(
                        "row {} of SO {} was {} with quantity {}; now {:?}",
                        row.line, so.number, row.delivery, row.quantity, now
                    ),
                );
            }
        }
    }
    for order in before
        .sales_orders()
        .iter()
        .map(|s| s.order)
        .chain(after.sales_orders().iter().map(|s| s.order))
        .collect::<BTreeSet<_>>()
    {
        if before.was_imported(order)
            && before.sales_order(order).is_none()
            && after.sales_order(order).is_some()
        {
            return broken(
                "never_reimported",
                format!("the SO of order {order} was deleted and is back"),
            );
        }
    }
    for so in after.sales_orders() {
        let order = so.order;
        if before.sales_order(order).is_some() || kind == StepKind::Setup {
            continue;
        }
        let allowed = match kind {
            StepKind::Shopify {
                order: changed,
                import,
                ..
            } if changed == order => match import {
                Import::Creation => true,
                Import::Payment => before.awaits_payment(order),
                Import::Never => false,
            },
            _ => false,
        };
        if !allowed {
            return broken(
                "imported_only_when_allowed",
                format!(
                    "SO {} of order {order} appeared after a step that may not import it ({kind:?})",
                    so.number
                ),
            );
        }
    }
    Ok(())
}

/// rules.md §3–§4: the rows of a synced order's SO, from the Shopify order alone.
fn rows_follow_shopify(
    order: OrderId,
    now: Option<&Order>,
    after: &Katana,
) -> Result<(), Violation> {
    let Some(so) = after.sales_order(order) else {
        return Ok(());
    };
    let locked = so.rows.values().any(|r| r.delivery.is_locked());
    let Some(o) = now else {
        if !locked {
            return broken(
                "rows_follow_shopify",
                format!(
                    "order {order} is deleted in Shopify but SO {} remains",
                    so.number
                ),
            );
        }
        return Ok(());
    };
    // Effective quantity (rules.md §1): 0 when cancelled; returned units stay.
    let quantity = |l: &shopify_model::LineItem| {
        if o.is_cancelled() {
            0
        } else {
            l.current_quantity.saturating_add(l.returned_quantity)
        }
    };
    let nothing_fulfilled = o.line_items.iter().all(|l| l.fulfilled_quantity == 0);
    let deletes_so = o.is_cancelled() || (o.is_closed() && nothing_fulfilled);
    if deletes_so && !locked {
        return broken(
            "rows_follow_shopify",
            format!(
                "order {order} is cancelled or archived unfulfilled, but SO {} remains",
                so.number
            ),
        );
    }
    if deletes_so {
        // rules.md §4: the SO with a packed or delivered row is skipped as a whole.
        return Ok(());
    }
    for l in &o.line_items {
        let q = quantity(l);
        match so.rows.get(&l.id) {
            Some(row) if row.delivery.is_locked() => {}
            Some(row) if row.quantity != q => {
                return broken(
                    "rows_follow_shopify",
                    format!(
                        "row {} of SO {} has quantity {}, the Shopify line {q}",
                        l.id, so.number, row.quantity
                    ),
                );
            }
            None if q > 0 => {
                return broken(
                    "rows_follow_shopify",
                    format!(
                        "line {} of order {order} ({q} units) has no row in SO {}",
                        l.id, so.number
                    ),
                );
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use katana_rules::{NewMo, NewMoKind, NewRow, RowRef, SoChange};
    use shopify_model::{FinancialStatus, NewLine, NewOrder, Store};

    fn t() -> Timestamp {
        Timestamp::constant(1_767_258_000, 0)
    }

    /// Katana with order 1001 imported: one row, line 11, OAK × 5.
    fn with_so() -> Katana {
        let mut k = Katana::new();
        k.apply(
            &SoChange::Import {
                order: 1001,
                number: "#1001".into(),
                rows: vec![NewRow {
                    line: 11,
                    sku: "OAK".into(),
                    quantity: 5,
                }],
            },
            t(),
        )
        .unwrap();
        k
    }

    fn imported() -> Katana {
        let mut k = with_so();
        k.create_mo(&NewMo {
            id: MoId::new("MO-1"),
            kind: NewMoKind::MakeToOrder(RowRef {
                order: 1001,
                line: 11,
            }),
            status: MoStatus::Done,
        })
        .unwrap();
        k.create_mo(&NewMo {
            id: MoId::new("MO-9"),
            kind: NewMoKind::MakeToStock {
                sku: "OAK".into(),
                quantity: 3,
            },
            status: MoStatus::InProgress,
        })
        .unwrap();
        k
    }

    fn order(quantity: u32) -> Order {
        let mut s = Store::new();
        s.create_order(
            &NewOrder {
                id: 1001,
                name: None,
                financial_status: FinancialStatus::Paid,
                archived: false,
                cancelled: false,
                lines: vec![NewLine {
                    id: 11,
                    sku: "OAK".into(),
                    quantity,
                    fulfilled: 0,
                }],
            },
            t(),
        )
        .unwrap()
        .clone()
    }

    fn name(r: Result<(), Violation>) -> &'static str {
        r.map_or_else(|v| v.invariant, |()| "none")
    }

    #[test]
    fn a_consistent_run_holds() {
        let before = imported();
        let mut after = before.clone();
        after
            .apply(
                &SoChange::SetRowQuantity {
                    order: 1001,
                    line: 11,
                    quantity: 4,
                },
                t(),
            )
            .unwrap();
        let o = order(4);
        let kind = StepKind::Shopify {
            order: 1001,
            synced: true,
            now: Some(&o),
            import: Import::Never,
        };
        assert_eq!(name(Invariants::new().check(kind, &before, &after)), "none");
    }

    #[test]
    fn an_mts_mo_changed_by_another_step_is_caught() {
        let before = imported();
        let mut after = before.clone();
        after
            .set_status(&MoId::new("MO-9"), MoStatus::Done)
            .unwrap();
        let inv = || Invariants::new();
        assert_eq!(
            name(inv().check(StepKind::Other, &before, &after)),
            "mts_untouched"
        );
        let mo9 = MoId::new("MO-9");
        assert_eq!(
            name(inv().check(StepKind::OnMo(&mo9), &before, &after)),
            "none"
        );
    }

    #[test]
    fn lost_messages_and_a_reimported_so_are_caught() {
        let mut before = imported();
        before
            .apply(&SoChange::DeleteSo { order: 1001 }, t())
            .unwrap();
        // MO-1 now has a "deleted" message; a Katana without it lost it.
        let after = Katana::new();
        assert_eq!(
            name(Invariants::new().check(StepKind::Other, &before, &after)),
            "messages_kept"
        );
        let deleted = with_so();
        let mut gone = deleted.clone();
        gone.apply(&SoChange::DeleteSo { order: 1001 }, t())
            .unwrap();
        assert_eq!(
            name(Invariants::new().check(StepKind::Other, &gone, &deleted)),
            "never_reimported"
        );
    }

    #[test]
    fn rows_that_do_not_follow_a_synced_order_are_caught() {
        let k = imported();
        let o = order(2);
        let synced = StepKind::Shopify {
            order: 1001,
            synced: true,
            now: Some(&o),
            import: Import::Never,
        };
        assert_eq!(
            name(Invariants::new().check(synced, &k, &k)),
            "rows_follow_shopify"
        );
        // Not checked when sync is off, or after the user edited the SO in Katana.
        let off = StepKind::Shopify {
            order: 1001,
            synced: false,
            now: Some(&o),
            import: Import::Never,
        };
        assert_eq!(name(Invariants::new().check(off, &k, &k)), "none");
        let mut inv = Invariants::new();
        inv.check(StepKind::OnSalesOrder(1001), &k, &k).unwrap();
        assert_eq!(name(inv.check(synced, &k, &k)), "none");
    }

    #[test]
    fn an_so_appears_only_on_creation_or_on_the_payment_awaited() {
        let after = imported();
        let empty = Katana::new();
        let mut waiting = Katana::new();
        waiting
            .apply(&SoChange::AwaitPayment { order: 1001 }, t())
            .unwrap();
        let o = order(5);
        let shopify = |import| StepKind::Shopify {
            order: 1001,
            synced: true,
            now: Some(&o),
            import,
        };
        let check = |kind, before: &Katana| name(Invariants::new().check(kind, before, &after));
        assert_eq!(check(StepKind::Setup, &empty), "none");
        assert_eq!(check(shopify(Import::Creation), &empty), "none");
        assert_eq!(check(shopify(Import::Payment), &waiting), "none");
        assert_eq!(
            check(shopify(Import::Payment), &empty),
            "imported_only_when_allowed",
            "paid, but it was not waiting for its payment"
        );
        assert_eq!(
            check(shopify(Import::Never), &waiting),
            "imported_only_when_allowed"
        );
        assert_eq!(check(StepKind::Other, &empty), "imported_only_when_allowed");
        let other_order = StepKind::Shopify {
            order: 1002,
            synced: true,
            now: None,
            import: Import::Creation,
        };
        assert_eq!(check(other_order, &empty), "imported_only_when_allowed");
    }
}
