//! Every refusal the mock answers is shopify-model's: for the same change on the
//! same store, the REST 422 message and the GraphQL `userErrors` message are the
//! in-process `Store`'s error `Display`, `ShopifyError::from_message` reads them
//! back to the same code, and a change refused for two reasons gives the same
//! first reason whichever way it travelled.

mod common;

use common::{Harness, harness, order};
use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_mock::shopify_model::{
    CancelReason, EditOp, ItemRef, NewOrder, RefundLineRequest, RestockType, ShopifyError, Store,
    quantity_from_json,
};

/// #1001: line 11 CHAIR ×5, line 12 TABLE ×3 (2 fulfilled).
/// #1002: line 21 LAMP ×2.
/// 1003, named `Order is archived: line item 11`: line 31 DESK ×1 (a name made of
/// other messages' words).
fn orders() -> Vec<NewOrder> {
    let mut odd = order(1003, &[(31, "DESK", 1, 0)]);
    odd.name = Some("Order is archived: line item 11".to_owned());
    vec![
        order(1001, &[(11, "CHAIR", 5, 0), (12, "TABLE", 3, 2)]),
        order(1002, &[(21, "LAMP", 2, 0)]),
        odd,
    ]
}

/// What happens to an order before the change.
#[derive(Debug, Clone, Copy)]
enum Setup {
    Archived(u64),
    Cancelled(u64),
    /// A return (refund with restock type `return`) of units of a line: (order,
    /// line, quantity).
    Returned(u64, u64, u32),
}

/// The change, as a merchant would make it.
#[derive(Debug, Clone)]
enum Change {
    /// An order edit setting a line's quantity (GraphQL session).
    Edit {
        order: u64,
        line: u64,
        quantity: i64,
    },
    /// An order edit adding a SKU as line `line` (the catalogue's variant, the id
    /// reserved, GraphQL session).
    AddLine {
        order: u64,
        line: u64,
        sku: String,
        quantity: i64,
    },
    /// An order edit adding a variant that does not exist.
    AddVariant {
        order: u64,
        variant: u64,
        quantity: i64,
    },
    /// A refund of one line (REST and GraphQL).
    Refund {
        order: u64,
        line: u64,
        quantity: i64,
        restock: RestockType,
    },
    /// A cancel (REST and GraphQL).
    Cancel { order: u64 },
    /// A delete (REST and GraphQL).
    Delete { order: u64 },
    /// An archive (REST and GraphQL).
    Close { order: u64 },
    /// A payment captured (GraphQL `orderMarkAsPaid`).
    Pay { order: u64 },
}

fn t() -> Timestamp {
    common::start_time()
}

/// The change on the in-process store.
fn in_process(store: &mut Store, change: &Change) -> Result<(), ShopifyError> {
    match change {
        Change::Edit {
            order,
            line,
            quantity,
        } => match u32::try_from(*quantity) {
            Ok(q) => store.set_quantity(*order, *line, q, t()).map(drop),
            // A negative quantity cannot be a u32: the batch form takes it.
            Err(_) => {
                let op = EditOp::SetQuantity {
                    line: *line,
                    quantity: *quantity,
                };
                store.edit(*order, &[op], t()).map(drop)
            }
        },
        Change::AddLine {
            order,
            line,
            sku,
            quantity,
        } => match u32::try_from(*quantity) {
            Ok(q) => store.add_line(*order, Some(*line), sku, q, t()).map(drop),
            Err(_) => {
                let op = EditOp::AddLine {
                    line: Some(*line),
                    item: ItemRef::Sku(sku.clone()),
                    quantity: *quantity,
                };
                store.edit(*order, &[op], t()).map(drop)
            }
        },
        Change::AddVariant {
            order,
            variant,
            quantity,
        } => {
            let op = EditOp::AddLine {
                line: None,
                item: ItemRef::Variant(*variant),
                quantity: *quantity,
            };
            store.edit(*order, &[op], t()).map(drop)
        }
        Change::Refund {
            order,
            line,
            quantity,
            restock,
        } => {
            store.order(*order)?;
            // The quantity as shopify-model reads it from JSON.
            let quantity = quantity_from_json(&json!(quantity))?;
            let req = RefundLineRequest {
                line: *line,
                quantity,
                restock_type: *restock,
            };
            store.refund(*order, &[req], None, t()).map(drop)
        }
        Change::Cancel { order } => store
            .cancel(*order, CancelReason::Other, false, t())
            .map(drop),
        Change::Delete { order } => store.delete(*order).map(drop),
        Change::Close { order } => store.close(*order, t()).map(drop),
        Change::Pay { order } => store.pay(*order, t()).map(drop),
    }
}

