//! GraphQL types shared by the query and the mutations: global ids, `userErrors`,
//! enums, connections, and the objects read back (`Order`, `LineItem`,
//! `ProductVariant`, `Refund`, `RefundLineItem`).

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use shopify_model::{
    CancelReason, FinancialStatus, FulfillmentStatus, LineItem, Order, Refund, RestockType,
    ShopifyError,
};

use crate::state::Core;

// ----- ids ---------------------------------------------------------------------

/// `gid://shopify/{kind}/{id}`.
pub(super) fn gid(kind: &str, id: impl std::fmt::Display) -> ID {
    ID(format!("gid://shopify/{kind}/{id}"))
}

/// The top-level error for a malformed global id.
pub(super) fn invalid_gid(id: &ID) -> async_graphql::Error {
    async_graphql::Error::new(format!("Invalid global id '{}'", id.as_str()))
}

/// The id in `gid://shopify/{kind}/{id}` as a string.
pub(super) fn gid_part<'a>(id: &'a ID, kind: &str) -> async_graphql::Result<&'a str> {
    id.as_str()
        .strip_prefix("gid://shopify/")
        .and_then(|r| r.strip_prefix(kind))
        .and_then(|r| r.strip_prefix('/'))
        .filter(|r| !r.is_empty())
        .ok_or_else(|| invalid_gid(id))
}

/// The number in `gid://shopify/{kind}/{n}`.
pub(super) fn gid_num(id: &ID, kind: &str) -> async_graphql::Result<u64> {
    gid_part(id, kind)?.parse().map_err(|_| invalid_gid(id))
}

pub(super) fn core<'c>(ctx: &Context<'c>) -> &'c Arc<Core> {
    ctx.data_unchecked::<Arc<Core>>()
}

// ----- errors ------------------------------------------------------------------

/// A business error (`userErrors`).
#[derive(SimpleObject, Clone)]
pub(super) struct UserError {
    /// The path to the input field that caused the error.
    pub(super) field: Option<Vec<String>>,
    /// The error message.
    pub(super) message: String,
}

impl UserError {
    pub(super) fn new(field: &[impl AsRef<str>], message: impl Into<String>) -> Self {
        Self {
            field: Some(field.iter().map(|s| s.as_ref().to_owned()).collect()),
            message: message.into(),
        }
    }

    /// shopify-model's refusal, its message exactly as `Display` gives it.
    pub(super) fn from_model(field: &[impl AsRef<str>], e: &ShopifyError) -> Self {
        Self::new(field, e.to_string())
    }
}

// ----- enums -------------------------------------------------------------------

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderCancelReason")]
pub(super) enum GCancelReason {
    Customer,
    Declined,
    Fraud,
    Inventory,
    Other,
    Staff,
}

impl GCancelReason {
    pub(super) fn from_model(r: CancelReason) -> Self {
        match r {
            CancelReason::Customer => Self::Customer,
            CancelReason::Declined => Self::Declined,
            CancelReason::Fraud => Self::Fraud,
            CancelReason::Inventory => Self::Inventory,
            CancelReason::Other => Self::Other,
        }
    }

