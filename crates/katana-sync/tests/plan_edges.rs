//! Edges of the sync's planning that the simulator cannot reach, because the mock
//! keeps Shopify's data consistent in ways real order JSON need not be (a fulfilled
//! line refunded without restock down to 0, a fulfilment shown at one level only), or
//! because they sit on a boundary no scenario steps on (a payment status that is
//! neither paid nor pending with `import_payment_pending` on, a sync that sees an
//! imported order for the first time after a restart). Each test pins one rule of
//! rules.md §3, §3b or §4; together they catch the mutants of `plan.rs` and
//! `chosen.rs` that the other tests miss (docs/mutation-testing.md).

mod common;

use common::{imported, order, read, skipped_reason, t};
use katana_rules::{Effect, Katana, NewRow, SoChange};
use katana_sync::{Plan, Settings, apply_plan, plan_changes, plan_for, plan_import};
use serde_json::{Value, json};

fn pending_on() -> Settings {
    Settings {
        import_payment_pending: true,
        ..Settings::default()
    }
}

fn import_change(rows: &[(u64, &str, u32)]) -> SoChange {
    SoChange::Import {
        order: 1001,
        number: "#1001".into(),
        rows: rows
            .iter()
            .map(|&(line, sku, quantity)| NewRow {
                line,
                sku: sku.into(),
                quantity,
            })
            .collect(),
    }
}

/// Line 12 fulfilled in full, then refunded without restock down to 0: real Shopify
/// allows a refund of fulfilled units that the customer keeps, and the line stays
/// `fulfilled`. (The mock refunds only unfulfilled units with `no_restock`, so it
/// never shows this.)
fn line_12_fulfilled_then_refunded_to_zero(o: &mut Value) {
    o["fulfillment_status"] = json!("partial");
    o["financial_status"] = json!("partially_refunded");
    o["line_items"][1]["current_quantity"] = json!(0);
    o["line_items"][1]["fulfillable_quantity"] = json!(0);
    o["line_items"][1]["fulfillment_status"] = json!("fulfilled");
    o["refunds"] = json!([{ "refund_line_items": [{ "line_item_id": 12, "quantity": 4, "restock_type": "no_restock" }] }]);
}

// ---- §3 which financial statuses import ----

#[test]
fn refunded_and_voided_orders_never_import_even_with_import_payment_pending() {
    for status in ["refunded", "voided"] {
        for settings in [Settings::default(), pending_on()] {
            let mut o = order();
            o["financial_status"] = json!(status);
            let plan = plan_import(&read(&o), &Katana::new(), &settings);
            assert_eq!(
                skipped_reason(&plan),
                format!("its financial status is {status}"),
                "{settings:?}"
            );
        }
    }
}

#[test]
fn an_order_without_a_financial_status_does_not_import() {
    for settings in [Settings::default(), pending_on()] {
        let mut o = order();
        o["financial_status"] = json!(null);
        let plan = plan_import(&read(&o), &Katana::new(), &settings);
        assert_eq!(skipped_reason(&plan), "its financial status is unknown");
    }
}

#[test]
fn with_import_payment_pending_a_pending_order_imports_at_once_and_is_not_awaited() {
    for status in ["pending", "authorized"] {
        let mut o = order();
        o["financial_status"] = json!(status);
        let plan = plan_import(&read(&o), &Katana::new(), &pending_on());
        assert_eq!(
            plan,
            Plan {
                changes: vec![import_change(&[(11, "OAK-TABLE", 5), (12, "OAK-CHAIR", 4)])],
                notes: vec![],
            },
            "{status}"
        );
    }
}

#[test]
fn paid_partially_paid_and_partially_refunded_count_as_paid() {
    for status in ["paid", "partially_paid", "partially_refunded"] {
        let mut o = order();
        o["financial_status"] = json!(status);
        let plan = plan_import(&read(&o), &Katana::new(), &Settings::default());
        assert_eq!(plan.notes, vec![], "{status}");
        assert_eq!(
            plan.changes,
            vec![import_change(&[(11, "OAK-TABLE", 5), (12, "OAK-CHAIR", 4)])],
            "{status}"
        );
    }
}

// ---- §3b payment captured later ----