/// How the mock answered a change.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Done,
    /// REST 422 `{"errors":{"base":[message]}}` or GraphQL `userErrors[0].message`.
    Refused(String),
    /// REST 404 `{"errors":"Not Found"}`.
    NotFound,
}

const BEGIN: &str = r#"mutation($id: ID!) { orderEditBegin(id: $id) { calculatedOrder { id } userErrors { field message } } }"#;
const SET: &str = r#"mutation($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q) { calculatedOrder { id } userErrors { field message } } }"#;
const ADD: &str = r#"mutation($id: ID!, $v: ID!, $q: Int!) { orderEditAddVariant(id: $id, variantId: $v, quantity: $q) { calculatedOrder { id } userErrors { field message } } }"#;
const COMMIT: &str = r#"mutation($id: ID!) { orderEditCommit(id: $id) { order { id } userErrors { field message } } }"#;
const REFUND: &str = r#"mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { field message } } }"#;
const CANCEL: &str = r#"mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: false) { job { id } userErrors { field message } } }"#;
const DELETE: &str = r#"mutation($id: ID!) { orderDelete(orderId: $id) { deletedId userErrors { field message } } }"#;
const CLOSE: &str = r#"mutation($id: ID!) { orderClose(input: {id: $id}) { order { id } userErrors { field message } } }"#;
const PAY: &str = r#"mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { order { id } userErrors { field message } } }"#;

/// One mutation: its payload, or the refusal in its `userErrors`.
async fn mutation(h: &Harness, query: &str, vars: Value, field: &str) -> Result<Value, Answer> {
    let a = h.graphql(query, vars).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    let payload = a.body["data"][field].clone();
    match payload["userErrors"][0]["message"].as_str() {
        Some(m) => Err(Answer::Refused(m.to_owned())),
        None => Ok(payload),
    }
}

/// An edit session: begin, one staged op, commit; the first refusal on the way.
async fn edit_session(
    h: &Harness,
    order: u64,
    stage: impl FnOnce(String) -> (&'static str, Value, &'static str),
) -> Answer {
    let run = async {
        let begun = mutation(
            h,
            BEGIN,
            json!({"id": format!("gid://shopify/Order/{order}")}),
            "orderEditBegin",
        )
        .await?;
        let calc = begun["calculatedOrder"]["id"].as_str().unwrap().to_owned();
        let (query, vars, field) = stage(calc.clone());
        mutation(h, query, vars, field).await?;
        mutation(h, COMMIT, json!({"id": calc}), "orderEditCommit").await?;
        Ok::<_, Answer>(())
    };
    match run.await {
        Ok(()) => Answer::Done,
        Err(a) => a,
    }
}

/// The change over GraphQL.
async fn over_graphql(h: &Harness, change: &Change) -> Answer {
    let order_gid = |o: &u64| format!("gid://shopify/Order/{o}");
    let done = |r: Result<Value, Answer>| r.map_or_else(|a| a, |_| Answer::Done);
    match change {
        Change::Edit {
            order,
            line,
            quantity,
        } => {
            let line = format!("gid://shopify/CalculatedLineItem/{line}");
            edit_session(h, *order, |calc| {
                (
                    SET,
                    json!({"id": calc, "line": line, "q": quantity}),
                    "orderEditSetQuantity",
                )
            })
            .await
        }
        Change::AddLine {
            order,
            line,
            sku,
            quantity,
        } => {
            let variant = h.mock.catalogue_variant(sku);
            h.mock
                .reserve_line_id(*line)
                .expect("reserving never refuses");
            let v = format!("gid://shopify/ProductVariant/{variant}");
            edit_session(h, *order, |calc| {
                (
                    ADD,
                    json!({"id": calc, "v": v, "q": quantity}),
                    "orderEditAddVariant",
                )
            })
            .await
        }
        Change::AddVariant {
            order,
            variant,
            quantity,
        } => {
            let v = format!("gid://shopify/ProductVariant/{variant}");
            edit_session(h, *order, |calc| {
                (
                    ADD,
                    json!({"id": calc, "v": v, "q": quantity}),
                    "orderEditAddVariant",
                )
            })
            .await
        }
        Change::Refund {
            order,
            line,
            quantity,
            restock,
        } => {
            let input = json!({"orderId": order_gid(order), "refundLineItems": [{
                "lineItemId": format!("gid://shopify/LineItem/{line}"),
                "quantity": quantity,
                "restockType": restock.as_str().to_uppercase(),
            }]});
            done(mutation(h, REFUND, json!({"input": input}), "refundCreate").await)
        }
        Change::Cancel { order } => {
            done(mutation(h, CANCEL, json!({"id": order_gid(order)}), "orderCancel").await)
        }
        Change::Delete { order } => {
            done(mutation(h, DELETE, json!({"id": order_gid(order)}), "orderDelete").await)
        }
        Change::Close { order } => {
            done(mutation(h, CLOSE, json!({"id": order_gid(order)}), "orderClose").await)
        }
        Change::Pay { order } => {
            done(mutation(h, PAY, json!({"id": order_gid(order)}), "orderMarkAsPaid").await)
        }
    }
}

