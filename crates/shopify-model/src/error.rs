//! Shopify's refusals as a typed error, with messages a merchant would understand.
//!
//! Every message names the order (by its name, e.g. `#1001`) and, where there is
//! one, the line item and the numbers involved, so that a failed scenario step
//! reads like the error Shopify's admin would show.

use std::fmt;

use crate::types::{LineId, OrderId, RefundId, RestockType, VariantId};

/// How an HTTP layer should answer a [`ShopifyError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// The order, line item, refund or variant does not exist (HTTP 404).
    NotFound,
    /// Shopify's rules forbid the change (HTTP 422, `{"errors":{"base":[…]}}`).
    Unprocessable,
    /// The request itself is malformed, e.g. an order to create without lines (HTTP 400).
    Invalid,
}

impl ErrorKind {
    /// The HTTP status code Shopify answers with for this kind of error.
    pub fn http_status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unprocessable => 422,
            Self::Invalid => 400,
        }
    }
}

/// A change Shopify refuses, or a lookup that finds nothing. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopifyError {
    /// No order with this id.
    #[error("order {order} not found")]
    OrderNotFound {
        /// The order id asked for.
        order: OrderId,
    },
    /// The order has no line item with this id.
    #[error("order {order} has no line item {line}")]
    LineNotFound {
        /// The order's name.
        order: String,
        /// The line item id asked for.
        line: LineId,
    },
    /// The order has no refund with this id.
    #[error("order {order} has no refund {refund}")]
    RefundNotFound {
        /// The order's name.
        order: String,
        /// The refund id asked for.
        refund: RefundId,
    },
    /// No variant with this id exists in the store.
    #[error("variant {variant} not found: variants exist only for SKUs the store has seen")]
    VariantNotFound {
        /// The variant id asked for.
        variant: VariantId,
    },
    /// An order with this id already exists.
    #[error("order {order} already exists")]
    DuplicateOrder {
        /// The order id.
        order: OrderId,
    },
    /// A line item with this id already exists (line item ids are unique in the store).
    #[error(
        "line item {line} already exists (in order {owner}); line item ids are unique in the store"
    )]
    DuplicateLine {
        /// The line item id.
        line: LineId,
        /// The name of the order that already has it.
        owner: String,
    },
    /// An order to create has no line items.
    #[error("order {order} needs at least one line item")]
    EmptyOrder {
        /// The order's name.
        order: String,
    },
    /// A line item to create or add has an empty SKU.
    #[error("order {order}: a line item needs a SKU")]
    EmptySku {
        /// The order's name.
        order: String,
    },
    /// A line item to create says more units are fulfilled than ordered.
    #[error(
        "line item {line} of order {order}: {fulfilled} units cannot be fulfilled when only {quantity} are ordered"
    )]
    FulfilledExceedsQuantity {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// Units said to be fulfilled.
        fulfilled: u32,
        /// Units ordered.
        quantity: u32,
    },
    /// A quantity that is not a whole number ≥ 0 (negative, fractional, not a number).
    #[error("quantity must be a whole number ≥ 0; got {value}")]
    InvalidQuantity {
        /// The value as it was given.
        value: String,
    },
    /// A line item, refund or fulfilment with a quantity of 0 where at least 1 is needed.
    #[error("{target} of order {order}: {action} needs a quantity of at least 1")]
    ZeroQuantity {
        /// The order's name.
        order: String,
        /// What the quantity was for, e.g. `line item 11` or `new line item (SKU CHAIR)`.
        target: String,
        /// What was attempted, e.g. `a refund`.
        action: &'static str,
    },
    /// An edit would take a line below its fulfilled units.
    #[error(
        "line item {line} of order {order}: only {unfulfilled} unfulfilled units can be edited; {fulfilled} are fulfilled, so the quantity cannot go below {fulfilled} (asked {requested})"
    )]
    EditBelowFulfilled {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// The quantity asked for.
        requested: u32,
        /// Units fulfilled.
        fulfilled: u32,
        /// Units not fulfilled (current − fulfilled).
        unfulfilled: u32,
    },
    /// A refund of unfulfilled units asks for more than are unfulfilled.
    #[error(
        "line item {line} of order {order}: only {unfulfilled} unfulfilled units can be refunded with restock type {restock_type}; asked {requested} ({fulfilled} are fulfilled: refund those with restock type return)",
        restock_type = restock_type.as_str()
    )]
    RefundExceedsUnfulfilled {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// The restock type asked for.
        restock_type: RestockType,
        /// Units asked for.
        requested: u32,
        /// Units not fulfilled.
        unfulfilled: u32,
        /// Units fulfilled.
        fulfilled: u32,
    },
    /// A `return` refund asks for more units than are fulfilled.
    #[error(
        "line item {line} of order {order}: only {fulfilled} fulfilled units can be returned; asked {requested}"
    )]
    ReturnExceedsFulfilled {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// Units asked for.
        requested: u32,
        /// Units fulfilled.
        fulfilled: u32,
    },
    /// A fulfilment asks for more units than are unfulfilled.
    #[error(
        "line item {line} of order {order}: only {unfulfilled} units are unfulfilled; cannot fulfil {requested}"
    )]
    FulfillExceedsUnfulfilled {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// Units asked for.
        requested: u32,
        /// Units not fulfilled.
        unfulfilled: u32,
    },
    /// An order with fulfilled items cannot be cancelled.
    #[error(
        "order {order} cannot be cancelled: {fulfilled} units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)"
    )]
    CancelFulfilled {
        /// The order's name.
        order: String,
        /// Units fulfilled over all lines.
        fulfilled: u32,
    },
    /// The order is already cancelled.
    #[error("order {order} is already cancelled")]
    AlreadyCancelled {
        /// The order's name.
        order: String,
    },
    /// A cancelled order cannot be edited.
    #[error("order {order} is cancelled and cannot be edited")]
    EditCancelled {
        /// The order's name.
        order: String,
    },
    /// An archived (closed) order cannot be edited.
    #[error("order {order} is archived and cannot be edited; unarchive (open) it first")]
    EditArchived {
        /// The order's name.
        order: String,
    },
    /// A cancelled order cannot be fulfilled.
    #[error("order {order} is cancelled and cannot be fulfilled")]
    FulfillCancelled {
        /// The order's name.
        order: String,
    },
    /// Only an archived or cancelled order can be deleted.
    #[error(
        "order {order} cannot be deleted: only an archived (closed) or cancelled order can be deleted; archive or cancel it first"
    )]
    DeleteOpen {
        /// The order's name.
        order: String,
    },
}

