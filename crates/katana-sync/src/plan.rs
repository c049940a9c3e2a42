//! The pure heart of the sync: which orders import (rules.md §3), and "Shopify order
//! now vs SO now" → SO changes (rules.md §4), with skipped changes and their reasons.

use jiff::Timestamp;
use katana_rules::{Effect, Katana, KatanaError, NewRow, OrderId, SoChange};
use serde::{Deserialize, Serialize};

use crate::chosen;
use crate::shopify::ShopifyOrder;

/// The integration's settings (rules.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Katana's "bring order changes from Shopify" option.
    pub sync_order_changes: bool,
    /// Also import orders whose payment is pending.
    pub import_payment_pending: bool,
}

impl Default for Settings {
    fn default() -> Self {
        chosen::default_settings()
    }
}

/// What the sync decided for one order: SO changes to apply, and what it chose not
/// to do, with the reason (as [`Effect::Skipped`], so the trace reads as one list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The SO changes, in the order they apply.
    pub changes: Vec<SoChange>,
    /// Skipped changes and their reasons.
    pub notes: Vec<Effect>,
}

impl Plan {
    fn skip(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Plan {
            changes: Vec::new(),
            notes: vec![Effect::Skipped {
                what: what.into(),
                reason: reason.into(),
            }],
        }
    }
}

/// rules.md §3: the decision for an order Shopify has just created.
pub fn plan_import(order: &ShopifyOrder, katana: &Katana, settings: &Settings) -> Plan {
    let what = format!("import Shopify order {}", order.name);
    if katana.was_imported(order.id) {
        return Plan::skip(
            what,
            "it was imported before; Katana never imports an order twice",
        );
    }
    if order.is_closed() {
        return Plan::skip(what, "it is archived");
    }
    if order.is_cancelled() {
        return Plan::skip(what, "it is cancelled");
    }
    let fully_fulfilled = order.fulfillment_status.as_deref() == Some("fulfilled");
    let has_rows = order
        .line_items
        .iter()
        .any(|l| chosen::row_quantity(order, l) > 0);
    if !chosen::payment_allows_import(order.financial_status.as_deref(), settings) {
        let status = order.financial_status.as_deref().unwrap_or("unknown");
        if !chosen::payment_pending(status) {
            return Plan::skip(what, format!("its financial status is {status}"));
        }
        let reason = format!("its payment is {status} and import_payment_pending is off");
        // Skipped only for the payment: imported when it is captured (§3b).
        if chosen::IMPORT_WHEN_PAID && !fully_fulfilled && has_rows {
            return Plan {
                changes: vec![SoChange::AwaitPayment { order: order.id }],
                notes: vec![Effect::Skipped {
                    what,
                    reason: format!("{reason}; it is imported when the payment is captured"),
                }],
            };
        }
        return Plan::skip(what, reason);
    }
    if fully_fulfilled {
        return Plan::skip(what, "it is fully fulfilled");
    }
    let rows: Vec<NewRow> = order
        .line_items
        .iter()
        .filter_map(|l| {
            let quantity = chosen::row_quantity(order, l);
            (quantity > 0).then(|| NewRow {
                line: l.id,
                sku: l.sku().to_string(),
                quantity,
            })
        })
        .collect();
    if rows.is_empty() {
        return Plan::skip(what, "no line has a quantity above 0");
    }
    let mut changes = vec![SoChange::Import {
        order: order.id,
        number: order.name.clone(),
        rows,
    }];
    changes.extend(
        order
            .line_items
            .iter()
            .filter(|l| l.is_fulfilled() && chosen::row_quantity(order, l) > 0)
            .map(|l| SoChange::MarkDelivered {
                order: order.id,
                line: l.id,
            }),
    );
    Plan {
        changes,
        notes: Vec::new(),
    }
}

