//! rules.md §3 (import) and §4 (Shopify change → SO change), one test per rule, on
//! hand-written order JSON so that the sync's reading of Shopify is tested on its own.

mod common;

use common::{imported, order, read, skipped_reason, t};
use katana_rules::{Delivery, Effect, Katana, NewRow, RowRef, SoChange};
use katana_sync::{Plan, Settings, ShopifyOrder, apply_plan, plan_changes, plan_for, plan_import};
use serde_json::{Value, json};

fn changes(v: &Value, k: &Katana) -> Vec<SoChange> {
    let plan = plan_changes(1001, Some(&read(v)), k, &Settings::default());
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    plan.changes
}

// ---- §3 import ----

#[test]
fn a_paid_open_order_imports_with_a_row_per_line() {
    let k = imported();
    let so = k.sales_order(1001).unwrap();
    assert_eq!(so.number, "#1001");
    let rows: Vec<_> = so
        .rows
        .values()
        .map(|r| (r.line, r.sku.as_str(), r.quantity))
        .collect();
    assert_eq!(rows, [(11, "OAK-TABLE", 5), (12, "OAK-CHAIR", 4)]);
}

#[test]
fn the_order_json_may_come_wrapped_as_rest_returns_it() {
    let wrapped = serde_json::to_vec(&json!({ "order": order() })).unwrap();
    assert_eq!(ShopifyOrder::from_json(&wrapped).unwrap(), read(&order()));
}

#[test]
fn payment_pending_imports_only_with_the_setting() {
    for status in ["pending", "authorized"] {
        let mut o = order();
        o["financial_status"] = json!(status);
        let off = plan_import(&read(&o), &Katana::new(), &Settings::default());
        // Skipped, but remembered: imported when the payment is captured (§3b).
        assert_eq!(off.changes, vec![SoChange::AwaitPayment { order: 1001 }]);
        let [Effect::Skipped { reason, .. }] = &off.notes[..] else {
            panic!("{off:?}")
        };
        assert!(reason.contains("import_payment_pending is off"), "{reason}");
        assert!(
            reason.contains("imported when the payment is captured"),
            "{reason}"
        );
        let on = Settings {
            import_payment_pending: true,
            ..Settings::default()
        };
        assert_eq!(plan_import(&read(&o), &Katana::new(), &on).changes.len(), 1);
    }
}

#[test]
fn archived_cancelled_refunded_or_fulfilled_orders_do_not_import() {
    let cases = [
        ("closed_at", json!("2026-01-01T09:00:00Z"), "archived"),
        ("cancelled_at", json!("2026-01-01T09:00:00Z"), "cancelled"),
        (
            "financial_status",
            json!("refunded"),
            "financial status is refunded",
        ),
        ("fulfillment_status", json!("fulfilled"), "fully fulfilled"),
    ];
    for (key, value, reason) in cases {
        let mut o = order();
        o[key] = value;
        let plan = plan_import(&read(&o), &Katana::new(), &Settings::default());
        assert!(skipped_reason(&plan).contains(reason), "{key}");
    }
}

#[test]
fn an_order_imported_before_is_never_imported_again() {
    let mut k = imported();
    k.apply(&SoChange::DeleteSo { order: 1001 }, t()).unwrap();
    let plan = plan_import(&read(&order()), &k, &Settings::default());
    assert!(skipped_reason(&plan).contains("never imports an order twice"));
}

#[test]
fn a_fulfilled_line_imports_as_a_delivered_row_and_lines_at_zero_have_no_row() {
    let mut o = order();
    o["fulfillment_status"] = json!("partial");
    o["line_items"][0]["fulfillable_quantity"] = json!(0);
    o["line_items"][0]["fulfillment_status"] = json!("fulfilled");
    o["line_items"][1]["current_quantity"] = json!(0);
    o["line_items"][1]["fulfillable_quantity"] = json!(0);
    let mut k = Katana::new();
    let plan = plan_import(&read(&o), &k, &Settings::default());
    apply_plan(&mut k, &plan, t()).unwrap();
    let so = k.sales_order(1001).unwrap();
    assert_eq!(so.rows.len(), 1);
    assert_eq!(so.rows[&11].delivery, Delivery::Delivered);
}

// ---- §4 changes ----

#[test]
fn edit_to_a_new_quantity_changes_the_row() {
    let k = imported();
    let mut o = order();
    o["line_items"][0]["current_quantity"] = json!(3);
    assert_eq!(
        changes(&o, &k),
        [SoChange::SetRowQuantity {
            order: 1001,
            line: 11,
            quantity: 3
        }]
    );
}

#[test]
fn edit_to_zero_deletes_the_row() {
    let k = imported();
    let mut o = order();
    o["line_items"][0]["current_quantity"] = json!(0);
    assert_eq!(
        changes(&o, &k),
        [SoChange::DeleteRow {
            order: 1001,
            line: 11
        }]
    );
}