/// The change over REST, where REST has it.
async fn over_rest(h: &Harness, change: &Change) -> Option<Answer> {
    let a = match change {
        Change::Refund {
            order,
            line,
            quantity,
            restock,
        } => {
            let body = json!({"refund": {"refund_line_items": [
                {"line_item_id": line, "quantity": quantity, "restock_type": restock.as_str()}
            ]}});
            h.post(&format!("orders/{order}/refunds.json"), body).await
        }
        Change::Cancel { order } => {
            h.post(&format!("orders/{order}/cancel.json"), json!({}))
                .await
        }
        Change::Delete { order } => h.delete(&format!("orders/{order}.json")).await,
        Change::Close { order } => {
            h.post(&format!("orders/{order}/close.json"), json!({}))
                .await
        }
        Change::Edit { .. }
        | Change::AddLine { .. }
        | Change::AddVariant { .. }
        | Change::Pay { .. } => return None,
    };
    Some(match a.status {
        200 | 201 => Answer::Done,
        404 => {
            assert_eq!(a.body, json!({"errors": "Not Found"}));
            Answer::NotFound
        }
        422 => {
            let base = a.body["errors"]["base"].as_array().expect("errors.base");
            assert_eq!(base.len(), 1, "{}", a.body);
            Answer::Refused(base[0].as_str().unwrap().to_owned())
        }
        other => panic!("REST answered {other}: {}", a.body),
    })
}

/// A mock and a store holding the same orders, set up the same way.
async fn both(setup: &[Setup]) -> (Harness, Store) {
    let h = harness().await;
    h.mock.seed_orders(&orders()).unwrap();
    let mut store = Store::with_orders(&orders(), t()).unwrap();
    for s in setup {
        match *s {
            Setup::Archived(o) => {
                store.close(o, t()).unwrap();
                assert_eq!(
                    h.post(&format!("orders/{o}/close.json"), json!({}))
                        .await
                        .status,
                    200
                );
            }
            Setup::Cancelled(o) => {
                store.cancel(o, CancelReason::Other, false, t()).unwrap();
                assert_eq!(
                    h.post(&format!("orders/{o}/cancel.json"), json!({}))
                        .await
                        .status,
                    200
                );
            }
            Setup::Returned(o, line, quantity) => {
                let req = RefundLineRequest {
                    line,
                    quantity,
                    restock_type: RestockType::Return,
                };
                store.refund(o, &[req], None, t()).unwrap();
                let body = json!({"refund": {"refund_line_items": [
                    {"line_item_id": line, "quantity": quantity, "restock_type": "return"}
                ]}});
                assert_eq!(
                    h.post(&format!("orders/{o}/refunds.json"), body)
                        .await
                        .status,
                    201
                );
            }
        }
    }
    (h, store)
}

/// Checks that an answer is the in-process refusal; a description of the mismatch.
fn compare(way: &str, answer: &Answer, expected: &ShopifyError) -> Option<String> {
    let ok = match answer {
        Answer::Refused(m) => {
            *m == expected.to_string()
                && ShopifyError::from_message(m).map(|e| e.code()) == Some(expected.code())
        }
        // Only the order of the path may be missing.
        Answer::NotFound => matches!(expected, ShopifyError::OrderNotFound { .. }),
        Answer::Done => false,
    };
    (!ok).then(|| format!("{way}: {answer:?}, in process: {expected:?} ({expected})"))
}