    /// The store has no `staff` reason: it becomes `other`.
    pub(super) fn to_model(self) -> CancelReason {
        match self {
            Self::Customer => CancelReason::Customer,
            Self::Declined => CancelReason::Declined,
            Self::Fraud => CancelReason::Fraud,
            Self::Inventory => CancelReason::Inventory,
            Self::Other | Self::Staff => CancelReason::Other,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderDisplayFinancialStatus")]
pub(super) enum GFinancialStatus {
    Pending,
    Authorized,
    PartiallyPaid,
    PartiallyRefunded,
    Voided,
    Paid,
    Refunded,
    Expired,
}

impl GFinancialStatus {
    pub(super) fn from_model(s: FinancialStatus) -> Self {
        match s {
            FinancialStatus::Pending => Self::Pending,
            FinancialStatus::Authorized => Self::Authorized,
            FinancialStatus::Paid => Self::Paid,
            FinancialStatus::PartiallyPaid => Self::PartiallyPaid,
            FinancialStatus::PartiallyRefunded => Self::PartiallyRefunded,
            FinancialStatus::Refunded => Self::Refunded,
            FinancialStatus::Voided => Self::Voided,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderDisplayFulfillmentStatus")]
pub(super) enum GFulfillmentStatus {
    Unfulfilled,
    PartiallyFulfilled,
    Fulfilled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "RefundLineItemRestockType")]
pub(super) enum GRestockType {
    Return,
    Cancel,
    LegacyRestock,
    NoRestock,
}

impl GRestockType {
    pub(super) fn from_model(r: RestockType) -> Self {
        match r {
            RestockType::Return => Self::Return,
            RestockType::Cancel => Self::Cancel,
            RestockType::LegacyRestock => Self::LegacyRestock,
            RestockType::NoRestock => Self::NoRestock,
        }
    }

    pub(super) fn to_model(self) -> RestockType {
        match self {
            Self::Return => RestockType::Return,
            Self::Cancel => RestockType::Cancel,
            Self::LegacyRestock => RestockType::LegacyRestock,
            Self::NoRestock => RestockType::NoRestock,
        }
    }
}

// ----- connections -------------------------------------------------------------

#[derive(SimpleObject, Clone)]
pub(super) struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

impl PageInfo {
    /// The page info of a page cut from a longer list.
    pub(super) fn new(
        has_next_page: bool,
        has_previous_page: bool,
        start_cursor: Option<String>,
        end_cursor: Option<String>,
    ) -> Self {
        Self {
            has_next_page,
            has_previous_page,
            start_cursor,
            end_cursor,
        }
    }
}

/// `first`/`after` over a list; cursors are positions.
pub(super) fn window<T: Clone>(
    items: &[T],
    first: Option<i32>,
    after: Option<&str>,
) -> (Vec<(String, T)>, PageInfo) {
    let start = after
        .and_then(|a| a.parse::<usize>().ok())
        .map_or(0, |a| a + 1);
    let start = start.min(items.len());
    let n = first.map_or(items.len(), |f| f.max(0) as usize);
    let end = start.saturating_add(n).min(items.len());
    let page: Vec<(String, T)> = (start..end)
        .map(|i| (i.to_string(), items[i].clone()))
        .collect();
    let info = PageInfo {
        has_next_page: end < items.len(),
        has_previous_page: start > 0,
        start_cursor: page.first().map(|(c, _)| c.clone()),
        end_cursor: page.last().map(|(c, _)| c.clone()),
    };
    (page, info)
}

/// A connection type (`nodes`, `edges { cursor node }`, `pageInfo`) over a node
/// type, with `new(items, first, after)`.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $name:literal, $edge_name:literal) => {
        #[derive(async_graphql::SimpleObject, Clone)]
        #[graphql(name = $edge_name)]
        pub(super) struct $edge {
            cursor: String,
            node: $node,
        }

        #[derive(async_graphql::SimpleObject, Clone)]
        #[graphql(name = $name)]
        pub(super) struct $conn {
            nodes: Vec<$node>,
            edges: Vec<$edge>,
            page_info: $crate::graphql::types::PageInfo,
        }

        impl $conn {
            #[allow(dead_code)]
            pub(super) fn new(items: &[$node], first: Option<i32>, after: Option<&str>) -> Self {
                let (page, page_info) = $crate::graphql::types::window(items, first, after);
                Self::from_page(page, page_info)
            }

            /// A page already cut, with its cursors.
            pub(super) fn from_page(
                page: Vec<(String, $node)>,
                page_info: $crate::graphql::types::PageInfo,
            ) -> Self {
                Self {
                    nodes: page.iter().map(|(_, n)| n.clone()).collect(),
                    edges: page
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    page_info,
                }
            }
        }
    };
}

pub(super) use connection;

connection!(
    LineItemConnection,
    LineItemEdge,
    GLineItem,
    "LineItemConnection",
    "LineItemEdge"
);
connection!(
    RefundLineItemConnection,
    RefundLineItemEdge,
    GRefundLineItem,
    "RefundLineItemConnection",
    "RefundLineItemEdge"
);

// ----- objects -----------------------------------------------------------------

#[derive(SimpleObject, Clone)]
#[graphql(name = "ProductVariant")]
pub(super) struct GVariant {
    id: ID,
    legacy_resource_id: String,
    sku: Option<String>,
    title: String,
}

pub(super) fn variant(id: u64, sku: &str) -> GVariant {
    GVariant {
        id: gid("ProductVariant", id),
        legacy_resource_id: id.to_string(),
        sku: Some(sku.to_owned()),
        title: sku.to_owned(),
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "LineItem")]
pub(super) struct GLineItem {
    id: ID,
    sku: Option<String>,
    title: String,
    name: String,
    quantity: i32,
    current_quantity: i32,
    unfulfilled_quantity: i32,
    refundable_quantity: i32,
    variant: Option<GVariant>,
}

pub(super) fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(super) fn line_item(order: &Order, l: &LineItem) -> GLineItem {
    GLineItem {
        id: gid("LineItem", l.id),
        sku: Some(l.sku.clone()),
        title: l.title.clone(),
        name: l.title.clone(),
        quantity: count(l.quantity),
        current_quantity: count(l.current_quantity),
        unfulfilled_quantity: count(order.fulfillable_quantity(l)),
        refundable_quantity: count(l.current_quantity),
        variant: Some(variant(l.variant_id, &l.sku)),
    }
}

/// An order as GraphQL shows it (a copy taken when it was read, shared by every
/// field that shows it).
#[derive(Clone)]
pub(super) struct GOrder(pub(super) Arc<Order>);

impl GOrder {
    pub(super) fn new(order: Order) -> Self {
        Self(Arc::new(order))
    }
}

/// The orders one request has read, by id: a query that looks the same order up
/// many times (aliases, fragments) copies it out of the store once.
#[derive(Default)]
pub(super) struct OrderCache(std::sync::Mutex<std::collections::HashMap<u64, Option<GOrder>>>);

impl OrderCache {
    /// The order `id` as this request first read it.
    pub(super) fn get(&self, id: u64, read: impl FnOnce() -> Option<Order>) -> Option<GOrder> {
        let mut cache = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(id)
            .or_insert_with(|| read().map(GOrder::new))
            .clone()
    }
}

#[Object(name = "Order")]
impl GOrder {
    async fn id(&self) -> ID {
        gid("Order", self.0.id)
    }
    async fn legacy_resource_id(&self) -> String {
        self.0.id.to_string()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> String {
        self.0.created_at.to_string()
    }
    async fn updated_at(&self) -> String {
        self.0.updated_at.to_string()
    }
    async fn cancelled_at(&self) -> Option<String> {
        self.0.cancelled_at.map(|t| t.to_string())
    }
    async fn cancel_reason(&self) -> Option<GCancelReason> {
        self.0.cancel_reason.map(GCancelReason::from_model)
    }
    async fn closed(&self) -> bool {
        self.0.is_closed()
    }
    async fn closed_at(&self) -> Option<String> {
        self.0.closed_at.map(|t| t.to_string())
    }
    async fn display_financial_status(&self) -> Option<GFinancialStatus> {
        Some(GFinancialStatus::from_model(self.0.financial_status))
    }
    async fn display_fulfillment_status(&self) -> GFulfillmentStatus {
        match self.0.fulfillment_status() {
            None => GFulfillmentStatus::Unfulfilled,
            Some(FulfillmentStatus::Partial) => GFulfillmentStatus::PartiallyFulfilled,
            Some(FulfillmentStatus::Fulfilled) => GFulfillmentStatus::Fulfilled,
        }
    }
    async fn line_items(&self, first: Option<i32>, after: Option<String>) -> LineItemConnection {
        // Only the page's lines are built (a query may ask for many small pages).
        let lines: Vec<&LineItem> = self.0.line_items.iter().collect();
        let (page, info) = window(&lines, first, after.as_deref());
        let page = page
            .into_iter()
            .map(|(cursor, l)| (cursor, line_item(&self.0, l)))
            .collect();
        LineItemConnection::from_page(page, info)
    }
    /// The order's fulfilment orders: the mock has one per order.
    async fn fulfillment_orders(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> super::fulfillments::FulfillmentOrderConnection {
        super::fulfillments::FulfillmentOrderConnection::new(
            &[super::fulfillments::GFulfillmentOrder(self.0.clone())],
            first,
            after.as_deref(),
        )
    }
    async fn refunds(&self, first: Option<i32>) -> Vec<GRefund> {
        let n = first.map_or(usize::MAX, |f| f.max(0) as usize);
        self.0
            .refunds
            .iter()
            .take(n)
            .map(|r| GRefund {
                refund: r.clone(),
                order: self.0.clone(),
            })
            .collect()
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "RefundLineItem")]
pub(super) struct GRefundLineItem {
    line_item: GLineItem,
    quantity: i32,
    restock_type: GRestockType,
    restocked: bool,
}

/// A refund and its order (its lines show the order's lines).
#[derive(Clone)]
pub(super) struct GRefund {
    pub(super) refund: Refund,
    pub(super) order: Arc<Order>,
}

#[Object(name = "Refund")]
impl GRefund {
    async fn id(&self) -> ID {
        gid("Refund", self.refund.id)
    }
    async fn legacy_resource_id(&self) -> String {
        self.refund.id.to_string()
    }
    async fn created_at(&self) -> String {
        self.refund.created_at.to_string()
    }
    async fn note(&self) -> Option<&str> {
        self.refund.note.as_deref()
    }
    async fn refund_line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> RefundLineItemConnection {
        let items: Vec<GRefundLineItem> = self
            .refund
            .refund_line_items
            .iter()
            .filter_map(|r| {
                let l = self.order.line(r.line_item_id)?;
                Some(GRefundLineItem {
                    line_item: line_item(&self.order, l),
                    quantity: count(r.quantity),
                    restock_type: GRestockType::from_model(r.restock_type),
                    restocked: r.restock_type != RestockType::NoRestock,
                })
            })
            .collect();
        RefundLineItemConnection::new(&items, first, after.as_deref())
    }
}