#[test]
fn a_new_line_becomes_a_new_row() {
    let k = imported();
    let mut o = order();
    o["line_items"].as_array_mut().unwrap().push(json!(
        { "id": 13, "sku": "OAK-BENCH", "quantity": 2, "current_quantity": 2, "fulfillable_quantity": 2, "fulfillment_status": null }
    ));
    let row = NewRow {
        line: 13,
        sku: "OAK-BENCH".into(),
        quantity: 2,
    };
    assert_eq!(changes(&o, &k), [SoChange::AddRow { order: 1001, row }]);
}

#[test]
fn a_refund_that_cancels_units_reduces_the_row() {
    for restock in ["cancel", "no_restock", "legacy_restock"] {
        let k = imported();
        let mut o = order();
        o["line_items"][1]["current_quantity"] = json!(1);
        o["refunds"] = json!([{ "refund_line_items": [{ "line_item_id": 12, "quantity": 3, "restock_type": restock }] }]);
        assert_eq!(
            changes(&o, &k),
            [SoChange::SetRowQuantity {
                order: 1001,
                line: 12,
                quantity: 1
            }],
            "{restock}"
        );
    }
}

#[test]
fn a_returned_unit_is_added_back_so_the_row_does_not_change() {
    let k = imported();
    let mut o = order();
    o["line_items"][1]["current_quantity"] = json!(3);
    o["refunds"] = json!([{ "refund_line_items": [{ "line_item_id": 12, "quantity": 1, "restock_type": "return" }] }]);
    assert_eq!(changes(&o, &k), []);
}

#[test]
fn a_money_only_refund_changes_nothing() {
    let k = imported();
    let mut o = order();
    o["financial_status"] = json!("partially_refunded");
    o["refunds"] = json!([{ "refund_line_items": [] }]);
    assert_eq!(changes(&o, &k), []);
}

#[test]
fn cancel_and_delete_delete_the_so() {
    let k = imported();
    let mut o = order();
    o["cancelled_at"] = json!("2026-01-01T09:01:00Z");
    assert_eq!(changes(&o, &k), [SoChange::DeleteSo { order: 1001 }]);
    let gone = plan_changes(1001, None, &k, &Settings::default());
    assert_eq!(gone.changes, [SoChange::DeleteSo { order: 1001 }]);
}

#[test]
fn archive_deletes_the_so_only_when_nothing_was_fulfilled() {
    let k = imported();
    let mut o = order();
    o["closed_at"] = json!("2026-01-01T09:01:00Z");
    assert_eq!(changes(&o, &k), [SoChange::DeleteSo { order: 1001 }]);
    o["fulfillment_status"] = json!("partial");
    o["line_items"][1]["fulfillable_quantity"] = json!(3);
    o["line_items"][1]["fulfillment_status"] = json!("partial");
    let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
    assert!(plan.changes.is_empty());
    assert!(skipped_reason(&plan).contains("fulfilled in Shopify"));
}

#[test]
fn a_completed_line_makes_the_row_delivered() {
    let k = imported();
    let mut o = order();
    o["line_items"][0]["fulfillable_quantity"] = json!(0);
    o["line_items"][0]["fulfillment_status"] = json!("fulfilled");
    assert_eq!(
        changes(&o, &k),
        [SoChange::MarkDelivered {
            order: 1001,
            line: 11
        }]
    );
}

#[test]
fn unarchive_of_a_deleted_so_changes_nothing_and_never_reimports() {
    let mut k = imported();
    k.apply(&SoChange::DeleteSo { order: 1001 }, t()).unwrap();
    let plan = plan_changes(1001, Some(&read(&order())), &k, &Settings::default());
    assert_eq!(
        plan,
        Plan::default(),
        "nothing to change, and nothing skipped"
    );
}

#[test]
fn while_sync_is_off_the_so_is_left_alone_and_turning_it_on_brings_the_whole_difference() {
    let mut k = imported();
    let off = Settings {
        sync_order_changes: false,
        ..Settings::default()
    };
    let mut o = order();
    o["line_items"][0]["current_quantity"] = json!(3);
    let plan = plan_changes(1001, Some(&read(&o)), &k, &off);
    assert!(skipped_reason(&plan).contains("sync is off"));
    apply_plan(&mut k, &plan, t()).unwrap();
    assert_eq!(
        k.row(RowRef {
            order: 1001,
            line: 11
        })
        .unwrap()
        .quantity,
        5
    );
    o["line_items"][1]["current_quantity"] = json!(2);
    let both = changes(&o, &k);
    assert_eq!(
        both,
        [
            SoChange::SetRowQuantity {
                order: 1001,
                line: 11,
                quantity: 3
            },
            SoChange::SetRowQuantity {
                order: 1001,
                line: 12,
                quantity: 2
            },
        ]
    );
}

#[test]
fn a_new_row_arrives_before_the_last_old_row_goes() {
    let mut k = imported();
    let mut o = order();
    o["line_items"][0]["current_quantity"] = json!(0);
    o["line_items"][1]["current_quantity"] = json!(0);
    o["line_items"].as_array_mut().unwrap().push(json!(
        { "id": 13, "sku": "OAK-BENCH", "quantity": 2, "current_quantity": 2, "fulfillable_quantity": 2, "fulfillment_status": null }
    ));
    let plan = plan_changes(1001, Some(&read(&o)), &k, &Settings::default());
    apply_plan(&mut k, &plan, t()).unwrap();
    let rows: Vec<_> = k.sales_order(1001).unwrap().rows.keys().copied().collect();
    assert_eq!(rows, [13]);
}