fn edit(order: u64, line: u64, quantity: i64) -> Change {
    Change::Edit {
        order,
        line,
        quantity,
    }
}

fn add(order: u64, line: u64, sku: &str, quantity: i64) -> Change {
    Change::AddLine {
        order,
        line,
        sku: sku.to_owned(),
        quantity,
    }
}

fn refund(order: u64, line: u64, quantity: i64, restock: RestockType) -> Change {
    Change::Refund {
        order,
        line,
        quantity,
        restock,
    }
}

/// (name, setup, change, code of the first refusal)
#[rustfmt::skip]
fn cases() -> Vec<(&'static str, Vec<Setup>, Change, &'static str)> {
    use RestockType::{Cancel, NoRestock, Return};
    use Setup::{Archived, Cancelled, Returned};
    let long = "X".repeat(256);
    vec![
        // Step 1: the order exists.
        ("edit of an unknown order", vec![], edit(9, 11, 1), "order_not_found"),
        ("refund of an unknown order", vec![], refund(9, 11, -1, Cancel), "order_not_found"),
        ("cancel of an unknown order", vec![], Change::Cancel { order: 9 }, "order_not_found"),
        ("close of an unknown order", vec![], Change::Close { order: 9 }, "order_not_found"),
        ("delete of an unknown order", vec![], Change::Delete { order: 9 }, "order_not_found"),
        ("payment of an unknown order", vec![], Change::Pay { order: 9 }, "order_not_found"),
        // Step 2: its state, before anything else.
        ("edit of an archived order", vec![Archived(1001)], edit(1001, 11, 1), "order_archived"),
        ("archived, below the fulfilled units", vec![Archived(1001)], edit(1001, 12, 0), "order_archived"),
        ("archived, an unknown line", vec![Archived(1001)], edit(1001, 99, 1), "order_archived"),
        ("archived, a used line id", vec![Archived(1002)], add(1002, 11, "SOFA", 1), "order_archived"),
        ("archived, named like a message", vec![Archived(1003)], edit(1003, 31, 2), "order_archived"),
        ("edit of a cancelled order", vec![Cancelled(1002)], edit(1002, 21, 1), "order_cancelled"),
        ("cancelled, a negative quantity", vec![Cancelled(1002)], edit(1002, 21, -1), "order_cancelled"),
        ("cancelled and archived", vec![Cancelled(1002), Archived(1002)], edit(1002, 21, 1), "order_cancelled"),
        ("cancelled, used id, no SKU, 0 units", vec![Cancelled(1002)], add(1002, 11, "", 0), "order_cancelled"),
        ("cancel of a cancelled order", vec![Cancelled(1002)], Change::Cancel { order: 1002 }, "already_cancelled"),
        ("delete of an open order", vec![], Change::Delete { order: 1001 }, "not_deletable"),
        ("payment of a cancelled order", vec![Cancelled(1002)], Change::Pay { order: 1002 }, "order_cancelled"),
        ("payment of a cancelled archived order", vec![Cancelled(1002), Archived(1002)], Change::Pay { order: 1002 }, "order_cancelled"),
        ("payment of a paid order", vec![], Change::Pay { order: 1001 }, "payment_not_pending"),
        ("payment of an archived paid order", vec![Archived(1003)], Change::Pay { order: 1003 }, "payment_not_pending"),
        // Step 3: what the change names.
        ("edit of an unknown line", vec![], edit(1001, 99, 1), "line_not_found"),
        ("an unknown line, a negative quantity", vec![], edit(1001, 99, -1), "line_not_found"),
        ("add with a used line id", vec![], add(1001, 21, "SOFA", 1), "line_exists"),
        ("a used line id, no SKU, 0 units", vec![], add(1001, 21, "", 0), "line_exists"),
        ("add of an unknown variant", vec![], Change::AddVariant { order: 1001, variant: 99, quantity: 1 }, "variant_not_found"),
        ("refund of an unknown line", vec![], refund(1001, 99, 1, Cancel), "line_not_found"),
        ("refund of an unknown line, cancelled", vec![Cancelled(1002)], refund(1002, 99, 1, Cancel), "line_not_found"),
        // Step 4: values.
        ("edit below the fulfilled units", vec![], edit(1001, 12, 1), "quantity_below_fulfilled"),
        ("edit to a negative quantity", vec![], edit(1001, 11, -1), "invalid_quantity"),
        ("add without a SKU", vec![], add(1001, 13, "", 1), "sku_missing"),
        ("add with a SKU of 256 characters", vec![], add(1001, 13, &long, 1), "sku_too_long"),
        ("add of 0 units", vec![], add(1001, 13, "SOFA", 0), "zero_quantity"),
        ("add of a negative quantity", vec![], add(1001, 13, "SOFA", -3), "invalid_quantity"),
        ("refund of 0 units", vec![], refund(1001, 11, 0, Cancel), "zero_quantity"),
        ("refund of a negative quantity", vec![], refund(1001, 11, -2, Cancel), "invalid_quantity"),
        ("refund above the unfulfilled units", vec![], refund(1001, 12, 2, NoRestock), "refund_above_unfulfilled"),
        ("return above the fulfilled units", vec![], refund(1001, 12, 3, Return), "return_above_fulfilled"),
        ("cancel of an order with fulfilments", vec![], Change::Cancel { order: 1001 }, "order_has_fulfilments"),
        // Returned units stay fulfilled (rules.md §4, "Returned units").
        ("cancel after every fulfilled unit was returned", vec![Returned(1001, 12, 2)], Change::Cancel { order: 1001 }, "order_has_fulfilments"),
        ("a return of units already returned", vec![Returned(1001, 12, 1)], refund(1001, 12, 2, Return), "return_above_fulfilled"),
        ("an edit below the units the customer kept", vec![Returned(1001, 12, 1)], edit(1001, 12, 0), "quantity_below_fulfilled"),
        ("a cancel refund of more than the unfulfilled after a return", vec![Returned(1001, 12, 1)], refund(1001, 12, 2, Cancel), "refund_above_unfulfilled"),
    ]
}

