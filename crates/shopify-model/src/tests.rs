//! Unit tests: every operation, every refusal, and the JSON shape.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::*;

/// The scenario start instant plus `minutes`.
fn t(minutes: i64) -> Timestamp {
    let start: Timestamp = "2026-01-01T09:00:00Z".parse().unwrap();
    start + SignedDuration::from_mins(minutes)
}

fn line(id: LineId, sku: &str, quantity: u32, fulfilled: u32) -> NewLine {
    NewLine {
        id,
        sku: sku.into(),
        quantity,
        fulfilled,
    }
}

fn new_order(id: OrderId, lines: Vec<NewLine>) -> NewOrder {
    NewOrder {
        id,
        name: None,
        financial_status: FinancialStatus::Paid,
        lines,
        archived: false,
        cancelled: false,
    }
}

/// Order 1001: line 11 CHAIR ×5 (none fulfilled), line 12 TABLE ×3 (2 fulfilled).
/// Order 1002: line 21 CHAIR ×2, line 22 LAMP ×1 (none fulfilled).
fn store() -> Store {
    Store::with_orders(
        &[
            new_order(1001, vec![line(11, "CHAIR", 5, 0), line(12, "TABLE", 3, 2)]),
            new_order(1002, vec![line(21, "CHAIR", 2, 0), line(22, "LAMP", 1, 0)]),
        ],
        t(0),
    )
    .unwrap()
}

fn current(store: &Store, order: OrderId, line: LineId) -> u32 {
    store
        .order(order)
        .unwrap()
        .line(line)
        .unwrap()
        .current_quantity
}

/// Runs a change that must be refused and checks the store did not change.
#[track_caller]
fn refused(store: &mut Store, change: impl FnOnce(&mut Store) -> ShopifyError) -> ShopifyError {
    let before = store.clone();
    let err = change(store);
    assert_eq!(
        *store, before,
        "a refused change must change nothing: {err}"
    );
    err
}

fn req(line: LineId, quantity: u32, restock_type: RestockType) -> RefundLineRequest {
    RefundLineRequest {
        line,
        quantity,
        restock_type,
    }
}

// ----- create ------------------------------------------------------------------

#[test]
fn create_order_sets_every_field() {
    let s = store();
    let o = s.order(1001).unwrap();
    assert_eq!(o.name, "#1001");
    assert_eq!(o.order_number, 1001);
    assert_eq!(o.financial_status, FinancialStatus::Paid);
    assert_eq!((o.created_at, o.updated_at), (t(0), t(0)));
    assert_eq!(
        (o.cancelled_at, o.cancel_reason, o.closed_at),
        (None, None, None)
    );
    assert!(o.refunds.is_empty());
    let l = o.line(12).unwrap();
    assert_eq!((l.sku.as_str(), l.title.as_str()), ("TABLE", "TABLE"));
    assert_eq!(
        (l.quantity, l.current_quantity, l.fulfilled_quantity),
        (3, 3, 2)
    );
    assert_eq!(o.fulfillable_quantity(l), 1);
    assert_eq!(o.effective_quantity(l), 3);
    assert_eq!(s.order_of_line(22), Some(1002));
    assert_eq!(s.order_of_line(99), None);
}

#[test]
fn order_number_is_the_number_in_the_name_else_the_id() {
    assert_eq!(Order::order_number_for(7, "#1001"), 1001);
    assert_eq!(Order::order_number_for(7, "Order 12"), 7);
    assert_eq!(Order::order_number_for(7, "#12a"), 7);
    assert_eq!(Order::order_number_for(7, "#"), 7);
    let mut s = Store::new();
    let mut o = new_order(5, vec![line(1, "A", 1, 0)]);
    o.name = Some("#42".into());
    assert_eq!(s.create_order(&o, t(0)).unwrap().order_number, 42);
}

#[test]
fn variants_are_one_per_sku_in_order_of_first_appearance() {
    let mut s = store();
    assert_eq!(s.variant_for_sku("CHAIR"), Some(1));
    assert_eq!(s.variant_for_sku("TABLE"), Some(2));
    assert_eq!(s.variant_for_sku("LAMP"), Some(3));
    assert_eq!(s.sku_for_variant(2), Some("TABLE"));
    assert_eq!(s.sku_for_variant(9), None);
    assert_eq!(s.order(1002).unwrap().line(21).unwrap().variant_id, 1);
    s.add_line(1002, None, "SOFA", 1, t(1)).unwrap();
    assert_eq!(
        s.variants().collect::<Vec<_>>(),
        [(1, "CHAIR"), (2, "TABLE"), (3, "LAMP"), (4, "SOFA")]
    );
}

#[test]
fn orders_are_read_in_id_order() {
    let mut s = Store::new();
    for id in [30, 10, 20] {
        s.create_order(&new_order(id, vec![line(id, "A", 1, 0)]), t(0))
            .unwrap();
    }
    let ids: Vec<_> = s.orders().map(|o| o.id).collect();
    assert_eq!(ids, [10, 20, 30]);
}

#[test]
fn orders_in_reads_a_range_of_ids_in_id_order() {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let mut s = Store::new();
    assert!(s.is_empty());
    for id in [30, 10, 20, 40] {
        s.create_order(&new_order(id, vec![line(id, "A", 1, 0)]), t(0))
            .unwrap();
    }
    assert_eq!((s.len(), s.is_empty()), (4, false));
    let ids = |it: &mut dyn Iterator<Item = &Order>| it.map(|o| o.id).collect::<Vec<_>>();
    let none: [OrderId; 0] = [];
    assert_eq!(ids(&mut s.orders_in((Excluded(20), Unbounded))), [30, 40]);
    assert_eq!(ids(&mut s.orders_in(..20).rev()), [10]);
    assert_eq!(ids(&mut s.orders_in(15..=30)), [20, 30]);
    assert_eq!(ids(&mut s.orders_in(..)), [10, 20, 30, 40]);
    // Ranges that hold no id yield nothing (`BTreeMap::range` would panic).
    assert_eq!(ids(&mut s.orders_in((Excluded(20), Excluded(20)))), none);
    assert_eq!(ids(&mut s.orders_in((Excluded(20), Included(20)))), none);
    assert_eq!(ids(&mut s.orders_in((Included(20), Excluded(20)))), none);
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = 30..10;
    assert_eq!(ids(&mut s.orders_in(backwards)), none);
    assert_eq!(ids(&mut s.orders_in((Excluded(40), Unbounded))), none);
}

/// The highest line id by a scan of every line of every order: what
/// `highest_line_id` must equal.
fn highest_line_by_scan(s: &Store) -> Option<LineId> {
    s.orders()
        .flat_map(|o| o.line_items.iter().map(|l| l.id))
        .max()
}

#[test]
fn highest_line_id_follows_creates_edits_and_deletes() {
    let mut s = Store::new();
    assert_eq!(s.highest_line_id(), None);
    s.create_order(
        &new_order(1, vec![line(50, "A", 1, 0), line(7, "B", 1, 0)]),
        t(0),
    )
    .unwrap();
    s.create_order(&new_order(2, vec![line(20, "A", 2, 0)]), t(0))
        .unwrap();
    assert_eq!(s.highest_line_id(), Some(50));
    // An added line takes an id above every line seen.
    let added = s.add_line(2, None, "C", 1, t(1)).unwrap().added_lines[0];
    assert_eq!(s.highest_line_id(), Some(added));
    // A line removed by an edit stays (quantity 0); its id still counts.
    s.set_quantity(2, added, 0, t(2)).unwrap();
    assert_eq!(s.highest_line_id(), Some(added));
    // A deleted order's lines are gone.
    s.cancel(2, CancelReason::Other, false, t(3)).unwrap();
    s.delete(2).unwrap();
    assert_eq!(s.highest_line_id(), Some(50));
    assert_eq!(s.highest_line_id(), highest_line_by_scan(&s));
    s.cancel(1, CancelReason::Other, false, t(4)).unwrap();
    s.delete(1).unwrap();
    assert_eq!(s.highest_line_id(), None);
}

