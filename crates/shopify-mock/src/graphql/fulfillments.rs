//! Fulfilment orders (`Order.fulfillmentOrders`) and `fulfillmentCreate`.
//!
//! The mock has one fulfilment order per order, with deterministic ids (see
//! `rest/shared.rs`): `gid://shopify/FulfillmentOrder/{1000000000000 + order id}`,
//! its line items `gid://shopify/FulfillmentOrderLineItem/{1000000000000 + line
//! item id}`. A fulfilment is applied all or nothing, and refused with
//! shopify-model's words in `userErrors`.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use shopify_model::{LineItem, Order};

use super::types::{
    GLineItem, GOrder, UserError, connection, core, count, gid, gid_num, line_item, window,
};
use crate::rest::shared::{self, FulfillError, Fulfilled, FulfillmentRequest};

/// A fulfilment order's status.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "FulfillmentOrderStatus")]
pub(super) enum GFulfillmentOrderStatus {
    Open,
    InProgress,
    Closed,
    Cancelled,
    Incomplete,
    Scheduled,
    OnHold,
}

/// The fulfilment order of an order.
#[derive(Clone)]
pub(super) struct GFulfillmentOrder(pub(super) Arc<Order>);

/// A line item of a fulfilment order.
#[derive(Clone)]
pub(super) struct GFulfillmentOrderLineItem {
    order: Arc<Order>,
    line: LineItem,
}

connection!(
    FulfillmentOrderConnection,
    FulfillmentOrderEdge,
    GFulfillmentOrder,
    "FulfillmentOrderConnection",
    "FulfillmentOrderEdge"
);
connection!(
    FulfillmentOrderLineItemConnection,
    FulfillmentOrderLineItemEdge,
    GFulfillmentOrderLineItem,
    "FulfillmentOrderLineItemConnection",
    "FulfillmentOrderLineItemEdge"
);

#[Object(name = "FulfillmentOrder")]
impl GFulfillmentOrder {
    async fn id(&self) -> ID {
        gid("FulfillmentOrder", shared::fulfillment_order_id(self.0.id))
    }
    async fn legacy_resource_id(&self) -> String {
        shared::fulfillment_order_id(self.0.id).to_string()
    }
    async fn status(&self) -> GFulfillmentOrderStatus {
        match shared::fulfillment_status(&self.0) {
            "closed" => GFulfillmentOrderStatus::Closed,
            "in_progress" => GFulfillmentOrderStatus::InProgress,
            _ => GFulfillmentOrderStatus::Open,
        }
    }
    async fn created_at(&self) -> String {
        self.0.created_at.to_string()
    }
    async fn updated_at(&self) -> String {
        self.0.updated_at.to_string()
    }
    async fn order_id(&self) -> ID {
        gid("Order", self.0.id)
    }
    async fn order(&self) -> GOrder {
        GOrder(self.0.clone())
    }
    async fn line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> FulfillmentOrderLineItemConnection {
        let lines: Vec<&LineItem> = shared::fulfillment_lines(&self.0).collect();
        let (page, info) = window(&lines, first, after.as_deref());
        let page = page
            .into_iter()
            .map(|(cursor, l)| {
                (
                    cursor,
                    GFulfillmentOrderLineItem {
                        order: self.0.clone(),
                        line: l.clone(),
                    },
                )
            })
            .collect();
        FulfillmentOrderLineItemConnection::from_page(page, info)
    }
}

#[Object(name = "FulfillmentOrderLineItem")]
impl GFulfillmentOrderLineItem {
    async fn id(&self) -> ID {
        gid(
            "FulfillmentOrderLineItem",
            shared::fulfillment_line_id(self.line.id),
        )
    }
    /// The units of the line (its current quantity).
    async fn total_quantity(&self) -> i32 {
        count(self.line.current_quantity)
    }
    /// The units left to fulfil.
    async fn remaining_quantity(&self) -> i32 {
        count(self.order.fulfillable_quantity(&self.line))
    }
    async fn sku(&self) -> Option<&str> {
        Some(&self.line.sku)
    }
    async fn line_item(&self) -> GLineItem {
        line_item(&self.order, &self.line)
    }
}

// ----- fulfillmentCreate ---------------------------------------------------------------

/// A fulfilment's status: the mock's fulfilments succeed at once.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "FulfillmentStatus")]
enum GFulfillmentDisplayStatus {
    Success,
    Cancelled,
    Error,
    Failure,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "FulfillmentTrackingInfo")]
struct TrackingInfo {
    company: Option<String>,
    number: Option<String>,
    url: Option<String>,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "FulfillmentLineItem")]
struct GFulfillmentLineItem {
    id: ID,
    quantity: i32,
    line_item: GLineItem,
}

/// A fulfilment made by `fulfillmentCreate`.
#[derive(Clone)]
struct GFulfillment {
    done: Fulfilled,
    tracking: Option<TrackingInfo>,
}

