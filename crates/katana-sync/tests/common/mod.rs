//! What the plan tests share: a clock instant, a hand-written order's JSON, reading
//! it as the sync does, an imported world, and a plan's one skip.

#![allow(dead_code)]

use jiff::Timestamp;
use katana_rules::{Effect, Katana};
use katana_sync::{Plan, Settings, ShopifyOrder, apply_plan, plan_import};
use serde_json::{Value, json};

/// The instant the tests apply plans at.
pub fn t() -> Timestamp {
    Timestamp::from_second(1_767_258_000).unwrap()
}

/// An open, paid order #1001 with line 11 (OAK-TABLE × 5) and line 12 (OAK-CHAIR × 4).
pub fn order() -> Value {
    json!({
        "id": 1001, "name": "#1001", "financial_status": "paid",
        "cancelled_at": null, "closed_at": null, "fulfillment_status": null,
        "line_items": [
            { "id": 11, "sku": "OAK-TABLE", "quantity": 5, "current_quantity": 5, "fulfillable_quantity": 5, "fulfillment_status": null },
            { "id": 12, "sku": "OAK-CHAIR", "quantity": 4, "current_quantity": 4, "fulfillable_quantity": 4, "fulfillment_status": null }
        ],
        "refunds": []
    })
}

/// The order as the sync reads it.
pub fn read(v: &Value) -> ShopifyOrder {
    ShopifyOrder::from_value(v.clone()).unwrap()
}

/// Katana with [`order`] imported.
pub fn imported() -> Katana {
    let mut k = Katana::new();
    let plan = plan_import(&read(&order()), &k, &Settings::default());
    apply_plan(&mut k, &plan, t()).unwrap();
    assert!(k.sales_order(1001).is_some());
    k
}

/// The reason of a plan that only skips.
pub fn skipped_reason(plan: &Plan) -> String {
    match &plan.notes[..] {
        [Effect::Skipped { reason, .. }] if plan.changes.is_empty() => reason.clone(),
        other => panic!(
            "expected one skip and no change, got {other:?} / {:?}",
            plan.changes
        ),
    }
}