#[test]
fn create_orders_is_all_or_nothing() {
    let mut s = store();
    // The first two would pass; the third reuses line 11 of order 1001.
    let batch = [
        new_order(2001, vec![line(31, "DESK", 1, 0)]),
        new_order(2002, vec![line(32, "SOFA", 2, 0), line(33, "CHAIR", 1, 0)]),
        new_order(2003, vec![line(11, "RUG", 1, 0)]),
    ];
    let err = refused(&mut s, |s| s.create_orders(&batch, t(1)).unwrap_err());
    assert_eq!(
        err,
        ShopifyError::DuplicateLine {
            line: 11,
            owner: "#1001".into()
        }
    );
    // An id used earlier in the same batch: refused as `create_order` refuses it.
    let err = refused(&mut s, |s| {
        s.create_orders(&[batch[0].clone(), batch[0].clone()], t(1))
            .unwrap_err()
    });
    assert_eq!(err, ShopifyError::DuplicateOrder { order: 2001 });
    let err = refused(&mut s, |s| {
        let again = new_order(2004, vec![line(31, "A", 1, 0)]);
        s.create_orders(&[batch[0].clone(), again], t(1))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::DuplicateLine {
            line: 31,
            owner: "#2001".into()
        }
    );
    // Nothing was allocated by the refused batches: the same store as creating
    // the good orders one by one.
    let mut one_by_one = store();
    for o in &batch[..2] {
        one_by_one.create_order(o, t(1)).unwrap();
    }
    s.create_orders(&batch[..2], t(1)).unwrap();
    assert_eq!(s, one_by_one);
    assert_eq!(s.variant_for_sku("DESK"), Some(4));
    assert_eq!(
        s.add_line(2001, None, "LAMP", 1, t(2)).unwrap().added_lines,
        [34]
    );
    assert_eq!(
        Store::with_orders(&batch[..2], t(1)).unwrap().len(),
        2,
        "with_orders creates the batch"
    );
}

#[test]
fn create_order_refusals() {
    let mut s = store();
    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1001, vec![line(99, "A", 1, 0)]), t(1))
            .unwrap_err()
    });
    assert_eq!(err, ShopifyError::DuplicateOrder { order: 1001 });
    assert_eq!(err.kind(), ErrorKind::Unprocessable);

    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(21, "A", 1, 0)]), t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 21 already exists (in order #1002); line item ids are unique in the store"
    );

    let err = refused(&mut s, |s| {
        let o = new_order(1003, vec![line(31, "NEW", 1, 0), line(31, "A", 1, 0)]);
        s.create_order(&o, t(1)).unwrap_err()
    });
    assert!(matches!(err, ShopifyError::DuplicateLine { line: 31, ref owner } if owner == "#1003"));

    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![]), t(1)).unwrap_err()
    });
    assert_eq!(err.to_string(), "order #1003 needs at least one line item");
    assert_eq!(err.kind(), ErrorKind::Invalid);

    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, "A", 2, 3)]), t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 31 of order #1003: 3 units cannot be fulfilled when only 2 are ordered"
    );

    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, "A", 0, 0)]), t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 31 of order #1003: a line item needs a quantity of at least 1"
    );

    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, "", 1, 0)]), t(1))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::EmptySku {
            order: "#1003".into()
        }
    );

    // A refused order allocates no variant: the next new SKU gets the next id.
    s.create_order(&new_order(1003, vec![line(31, "DESK", 1, 0)]), t(1))
        .unwrap();
    assert_eq!(s.variant_for_sku("DESK"), Some(4));
}

#[test]
fn an_order_can_start_archived_or_cancelled() {
    let mut s = Store::new();
    let mut archived = new_order(1, vec![line(11, "CHAIR", 3, 3), line(12, "LAMP", 2, 1)]);
    archived.archived = true;
    archived.financial_status = FinancialStatus::PartiallyRefunded;
    let o = s.create_order(&archived, t(0)).unwrap();
    assert_eq!(
        (o.closed_at, o.cancelled_at, o.cancel_reason),
        (Some(t(0)), None, None)
    );
    assert_eq!((o.created_at, o.updated_at), (t(0), t(0)));
    assert_eq!(o.financial_status, FinancialStatus::PartiallyRefunded);
    let j = o.to_rest_json();
    assert_eq!(j["closed_at"], "2026-01-01T09:00:00Z");
    assert_eq!(j["cancelled_at"], json!(null));
    assert_eq!(j["cancel_reason"], json!(null));
    assert_eq!(j["financial_status"], "partially_refunded");
    assert_eq!(j["fulfillment_status"], "partial");
    assert_eq!(j["line_items"][0]["fulfillment_status"], "fulfilled");
    assert_eq!(j["line_items"][1]["fulfillable_quantity"], 1);

    let mut cancelled = new_order(2, vec![line(21, "CHAIR", 2, 0)]);
    cancelled.cancelled = true;
    cancelled.financial_status = FinancialStatus::Voided;
    let o = s.create_order(&cancelled, t(1)).unwrap();
    assert_eq!(o.cancelled_at, Some(t(1)));
    assert_eq!(o.cancel_reason, Some(CancelReason::Other));
    assert_eq!(o.closed_at, None);
    assert_eq!(o.effective_quantity(o.line(21).unwrap()), 0);
    let j = o.to_rest_json();
    assert_eq!(j["cancelled_at"], "2026-01-01T09:01:00Z");
    assert_eq!(j["cancel_reason"], "other");
    assert_eq!(j["closed_at"], json!(null));
    assert_eq!(j["fulfillment_status"], json!(null));
    assert_eq!(j["line_items"][0]["current_quantity"], 2);
    assert_eq!(j["line_items"][0]["fulfillable_quantity"], 0);

    let mut both = new_order(3, vec![line(31, "CHAIR", 1, 0)]);
    both.archived = true;
    both.cancelled = true;
    both.financial_status = FinancialStatus::Pending;
    let o = s.create_order(&both, t(2)).unwrap();
    assert_eq!((o.cancelled_at, o.closed_at), (Some(t(2)), Some(t(2))));
    // Such an order behaves as one cancelled and archived later: it can be
    // deleted, not cancelled again, not edited.
    assert_eq!(
        s.cancel(3, CancelReason::Other, false, t(3))
            .unwrap_err()
            .code(),
        "already_cancelled"
    );
    assert_eq!(
        s.set_quantity(3, 31, 2, t(3)).unwrap_err().code(),
        "order_cancelled"
    );
    assert_eq!(
        s.set_quantity(1, 12, 2, t(3)).unwrap_err().code(),
        "order_archived"
    );
    s.delete(3).unwrap();
}