#[test]
fn a_pending_order_without_a_line_above_zero_is_not_awaited() {
    // Every line edited to 0 before the sync first read the order: it would not
    // import when paid either ("no line has a quantity above 0"), so it is not
    // remembered as waiting for its payment.
    let mut o = order();
    o["financial_status"] = json!("pending");
    for i in 0..2 {
        o["line_items"][i]["current_quantity"] = json!(0);
        o["line_items"][i]["fulfillable_quantity"] = json!(0);
    }
    let plan = plan_import(&read(&o), &Katana::new(), &Settings::default());
    assert_eq!(
        skipped_reason(&plan),
        "its payment is pending and import_payment_pending is off"
    );
    // One line above 0 is enough to wait for the payment.
    o["line_items"][0]["current_quantity"] = json!(1);
    let plan = plan_import(&read(&o), &Katana::new(), &Settings::default());
    assert_eq!(plan.changes, vec![SoChange::AwaitPayment { order: 1001 }]);
}

#[test]
fn an_awaited_order_imports_only_on_a_capture_not_on_a_refund_or_void() {
    let mut o = order();
    o["financial_status"] = json!("pending");
    let mut k = Katana::new();
    let plan = plan_for(1001, Some(&read(&o)), true, &k, &Settings::default());
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(k.awaits_payment(1001));
    // A later change that captures nothing: nothing to do, and nothing skipped.
    for status in [
        "pending",
        "authorized",
        "partially_refunded",
        "refunded",
        "voided",
    ] {
        o["financial_status"] = json!(status);
        let plan = plan_for(1001, Some(&read(&o)), false, &k, &Settings::default());
        assert_eq!(plan, Plan::default(), "{status}");
    }
    // A capture imports it.
    for status in ["paid", "partially_paid"] {
        o["financial_status"] = json!(status);
        let plan = plan_for(1001, Some(&read(&o)), false, &k, &Settings::default());
        assert_eq!(
            plan.changes,
            vec![import_change(&[(11, "OAK-TABLE", 5), (12, "OAK-CHAIR", 4)])],
            "{status}"
        );
    }
}

#[test]
fn an_order_skipped_at_creation_for_another_reason_is_not_imported_when_it_changes_later() {
    // Created archived (paid): skipped. Unarchived and edited later: Katana considers
    // an order only when it is created, and this one never waited for a payment.
    let mut o = order();
    o["closed_at"] = json!("2026-01-01T09:00:00Z");
    let mut k = Katana::new();
    let plan = plan_for(1001, Some(&read(&o)), true, &k, &Settings::default());
    assert!(skipped_reason(&plan).contains("archived"));
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(!k.awaits_payment(1001));
    o["closed_at"] = json!(null);
    o["line_items"][0]["current_quantity"] = json!(3);
    let plan = plan_for(1001, Some(&read(&o)), false, &k, &Settings::default());
    assert_eq!(plan, Plan::default());
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(k.sales_order(1001).is_none());
}

#[test]
fn an_imported_order_seen_first_after_a_restart_gets_its_changes_not_an_import() {
    // A sync that has forgotten which orders it saw (first sight again) still brings
    // the changes of an order Katana imported.
    let k = imported();
    let mut o = order();
    o["line_items"][0]["current_quantity"] = json!(3);
    let plan = plan_for(1001, Some(&read(&o)), true, &k, &Settings::default());
    assert_eq!(
        plan,
        Plan {
            changes: vec![SoChange::SetRowQuantity {
                order: 1001,
                line: 11,
                quantity: 3
            }],
            notes: vec![],
        }
    );
}

// ---- fulfilled lines at 0 (import and changes) ----

#[test]
fn a_fulfilled_line_refunded_to_zero_has_no_row_and_is_not_marked_delivered_on_import() {
    let mut o = order();
    line_12_fulfilled_then_refunded_to_zero(&mut o);
    let mut k = Katana::new();
    let plan = plan_import(&read(&o), &k, &Settings::default());
    assert_eq!(
        plan,
        Plan {
            changes: vec![import_change(&[(11, "OAK-TABLE", 5)])],
            notes: vec![],
        }
    );
    apply_plan(&mut k, &plan, t()).unwrap();
}

#[test]
fn a_fulfilled_line_refunded_to_zero_deletes_its_row_and_marks_nothing_delivered() {
    // The fulfilment and the refund reach the sync together (one read of the order).
    let mut k = imported();
    let mut o = order();
    line_12_fulfilled_then_refunded_to_zero(&mut o);
    let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
    assert_eq!(
        plan,
        Plan {
            changes: vec![SoChange::DeleteRow {
                order: 1001,
                line: 12
            }],
            notes: vec![],
        }
    );
    apply_plan(&mut k, &plan, t()).unwrap();
    let rows: Vec<_> = k.sales_order(1001).unwrap().rows.keys().copied().collect();
    assert_eq!(rows, [11]);
}

