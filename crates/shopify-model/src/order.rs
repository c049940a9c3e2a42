//! An order as Shopify keeps it, its line items and refunds, and their REST JSON.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::types::{
    CancelReason, FinancialStatus, LineId, OrderId, RefundId, RefundLineItemId, RestockType,
    VariantId,
};

/// The fulfilment status of an order or line item when something is fulfilled
/// (`null` in JSON when nothing is, i.e. `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    /// Some units fulfilled, some still to fulfil.
    Partial,
    /// Every remaining unit fulfilled.
    Fulfilled,
}

impl FulfillmentStatus {
    /// The name Shopify uses in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::Fulfilled => "fulfilled",
        }
    }

    /// `null`, `"partial"` or `"fulfilled"`, as the REST JSON shows it.
    pub fn to_json(status: Option<Self>) -> Value {
        status.map_or(Value::Null, |s| Value::from(s.as_str()))
    }
}

/// A line item of an order.
///
/// Invariants: `returned_quantity ≤ fulfilled_quantity ≤ current_quantity +
/// returned_quantity`. A return (a refund with restock type `return`) moves units
/// from `current_quantity` to `returned_quantity` and leaves them fulfilled: Shopify
/// does not undo a fulfilment when the customer sends units back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// The line item id.
    pub id: LineId,
    /// The variant ordered (one variant per SKU in this store).
    pub variant_id: VariantId,
    /// The variant's SKU.
    pub sku: String,
    /// The title shown to people; the SKU in this store.
    pub title: String,
    /// Units as ordered (for a line added by an edit: as added); never changes.
    pub quantity: u32,
    /// Units after edits and refunds (returns included). Cancelling does not change it.
    pub current_quantity: u32,
    /// Units fulfilled, returned ones included (a return does not undo a fulfilment).
    pub fulfilled_quantity: u32,
    /// Units refunded with restock type `return`: fulfilled units the customer sent
    /// back. They are no longer in `current_quantity` and still in
    /// `fulfilled_quantity`.
    pub returned_quantity: u32,
}

impl LineItem {
    /// Units not yet fulfilled, ignoring whether the order is cancelled:
    /// `current_quantity + returned_quantity − fulfilled_quantity` (0 at least). A
    /// line of 5 with 3 fulfilled and 2 of those returned has 2 unfulfilled: it now
    /// orders 3, and the customer kept 1. See [`Order::fulfillable_quantity`].
    pub fn unfulfilled_quantity(&self) -> u32 {
        self.current_quantity
            .saturating_add(self.returned_quantity)
            .saturating_sub(self.fulfilled_quantity)
    }

    /// Fulfilled units not returned (yet): what the customer kept, what a return
    /// can still take, and the lowest quantity an edit can set
    /// (`fulfilled_quantity − returned_quantity`).
    pub fn kept_quantity(&self) -> u32 {
        self.fulfilled_quantity
            .saturating_sub(self.returned_quantity)
    }

    /// `None` when nothing is fulfilled, `Fulfilled` when nothing is left to fulfil,
    /// else `Partial`: fulfilled units against `current_quantity +
    /// returned_quantity`, so a fulfilled line whose units were all returned is
    /// still `Fulfilled`.
    pub fn fulfillment_status(&self) -> Option<FulfillmentStatus> {
        if self.fulfilled_quantity == 0 {
            None
        } else if self.unfulfilled_quantity() == 0 {
            Some(FulfillmentStatus::Fulfilled)
        } else {
            Some(FulfillmentStatus::Partial)
        }
    }
}

/// A refunded line item of a [`Refund`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLineItem {
    /// The refund line item id.
    pub id: RefundLineItemId,
    /// The line item refunded.
    pub line_item_id: LineId,
    /// Units refunded.
    pub quantity: u32,
    /// What happened to those units.
    pub restock_type: RestockType,
}

/// A refund of an order. One with no line items refunds money only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The refund id.
    pub id: RefundId,
    /// The order refunded.
    pub order_id: OrderId,
    /// When it was created.
    pub created_at: Timestamp,
    /// The merchant's note.
    pub note: Option<String>,
    /// The line items refunded; empty for a refund of money only.
    pub refund_line_items: Vec<RefundLineItem>,
}

impl Refund {
    /// True when the refund returns money only and changes no quantity.
    pub fn is_money_only(&self) -> bool {
        self.refund_line_items.is_empty()
    }

    /// The refund as REST shows it (`GET orders/{id}/refunds/{rid}.json` wraps it in
    /// `{"refund": …}`; `refunds/create` webhooks send it bare).
    ///
    /// Each refund line item embeds its `line_item` as the order shows it now, so
    /// the order is an argument.
    pub fn to_rest_json(&self, order: &Order) -> Value {
        let refund_line_items: Vec<Value> = self
            .refund_line_items
            .iter()
            .map(|r| {
                let line_item = order
                    .line(r.line_item_id)
                    .map_or(Value::Null, |l| order.line_to_rest_json(l));
                json!({
                    "id": r.id,
                    "line_item_id": r.line_item_id,
                    "location_id": null,
                    "quantity": r.quantity,
                    "restock_type": r.restock_type.as_str(),
                    "line_item": line_item,
                })
            })
            .collect();
        let restock = self
            .refund_line_items
            .iter()
            .any(|r| r.restock_type != RestockType::NoRestock);
        json!({
            "id": self.id,
            "admin_graphql_api_id": format!("gid://shopify/Refund/{}", self.id),
            "order_id": self.order_id,
            "created_at": self.created_at.to_string(),
            "processed_at": self.created_at.to_string(),
            "note": self.note,
            "restock": restock,
            "user_id": null,
            "refund_line_items": refund_line_items,
            "transactions": [],
            "order_adjustments": [],
        })
    }
}