#[test]
fn an_order_with_fulfilled_units_cannot_start_cancelled() {
    let mut s = store();
    let mut o = new_order(1003, vec![line(31, "A", 2, 0), line(32, "B", 3, 2)]);
    o.cancelled = true;
    let err = refused(&mut s, |s| s.create_order(&o, t(1)).unwrap_err());
    assert_eq!(
        err,
        ShopifyError::CancelFulfilled {
            order: "#1003".into(),
            fulfilled: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "order #1003 cannot be cancelled: 2 units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)"
    );
    // Archived as well changes nothing; archived alone is fine.
    o.archived = true;
    let err = refused(&mut s, |s| s.create_order(&o, t(1)).unwrap_err());
    assert_eq!(err.code(), "order_has_fulfilments");
    // It is a value check: every line is checked first, and the id before that.
    let mut bad_line = o.clone();
    bad_line.lines.push(line(33, "", 1, 0));
    let err = refused(&mut s, |s| s.create_order(&bad_line, t(1)).unwrap_err());
    assert_eq!(err.code(), "sku_missing");
    let mut used = o.clone();
    used.id = 1001;
    let err = refused(&mut s, |s| s.create_order(&used, t(1)).unwrap_err());
    assert_eq!(err.code(), "order_exists");
    o.cancelled = false;
    s.create_order(&o, t(1)).unwrap();
    assert!(s.order(1003).unwrap().is_closed());
}

#[test]
fn new_orders_read_and_write_the_start_flags_only_when_set() {
    let plain: NewOrder =
        serde_json::from_value(json!({"id": 1, "lines": [{"id": 1, "sku": "A", "quantity": 1}]}))
            .unwrap();
    assert!(!plain.archived && !plain.cancelled);
    let written = serde_json::to_value(&plain).unwrap();
    assert!(written.get("archived").is_none() && written.get("cancelled").is_none());
    let flagged: NewOrder = serde_json::from_value(json!({
        "id": 1, "archived": true, "cancelled": true, "financial_status": "refunded",
        "lines": [{"id": 1, "sku": "A", "quantity": 1}]
    }))
    .unwrap();
    assert!(flagged.archived && flagged.cancelled);
    let written = serde_json::to_value(&flagged).unwrap();
    assert_eq!(
        (&written["archived"], &written["cancelled"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        serde_json::from_value::<NewOrder>(written).unwrap(),
        flagged
    );
    // Still strict about unknown keys.
    assert!(
        serde_json::from_value::<NewOrder>(json!({"id": 1, "closed": true, "lines": []})).is_err()
    );
}

// ----- edit --------------------------------------------------------------------

#[test]
fn lowering_a_quantity_lowers_current_quantity_only() {
    let mut s = store();
    let edit = s.set_quantity(1001, 11, 3, t(1)).unwrap();
    let o = s.order(1001).unwrap();
    let l = o.line(11).unwrap();
    assert_eq!((l.quantity, l.current_quantity), (5, 3));
    assert_eq!(o.updated_at, t(1));
    assert_eq!(o.created_at, t(0));
    assert_eq!(edit.id, 1);
    assert_eq!(edit.order_id, 1001);
    assert_eq!(edit.created_at, t(1));
    assert!(edit.additions.is_empty());
    assert_eq!(edit.removals, [LineDelta { id: 11, delta: 2 }]);
    assert!(edit.added_lines.is_empty());
}

#[test]
fn raising_a_quantity_raises_current_quantity_on_the_same_line() {
    let mut s = store();
    let edit = s.set_quantity(1001, 11, 8, t(1)).unwrap();
    let l = s.order(1001).unwrap().line(11).unwrap().clone();
    assert_eq!((l.quantity, l.current_quantity), (5, 8));
    assert_eq!(edit.additions, [LineDelta { id: 11, delta: 3 }]);
    assert_eq!(s.order(1001).unwrap().line_items.len(), 2);
}

#[test]
fn quantity_zero_removes_the_line_which_stays_with_zero() {
    let mut s = store();
    s.set_quantity(1002, 22, 0, t(1)).unwrap();
    let o = s.order(1002).unwrap();
    let l = o.line(22).unwrap();
    assert_eq!((l.quantity, l.current_quantity), (1, 0));
    assert_eq!(o.effective_quantity(l), 0);
    assert_eq!(o.line_items.len(), 2);
    // It can be raised again.
    s.set_quantity(1002, 22, 2, t(2)).unwrap();
    assert_eq!(current(&s, 1002, 22), 2);
}

#[test]
fn an_edit_cannot_go_below_the_fulfilled_units() {
    let mut s = store();
    let err = refused(&mut s, |s| s.set_quantity(1001, 12, 1, t(1)).unwrap_err());
    assert_eq!(
        err.to_string(),
        "line item 12 of order #1001: only 1 unfulfilled units can be edited; 2 are fulfilled (0 of them returned), so the quantity cannot go below the 2 the customer kept (asked 1)"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);
    // Down to exactly the fulfilled units is fine.
    s.set_quantity(1001, 12, 2, t(1)).unwrap();
    let o = s.order(1001).unwrap();
    assert_eq!(o.fulfillable_quantity(o.line(12).unwrap()), 0);
}

#[test]
fn add_line_allocates_an_id_above_every_line_seen() {
    let mut s = store();
    let edit = s.add_line(1001, None, "SOFA", 2, t(1)).unwrap();
    assert_eq!(edit.added_lines, [23]);
    assert_eq!(edit.additions, [LineDelta { id: 23, delta: 2 }]);
    let o = s.order(1001).unwrap();
    let l = o.line(23).unwrap();
    assert_eq!(
        (
            l.sku.as_str(),
            l.variant_id,
            l.quantity,
            l.current_quantity,
            l.fulfilled_quantity
        ),
        ("SOFA", 4, 2, 2, 0)
    );
    assert_eq!(o.line_items.last().unwrap().id, 23);
    assert_eq!(s.order_of_line(23), Some(1001));

    // An explicit id, then an allocated one above it.
    s.add_line(1002, Some(100), "CHAIR", 1, t(2)).unwrap();
    assert_eq!(s.order(1002).unwrap().line(100).unwrap().variant_id, 1);
    let edit = s.add_line(1002, None, "CHAIR", 1, t(3)).unwrap();
    assert_eq!(edit.added_lines, [101]);
    assert_eq!(edit.id, 3);
}

#[test]
fn add_line_by_variant() {
    let mut s = store();
    let op = EditOp::AddLine {
        line: Some(50),
        item: ItemRef::Variant(3),
        quantity: 4,
    };
    s.edit(1001, &[op], t(1)).unwrap();
    assert_eq!(s.order(1001).unwrap().line(50).unwrap().sku, "LAMP");

    let op = EditOp::AddLine {
        line: None,
        item: ItemRef::Variant(99),
        quantity: 1,
    };
    let err = refused(&mut s, |s| s.edit(1001, &[op], t(2)).unwrap_err());
    assert_eq!(err, ShopifyError::VariantNotFound { variant: 99 });
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn add_line_refusals() {
    let mut s = store();
    let err = refused(&mut s, |s| {
        s.add_line(1001, Some(21), "A", 1, t(1)).unwrap_err()
    });
    assert!(matches!(err, ShopifyError::DuplicateLine { line: 21, ref owner } if owner == "#1002"));

    let err = refused(&mut s, |s| {
        s.add_line(1001, None, "SOFA", 0, t(1)).unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 23 of order #1001: a new line item needs a quantity of at least 1"
    );

    let err = refused(&mut s, |s| s.add_line(1001, None, "", 1, t(1)).unwrap_err());
    assert!(matches!(err, ShopifyError::EmptySku { .. }));

    // Two explicit lines with the same id in one batch.
    let add = |line| EditOp::AddLine {
        line: Some(line),
        item: ItemRef::Sku("A".into()),
        quantity: 1,
    };
    let err = refused(&mut s, |s| {
        s.edit(1001, &[add(60), add(60)], t(1)).unwrap_err()
    });
    assert!(matches!(err, ShopifyError::DuplicateLine { line: 60, ref owner } if owner == "#1001"));
}

#[test]
fn a_refused_batch_changes_nothing_and_allocates_nothing() {
    let mut s = store();
    let ops = [
        EditOp::SetQuantity {
            line: 11,
            quantity: 1,
        },
        EditOp::AddLine {
            line: None,
            item: ItemRef::Sku("SOFA".into()),
            quantity: 1,
        },
        EditOp::SetQuantity {
            line: 12,
            quantity: 0,
        },
    ];
    let err = refused(&mut s, |s| s.edit(1001, &ops, t(1)).unwrap_err());
    assert!(matches!(
        err,
        ShopifyError::EditBelowFulfilled { line: 12, .. }
    ));
    assert_eq!(s.variant_for_sku("SOFA"), None);
    // The ids a refused batch would have used are still free.
    let edit = s.add_line(1001, None, "SOFA", 1, t(2)).unwrap();
    assert_eq!((edit.id, edit.added_lines[0]), (1, 23));
    assert_eq!(s.variant_for_sku("SOFA"), Some(4));
}

#[test]
fn a_batch_applies_in_order_and_reports_net_deltas() {
    let mut s = store();
    let ops = [
        EditOp::SetQuantity {
            line: 11,
            quantity: 9,
        },
        EditOp::AddLine {
            line: Some(70),
            item: ItemRef::Sku("SOFA".into()),
            quantity: 2,
        },
        EditOp::SetQuantity {
            line: 11,
            quantity: 4,
        },
        EditOp::SetQuantity {
            line: 70,
            quantity: 3,
        },
        EditOp::SetQuantity {
            line: 12,
            quantity: 3,
        },
    ];
    let edit = s.edit(1001, &ops, t(1)).unwrap();
    assert_eq!(edit.additions, [LineDelta { id: 70, delta: 3 }]);
    assert_eq!(edit.removals, [LineDelta { id: 11, delta: 1 }]);
    assert_eq!(edit.added_lines, [70]);
    let l = s.order(1001).unwrap().line(70).unwrap().clone();
    assert_eq!((l.quantity, l.current_quantity), (2, 3));
}

#[test]
fn an_edit_that_changes_nothing_leaves_the_order_as_it_is() {
    // rules.md §4: a Shopify step that changes nothing brings nothing; the order is
    // not touched (no `updated_at`, no webhook from the mock).
    let mut s = store();
    let before = s.order(1001).unwrap().clone();
    let edit = s.edit(1001, &[], t(1)).unwrap();
    assert!(edit.is_empty());
    let current = before.line(11).unwrap().current_quantity;
    let same = s.set_quantity(1001, 11, current, t(2)).unwrap();
    assert!(same.is_empty());
    assert_eq!(s.order(1001).unwrap(), &before);
}

#[test]
fn cancelled_and_archived_orders_cannot_be_edited() {
    let mut s = store();
    s.cancel(1002, CancelReason::Customer, false, t(1)).unwrap();
    let err = refused(&mut s, |s| s.set_quantity(1002, 21, 1, t(2)).unwrap_err());
    assert_eq!(
        err.to_string(),
        "order #1002 is cancelled and cannot be edited"
    );

    s.close(1001, t(3)).unwrap();
    let err = refused(&mut s, |s| {
        s.add_line(1001, None, "A", 1, t(4)).unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "order #1001 is archived and cannot be edited; unarchive (open) it first"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);
    s.open(1001, t(5)).unwrap();
    s.set_quantity(1001, 11, 1, t(6)).unwrap();
}

#[test]
fn unknown_orders_and_lines_are_not_found() {
    let mut s = store();
    let err = refused(&mut s, |s| s.set_quantity(9, 11, 1, t(1)).unwrap_err());
    assert_eq!(err.to_string(), "order 9 not found");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = refused(&mut s, |s| s.set_quantity(1001, 21, 1, t(1)).unwrap_err());
    assert_eq!(err.to_string(), "order #1001 has no line item 21");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    for err in [
        s.close(9, t(1)).unwrap_err(),
        s.open(9, t(1)).unwrap_err(),
        s.cancel(9, CancelReason::Other, false, t(1)).unwrap_err(),
        s.delete(9).unwrap_err(),
        s.fulfill(9, 11, 1, t(1)).unwrap_err(),
        s.refund(9, &[], None, t(1)).unwrap_err(),
        s.fulfill(1001, 99, 1, t(1)).unwrap_err(),
        s.refund(1001, &[req(99, 1, RestockType::Cancel)], None, t(1))
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }
    assert_eq!(s, store());
}

#[test]
fn order_edit_webhook_json() {
    let mut s = store();
    let mut edit = s
        .edit(
            1001,
            &[
                EditOp::SetQuantity {
                    line: 11,
                    quantity: 2,
                },
                EditOp::AddLine {
                    line: None,
                    item: ItemRef::Sku("SOFA".into()),
                    quantity: 1,
                },
            ],
            t(1),
        )
        .unwrap();
    edit.staff_note = "customer called".into();
    assert_eq!(
        edit.to_webhook_json(),
        json!({"order_edit": {
            "id": 1,
            "app_id": null,
            "created_at": "2026-01-01T09:01:00Z",
            "committed_at": "2026-01-01T09:01:00Z",
            "notify_customer": false,
            "order_id": 1001,
            "staff_note": "customer called",
            "user_id": null,
            "line_items": {
                "additions": [{"id": 23, "delta": 1}],
                "removals": [{"id": 11, "delta": 3}],
            },
            "discounts": {"additions": [], "removals": []},
            "shipping_lines": {"additions": [], "removals": []},
        }})
    );
}

// ----- refund ------------------------------------------------------------------

#[test]
fn refunding_unfulfilled_units_reduces_current_quantity() {
    for restock in [
        RestockType::Cancel,
        RestockType::NoRestock,
        RestockType::LegacyRestock,
    ] {
        let mut s = store();
        let r = s
            .refund(
                1001,
                &[req(11, 2, restock), req(12, 1, restock)],
                Some("sorry"),
                t(1),
            )
            .unwrap()
            .clone();
        assert_eq!((r.id, r.order_id, r.created_at), (1, 1001, t(1)));
        assert_eq!(r.note.as_deref(), Some("sorry"));
        assert_eq!(
            r.refund_line_items,
            [
                RefundLineItem {
                    id: 1,
                    line_item_id: 11,
                    quantity: 2,
                    restock_type: restock
                },
                RefundLineItem {
                    id: 2,
                    line_item_id: 12,
                    quantity: 1,
                    restock_type: restock
                },
            ]
        );
        let o = s.order(1001).unwrap();
        assert_eq!((current(&s, 1001, 11), current(&s, 1001, 12)), (3, 2));
        assert_eq!(o.line(12).unwrap().fulfilled_quantity, 2);
        assert_eq!(o.line(11).unwrap().quantity, 5);
        assert_eq!(o.financial_status, FinancialStatus::PartiallyRefunded);
        assert_eq!(o.updated_at, t(1));
    }
}

#[test]
fn a_return_takes_fulfilled_units_which_stay_fulfilled() {
    let mut s = store();
    s.refund(1001, &[req(12, 2, RestockType::Return)], None, t(1))
        .unwrap();
    let o = s.order(1001).unwrap();
    let l = o.line(12).unwrap();
    assert_eq!(
        (
            l.quantity,
            l.current_quantity,
            l.fulfilled_quantity,
            l.returned_quantity
        ),
        (3, 1, 2, 2)
    );
    // The one unit never fulfilled is still to fulfil.
    assert_eq!((l.unfulfilled_quantity(), l.kept_quantity()), (1, 0));
    assert_eq!(o.fulfillable_quantity(l), 1);
    assert_eq!(l.fulfillment_status(), Some(FulfillmentStatus::Partial));
    assert_eq!(o.financial_status, FinancialStatus::PartiallyRefunded);
}

#[test]
fn a_line_of_5_with_3_fulfilled_and_2_returned_has_2_unfulfilled() {
    let mut s = Store::with_orders(&[new_order(1, vec![line(11, "CHAIR", 5, 3)])], t(0)).unwrap();
    s.refund(1, &[req(11, 2, RestockType::Return)], None, t(1))
        .unwrap();
    let o = s.order(1).unwrap();
    let l = o.line(11).unwrap();
    assert_eq!(
        (
            l.current_quantity,
            l.fulfilled_quantity,
            l.returned_quantity
        ),
        (3, 3, 2)
    );
    assert_eq!((l.unfulfilled_quantity(), l.kept_quantity()), (2, 1));
    let j = o.to_rest_json();
    assert_eq!(j["line_items"][0]["current_quantity"], 3);
    assert_eq!(j["line_items"][0]["fulfillable_quantity"], 2);
    assert_eq!(j["line_items"][0]["fulfillment_status"], "partial");
    assert_eq!(j["fulfillment_status"], "partial");
    // The refund lists the return, as a client reads it back.
    assert_eq!(
        j["refunds"][0]["refund_line_items"][0],
        json!({
            "id": 1,
            "line_item_id": 11,
            "location_id": null,
            "quantity": 2,
            "restock_type": "return",
            "line_item": j["line_items"][0],
        })
    );

    // Only the 1 fulfilled unit not returned can still be returned.
    let err = refused(&mut s, |s| {
        s.refund(1, &[req(11, 2, RestockType::Return)], None, t(2))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::ReturnExceedsFulfilled {
            order: "#1".into(),
            line: 11,
            requested: 2,
            fulfilled: 3,
            returned: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "line item 11 of order #1: only 1 fulfilled units can be returned; asked 2 (3 are fulfilled, 2 of them already returned)"
    );
    assert_eq!(ShopifyError::from_message(&err.to_string()), Some(err));

    // An edit may go down to the 1 unit the customer kept, not below.
    let err = refused(&mut s, |s| s.set_quantity(1, 11, 0, t(2)).unwrap_err());
    assert_eq!(
        err,
        ShopifyError::EditBelowFulfilled {
            order: "#1".into(),
            line: 11,
            requested: 0,
            fulfilled: 3,
            returned: 2,
            unfulfilled: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "line item 11 of order #1: only 2 unfulfilled units can be edited; 3 are fulfilled (2 of them returned), so the quantity cannot go below the 1 the customer kept (asked 0)"
    );
    assert_eq!(ShopifyError::from_message(&err.to_string()), Some(err));
    let mut edited = s.clone();
    edited.set_quantity(1, 11, 1, t(2)).unwrap();
    let l = edited.order(1).unwrap().line(11).unwrap().clone();
    assert_eq!((l.current_quantity, l.unfulfilled_quantity()), (1, 0));
    assert_eq!(l.fulfillment_status(), Some(FulfillmentStatus::Fulfilled));

    // A cancel refund takes at most the 2 unfulfilled units.
    let err = refused(&mut s, |s| {
        s.refund(1, &[req(11, 3, RestockType::Cancel)], None, t(2))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 11 of order #1: only 2 unfulfilled units can be refunded with restock type cancel; asked 3 (1 are fulfilled: refund those with restock type return)"
    );

    // The 2 unfulfilled units can be fulfilled; then the line is fulfilled.
    let err = refused(&mut s, |s| s.fulfill(1, 11, 3, t(2)).unwrap_err());
    assert_eq!(err.code(), "fulfill_above_unfulfilled");
    let o = s.fulfill(1, 11, 2, t(2)).unwrap();
    let l = o.line(11).unwrap();
    assert_eq!(
        (
            l.current_quantity,
            l.fulfilled_quantity,
            l.returned_quantity
        ),
        (3, 5, 2)
    );
    assert_eq!(o.fulfillment_status(), Some(FulfillmentStatus::Fulfilled));
    assert_eq!(o.to_rest_json()["line_items"][0]["fulfillable_quantity"], 0);
}

#[test]
fn a_line_whose_fulfilled_units_were_all_returned_is_still_fulfilled() {
    let mut s = Store::with_orders(
        &[new_order(
            1,
            vec![line(11, "CHAIR", 3, 3), line(12, "LAMP", 1, 1)],
        )],
        t(0),
    )
    .unwrap();
    s.refund(1, &[req(11, 3, RestockType::Return)], None, t(1))
        .unwrap();
    let o = s.order(1).unwrap();
    let l = o.line(11).unwrap();
    assert_eq!(
        (
            l.current_quantity,
            l.fulfilled_quantity,
            l.returned_quantity
        ),
        (0, 3, 3)
    );
    assert_eq!(l.fulfillment_status(), Some(FulfillmentStatus::Fulfilled));
    assert_eq!(o.fulfillment_status(), Some(FulfillmentStatus::Fulfilled));
    let j = o.to_rest_json();
    assert_eq!(j["fulfillment_status"], "fulfilled");
    assert_eq!(j["line_items"][0]["fulfillment_status"], "fulfilled");
    assert_eq!(j["line_items"][0]["current_quantity"], 0);
    assert_eq!(j["line_items"][0]["fulfillable_quantity"], 0);
    // Nothing more to return, and the quantity can go down to 0 or up again.
    let err = refused(&mut s, |s| {
        s.refund(1, &[req(11, 1, RestockType::Return)], None, t(2))
            .unwrap_err()
    });
    assert_eq!(err.code(), "return_above_fulfilled");
    s.clone().set_quantity(1, 11, 0, t(2)).unwrap();
    let o = s.clone().set_quantity(1, 11, 2, t(2)).unwrap();
    assert_eq!(o.additions, [LineDelta { id: 11, delta: 2 }]);

    // Every fulfilled unit returned: still an order with fulfilled items.
    s.refund(1, &[req(12, 1, RestockType::Return)], None, t(2))
        .unwrap();
    let o = s.order(1).unwrap();
    assert_eq!(o.financial_status, FinancialStatus::Refunded);
    assert_eq!(o.fulfillment_status(), Some(FulfillmentStatus::Fulfilled));
    let err = refused(&mut s, |s| {
        s.cancel(1, CancelReason::Other, false, t(3)).unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::CancelFulfilled {
            order: "#1".into(),
            fulfilled: 4
        }
    );
}

#[test]
fn a_refund_of_money_only_changes_no_quantity() {
    let mut s = store();
    let r = s.refund(1002, &[], None, t(1)).unwrap();
    assert!(r.is_money_only());
    let o = s.order(1002).unwrap();
    assert_eq!((current(&s, 1002, 21), current(&s, 1002, 22)), (2, 1));
    assert_eq!(o.financial_status, FinancialStatus::PartiallyRefunded);
    assert_eq!(o.refunds.len(), 1);
}

#[test]
fn refunding_everything_makes_the_order_refunded() {
    let mut s = store();
    s.refund(
        1002,
        &[
            req(21, 2, RestockType::Cancel),
            req(22, 1, RestockType::NoRestock),
        ],
        None,
        t(1),
    )
    .unwrap();
    assert_eq!(
        s.order(1002).unwrap().financial_status,
        FinancialStatus::Refunded
    );
}

#[test]
fn refund_refusals_change_nothing() {
    let mut s = store();
    let err = refused(&mut s, |s| {
        s.refund(1001, &[req(12, 2, RestockType::Cancel)], None, t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 12 of order #1001: only 1 unfulfilled units can be refunded with restock type cancel; asked 2 (2 are fulfilled: refund those with restock type return)"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);

    let err = refused(&mut s, |s| {
        s.refund(1001, &[req(11, 1, RestockType::Return)], None, t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 11 of order #1001: only 0 fulfilled units can be returned; asked 1 (0 are fulfilled, 0 of them already returned)"
    );

    let err = refused(&mut s, |s| {
        s.refund(1001, &[req(11, 0, RestockType::Cancel)], None, t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "line item 11 of order #1001: a refund needs a quantity of at least 1"
    );

    // The same line twice: together they exceed what is unfulfilled.
    let err = refused(&mut s, |s| {
        s.refund(
            1001,
            &[
                req(11, 3, RestockType::Cancel),
                req(11, 3, RestockType::NoRestock),
            ],
            None,
            t(1),
        )
        .unwrap_err()
    });
    assert!(matches!(
        err,
        ShopifyError::RefundExceedsUnfulfilled {
            unfulfilled: 2,
            requested: 3,
            ..
        }
    ));

    // A good line then a bad one: nothing refunded, no id used.
    refused(&mut s, |s| {
        s.refund(
            1001,
            &[
                req(11, 1, RestockType::Cancel),
                req(12, 3, RestockType::Return),
            ],
            None,
            t(1),
        )
        .unwrap_err()
    });
    assert_eq!(s.refund(1001, &[], None, t(2)).unwrap().id, 1);
}

#[test]
fn refunds_can_be_read_back() {
    let mut s = store();
    s.refund(1001, &[req(11, 1, RestockType::Cancel)], None, t(1))
        .unwrap();
    s.refund(1002, &[], None, t(2)).unwrap();
    s.refund(1001, &[], Some("goodwill"), t(3)).unwrap();
    let ids: Vec<_> = s.refunds(1001).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 3]);
    assert_eq!(
        s.get_refund(1001, 3).unwrap().note.as_deref(),
        Some("goodwill")
    );
    let err = s.get_refund(1001, 2).unwrap_err();
    assert_eq!(err.to_string(), "order #1001 has no refund 2");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(s.refunds(9).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn refund_rest_json() {
    let mut s = store();
    s.refund(1001, &[req(12, 1, RestockType::Return)], None, t(1))
        .unwrap();
    let o = s.order(1001).unwrap();
    let j = o.refunds[0].to_rest_json(o);
    assert_eq!(j["id"], 1);
    assert_eq!(j["admin_graphql_api_id"], "gid://shopify/Refund/1");
    assert_eq!(j["order_id"], 1001);
    assert_eq!(j["created_at"], "2026-01-01T09:01:00Z");
    assert_eq!(j["note"], json!(null));
    assert_eq!(j["restock"], true);
    let rli = &j["refund_line_items"][0];
    assert_eq!(rli["id"], 1);
    assert_eq!(rli["line_item_id"], 12);
    assert_eq!(rli["quantity"], 1);
    assert_eq!(rli["restock_type"], "return");
    assert_eq!(rli["line_item"]["id"], 12);
    assert_eq!(rli["line_item"]["current_quantity"], 2);
    assert_eq!(o.to_rest_json()["refunds"][0], j);
}

// ----- cancel, close, open, delete ---------------------------------------------

#[test]
fn cancel_keeps_current_quantity_and_zeroes_effective_quantity() {
    let mut s = store();
    let o = s.cancel(1002, CancelReason::Inventory, true, t(1)).unwrap();
    assert!(o.is_cancelled());
    assert_eq!(o.cancelled_at, Some(t(1)));
    assert_eq!(o.cancel_reason, Some(CancelReason::Inventory));
    assert_eq!(o.updated_at, t(1));
    assert_eq!(o.financial_status, FinancialStatus::Paid);
    let l = o.line(21).unwrap();
    assert_eq!(l.current_quantity, 2);
    assert_eq!(o.effective_quantity(l), 0);
    assert_eq!(o.fulfillable_quantity(l), 0);
    assert!(!o.is_closed());
}

#[test]
fn cancel_refusals() {
    let mut s = store();
    let err = refused(&mut s, |s| {
        s.cancel(1001, CancelReason::Other, false, t(1))
            .unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "order #1001 cannot be cancelled: 2 units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);

    s.cancel(1002, CancelReason::Other, false, t(1)).unwrap();
    let err = refused(&mut s, |s| {
        s.cancel(1002, CancelReason::Fraud, false, t(2))
            .unwrap_err()
    });
    assert_eq!(err.to_string(), "order #1002 is already cancelled");

    // Returned units stay fulfilled: returning them does not make the order
    // cancellable (rules.md §4, "Returned units").
    s.refund(1001, &[req(12, 2, RestockType::Return)], None, t(3))
        .unwrap();
    let err = refused(&mut s, |s| {
        s.cancel(1001, CancelReason::Customer, false, t(4))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::CancelFulfilled {
            order: "#1001".into(),
            fulfilled: 2
        }
    );
}

#[test]
fn close_and_open_are_idempotent() {
    let mut s = store();
    let o = s.close(1001, t(1)).unwrap();
    assert_eq!((o.closed_at, o.updated_at), (Some(t(1)), t(1)));
    assert!(o.is_closed());
    let o = s.close(1001, t(2)).unwrap();
    assert_eq!((o.closed_at, o.updated_at), (Some(t(1)), t(1)));
    let o = s.open(1001, t(3)).unwrap();
    assert_eq!((o.closed_at, o.updated_at), (None, t(3)));
    let o = s.open(1001, t(4)).unwrap();
    assert_eq!((o.closed_at, o.updated_at), (None, t(3)));
}

#[test]
fn only_archived_or_cancelled_orders_can_be_deleted() {
    let mut s = store();
    let err = refused(&mut s, |s| s.delete(1001).unwrap_err());
    assert_eq!(
        err.to_string(),
        "order #1001 cannot be deleted: only an archived (closed) or cancelled order can be deleted; archive or cancel it first"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);

    s.close(1001, t(1)).unwrap();
    let gone = s.delete(1001).unwrap();
    assert_eq!(gone.id, 1001);
    assert_eq!(s.order(1001).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.order_of_line(11), None);

    s.cancel(1002, CancelReason::Other, false, t(2)).unwrap();
    s.delete(1002).unwrap();
    assert_eq!(s.orders().count(), 0);

    // Line ids of deleted orders are free again; allocated ids still count up.
    s.create_order(&new_order(1001, vec![line(11, "CHAIR", 1, 0)]), t(3))
        .unwrap();
    let edit = s.add_line(1001, None, "CHAIR", 1, t(4)).unwrap();
    assert_eq!(edit.added_lines, [23]);
}

// ----- pay ---------------------------------------------------------------------

#[test]
fn paying_captures_a_pending_or_authorized_payment() {
    for status in [FinancialStatus::Pending, FinancialStatus::Authorized] {
        let mut s = Store::new();
        let mut o = new_order(1001, vec![line(11, "CHAIR", 2, 1)]);
        o.financial_status = status;
        s.create_order(&o, t(0)).unwrap();
        let before = s.order(1001).unwrap().clone();
        let paid = s.pay(1001, t(1)).unwrap().clone();
        assert_eq!(paid.financial_status, FinancialStatus::Paid);
        assert_eq!(paid.updated_at, t(1));
        // Nothing else changes.
        assert_eq!(
            Order {
                financial_status: status,
                updated_at: t(0),
                ..paid.clone()
            },
            before
        );
        assert_eq!(paid.to_rest_json()["financial_status"], "paid");
    }
}

#[test]
fn an_archived_order_can_be_paid() {
    let mut s = Store::new();
    let mut o = new_order(1001, vec![line(11, "CHAIR", 2, 0)]);
    o.financial_status = FinancialStatus::Pending;
    o.archived = true;
    s.create_order(&o, t(0)).unwrap();
    let paid = s.pay(1001, t(1)).unwrap();
    assert_eq!(paid.financial_status, FinancialStatus::Paid);
    assert!(paid.is_closed());
}

#[test]
fn pay_refusals() {
    let mut s = store();
    let err = refused(&mut s, |s| s.pay(9, t(1)).unwrap_err());
    assert_eq!(err, ShopifyError::OrderNotFound { order: 9 });
    for status in FinancialStatus::ALL {
        if matches!(
            status,
            FinancialStatus::Pending | FinancialStatus::Authorized
        ) {
            continue;
        }
        let mut s = Store::new();
        let mut o = new_order(1001, vec![line(11, "CHAIR", 2, 0)]);
        o.financial_status = status;
        s.create_order(&o, t(0)).unwrap();
        let err = refused(&mut s, |s| s.pay(1001, t(1)).unwrap_err());
        assert_eq!(
            err,
            ShopifyError::NotPending {
                order: "#1001".into(),
                status
            }
        );
        assert_eq!(err.code(), "payment_not_pending");
        assert_eq!(err.kind(), ErrorKind::Unprocessable);
        assert_eq!(ShopifyError::from_message(&err.to_string()), Some(err));
    }
    let err = refused(&mut s, |s| s.pay(1001, t(1)).unwrap_err());
    assert_eq!(
        err.to_string(),
        "order #1001 has no pending payment to capture: its financial status is paid"
    );
    // Paying twice: the second is refused.
    let mut s = Store::new();
    let mut o = new_order(1001, vec![line(11, "CHAIR", 2, 0)]);
    o.financial_status = FinancialStatus::Authorized;
    s.create_order(&o, t(0)).unwrap();
    s.pay(1001, t(1)).unwrap();
    assert_eq!(s.pay(1001, t(2)).unwrap_err().code(), "payment_not_pending");

    // Cancelled comes before the payment (step 2: cancelled, then the payment).
    let mut s = Store::new();
    let mut o = new_order(1001, vec![line(11, "CHAIR", 2, 0)]);
    o.financial_status = FinancialStatus::Pending;
    o.cancelled = true;
    s.create_order(&o, t(0)).unwrap();
    let err = refused(&mut s, |s| s.pay(1001, t(1)).unwrap_err());
    assert_eq!(
        err.to_string(),
        "order #1001 is cancelled and cannot be paid"
    );
    assert_eq!(err.code(), "order_cancelled");
    assert_eq!(err.kind(), ErrorKind::Unprocessable);
    let mut s = store();
    s.cancel(1002, CancelReason::Other, false, t(1)).unwrap();
    let err = refused(&mut s, |s| s.pay(1002, t(2)).unwrap_err());
    assert_eq!(
        err,
        ShopifyError::PayCancelled {
            order: "#1002".into()
        }
    );
}

// ----- fulfill -----------------------------------------------------------------

#[test]
fn fulfilling_units_moves_the_fulfilment_status() {
    let mut s = store();
    let o = s.order(1002).unwrap();
    assert_eq!(o.fulfillment_status(), None);
    let o = s.fulfill(1002, 21, 1, t(1)).unwrap();
    assert_eq!(o.updated_at, t(1));
    assert_eq!(o.fulfillment_status(), Some(FulfillmentStatus::Partial));
    assert_eq!(
        o.line(21).unwrap().fulfillment_status(),
        Some(FulfillmentStatus::Partial)
    );
    s.fulfill(1002, 21, 1, t(2)).unwrap();
    let o = s.fulfill(1002, 22, 1, t(3)).unwrap();
    assert_eq!(
        o.line(21).unwrap().fulfillment_status(),
        Some(FulfillmentStatus::Fulfilled)
    );
    assert_eq!(o.fulfillment_status(), Some(FulfillmentStatus::Fulfilled));
    assert_eq!(o.fulfillable_quantity(o.line(21).unwrap()), 0);
}

#[test]
fn removed_lines_do_not_hold_back_a_fulfilled_status() {
    let mut s = store();
    s.set_quantity(1001, 11, 0, t(1)).unwrap();
    s.fulfill(1001, 12, 1, t(2)).unwrap();
    assert_eq!(
        s.order(1001).unwrap().fulfillment_status(),
        Some(FulfillmentStatus::Fulfilled)
    );
}

#[test]
fn fulfil_refusals() {
    let mut s = store();
    let err = refused(&mut s, |s| s.fulfill(1001, 12, 2, t(1)).unwrap_err());
    assert_eq!(
        err.to_string(),
        "line item 12 of order #1001: only 1 units are unfulfilled; cannot fulfil 2"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);
    let err = refused(&mut s, |s| s.fulfill(1001, 11, 0, t(1)).unwrap_err());
    assert!(matches!(err, ShopifyError::ZeroQuantity { .. }));

    s.cancel(1002, CancelReason::Other, false, t(1)).unwrap();
    let err = refused(&mut s, |s| s.fulfill(1002, 21, 1, t(2)).unwrap_err());
    assert_eq!(
        err.to_string(),
        "order #1002 is cancelled and cannot be fulfilled"
    );

    // Archived orders can still be fulfilled.
    s.close(1001, t(3)).unwrap();
    s.fulfill(1001, 11, 5, t(4)).unwrap();
}

// ----- JSON and errors ---------------------------------------------------------

#[test]
fn order_rest_json_has_every_documented_field() {
    let mut s = store();
    s.refund(1001, &[req(11, 1, RestockType::Cancel)], None, t(1))
        .unwrap();
    let j = s.order(1001).unwrap().to_rest_json();
    assert_eq!(j["id"], 1001);
    assert_eq!(j["admin_graphql_api_id"], "gid://shopify/Order/1001");
    assert_eq!(j["name"], "#1001");
    assert_eq!(j["order_number"], 1001);
    assert_eq!(j["created_at"], "2026-01-01T09:00:00Z");
    assert_eq!(j["updated_at"], "2026-01-01T09:01:00Z");
    assert_eq!(j["cancelled_at"], json!(null));
    assert_eq!(j["cancel_reason"], json!(null));
    assert_eq!(j["closed_at"], json!(null));
    assert_eq!(j["financial_status"], "partially_refunded");
    assert_eq!(j["fulfillment_status"], "partial");
    assert_eq!(j["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(
        j["line_items"][0],
        json!({
            "id": 11,
            "admin_graphql_api_id": "gid://shopify/LineItem/11",
            "variant_id": 1,
            "sku": "CHAIR",
            "title": "CHAIR",
            "name": "CHAIR",
            "quantity": 5,
            "current_quantity": 4,
            "fulfillable_quantity": 4,
            "fulfillment_status": null,
        })
    );
    assert_eq!(j["line_items"][1]["fulfillment_status"], "partial");
    assert_eq!(j["line_items"][1]["fulfillable_quantity"], 1);
}

#[test]
fn cancelled_order_json_keeps_current_quantity() {
    let mut s = store();
    s.cancel(1002, CancelReason::Customer, false, t(1)).unwrap();
    s.close(1002, t(2)).unwrap();
    let j = s.order(1002).unwrap().to_rest_json();
    assert_eq!(j["cancelled_at"], "2026-01-01T09:01:00Z");
    assert_eq!(j["cancel_reason"], "customer");
    assert_eq!(j["closed_at"], "2026-01-01T09:02:00Z");
    assert_eq!(j["fulfillment_status"], json!(null));
    assert_eq!(j["line_items"][0]["quantity"], 2);
    assert_eq!(j["line_items"][0]["current_quantity"], 2);
    assert_eq!(j["line_items"][0]["fulfillable_quantity"], 0);
}

#[test]
fn json_is_the_same_bytes_for_the_same_calls() {
    let run = || {
        let mut s = store();
        s.add_line(1001, None, "SOFA", 2, t(1)).unwrap();
        s.refund(1001, &[req(12, 1, RestockType::Return)], Some("n"), t(2))
            .unwrap();
        s.order(1001).unwrap().to_rest_json().to_string()
    };
    assert_eq!(run(), run());
}

#[test]
fn error_kinds_map_to_http_statuses() {
    assert_eq!(ErrorKind::NotFound.http_status(), 404);
    assert_eq!(ErrorKind::Unprocessable.http_status(), 422);
    assert_eq!(ErrorKind::Invalid.http_status(), 400);
    let err = ShopifyError::invalid_quantity(-1);
    assert_eq!(
        err.to_string(),
        "quantity must be a whole number ≥ 0; got -1"
    );
    assert_eq!(err.kind(), ErrorKind::Unprocessable);
}

#[test]
fn quantities_from_json_are_whole_numbers_at_least_zero() {
    for (value, want) in [
        (json!(0), Some(0)),
        (json!(3), Some(3)),
        (json!(3.0), Some(3)),
        (json!("4"), Some(4)),
        (json!(4_294_967_295_u64), Some(u32::MAX)),
        (json!(4_294_967_296_u64), None),
        (json!(-1), None),
        (json!(2.5), None),
        (json!("two"), None),
        (json!("-1"), None),
        (json!(""), None),
        (json!(null), None),
        (json!([1]), None),
    ] {
        let got = quantity_from_json(&value);
        match want {
            Some(q) => assert_eq!(got, Ok(q), "{value}"),
            None => {
                let err = got.unwrap_err();
                assert!(
                    matches!(err, ShopifyError::InvalidQuantity { .. }),
                    "{value}: {err}"
                );
            }
        }
    }
    assert_eq!(
        quantity_from_json(&json!(-2)).unwrap_err().to_string(),
        "quantity must be a whole number ≥ 0; got -2"
    );
}

#[test]
fn the_catalogue_has_one_variant_per_sku_and_an_edit_can_add_it() {
    let mut store = store();
    let variant = store.ensure_variant("OAK-BENCH");
    assert_eq!(
        store.ensure_variant("OAK-BENCH"),
        variant,
        "one variant per SKU"
    );
    let add = EditOp::AddLine {
        line: Some(77),
        item: ItemRef::Variant(variant),
        quantity: 2,
    };
    store.edit(1001, std::slice::from_ref(&add), t(1)).unwrap();
    assert_eq!(
        store.order(1001).unwrap().line(77).unwrap().sku,
        "OAK-BENCH"
    );
    // The same id again is refused like any used id.
    let err = refused(&mut store, |s| s.edit(1001, &[add], t(2)).unwrap_err());
    assert_eq!(err.code(), "line_exists");
}

#[test]
fn a_preview_is_the_edit_without_the_change() {
    let mut s = store();
    let ops = [
        EditOp::SetQuantity {
            line: 11,
            quantity: 2,
        },
        EditOp::AddLine {
            line: None,
            item: ItemRef::Sku("SOFA".into()),
            quantity: 1,
        },
    ];
    let before = s.clone();
    let (order, edit) = s.preview_edit(1001, &ops, t(1)).unwrap();
    assert_eq!(s, before, "a preview changes nothing");
    let committed = s.edit(1001, &ops, t(1)).unwrap();
    assert_eq!(edit, committed);
    assert_eq!(&order, s.order(1001).unwrap());
    // And it refuses what the edit refuses.
    s.close(1001, t(2)).unwrap();
    assert_eq!(
        s.preview_edit(1001, &[], t(3)).unwrap_err(),
        s.clone().edit(1001, &[], t(3)).unwrap_err()
    );
}

#[test]
fn negative_quantities_in_an_edit_are_invalid_in_their_place() {
    let mut s = store();
    let set = |line, quantity| EditOp::SetQuantity { line, quantity };
    let err = refused(&mut s, |s| s.edit(1001, &[set(11, -1)], t(1)).unwrap_err());
    assert_eq!(err, ShopifyError::InvalidQuantity { value: "-1".into() });
    // The line is looked up first.
    let err = refused(&mut s, |s| s.edit(1001, &[set(99, -1)], t(1)).unwrap_err());
    assert_eq!(err.code(), "line_not_found");
    let add = |quantity| EditOp::AddLine {
        line: None,
        item: ItemRef::Sku("SOFA".into()),
        quantity,
    };
    let err = refused(&mut s, |s| s.edit(1001, &[add(-5)], t(1)).unwrap_err());
    assert_eq!(err.code(), "invalid_quantity");
    let err = refused(&mut s, |s| {
        s.edit(1001, &[add(i64::from(u32::MAX) + 1)], t(1))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::QuantityTooLarge {
            order: "#1001".into(),
            value: 4_294_967_296
        }
    );
    s.close(1001, t(1)).unwrap();
    let err = refused(&mut s, |s| s.edit(1001, &[set(11, -1)], t(2)).unwrap_err());
    assert_eq!(err.code(), "order_archived");
}

// ----- Shopify's limits and the validation order --------------------------------

#[test]
fn quantities_above_the_limit_are_refused_on_create_add_and_edit() {
    let mut s = store();
    let too_many = MAX_LINE_QUANTITY + 1;
    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, "A", too_many, 0)]), t(1))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::QuantityTooLarge {
            order: "#1003".into(),
            value: u64::from(too_many)
        }
    );
    assert_eq!(err.code(), "quantity_too_large");
    let err = refused(&mut s, |s| {
        s.add_line(1001, Some(13), "A", too_many, t(1)).unwrap_err()
    });
    assert_eq!(err.code(), "quantity_too_large");
    let err = refused(&mut s, |s| {
        s.set_quantity(1001, 11, u32::MAX, t(1)).unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "order #1001: a line item quantity can be at most 2147483647; got 4294967295"
    );
    // The limit itself is allowed.
    s.set_quantity(1001, 11, MAX_LINE_QUANTITY, t(1)).unwrap();
    s.create_order(
        &new_order(1003, vec![line(31, "A", MAX_LINE_QUANTITY, 0)]),
        t(1),
    )
    .unwrap();
}

#[test]
fn skus_over_255_characters_are_refused_on_create_and_add() {
    let mut s = store();
    let long = "é".repeat(MAX_SKU_LEN + 1);
    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, &long, 1, 0)]), t(1))
            .unwrap_err()
    });
    assert_eq!(
        err,
        ShopifyError::SkuTooLong {
            order: "#1003".into(),
            length: 256
        }
    );
    assert_eq!(err.code(), "sku_too_long");
    let err = refused(&mut s, |s| {
        s.add_line(1001, Some(13), &long, 1, t(1)).unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        "order #1001: a SKU can be at most 255 characters; this one has 256"
    );
    // A variant of the catalogue with a long SKU cannot be added either.
    let variant = s.ensure_variant(&long);
    let add = EditOp::AddLine {
        line: None,
        item: ItemRef::Variant(variant),
        quantity: 1,
    };
    let err = refused(&mut s, |s| s.edit(1001, &[add], t(1)).unwrap_err());
    assert_eq!(err.code(), "sku_too_long");
    // 255 characters (not bytes) are allowed.
    let ok = "é".repeat(MAX_SKU_LEN);
    s.add_line(1001, Some(13), &ok, 1, t(1)).unwrap();
}

#[test]
fn a_change_refused_for_several_reasons_reports_the_first_in_the_documented_order() {
    let mut s = store();
    s.close(1002, t(1)).unwrap();
    // (2) state before (3) ids: archived, and line 11 is in use.
    let err = refused(&mut s, |s| {
        s.add_line(1002, Some(11), "A", 1, t(2)).unwrap_err()
    });
    assert_eq!(err.code(), "order_archived");
    // (2) state before (4) values: archived, and below the fulfilled units.
    s.close(1001, t(1)).unwrap();
    let err = refused(&mut s, |s| s.set_quantity(1001, 12, 0, t(2)).unwrap_err());
    assert_eq!(err.code(), "order_archived");
    // (2) state before (3) lines.
    let err = refused(&mut s, |s| s.set_quantity(1001, 99, 1, t(2)).unwrap_err());
    assert_eq!(err.code(), "order_archived");
    // Cancelled comes before archived.
    s.open(1002, t(2)).unwrap();
    s.cancel(1002, CancelReason::Other, false, t(2)).unwrap();
    s.close(1002, t(3)).unwrap();
    for err in [
        refused(&mut s, |s| s.set_quantity(1002, 21, 1, t(4)).unwrap_err()),
        refused(&mut s, |s| {
            s.add_line(1002, Some(11), "", 0, t(4)).unwrap_err()
        }),
        refused(&mut s, |s| s.fulfill(1002, 99, 0, t(4)).unwrap_err()),
    ] {
        assert_eq!(err.code(), "order_cancelled", "{err}");
    }
    let err = refused(&mut s, |s| {
        s.cancel(1002, CancelReason::Other, false, t(4))
            .unwrap_err()
    });
    assert_eq!(err.code(), "already_cancelled");

    let mut s = store();
    // (3) ids before (4) values: line 11 in use, empty SKU, 0 units.
    let err = refused(&mut s, |s| {
        s.add_line(1001, Some(11), "", 0, t(1)).unwrap_err()
    });
    assert_eq!(err.code(), "line_exists");
    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(11, "", 0, 1)]), t(1))
            .unwrap_err()
    });
    assert_eq!(err.code(), "line_exists");
    // (4): the SKU before the quantity, the quantity before the counts.
    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, "", 0, 1)]), t(1))
            .unwrap_err()
    });
    assert_eq!(err.code(), "sku_missing");
    let err = refused(&mut s, |s| {
        s.create_order(&new_order(1003, vec![line(31, "A", 0, 1)]), t(1))
            .unwrap_err()
    });
    assert_eq!(err.code(), "zero_quantity");
    // (3) the variant before the id.
    let add = EditOp::AddLine {
        line: Some(11),
        item: ItemRef::Variant(99),
        quantity: 0,
    };
    let err = refused(&mut s, |s| s.edit(1001, &[add], t(1)).unwrap_err());
    assert_eq!(err.code(), "variant_not_found");
    // (3) the line before (4) the value, in a refund and a fulfilment.
    let err = refused(&mut s, |s| {
        s.refund(1001, &[req(99, 0, RestockType::Return)], None, t(1))
            .unwrap_err()
    });
    assert_eq!(err.code(), "line_not_found");
    let err = refused(&mut s, |s| s.fulfill(1001, 99, 0, t(1)).unwrap_err());
    assert_eq!(err.code(), "line_not_found");
    // Items in the order given: the first line's value before the second's id.
    let err = refused(&mut s, |s| {
        s.refund(
            1001,
            &[
                req(11, 0, RestockType::Cancel),
                req(99, 1, RestockType::Cancel),
            ],
            None,
            t(1),
        )
        .unwrap_err()
    });
    assert_eq!(err.code(), "zero_quantity");
    // (1) first of all.
    let err = refused(&mut s, |s| {
        s.set_quantity(9, 99, u32::MAX, t(1)).unwrap_err()
    });
    assert_eq!(err.code(), "order_not_found");
}

#[test]
fn every_refusal_of_the_store_reads_back_from_its_message() {
    let mut s = Store::with_orders(
        &[NewOrder {
            id: 1001,
            name: Some("Order is archived: line item 11".into()),
            financial_status: FinancialStatus::Paid,
            lines: vec![line(11, "CHAIR", 5, 2)],
            archived: false,
            cancelled: false,
        }],
        t(0),
    )
    .unwrap();
    let errors = [
        s.set_quantity(1001, 11, 1, t(1)).unwrap_err(),
        s.add_line(1001, None, "A", 0, t(1)).unwrap_err(),
        s.refund(1001, &[req(11, 9, RestockType::Cancel)], None, t(1))
            .unwrap_err(),
        s.fulfill(1001, 11, 9, t(1)).unwrap_err(),
        s.cancel(1001, CancelReason::Other, false, t(1))
            .unwrap_err(),
        s.delete(1001).unwrap_err(),
        s.pay(1001, t(1)).unwrap_err(),
    ];
    for e in errors {
        assert_eq!(ShopifyError::from_message(&e.to_string()), Some(e));
    }
}