// ---- §4 rows that come and go ----

#[test]
fn a_new_line_already_at_zero_brings_no_row() {
    // Added and removed again before the sync read the order.
    let k = imported();
    let mut o = order();
    o["line_items"].as_array_mut().unwrap().push(json!(
        { "id": 13, "sku": "OAK-BENCH", "quantity": 2, "current_quantity": 0, "fulfillable_quantity": 0, "fulfillment_status": null }
    ));
    let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
    assert_eq!(plan, Plan::default());
}

#[test]
fn a_row_whose_line_is_missing_from_the_order_is_deleted_and_only_that_row() {
    let k = imported();
    let mut o = order();
    o["line_items"].as_array_mut().unwrap().remove(1);
    let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
    assert_eq!(
        plan.changes,
        vec![SoChange::DeleteRow {
            order: 1001,
            line: 12
        }]
    );
}

// ---- §4 archive: "nothing of the order was fulfilled in Shopify" ----

#[test]
fn archive_keeps_the_so_when_either_the_order_or_a_line_shows_a_fulfilment() {
    // Shopify reports fulfilment at two levels. They agree in the mock; the sync does
    // not rely on it: a fulfilment at either level means something was fulfilled.
    let k = imported();
    let mut order_level = order();
    order_level["fulfillment_status"] = json!("partial");
    let mut line_level = order();
    line_level["line_items"][1]["fulfillment_status"] = json!("fulfilled");
    for (name, mut o) in [("order level", order_level), ("line level", line_level)] {
        o["closed_at"] = json!("2026-01-01T09:01:00Z");
        let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
        assert!(
            !plan.changes.contains(&SoChange::DeleteSo { order: 1001 }),
            "{name}: {plan:?}"
        );
        assert!(
            plan.notes.contains(&Effect::Skipped {
                what: "delete SO #1001 on archive".into(),
                reason: "part of the order was fulfilled in Shopify".into(),
            }),
            "{name}: {plan:?}"
        );
    }
    // Neither: the SO goes.
    let mut o = order();
    o["closed_at"] = json!("2026-01-01T09:01:00Z");
    let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
    assert_eq!(plan.changes, vec![SoChange::DeleteSo { order: 1001 }]);
}

/// §3b: an awaited order whose payment is captured when it no longer qualifies (no
/// line above 0) stops being awaited; a later change does not import it.
#[test]
fn a_capture_when_the_order_no_longer_qualifies_ends_the_wait() {
    let mut o = order();
    o["financial_status"] = json!("pending");
    let mut k = Katana::new();
    let first = plan_for(1001, Some(&read(&o)), true, &k, &Settings::default());
    assert_eq!(first.changes, vec![SoChange::AwaitPayment { order: 1001 }]);
    apply_plan(&mut k, &first, t()).unwrap();
    for i in 0..2 {
        o["line_items"][i]["current_quantity"] = json!(0);
        o["line_items"][i]["fulfillable_quantity"] = json!(0);
    }
    o["financial_status"] = json!("paid");
    let paid = plan_for(1001, Some(&read(&o)), false, &k, &Settings::default());
    assert_eq!(
        paid.changes,
        vec![SoChange::StopAwaitingPayment { order: 1001 }]
    );
    apply_plan(&mut k, &paid, t()).unwrap();
    assert!(!k.awaits_payment(1001));
    o["line_items"][0]["current_quantity"] = json!(3);
    o["line_items"][0]["fulfillable_quantity"] = json!(3);
    let later = plan_for(1001, Some(&read(&o)), false, &k, &Settings::default());
    assert!(later.changes.is_empty(), "{later:?}");
    // A capture of an order that qualifies imports it, and ends the wait too.
    let mut w = Katana::new();
    apply_plan(&mut w, &first, t()).unwrap();
    let imported = plan_for(1001, Some(&read(&o)), false, &w, &Settings::default());
    assert!(matches!(imported.changes[0], SoChange::Import { .. }));
    assert!(
        !imported
            .changes
            .contains(&SoChange::StopAwaitingPayment { order: 1001 })
    );
}