#[test]
fn a_missing_field_is_an_error_not_a_guess() {
    let mut o = order();
    o["line_items"][0]
        .as_object_mut()
        .unwrap()
        .remove("current_quantity");
    let err = ShopifyOrder::from_value(o).unwrap_err();
    assert!(err.to_string().contains("current_quantity"), "{err}");
}

// ---- §2 settings ----

#[test]
fn scenario_defaults_sync_changes_and_skip_payment_pending() {
    let s = Settings::default();
    assert!(
        s.sync_order_changes,
        "[chosen] scenarios sync changes by default"
    );
    assert!(
        !s.import_payment_pending,
        "[doc] payment-pending orders are not imported by default"
    );
}

// ---- §3b payment captured later ----

#[test]
fn an_order_skipped_only_for_payment_imports_when_paid_and_only_then() {
    let mut o = order();
    o["financial_status"] = json!("pending");
    let mut k = Katana::new();
    let settings = Settings::default();
    let plan = plan_for(1001, Some(&read(&o)), true, &k, &settings);
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(k.awaits_payment(1001));
    assert!(k.sales_order(1001).is_none());
    // Still pending on a later change: still waiting.
    let plan = plan_for(1001, Some(&read(&o)), false, &k, &settings);
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(k.sales_order(1001).is_none());
    // Paid: imported now.
    o["financial_status"] = json!("paid");
    let plan = plan_for(1001, Some(&read(&o)), false, &k, &settings);
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(k.sales_order(1001).is_some());
    assert!(!k.awaits_payment(1001));
}

#[test]
fn a_pending_order_that_fails_another_condition_is_not_awaited() {
    for (key, value) in [
        ("closed_at", json!("2026-01-01T09:00:00Z")),
        ("cancelled_at", json!("2026-01-01T09:00:00Z")),
        ("fulfillment_status", json!("fulfilled")),
    ] {
        let mut o = order();
        o["financial_status"] = json!("pending");
        o[key] = value;
        let plan = plan_import(&read(&o), &Katana::new(), &Settings::default());
        assert!(plan.changes.is_empty(), "{key}: {plan:?}");
    }
}

#[test]
fn a_paid_order_archived_before_the_payment_is_not_imported() {
    let mut o = order();
    o["financial_status"] = json!("pending");
    let mut k = Katana::new();
    let settings = Settings::default();
    let plan = plan_for(1001, Some(&read(&o)), true, &k, &settings);
    apply_plan(&mut k, &plan, t()).unwrap();
    o["financial_status"] = json!("paid");
    o["closed_at"] = json!("2026-01-01T09:05:00Z");
    let plan = plan_for(1001, Some(&read(&o)), false, &k, &settings);
    // Skipped, and Katana stops waiting: re-opened later, it stays out (§3b).
    assert_eq!(
        plan.changes,
        vec![SoChange::StopAwaitingPayment { order: 1001 }]
    );
    let skip = Plan {
        changes: Vec::new(),
        ..plan.clone()
    };
    assert!(skipped_reason(&skip).contains("archived"));
    apply_plan(&mut k, &plan, t()).unwrap();
    o["closed_at"] = json!(null);
    let reopened = plan_for(1001, Some(&read(&o)), false, &k, &settings);
    assert!(reopened.changes.is_empty(), "{reopened:?}");
}

// ---- §4b a row edited or deleted in Katana ----

#[test]
fn a_row_edited_in_katana_changes_only_with_its_own_line() {
    let mut k = imported();
    let row = RowRef {
        order: 1001,
        line: 11,
    };
    k.user_edit_row(row, 8, t()).unwrap();
    // Nothing changed in Shopify: nothing to bring.
    assert_eq!(changes(&order(), &k), vec![]);
    // Another line changed: only that line.
    let mut o = order();
    o["line_items"][1]["current_quantity"] = json!(3);
    assert_eq!(
        changes(&o, &k),
        vec![SoChange::SetRowQuantity {
            order: 1001,
            line: 12,
            quantity: 3
        }]
    );
    // Its own line changed: Shopify's quantity wins.
    o["line_items"][0]["current_quantity"] = json!(6);
    assert!(changes(&o, &k).contains(&SoChange::SetRowQuantity {
        order: 1001,
        line: 11,
        quantity: 6
    }));
}

#[test]
fn a_row_deleted_in_katana_comes_back_only_when_its_line_changes() {
    let mut k = imported();
    let row = RowRef {
        order: 1001,
        line: 11,
    };
    k.user_delete_row(row, t()).unwrap();
    assert_eq!(changes(&order(), &k), vec![]);
    let mut o = order();
    o["line_items"][0]["current_quantity"] = json!(2);
    assert_eq!(
        changes(&o, &k),
        vec![SoChange::AddRow {
            order: 1001,
            row: NewRow {
                line: 11,
                sku: "OAK-TABLE".into(),
                quantity: 2
            }
        }]
    );
}