/// rules.md §4: the SO changes that bring the SO of `order_id` in line with the
/// Shopify order as it is now; `None` when the order is gone from Shopify (deleted,
/// or a 404).
pub fn plan_changes(
    order_id: OrderId,
    now: Option<&ShopifyOrder>,
    katana: &Katana,
    settings: &Settings,
) -> Plan {
    // An order whose SO is gone (deleted, never re-imported) or that was never
    // imported has nothing to change: not a skipped change, simply none.
    let Some(so) = katana.sales_order(order_id) else {
        return Plan::default();
    };
    if !chosen::sync_changes(settings) {
        // Held back: said only when there is something to hold back, so a second
        // delivery of a change already brought says nothing.
        let on = Settings {
            sync_order_changes: true,
            ..*settings
        };
        let would = plan_changes(order_id, now, katana, &on);
        if would.changes.is_empty() {
            return Plan::default();
        }
        return Plan::skip(
            format!("SO {} left as it is", so.number),
            "order changes sync is off (settings.sync_order_changes: false)",
        );
    }
    let Some(order) = now else {
        return Plan {
            changes: vec![SoChange::DeleteSo { order: order_id }],
            notes: Vec::new(),
        };
    };
    if chosen::cancel_deletes_so(order) {
        return Plan {
            changes: vec![SoChange::DeleteSo { order: order_id }],
            notes: Vec::new(),
        };
    }
    let mut plan = Plan::default();
    if order.is_closed() {
        if chosen::archive_deletes_so(order) {
            plan.changes.push(SoChange::DeleteSo { order: order_id });
            return plan;
        }
        plan.notes.push(Effect::Skipped {
            what: format!("delete SO {} on archive", so.number),
            reason: "part of the order was fulfilled in Shopify".to_string(),
        });
    }
    // Only lines that changed in Shopify since the sync last brought them reach
    // the SO, so a row edited or deleted in Katana keeps the user's change until
    // its own line changes (§4b). Rows that stay or arrive first, deletions after:
    // an SO only loses its last row (and is deleted with it) when no row takes its
    // place.
    let mut deletions = Vec::new();
    let mut rows_after: Vec<u64> = so.rows.keys().copied().collect();
    for line in &order.line_items {
        let quantity = chosen::row_quantity(order, line);
        let changed = chosen::shopify_line_changed(quantity, so.synced.get(&line.id).copied());
        match so.rows.get(&line.id) {
            Some(_) if changed && quantity == 0 => deletions.push(SoChange::DeleteRow {
                order: order_id,
                line: line.id,
            }),
            Some(_) if changed => {
                plan.changes.push(SoChange::SetRowQuantity {
                    order: order_id,
                    line: line.id,
                    quantity,
                });
            }
            Some(_) => {}
            None if changed && quantity > 0 => {
                rows_after.push(line.id);
                plan.changes.push(SoChange::AddRow {
                    order: order_id,
                    row: NewRow {
                        line: line.id,
                        sku: line.sku().to_string(),
                        quantity,
                    },
                });
            }
            None => {}
        }
    }
    // A row whose line is not in the order at all any more is gone too.
    for line in so.rows.keys() {
        if !order.line_items.iter().any(|l| l.id == *line) {
            deletions.push(SoChange::DeleteRow {
                order: order_id,
                line: *line,
            });
        }
    }
    plan.changes.extend(deletions);
    for line in &order.line_items {
        let delivered =
            so.rows.get(&line.id).map(|r| r.delivery) == Some(katana_rules::Delivery::Delivered);
        if line.is_fulfilled()
            && chosen::row_quantity(order, line) > 0
            && rows_after.contains(&line.id)
            && !delivered
        {
            plan.changes.push(SoChange::MarkDelivered {
                order: order_id,
                line: line.id,
            });
        }
    }
    plan
}

/// What the sync does for an order it hears about: on first sight (its creation,
/// for Katana) the import decision of rules.md §3; afterwards the changes of §4.
/// An order gone before the sync first saw it changes nothing.
pub fn plan_for(
    order_id: OrderId,
    now: Option<&ShopifyOrder>,
    first_sight: bool,
    katana: &Katana,
    settings: &Settings,
) -> Plan {
    // Skipped at creation only for its payment, and the payment is captured now.
    let paid_since = chosen::IMPORT_WHEN_PAID
        && katana.awaits_payment(order_id)
        && now.is_some_and(|o| chosen::payment_captured(o.financial_status.as_deref()));
    let consider_import = !katana.was_imported(order_id)
        && (first_sight || paid_since || !chosen::IMPORT_ONLY_ON_CREATE);
    if consider_import {
        match now {
            Some(order) => {
                let mut plan = plan_import(order, katana, settings);
                // §3b: the payment is captured but the order no longer qualifies
                // (e.g. no line above 0 any more): it stays out for good, not
                // imported by a later change.
                if paid_since
                    && !plan
                        .changes
                        .iter()
                        .any(|c| matches!(c, SoChange::Import { .. }))
                {
                    plan.changes
                        .push(SoChange::StopAwaitingPayment { order: order_id });
                }
                plan
            }
            None => Plan::default(),
        }
    } else {
        plan_changes(order_id, now, katana, settings)
    }
}

/// Applies a plan to Katana at simulated time `at`, returning everything that
/// happened: the plan's notes first, then each change's effects in order.
pub fn apply_plan(
    katana: &mut Katana,
    plan: &Plan,
    at: Timestamp,
) -> Result<Vec<Effect>, KatanaError> {
    let mut effects = plan.notes.clone();
    for change in &plan.changes {
        // A row deleted earlier in the plan may take its SO with it: later changes
        // for that SO have nothing left to change.
        if !matches!(
            change,
            SoChange::Import { .. }
                | SoChange::AwaitPayment { .. }
                | SoChange::StopAwaitingPayment { .. }
        ) && katana.sales_order(change_order(change)).is_none()
        {
            continue;
        }
        effects.extend(katana.apply(change, at)?);
    }
    Ok(effects)
}

fn change_order(change: &SoChange) -> OrderId {
    match change {
        SoChange::Import { order, .. }
        | SoChange::SetRowQuantity { order, .. }
        | SoChange::AddRow { order, .. }
        | SoChange::DeleteRow { order, .. }
        | SoChange::MarkDelivered { order, .. }
        | SoChange::DeleteSo { order }
        | SoChange::AwaitPayment { order }
        | SoChange::StopAwaitingPayment { order } => *order,
    }
}