#[tokio::test]
async fn every_refusal_over_http_is_the_in_process_one() {
    let mut mismatches = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    for (name, setup, change, code) in cases() {
        let expected = {
            let (_, mut store) = both(&setup).await;
            in_process(&mut store, &change).expect_err(name)
        };
        assert_eq!(expected.code(), code, "{name}: in process");
        codes.insert(code);
        let (h, _) = both(&setup).await;
        let graphql = over_graphql(&h, &change).await;
        mismatches.extend(compare("GraphQL", &graphql, &expected).map(|m| format!("{name}: {m}")));
        let (h, _) = both(&setup).await;
        if let Some(rest) = over_rest(&h, &change).await {
            mismatches.extend(compare("REST", &rest, &expected).map(|m| format!("{name}: {m}")));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Every refusal a change over HTTP can meet is in the table; the others come
    // only from creating orders and fulfilling, which the library API does.
    let over_http: Vec<&str> = ShopifyError::CODES
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| {
            ![
                "order_exists",
                "order_without_lines",
                "fulfilled_above_quantity",
                "quantity_too_large",
                "fulfill_above_unfulfilled",
                "refund_not_found",
            ]
            .contains(c)
        })
        .collect();
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), {
        let mut all = over_http;
        all.sort_unstable();
        all
    });
}

