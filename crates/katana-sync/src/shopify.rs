//! Shopify's order JSON as the sync reads it: only the fields it needs, through its
//! own types, as any real client would. It never shares types with the mock, so a
//! shape the mock gets wrong is caught here rather than agreed on.

use serde::Deserialize;

use katana_rules::{LineId, OrderId};

/// An order as `GET orders/{id}.json` (inside `"order"`) or an order webhook shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShopifyOrder {
    /// Order id.
    pub id: OrderId,
    /// Order name, e.g. `#1001`: the SO number.
    pub name: String,
    /// `pending`, `authorized`, `paid`, …
    pub financial_status: Option<String>,
    /// Last change, RFC 3339 (for reconciliation).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Set when the order is cancelled.
    pub cancelled_at: Option<String>,
    /// Set when the order is archived (closed).
    pub closed_at: Option<String>,
    /// `null`, `partial` or `fulfilled`.
    pub fulfillment_status: Option<String>,
    /// The line items.
    pub line_items: Vec<ShopifyLineItem>,
    /// Refunds, to tell returned units apart.
    #[serde(default)]
    pub refunds: Vec<ShopifyRefund>,
}

/// A line item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShopifyLineItem {
    /// Line item id: the SO row's key.
    pub id: LineId,
    /// SKU (Shopify allows none; the sync then uses an empty string).
    pub sku: Option<String>,
    /// Units after edits and refunds.
    pub current_quantity: u32,
    /// Units still to fulfil.
    pub fulfillable_quantity: u32,
    /// `null`, `partial` or `fulfilled`.
    pub fulfillment_status: Option<String>,
}

/// A refund, as far as the sync cares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShopifyRefund {
    /// The refunded line items.
    #[serde(default)]
    pub refund_line_items: Vec<ShopifyRefundLineItem>,
}

/// A refunded line item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShopifyRefundLineItem {
    /// Which line item.
    pub line_item_id: LineId,
    /// How many units.
    pub quantity: u32,
    /// `no_restock`, `cancel`, `return` or `legacy_restock`.
    pub restock_type: Option<String>,
}

/// The REST wrapper `{"order": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderEnvelope {
    /// The order.
    pub order: ShopifyOrder,
}

impl ShopifyOrder {
    /// Reads an order from its JSON, bare or inside `{"order": …}`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        match serde_json::from_slice::<OrderEnvelope>(bytes) {
            Ok(env) => Ok(env.order),
            Err(_) => serde_json::from_slice(bytes),
        }
    }

    /// Reads an order from an already parsed JSON value, bare or inside `{"order": …}`.
    pub fn from_value(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        match value {
            serde_json::Value::Object(mut map) if map.contains_key("order") => {
                serde_json::from_value(map.remove("order").unwrap_or_default())
            }
            other => serde_json::from_value(other),
        }
    }

    /// True when the order is cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// True when the order is archived.
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Units of a line returned by the customer (refunds with restock type `return`).
    pub fn returned(&self, line: LineId) -> u32 {
        self.refunds
            .iter()
            .flat_map(|r| &r.refund_line_items)
            .filter(|r| r.line_item_id == line && r.restock_type.as_deref() == Some("return"))
            .map(|r| r.quantity)
            .sum()
    }
}

impl ShopifyLineItem {
    /// The SKU, or an empty string when the line has none.
    pub fn sku(&self) -> &str {
        self.sku.as_deref().unwrap_or("")
    }

    /// True when every unit of the line is fulfilled.
    pub fn is_fulfilled(&self) -> bool {
        self.fulfillment_status.as_deref() == Some("fulfilled")
    }
}
