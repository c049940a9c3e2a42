//! How the in-process transport hands a Shopify order to the sync.
//!
//! A real integration, and the HTTP transport, read an order as its REST JSON
//! (`GET orders/{id}.json`, or a webhook's body) into katana-sync's
//! [`ShopifyOrder`]. In process, [`as_read`] builds that same value from the
//! order directly, skipping the JSON (`explore` runs hundreds of thousands of steps).
//! Debug builds, and so every `cargo test` run, also go through the JSON on every
//! read and refuse to go on if the two differ ([`read`]).

use katana_sync::ShopifyOrder;
use katana_sync::shopify::{ShopifyLineItem, ShopifyRefund, ShopifyRefundLineItem};
use shopify_model::Order;

/// The order as the sync reads it from the order's REST JSON, built directly.
pub fn as_read(order: &Order) -> ShopifyOrder {
    let status = |s: Option<shopify_model::FulfillmentStatus>| s.map(|s| s.as_str().into());
    ShopifyOrder {
        id: order.id,
        name: order.name.clone(),
        financial_status: Some(order.financial_status.as_str().into()),
        updated_at: Some(order.updated_at.to_string()),
        cancelled_at: order.cancelled_at.map(|t| t.to_string()),
        closed_at: order.closed_at.map(|t| t.to_string()),
        fulfillment_status: status(order.fulfillment_status()),
        line_items: order
            .line_items
            .iter()
            .map(|l| ShopifyLineItem {
                id: l.id,
                sku: Some(l.sku.clone()),
                current_quantity: l.current_quantity,
                fulfillable_quantity: order.fulfillable_quantity(l),
                fulfillment_status: status(l.fulfillment_status()),
            })
            .collect(),
        refunds: order
            .refunds
            .iter()
            .map(|r| ShopifyRefund {
                refund_line_items: r
                    .refund_line_items
                    .iter()
                    .map(|i| ShopifyRefundLineItem {
                        line_item_id: i.line_item_id,
                        quantity: i.quantity,
                        restock_type: Some(i.restock_type.as_str().into()),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The order as the sync reads it through its REST JSON.
pub fn through_json(order: &Order) -> Result<ShopifyOrder, String> {
    ShopifyOrder::from_value(order.to_rest_json())
        .map_err(|e| format!("the sync could not read Shopify's order JSON: {e}"))
}

/// The order as the sync reads it: [`as_read`]; in debug builds also
/// [`through_json`], and an error naming the difference if they are not the same.
pub fn read(order: &Order) -> Result<ShopifyOrder, String> {
    let direct = as_read(order);
    if cfg!(debug_assertions) {
        let json = through_json(order)?;
        if json != direct {
            return Err(format!(
                "order {}: read directly it is {direct:?}, through its JSON {json:?}",
                order.id
            ));
        }
    }
    Ok(direct)
}

#[cfg(test)]
mod tests {
    use super::{as_read, through_json};
    use shopify_model::{
        CancelReason, FinancialStatus, NewLine, NewOrder, RefundLineRequest, RestockType, Store,
    };

    /// Every field the sync reads, in every state an order reaches: the direct
    /// read is the JSON read.
    #[test]
    fn the_direct_read_is_the_json_read() {
        let at = crate::runner::DEFAULT_START;
        let line = |id, quantity, fulfilled| NewLine {
            id,
            sku: format!("SKU-{id}"),
            quantity,
            fulfilled,
        };
        let mut store = Store::new();
        for (id, status) in [
            (1, FinancialStatus::Paid),
            (2, FinancialStatus::Pending),
            (3, FinancialStatus::PartiallyRefunded),
        ] {
            let new = NewOrder {
                id,
                name: (id == 2).then(|| "Custom name".to_string()),
                financial_status: status,
                archived: false,
                cancelled: false,
                lines: vec![
                    line(id * 10, 5, u32::from(id != 3) * 2),
                    line(id * 10 + 1, 3, 0),
                ],
            };
            store.create_order(&new, at).expect("created");
        }
        let same = |store: &Store| {
            for o in store.orders() {
                assert_eq!(as_read(o), through_json(o).expect("reads"), "{o:?}");
            }
        };
        same(&store);
        let refund = |line, quantity, restock_type| RefundLineRequest {
            line,
            quantity,
            restock_type,
        };
        store
            .refund(1, &[refund(10, 1, RestockType::Return)], None, at)
            .expect("a return");
        store
            .refund(1, &[refund(11, 2, RestockType::Cancel)], None, at)
            .expect("a cancel");
        store.fulfill(1, 11, 1, at).expect("fulfilled");
        store.close(2, at).expect("archived");
        store
            .cancel(3, CancelReason::Customer, true, at)
            .expect("cancelled");
        same(&store);
    }
}