#[tokio::test]
async fn a_session_meets_the_state_the_order_is_in_at_each_step() {
    // Archived after the session began: the staged op is refused as in process.
    let (h, mut store) = both(&[]).await;
    let begun = mutation(
        &h,
        BEGIN,
        json!({"id": "gid://shopify/Order/1001"}),
        "orderEditBegin",
    )
    .await
    .unwrap();
    let calc = begun["calculatedOrder"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        h.post("orders/1001/close.json", json!({})).await.status,
        200
    );
    store.close(1001, t()).unwrap();
    let expected = store.set_quantity(1001, 12, 0, t()).unwrap_err();
    let staged = mutation(
        &h,
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/12", "q": 0}),
        "orderEditSetQuantity",
    )
    .await;
    assert_eq!(staged.unwrap_err(), Answer::Refused(expected.to_string()));
    assert_eq!(expected.code(), "order_archived");

    // Archived between the staged op and the commit: the commit is refused.
    let (h, mut store) = both(&[]).await;
    let begun = mutation(
        &h,
        BEGIN,
        json!({"id": "gid://shopify/Order/1002"}),
        "orderEditBegin",
    )
    .await
    .unwrap();
    let calc = begun["calculatedOrder"]["id"].as_str().unwrap().to_owned();
    let variant = h.mock.catalogue_variant("SOFA");
    h.mock.reserve_line_id(11).unwrap();
    // Line 11 is in use: the staged line is refused where in process it is.
    let staged = mutation(
        &h,
        ADD,
        json!({"id": calc, "v": format!("gid://shopify/ProductVariant/{variant}"), "q": 1}),
        "orderEditAddVariant",
    )
    .await;
    let expected = store.add_line(1002, Some(11), "SOFA", 1, t()).unwrap_err();
    assert_eq!(staged.unwrap_err(), Answer::Refused(expected.to_string()));
    // The refused staging kept the reservation; a free id replaces it.
    h.mock.reserve_line_id(23).unwrap();
    mutation(
        &h,
        ADD,
        json!({"id": calc, "v": format!("gid://shopify/ProductVariant/{variant}"), "q": 1}),
        "orderEditAddVariant",
    )
    .await
    .unwrap();
    assert_eq!(
        h.post("orders/1002/close.json", json!({})).await.status,
        200
    );
    store.close(1002, t()).unwrap();
    let expected = store.add_line(1002, Some(23), "SOFA", 1, t()).unwrap_err();
    let committed = mutation(&h, COMMIT, json!({"id": calc}), "orderEditCommit").await;
    assert_eq!(
        committed.unwrap_err(),
        Answer::Refused(expected.to_string())
    );

    // Deleted meanwhile: the order is not found, in shopify-model's words.
    let (h, _) = both(&[]).await;
    let begun = mutation(
        &h,
        BEGIN,
        json!({"id": "gid://shopify/Order/1002"}),
        "orderEditBegin",
    )
    .await
    .unwrap();
    let calc = begun["calculatedOrder"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        h.post("orders/1002/cancel.json", json!({})).await.status,
        200
    );
    assert_eq!(h.delete("orders/1002.json").await.status, 200);
    let staged = mutation(
        &h,
        SET,
        json!({"id": calc, "line": "gid://shopify/CalculatedLineItem/21", "q": 1}),
        "orderEditSetQuantity",
    )
    .await;
    let gone = ShopifyError::OrderNotFound { order: 1002 };
    assert_eq!(staged.unwrap_err(), Answer::Refused(gone.to_string()));
    let begun = mutation(
        &h,
        BEGIN,
        json!({"id": "gid://shopify/Order/1002"}),
        "orderEditBegin",
    )
    .await;
    assert_eq!(begun.unwrap_err(), Answer::Refused(gone.to_string()));
}

#[tokio::test]
async fn a_reserved_id_goes_to_the_added_line_and_is_used_once() {
    let (h, mut store) = both(&[]).await;
    let variant = h.mock.catalogue_variant("SOFA");
    h.mock.reserve_line_id(40).unwrap();
    let add = |calc: String| {
        (
            ADD,
            json!({"id": calc, "v": format!("gid://shopify/ProductVariant/{variant}"), "q": 2}),
            "orderEditAddVariant",
        )
    };
    assert_eq!(edit_session(&h, 1001, add).await, Answer::Done);
    store.add_line(1001, Some(40), "SOFA", 2, t()).unwrap();
    assert_eq!(h.mock.order(1001).unwrap(), *store.order(1001).unwrap());
    // The next add without a reservation gets an id the store allocates.
    assert_eq!(edit_session(&h, 1001, add).await, Answer::Done);
    let ids: Vec<u64> = h
        .mock
        .order(1001)
        .unwrap()
        .line_items
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(ids, [11, 12, 40, 41]);
}

#[tokio::test]
async fn the_library_api_refuses_as_the_store_does() {
    let (h, mut store) = both(&[]).await;
    let dup = order(1001, &[(99, "A", 1, 0)]);
    assert_eq!(
        h.mock.create_order(&dup).unwrap_err(),
        store.create_order(&dup, t()).unwrap_err()
    );
    assert_eq!(
        h.mock.fulfill(1001, 11, 6).unwrap_err(),
        store.fulfill(1001, 11, 6, t()).unwrap_err()
    );
    let huge = order(1004, &[(41, "A", u32::MAX, 0)]);
    let e = h.mock.create_order(&huge).unwrap_err();
    assert_eq!(e, store.create_order(&huge, t()).unwrap_err());
    assert_eq!(e.code(), "quantity_too_large");
}