#[Object(name = "Fulfillment")]
impl GFulfillment {
    async fn id(&self) -> ID {
        gid("Fulfillment", self.done.id)
    }
    async fn legacy_resource_id(&self) -> String {
        self.done.id.to_string()
    }
    async fn status(&self) -> GFulfillmentDisplayStatus {
        GFulfillmentDisplayStatus::Success
    }
    async fn created_at(&self) -> String {
        self.done.at.to_string()
    }
    async fn updated_at(&self) -> String {
        self.done.at.to_string()
    }
    async fn order(&self) -> GOrder {
        GOrder::new(self.done.order.clone())
    }
    async fn tracking_info(&self, first: Option<i32>) -> Vec<TrackingInfo> {
        let n = first.map_or(usize::MAX, |f| f.max(0) as usize);
        self.tracking.iter().take(n).cloned().collect()
    }
    async fn fulfillment_line_items(&self, first: Option<i32>) -> Vec<GFulfillmentLineItem> {
        let n = first.map_or(usize::MAX, |f| f.max(0) as usize);
        self.done
            .lines
            .iter()
            .filter_map(|(line, q)| {
                let l = self.done.order.line(*line)?;
                Some(GFulfillmentLineItem {
                    id: gid("FulfillmentLineItem", format!("{}-{}", self.done.id, l.id)),
                    quantity: count(*q),
                    line_item: line_item(&self.done.order, l),
                })
            })
            .take(n)
            .collect()
    }
}

#[derive(InputObject)]
struct FulfillmentOrderLineItemInput {
    id: ID,
    quantity: i32,
}

#[derive(InputObject)]
struct FulfillmentOrderLineItemsInput {
    fulfillment_order_id: ID,
    fulfillment_order_line_items: Option<Vec<FulfillmentOrderLineItemInput>>,
}

#[derive(InputObject)]
struct FulfillmentTrackingInput {
    company: Option<String>,
    number: Option<String>,
    url: Option<String>,
    numbers: Option<Vec<String>>,
    urls: Option<Vec<String>>,
}

#[derive(InputObject)]
struct FulfillmentInput {
    line_items_by_fulfillment_order: Vec<FulfillmentOrderLineItemsInput>,
    notify_customer: Option<bool>,
    tracking_info: Option<FulfillmentTrackingInput>,
}

#[derive(SimpleObject)]
struct FulfillmentCreatePayload {
    fulfillment: Option<GFulfillment>,
    user_errors: Vec<UserError>,
}

/// `fulfillmentCreate`.
#[derive(Default)]
pub(super) struct FulfillmentMutations;

#[Object]
impl FulfillmentMutations {
    /// Fulfils units of one order's fulfilment orders (everything that remains of a
    /// fulfilment order given without line items), all or nothing; sends
    /// `orders/fulfilled` or `orders/partially_fulfilled`, and `orders/updated`.
    async fn fulfillment_create(
        &self,
        ctx: &Context<'_>,
        fulfillment: FulfillmentInput,
        message: Option<String>,
    ) -> async_graphql::Result<FulfillmentCreatePayload> {
        let _ = (message, fulfillment.notify_customer);
        let mut requests = Vec::new();
        for group in &fulfillment.line_items_by_fulfillment_order {
            let fo = gid_num(&group.fulfillment_order_id, "FulfillmentOrder")?;
            let lines = match &group.fulfillment_order_line_items {
                None => None,
                Some(items) => {
                    let mut lines = Vec::with_capacity(items.len());
                    for item in items {
                        let id = gid_num(&item.id, "FulfillmentOrderLineItem")?;
                        // A negative quantity is the store's refusal of an invalid
                        // quantity, in its words.
                        let quantity = u32::try_from(item.quantity).map_err(|_| {
                            shopify_model::ShopifyError::invalid_quantity(item.quantity)
                        });
                        match quantity {
                            Ok(q) => lines.push((id, q)),
                            Err(e) => {
                                return Ok(FulfillmentCreatePayload {
                                    fulfillment: None,
                                    user_errors: vec![UserError::from_model(
                                        &["fulfillment", "lineItemsByFulfillmentOrder"],
                                        &e,
                                    )],
                                });
                            }
                        }
                    }
                    Some(lines)
                }
            };
            requests.push(FulfillmentRequest {
                fulfillment_order: fo,
                lines,
            });
        }
        let tracking = fulfillment.tracking_info.map(|t| TrackingInfo {
            company: t.company,
            number: t
                .number
                .or_else(|| t.numbers.and_then(|n| n.into_iter().next())),
            url: t.url.or_else(|| t.urls.and_then(|u| u.into_iter().next())),
        });
        let core = core(ctx);
        Ok(match shared::fulfill(core, &requests) {
            Ok(done) => FulfillmentCreatePayload {
                fulfillment: Some(GFulfillment { done, tracking }),
                user_errors: Vec::new(),
            },
            Err(e) => {
                let field: &[&str] = match e {
                    FulfillError::Refused(_) => &["fulfillment"],
                    _ => &["fulfillment", "lineItemsByFulfillmentOrder"],
                };
                let message = match &e {
                    FulfillError::UnknownFulfillmentOrder(id) => format!(
                        "Fulfillment order {} does not exist.",
                        gid("FulfillmentOrder", id).as_str()
                    ),
                    e => e.to_string(),
                };
                FulfillmentCreatePayload {
                    fulfillment: None,
                    user_errors: vec![UserError::new(field, message)],
                }
            }
        })
    }
}