impl ShopifyError {
    /// The error for a quantity given as something other than a whole number ≥ 0
    /// (for the HTTP layer, which sees `-1`, `2.5` or `"two"` before this crate does).
    pub fn invalid_quantity(value: impl fmt::Display) -> Self {
        Self::InvalidQuantity {
            value: value.to_string(),
        }
    }

    /// How an HTTP layer should answer this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::OrderNotFound { .. }
            | Self::LineNotFound { .. }
            | Self::RefundNotFound { .. }
            | Self::VariantNotFound { .. } => ErrorKind::NotFound,
            Self::EmptyOrder { .. }
            | Self::EmptySku { .. }
            | Self::FulfilledExceedsQuantity { .. } => ErrorKind::Invalid,
            Self::DuplicateOrder { .. }
            | Self::DuplicateLine { .. }
            | Self::InvalidQuantity { .. }
            | Self::ZeroQuantity { .. }
            | Self::EditBelowFulfilled { .. }
            | Self::RefundExceedsUnfulfilled { .. }
            | Self::ReturnExceedsFulfilled { .. }
            | Self::FulfillExceedsUnfulfilled { .. }
            | Self::CancelFulfilled { .. }
            | Self::AlreadyCancelled { .. }
            | Self::EditCancelled { .. }
            | Self::EditArchived { .. }
            | Self::FulfillCancelled { .. }
            | Self::DeleteOpen { .. } => ErrorKind::Unprocessable,
        }
    }
}

/// Reads a quantity from JSON as Shopify accepts it: a whole number ≥ 0 that fits
/// in a `u32`, given as a JSON number or a string of digits (`2`, `"2"`, `2.0`).
///
/// Anything else (`-1`, `2.5`, `"two"`, `null`) is [`ShopifyError::InvalidQuantity`].
pub fn quantity_from_json(value: &serde_json::Value) -> Result<u32, ShopifyError> {
    let parsed = match value {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
                .map(|f| f as u64)
        }),
        serde_json::Value::String(s)
            if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse::<u64>().ok()
        }
        _ => None,
    };
    parsed
        .and_then(|q| u32::try_from(q).ok())
        .ok_or_else(|| ShopifyError::invalid_quantity(value))
}