/// A Shopify order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The order id.
    pub id: OrderId,
    /// The order name, e.g. `#1001`.
    pub name: String,
    /// The number in the name when the name is `#<n>`, else the id.
    pub order_number: u64,
    /// The financial status.
    pub financial_status: FinancialStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// When it was cancelled.
    pub cancelled_at: Option<Timestamp>,
    /// Why it was cancelled.
    pub cancel_reason: Option<CancelReason>,
    /// When it was archived (closed).
    pub closed_at: Option<Timestamp>,
    /// The line items, in creation order; lines removed by an edit stay with
    /// `current_quantity` 0.
    pub line_items: Vec<LineItem>,
    /// The refunds, oldest first.
    pub refunds: Vec<Refund>,
}

impl Order {
    /// `n` when the name is `#<n>` (digits only), else the order id.
    pub fn order_number_for(id: OrderId, name: &str) -> u64 {
        name.strip_prefix('#')
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .unwrap_or(id)
    }

    /// True when the order is cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// True when the order is archived (closed).
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// The line item with this id.
    pub fn line(&self, id: LineId) -> Option<&LineItem> {
        self.line_items.iter().find(|l| l.id == id)
    }

    /// The refund with this id.
    pub fn refund(&self, id: RefundId) -> Option<&Refund> {
        self.refunds.iter().find(|r| r.id == id)
    }

    /// A line's quantity as a client must read it: 0 if the order is cancelled,
    /// else `current_quantity` (rules.md §1).
    pub fn effective_quantity(&self, line: &LineItem) -> u32 {
        if self.is_cancelled() {
            0
        } else {
            line.current_quantity
        }
    }

    /// Units of a line that can still be fulfilled (REST's `fulfillable_quantity`):
    /// 0 if the order is cancelled, else [`LineItem::unfulfilled_quantity`].
    pub fn fulfillable_quantity(&self, line: &LineItem) -> u32 {
        if self.is_cancelled() {
            0
        } else {
            line.unfulfilled_quantity()
        }
    }

    /// Units fulfilled over all lines, returned ones included (an order whose
    /// fulfilled units were all returned still has fulfilled items, so it cannot be
    /// cancelled).
    pub fn fulfilled_units(&self) -> u32 {
        self.line_items
            .iter()
            .fold(0, |sum, l| sum.saturating_add(l.fulfilled_quantity))
    }

    /// `None` when nothing is fulfilled, `Fulfilled` when something is fulfilled and
    /// no line has units left to fulfil, else `Partial`.
    pub fn fulfillment_status(&self) -> Option<FulfillmentStatus> {
        if self.fulfilled_units() == 0 {
            None
        } else if self
            .line_items
            .iter()
            .all(|l| l.unfulfilled_quantity() == 0)
        {
            Some(FulfillmentStatus::Fulfilled)
        } else {
            Some(FulfillmentStatus::Partial)
        }
    }

    /// A line item as REST shows it inside this order.
    pub fn line_to_rest_json(&self, line: &LineItem) -> Value {
        json!({
            "id": line.id,
            "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", line.id),
            "variant_id": line.variant_id,
            "sku": line.sku,
            "title": line.title,
            "name": line.title,
            "quantity": line.quantity,
            "current_quantity": line.current_quantity,
            "fulfillable_quantity": self.fulfillable_quantity(line),
            "fulfillment_status": FulfillmentStatus::to_json(line.fulfillment_status()),
        })
    }

    /// The order as REST shows it (`GET orders/{id}.json` wraps it in `{"order": …}`).
    ///
    /// Same order, same JSON: keys are sorted, lines and refunds keep their order.
    pub fn to_rest_json(&self) -> Value {
        let line_items: Vec<Value> = self
            .line_items
            .iter()
            .map(|l| self.line_to_rest_json(l))
            .collect();
        let refunds: Vec<Value> = self.refunds.iter().map(|r| r.to_rest_json(self)).collect();
        json!({
            "id": self.id,
            "admin_graphql_api_id": format!("gid://shopify/Order/{}", self.id),
            "name": self.name,
            "order_number": self.order_number,
            "created_at": self.created_at.to_string(),
            "updated_at": self.updated_at.to_string(),
            "cancelled_at": self.cancelled_at.map(|t| t.to_string()),
            "cancel_reason": self.cancel_reason.map(CancelReason::as_str),
            "closed_at": self.closed_at.map(|t| t.to_string()),
            "financial_status": self.financial_status.as_str(),
            "fulfillment_status": FulfillmentStatus::to_json(self.fulfillment_status()),
            "line_items": line_items,
            "refunds": refunds,
        })
    }
}
