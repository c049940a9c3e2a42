//! Value types shared with the scenario format and the mock's seed files.

use serde::{Deserialize, Serialize};

/// A Shopify order id (`Order.id`, the number inside `gid://shopify/Order/{id}`).
pub type OrderId = u64;
/// A Shopify line item id (unique in the store, not just in its order).
pub type LineId = u64;
/// A product variant id; the store gives each SKU one variant.
pub type VariantId = u64;
/// A refund id.
pub type RefundId = u64;
/// A refund line item id.
pub type RefundLineItemId = u64;
/// An order edit id (the `order_edit.id` of an `orders/edited` webhook).
pub type OrderEditId = u64;

/// An order's financial status, as Shopify names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinancialStatus {
    /// Payment pending.
    Pending,
    /// Payment authorized, not captured.
    Authorized,
    /// Paid.
    Paid,
    /// Partially paid.
    PartiallyPaid,
    /// Partially refunded.
    PartiallyRefunded,
    /// Refunded.
    Refunded,
    /// Voided.
    Voided,
}

impl FinancialStatus {
    /// Every status, in Shopify's documented order.
    pub const ALL: [FinancialStatus; 7] = [
        Self::Pending,
        Self::Authorized,
        Self::Paid,
        Self::PartiallyPaid,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Voided,
    ];

    /// The name Shopify uses in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Paid => "paid",
            Self::PartiallyPaid => "partially_paid",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
        }
    }
}

/// What happens to stock for a refunded line item (`refund_line_items[].restock_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestockType {
    /// Unfulfilled units removed from the order and put back in stock.
    Cancel,
    /// Units refunded without restocking.
    NoRestock,
    /// Fulfilled units sent back by the customer.
    Return,
    /// Shopify's older restock flag; behaves like `cancel` for unfulfilled units.
    LegacyRestock,
}

impl RestockType {
    /// Every restock type.
    pub const ALL: [RestockType; 4] = [
        Self::Cancel,
        Self::NoRestock,
        Self::Return,
        Self::LegacyRestock,
    ];

    /// The name Shopify uses in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancel => "cancel",
            Self::NoRestock => "no_restock",
            Self::Return => "return",
            Self::LegacyRestock => "legacy_restock",
        }
    }
}

/// Why an order was cancelled (`cancel_reason`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The customer changed or cancelled the order.
    Customer,
    /// Items unavailable.
    Inventory,
    /// Fraudulent order.
    Fraud,
    /// Payment declined.
    Declined,
    /// Anything else (Shopify's default).
    #[default]
    Other,
}

impl CancelReason {
    /// Every reason.
    pub const ALL: [CancelReason; 5] = [
        Self::Customer,
        Self::Inventory,
        Self::Fraud,
        Self::Declined,
        Self::Other,
    ];

    /// The name Shopify uses in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Inventory => "inventory",
            Self::Fraud => "fraud",
            Self::Declined => "declined",
            Self::Other => "other",
        }
    }
}

/// An order to create, written as a scenario's `shopify.orders` entry or a mock seed file entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// The Shopify order id.
    pub id: OrderId,
    /// The order name; defaults to `#{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Defaults to `paid`.
    #[serde(default = "default_financial_status")]
    pub financial_status: FinancialStatus,
    /// The line items.
    pub lines: Vec<NewLine>,
    /// Created archived (closed): `closed_at` is the creation instant. Defaults to
    /// `false` and is left out of the JSON or YAML when `false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
    /// Created cancelled: `cancelled_at` is the creation instant and the cancel
    /// reason `other`. Refused when any line has fulfilled units (Shopify never lets
    /// an order with fulfilled items be cancelled). Defaults to `false` and is left
    /// out of the JSON or YAML when `false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cancelled: bool,
}

/// serde's `skip_serializing_if` for a flag that is off.
fn is_false(b: &bool) -> bool {
    !*b
}

fn default_financial_status() -> FinancialStatus {
    FinancialStatus::Paid
}

impl NewOrder {
    /// The order's name: the one given, or `#{id}`.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("#{}", self.id))
    }
}

/// A line item of a [`NewOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    /// The line item id.
    pub id: LineId,
    /// The variant's SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: u32,
    /// Units already fulfilled; defaults to 0.
    #[serde(default)]
    pub fulfilled: u32,
}
