//! `refundCreate`: its input and payload types, and the field a refusal names.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use shopify_model::{RefundLineRequest, ShopifyError};

use super::types::{GOrder, GRefund, GRestockType, UserError, core, gid_num};

#[derive(SimpleObject)]
struct RefundCreatePayload {
    refund: Option<GRefund>,
    order: Option<GOrder>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
struct RefundLineItemInput {
    line_item_id: ID,
    quantity: i32,
    restock_type: Option<GRestockType>,
    location_id: Option<ID>,
}

#[derive(InputObject)]
struct RefundInput {
    order_id: ID,
    note: Option<String>,
    notify: Option<bool>,
    currency: Option<String>,
    refund_line_items: Option<Vec<RefundLineItemInput>>,
    /// Money is not modelled: transactions are accepted and ignored.
    transactions: Option<Vec<async_graphql::Json<serde_json::Value>>>,
    /// Money is not modelled: shipping is accepted and ignored.
    shipping: Option<async_graphql::Json<serde_json::Value>>,
}

/// The input field a refusal of `refundCreate` is about: the refund line it names,
/// else the order.
fn refund_field(e: &ShopifyError, lines: &[RefundLineRequest]) -> Vec<String> {
    let (line, field) = match e {
        ShopifyError::LineNotFound { line, .. } => (*line, "lineItemId"),
        ShopifyError::ZeroQuantity { line, .. }
        | ShopifyError::RefundExceedsUnfulfilled { line, .. }
        | ShopifyError::ReturnExceedsFulfilled { line, .. } => (*line, "quantity"),
        _ => return vec!["orderId".to_owned()],
    };
    match lines.iter().position(|l| l.line == line) {
        Some(i) => vec![
            "refundLineItems".to_owned(),
            i.to_string(),
            field.to_owned(),
        ],
        None => vec!["orderId".to_owned()],
    }
}

/// `refundCreate`.
#[derive(Default)]
pub(super) struct RefundMutations;

#[Object]
impl RefundMutations {
    /// Creates a refund.
    async fn refund_create(
        &self,
        ctx: &Context<'_>,
        input: RefundInput,
    ) -> async_graphql::Result<RefundCreatePayload> {
        let _ = (
            &input.notify,
            &input.currency,
            &input.transactions,
            &input.shipping,
        );
        let id = gid_num(&input.order_id, "Order")?;
        let fail = |e: UserError| RefundCreatePayload {
            refund: None,
            order: None,
            user_errors: vec![e],
        };
        let core = core(ctx);
        let mut lines = Vec::new();
        for (i, l) in input.refund_line_items.iter().flatten().enumerate() {
            let line = gid_num(&l.line_item_id, "LineItem")?;
            let _ = &l.location_id;
            let Ok(quantity) = u32::try_from(l.quantity) else {
                // The order is looked up first (step 1 of shopify-model's order);
                // a quantity below 0 is then refused as the store words it.
                let e = match core.lock().store().order(id) {
                    Err(e) => UserError::from_model(&["orderId"], &e),
                    Ok(_) => {
                        let e = ShopifyError::invalid_quantity(l.quantity);
                        let field = ["refundLineItems", &i.to_string(), "quantity"];
                        UserError::from_model(&field, &e)
                    }
                };
                return Ok(fail(e));
            };
            lines.push(RefundLineRequest {
                line,
                quantity,
                restock_type: l.restock_type.unwrap_or(GRestockType::NoRestock).to_model(),
            });
        }
        match core.refund(id, &lines, input.note.as_deref()) {
            Err(e) => Ok(fail(UserError::from_model(&refund_field(&e, &lines), &e))),
            Ok((refund_json, order)) => {
                let rid = refund_json["id"].as_u64().unwrap_or_default();
                let refund = order.refund(rid).cloned();
                let order = GOrder::new(order);
                Ok(RefundCreatePayload {
                    refund: refund.map(|refund| GRefund {
                        refund,
                        order: order.0.clone(),
                    }),
                    order: Some(order),
                    user_errors: Vec::new(),
                })
            }
        }
    }
}
