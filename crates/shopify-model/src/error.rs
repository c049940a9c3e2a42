//! Shopify's refusals as a typed error, with messages a merchant would understand.
//!
//! Every message names the order (by its name, e.g. `#1001`) and, where there is
//! one, the line item and the numbers involved, so that a failed scenario step
//! reads like the error Shopify's admin would show.
//!
//! Each refusal has a stable snake_case [`code`](ShopifyError::code) (listed with
//! its meaning in [`ShopifyError::CODES`]), and its message reads back into the
//! same typed refusal with [`ShopifyError::from_message`]: an HTTP client that gets
//! a REST 422 body or a GraphQL `userErrors` message knows exactly which refusal it
//! was, whichever way the change travelled.
//!
//! # Message templates
//!
//! Every message is rendered from one template (the `T_*` constants below) and read
//! back with the same template, so the two cannot drift apart. A template holds at
//! most one free-text field (an order name, or a value as it was given): every
//! other part is fixed text, a number, or a word from a fixed list. That keeps a
//! message unambiguous whatever the order is called (`Order is archived`, `#1: x`):
//! the fixed parts are matched from both ends and the free text is what is left.

use std::fmt;

use crate::types::{FinancialStatus, LineId, OrderId, RefundId, RestockType, VariantId};

/// The largest quantity a line item can have: 2,147,483,647 (`i32::MAX`, GraphQL's
/// `Int`). Shopify refuses more at the door, on create and in edits.
pub const MAX_LINE_QUANTITY: u32 = 2_147_483_647;

/// The longest SKU Shopify accepts, in characters.
pub const MAX_SKU_LEN: usize = 255;

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

/// What a quantity of 0 was given for, in [`ShopifyError::ZeroQuantity`]: one of
/// these (a new order's line, a line an edit adds, a refund line, a fulfilment).
pub const ZERO_QUANTITY_ACTIONS: [&str; 4] =
    ["a line item", "a new line item", "a refund", "a fulfilment"];

/// A change Shopify refuses, or a lookup that finds nothing. Nothing was changed.
///
/// The message of each variant is shown on the variant (`{order}` is the order's
/// name, free text chosen by the merchant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", Message(self))]
pub enum ShopifyError {
    /// No order with this id. `order {order} not found`
    OrderNotFound {
        /// The order id asked for.
        order: OrderId,
    },
    /// The order has no line item with this id. `order {order} has no line item {line}`
    LineNotFound {
        /// The order's name.
        order: String,
        /// The line item id asked for.
        line: LineId,
    },
    /// The order has no refund with this id. `order {order} has no refund {refund}`
    RefundNotFound {
        /// The order's name.
        order: String,
        /// The refund id asked for.
        refund: RefundId,
    },
    /// No variant with this id exists in the store.
    /// `variant {variant} not found: variants exist only for SKUs the store has seen`
    VariantNotFound {
        /// The variant id asked for.
        variant: VariantId,
    },
    /// An order with this id already exists. `order {order} already exists`
    DuplicateOrder {
        /// The order id.
        order: OrderId,
    },
    /// A line item with this id already exists (line item ids are unique in the store).
    /// `line item {line} already exists (in order {owner}); line item ids are unique in the store`
    DuplicateLine {
        /// The line item id.
        line: LineId,
        /// The name of the order that already has it.
        owner: String,
    },
    /// An order to create has no line items. `order {order} needs at least one line item`
    EmptyOrder {
        /// The order's name.
        order: String,
    },
    /// A line item to create or add has an empty SKU. `order {order}: a line item needs a SKU`
    EmptySku {
        /// The order's name.
        order: String,
    },
    /// A line item to create or add has a SKU longer than [`MAX_SKU_LEN`] characters.
    /// `order {order}: a SKU can be at most 255 characters; this one has {length}`
    SkuTooLong {
        /// The order's name.
        order: String,
        /// The SKU's length in characters.
        length: usize,
    },
    /// A line item quantity above [`MAX_LINE_QUANTITY`] (on create, add or edit).
    /// `order {order}: a line item quantity can be at most 2147483647; got {value}`
    QuantityTooLarge {
        /// The order's name.
        order: String,
        /// The quantity asked for.
        value: u64,
    },
    /// A line item to create says more units are fulfilled than ordered.
    /// `line item {line} of order {order}: {fulfilled} units cannot be fulfilled when only {quantity} are ordered`
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
    /// `quantity must be a whole number ≥ 0; got {value}`
    InvalidQuantity {
        /// The value as it was given.
        value: String,
    },
    /// A line item, refund or fulfilment with a quantity of 0 where at least 1 is needed.
    /// `line item {line} of order {order}: {action} needs a quantity of at least 1`
    ZeroQuantity {
        /// The order's name.
        order: String,
        /// The line item: the one refunded or fulfilled, or the one created or added.
        line: LineId,
        /// What was attempted: one of [`ZERO_QUANTITY_ACTIONS`], e.g. `a refund`.
        action: &'static str,
    },
    /// An edit would take a line below the fulfilled units the customer kept
    /// (fulfilled minus returned: returned units stay fulfilled but left the quantity).
    /// `line item {line} of order {order}: only {unfulfilled} unfulfilled units can be edited; {fulfilled} are fulfilled ({returned} of them returned), so the quantity cannot go below the {fulfilled − returned} the customer kept (asked {requested})`
    EditBelowFulfilled {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// The quantity asked for.
        requested: u32,
        /// Units fulfilled, returned ones included.
        fulfilled: u32,
        /// Units returned (refunded with restock type `return`).
        returned: u32,
        /// Units not fulfilled (current + returned − fulfilled).
        unfulfilled: u32,
    },
    /// A refund of unfulfilled units asks for more than are unfulfilled.
    /// `line item {line} of order {order}: only {unfulfilled} unfulfilled units can be refunded with restock type {restock_type}; asked {requested} ({fulfilled} are fulfilled: refund those with restock type return)`
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
        /// Fulfilled units not returned yet: those a refund with restock type
        /// `return` can take.
        fulfilled: u32,
    },
    /// A `return` refund asks for more units than are fulfilled and not returned yet.
    /// `line item {line} of order {order}: only {fulfilled − returned} fulfilled units can be returned; asked {requested} ({fulfilled} are fulfilled, {returned} of them already returned)`
    ReturnExceedsFulfilled {
        /// The order's name.
        order: String,
        /// The line item id.
        line: LineId,
        /// Units asked for.
        requested: u32,
        /// Units fulfilled, returned ones included.
        fulfilled: u32,
        /// Units already returned.
        returned: u32,
    },
    /// A fulfilment asks for more units than are unfulfilled.
    /// `line item {line} of order {order}: only {unfulfilled} units are unfulfilled; cannot fulfil {requested}`
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
    /// `order {order} cannot be cancelled: {fulfilled} units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)`
    CancelFulfilled {
        /// The order's name.
        order: String,
        /// Units fulfilled over all lines.
        fulfilled: u32,
    },
    /// The order is already cancelled. `order {order} is already cancelled`
    AlreadyCancelled {
        /// The order's name.
        order: String,
    },
    /// A cancelled order cannot be edited. `order {order} is cancelled and cannot be edited`
    EditCancelled {
        /// The order's name.
        order: String,
    },
    /// An archived (closed) order cannot be edited.
    /// `order {order} is archived and cannot be edited; unarchive (open) it first`
    EditArchived {
        /// The order's name.
        order: String,
    },
    /// A cancelled order cannot be fulfilled. `order {order} is cancelled and cannot be fulfilled`
    FulfillCancelled {
        /// The order's name.
        order: String,
    },
    /// Only an archived or cancelled order can be deleted.
    /// `order {order} cannot be deleted: only an archived (closed) or cancelled order can be deleted; archive or cancel it first`
    DeleteOpen {
        /// The order's name.
        order: String,
    },
    /// A cancelled order's payment cannot be captured. `order {order} is cancelled and cannot be paid`
    PayCancelled {
        /// The order's name.
        order: String,
    },
    /// Only a pending or authorized payment can be captured.
    /// `order {order} has no pending payment to capture: its financial status is {status}`
    NotPending {
        /// The order's name.
        order: String,
        /// The order's financial status (neither `pending` nor `authorized`).
        status: FinancialStatus,
    },
}

// ----- templates ---------------------------------------------------------------
//
// `{}` is the one free-text field, `{n}` a whole number, `{restock}` a restock
// type's JSON name, `{status}` a financial status's JSON name, `{action}` one of
// ZERO_QUANTITY_ACTIONS.

const T_ORDER_NOT_FOUND: &str = "order {n} not found";
const T_LINE_NOT_FOUND: &str = "order {} has no line item {n}";
const T_REFUND_NOT_FOUND: &str = "order {} has no refund {n}";
const T_VARIANT_NOT_FOUND: &str =
    "variant {n} not found: variants exist only for SKUs the store has seen";
const T_DUPLICATE_ORDER: &str = "order {n} already exists";
const T_DUPLICATE_LINE: &str =
    "line item {n} already exists (in order {}); line item ids are unique in the store";
const T_EMPTY_ORDER: &str = "order {} needs at least one line item";
const T_EMPTY_SKU: &str = "order {}: a line item needs a SKU";
const T_SKU_TOO_LONG: &str = "order {}: a SKU can be at most 255 characters; this one has {n}";
const T_QUANTITY_TOO_LARGE: &str =
    "order {}: a line item quantity can be at most 2147483647; got {n}";
const T_FULFILLED_EXCEEDS_QUANTITY: &str =
    "line item {n} of order {}: {n} units cannot be fulfilled when only {n} are ordered";
const T_INVALID_QUANTITY: &str = "quantity must be a whole number ≥ 0; got {}";
const T_ZERO_QUANTITY: &str = "line item {n} of order {}: {action} needs a quantity of at least 1";
const T_EDIT_BELOW_FULFILLED: &str = "line item {n} of order {}: only {n} unfulfilled units can be edited; {n} are fulfilled ({n} of them returned), so the quantity cannot go below the {n} the customer kept (asked {n})";
const T_REFUND_EXCEEDS_UNFULFILLED: &str = "line item {n} of order {}: only {n} unfulfilled units can be refunded with restock type {restock}; asked {n} ({n} are fulfilled: refund those with restock type return)";
const T_RETURN_EXCEEDS_FULFILLED: &str = "line item {n} of order {}: only {n} fulfilled units can be returned; asked {n} ({n} are fulfilled, {n} of them already returned)";
const T_FULFILL_EXCEEDS_UNFULFILLED: &str =
    "line item {n} of order {}: only {n} units are unfulfilled; cannot fulfil {n}";
const T_CANCEL_FULFILLED: &str = "order {} cannot be cancelled: {n} units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)";
const T_ALREADY_CANCELLED: &str = "order {} is already cancelled";
const T_EDIT_CANCELLED: &str = "order {} is cancelled and cannot be edited";
const T_EDIT_ARCHIVED: &str =
    "order {} is archived and cannot be edited; unarchive (open) it first";
const T_FULFILL_CANCELLED: &str = "order {} is cancelled and cannot be fulfilled";
const T_DELETE_OPEN: &str = "order {} cannot be deleted: only an archived (closed) or cancelled order can be deleted; archive or cancel it first";
const T_PAY_CANCELLED: &str = "order {} is cancelled and cannot be paid";
const T_NOT_PENDING: &str =
    "order {} has no pending payment to capture: its financial status is {status}";

/// One field of a message, as rendered or as read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'a> {
    /// Free text (`{}`).
    Text(&'a str),
    /// A whole number (`{n}`).
    Num(u64),
    /// A restock type (`{restock}`).
    Restock(RestockType),
    /// A financial status (`{status}`).
    Status(FinancialStatus),
    /// A zero-quantity action (`{action}`).
    Action(&'static str),
}

/// One piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Lit(&'static str),
    Text,
    Num,
    Restock,
    Status,
    Action,
}

/// A template split into pieces.
fn pieces(template: &'static str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Lit(&rest[..open]));
        }
        let close = open + rest[open..].find('}').expect("a template's braces close");
        out.push(match &rest[open + 1..close] {
            "" => Piece::Text,
            "n" => Piece::Num,
            "restock" => Piece::Restock,
            "status" => Piece::Status,
            "action" => Piece::Action,
            other => unreachable!("unknown template field {{{other}}}"),
        });
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    out
}

/// Writes a template with its fields, in order.
fn render(f: &mut fmt::Formatter<'_>, template: &'static str, fields: &[Field<'_>]) -> fmt::Result {
    let mut fields = fields.iter();
    for piece in pieces(template) {
        let field = match piece {
            Piece::Lit(s) => {
                f.write_str(s)?;
                continue;
            }
            _ => fields
                .next()
                .expect("a template has a field for every placeholder"),
        };
        match field {
            Field::Text(s) => f.write_str(s)?,
            Field::Num(n) => write!(f, "{n}")?,
            Field::Restock(r) => f.write_str(r.as_str())?,
            Field::Status(s) => f.write_str(s.as_str())?,
            Field::Action(a) => f.write_str(a)?,
        }
    }
    Ok(())
}

/// The restock types, longest name first (so that no name shadows a longer one).
fn restock_names() -> [RestockType; 4] {
    let mut all = RestockType::ALL;
    all.sort_by_key(|r| std::cmp::Reverse(r.as_str().len()));
    all
}

/// The financial statuses, longest name first (`partially_paid` before `paid`).
fn status_names() -> [FinancialStatus; 7] {
    let mut all = FinancialStatus::ALL;
    all.sort_by_key(|s| std::cmp::Reverse(s.as_str().len()));
    all
}

/// The zero-quantity actions, longest first.
fn action_names() -> [&'static str; 4] {
    let mut all = ZERO_QUANTITY_ACTIONS;
    all.sort_by_key(|a| std::cmp::Reverse(a.len()));
    all
}

/// Matches one non-text piece at the start (`front`) or the end of `s`; the field
/// and what is left of `s`.
fn take<'a>(s: &'a str, piece: Piece, front: bool) -> Option<(Option<Field<'a>>, &'a str)> {
    let strip = |word: &str| -> Option<&'a str> {
        if front {
            s.strip_prefix(word)
        } else {
            s.strip_suffix(word)
        }
    };
    match piece {
        Piece::Lit(lit) => Some((None, strip(lit)?)),
        Piece::Num => {
            let digits = if front {
                s.bytes().take_while(u8::is_ascii_digit).count()
            } else {
                s.bytes().rev().take_while(u8::is_ascii_digit).count()
            };
            if digits == 0 {
                return None;
            }
            let (num, rest) = if front {
                (&s[..digits], &s[digits..])
            } else {
                (&s[s.len() - digits..], &s[..s.len() - digits])
            };
            Some((Some(Field::Num(num.parse().ok()?)), rest))
        }
        Piece::Restock => restock_names()
            .into_iter()
            .find_map(|r| Some((Some(Field::Restock(r)), strip(r.as_str())?))),
        Piece::Status => status_names()
            .into_iter()
            .find_map(|st| Some((Some(Field::Status(st)), strip(st.as_str())?))),
        Piece::Action => action_names()
            .into_iter()
            .find_map(|a| Some((Some(Field::Action(a)), strip(a)?))),
        Piece::Text => unreachable!("free text is what is left in the middle"),
    }
}

/// Reads a message with a template: its fields in order, or `None` when it does
/// not fit. The pieces before the free text are matched from the front, those after
/// it from the back, and the free text is what is left.
fn read<'a>(message: &'a str, template: &'static str) -> Option<Vec<Field<'a>>> {
    let pieces = pieces(template);
    let text_at = pieces.iter().position(|p| *p == Piece::Text);
    let (head, tail) = match text_at {
        Some(i) => (&pieces[..i], &pieces[i + 1..]),
        None => (&pieces[..], &[][..]),
    };
    let mut rest = message;
    let mut front = Vec::new();
    for piece in head {
        let (field, r) = take(rest, *piece, true)?;
        front.extend(field);
        rest = r;
    }
    let mut back = Vec::new();
    for piece in tail.iter().rev() {
        let (field, r) = take(rest, *piece, false)?;
        back.extend(field);
        rest = r;
    }
    match text_at {
        Some(_) => front.push(Field::Text(rest)),
        None if !rest.is_empty() => return None,
        None => {}
    }
    front.extend(back.into_iter().rev());
    Some(front)
}

/// Reads typed fields back out of a template's matched fields.
struct Fields<'a>(std::vec::IntoIter<Field<'a>>);

impl Fields<'_> {
    fn text(&mut self) -> Option<String> {
        match self.0.next()? {
            Field::Text(s) => Some(s.to_owned()),
            _ => None,
        }
    }
    fn u64(&mut self) -> Option<u64> {
        match self.0.next()? {
            Field::Num(n) => Some(n),
            _ => None,
        }
    }
    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }
    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
    fn restock(&mut self) -> Option<RestockType> {
        match self.0.next()? {
            Field::Restock(r) => Some(r),
            _ => None,
        }
    }
    fn status(&mut self) -> Option<FinancialStatus> {
        match self.0.next()? {
            Field::Status(s) => Some(s),
            _ => None,
        }
    }
    fn action(&mut self) -> Option<&'static str> {
        match self.0.next()? {
            Field::Action(a) => Some(a),
            _ => None,
        }
    }
}

/// Builds a refusal from a template's fields.
type Build = fn(&mut Fields<'_>) -> Option<ShopifyError>;

/// Every template and how to build its refusal back.
const READERS: &[(&str, Build)] = &[
    (T_ORDER_NOT_FOUND, |f| {
        Some(ShopifyError::OrderNotFound { order: f.u64()? })
    }),
    (T_LINE_NOT_FOUND, |f| {
        Some(ShopifyError::LineNotFound {
            order: f.text()?,
            line: f.u64()?,
        })
    }),
    (T_REFUND_NOT_FOUND, |f| {
        Some(ShopifyError::RefundNotFound {
            order: f.text()?,
            refund: f.u64()?,
        })
    }),
    (T_VARIANT_NOT_FOUND, |f| {
        Some(ShopifyError::VariantNotFound { variant: f.u64()? })
    }),
    (T_DUPLICATE_ORDER, |f| {
        Some(ShopifyError::DuplicateOrder { order: f.u64()? })
    }),
    (T_DUPLICATE_LINE, |f| {
        Some(ShopifyError::DuplicateLine {
            line: f.u64()?,
            owner: f.text()?,
        })
    }),
    (T_EMPTY_ORDER, |f| {
        Some(ShopifyError::EmptyOrder { order: f.text()? })
    }),
    (T_EMPTY_SKU, |f| {
        Some(ShopifyError::EmptySku { order: f.text()? })
    }),
    (T_SKU_TOO_LONG, |f| {
        Some(ShopifyError::SkuTooLong {
            order: f.text()?,
            length: f.usize()?,
        })
    }),
    (T_QUANTITY_TOO_LARGE, |f| {
        Some(ShopifyError::QuantityTooLarge {
            order: f.text()?,
            value: f.u64()?,
        })
    }),
    (T_FULFILLED_EXCEEDS_QUANTITY, |f| {
        Some(ShopifyError::FulfilledExceedsQuantity {
            line: f.u64()?,
            order: f.text()?,
            fulfilled: f.u32()?,
            quantity: f.u32()?,
        })
    }),
    (T_INVALID_QUANTITY, |f| {
        Some(ShopifyError::InvalidQuantity { value: f.text()? })
    }),
    (T_ZERO_QUANTITY, |f| {
        Some(ShopifyError::ZeroQuantity {
            line: f.u64()?,
            order: f.text()?,
            action: f.action()?,
        })
    }),
    (T_EDIT_BELOW_FULFILLED, |f| {
        Some(ShopifyError::EditBelowFulfilled {
            line: f.u64()?,
            order: f.text()?,
            unfulfilled: f.u32()?,
            fulfilled: f.u32()?,
            returned: f.u32()?,
            // The floor (fulfilled − returned) is derived; the check against the
            // rendered message makes sure it agrees.
            requested: {
                f.u32()?;
                f.u32()?
            },
        })
    }),
    (T_REFUND_EXCEEDS_UNFULFILLED, |f| {
        Some(ShopifyError::RefundExceedsUnfulfilled {
            line: f.u64()?,
            order: f.text()?,
            unfulfilled: f.u32()?,
            restock_type: f.restock()?,
            requested: f.u32()?,
            fulfilled: f.u32()?,
        })
    }),
    (T_RETURN_EXCEEDS_FULFILLED, |f| {
        Some(ShopifyError::ReturnExceedsFulfilled {
            line: f.u64()?,
            order: f.text()?,
            // What can be returned (fulfilled − returned) is derived; the check
            // against the rendered message makes sure it agrees.
            requested: {
                f.u32()?;
                f.u32()?
            },
            fulfilled: f.u32()?,
            returned: f.u32()?,
        })
    }),
    (T_FULFILL_EXCEEDS_UNFULFILLED, |f| {
        Some(ShopifyError::FulfillExceedsUnfulfilled {
            line: f.u64()?,
            order: f.text()?,
            unfulfilled: f.u32()?,
            requested: f.u32()?,
        })
    }),
    (T_CANCEL_FULFILLED, |f| {
        Some(ShopifyError::CancelFulfilled {
            order: f.text()?,
            fulfilled: f.u32()?,
        })
    }),
    (T_ALREADY_CANCELLED, |f| {
        Some(ShopifyError::AlreadyCancelled { order: f.text()? })
    }),
    (T_EDIT_CANCELLED, |f| {
        Some(ShopifyError::EditCancelled { order: f.text()? })
    }),
    (T_EDIT_ARCHIVED, |f| {
        Some(ShopifyError::EditArchived { order: f.text()? })
    }),
    (T_FULFILL_CANCELLED, |f| {
        Some(ShopifyError::FulfillCancelled { order: f.text()? })
    }),
    (T_DELETE_OPEN, |f| {
        Some(ShopifyError::DeleteOpen { order: f.text()? })
    }),
    (T_PAY_CANCELLED, |f| {
        Some(ShopifyError::PayCancelled { order: f.text()? })
    }),
    (T_NOT_PENDING, |f| {
        Some(ShopifyError::NotPending {
            order: f.text()?,
            status: f.status()?,
        })
    }),
];

impl ShopifyError {
    /// Every refusal code, once, with what it means (for documentation and clients).
    pub const CODES: &'static [(&'static str, &'static str)] = &[
        ("order_not_found", "no order with this id"),
        ("line_not_found", "the order has no line item with this id"),
        ("refund_not_found", "the order has no refund with this id"),
        (
            "variant_not_found",
            "no product variant with this id (variants exist only for SKUs the store has seen)",
        ),
        ("order_exists", "an order with this id already exists"),
        (
            "line_exists",
            "a line item with this id already exists somewhere in the store (ids are unique in the store)",
        ),
        (
            "order_without_lines",
            "an order to create has no line items",
        ),
        (
            "sku_missing",
            "a line item to create or add has an empty SKU",
        ),
        (
            "sku_too_long",
            "a line item to create or add has a SKU over 255 characters",
        ),
        (
            "quantity_too_large",
            "a line item quantity above 2,147,483,647 (GraphQL's Int), on create, add or edit",
        ),
        (
            "fulfilled_above_quantity",
            "a line item to create has more units fulfilled than ordered",
        ),
        (
            "invalid_quantity",
            "a quantity that is not a whole number ≥ 0 (negative, fractional, not a number)",
        ),
        (
            "zero_quantity",
            "a new line item, a refund line or a fulfilment of 0 units; at least 1 is needed",
        ),
        (
            "quantity_below_fulfilled",
            "an edit would take a line below the fulfilled units the customer kept (fulfilled minus returned); only unfulfilled units can be edited",
        ),
        (
            "refund_above_unfulfilled",
            "a refund (restock type cancel, no_restock or legacy_restock) of more units than are unfulfilled",
        ),
        (
            "return_above_fulfilled",
            "a refund with restock type return of more units than are fulfilled and not returned yet",
        ),
        (
            "fulfill_above_unfulfilled",
            "a fulfilment of more units than are unfulfilled",
        ),
        (
            "order_has_fulfilments",
            "an order with fulfilled units cannot be cancelled; refund them instead",
        ),
        ("already_cancelled", "the order is already cancelled"),
        (
            "order_cancelled",
            "the order is cancelled, so it cannot be edited, fulfilled or paid",
        ),
        (
            "order_archived",
            "the order is archived (closed); unarchive it before editing",
        ),
        (
            "not_deletable",
            "only an archived (closed) or cancelled order can be deleted",
        ),
        (
            "payment_not_pending",
            "only a pending or authorized payment can be captured (marked as paid)",
        ),
    ];

    /// The error for a quantity given as something other than a whole number ≥ 0
    /// (for the HTTP layer, which sees `-1`, `2.5` or `"two"` before this crate does).
    pub fn invalid_quantity(value: impl fmt::Display) -> Self {
        Self::InvalidQuantity {
            value: value.to_string(),
        }
    }

    /// The refusal's stable snake_case name, e.g. `order_archived`; every code is
    /// listed with its meaning in [`Self::CODES`]. Codes never change once given.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OrderNotFound { .. } => "order_not_found",
            Self::LineNotFound { .. } => "line_not_found",
            Self::RefundNotFound { .. } => "refund_not_found",
            Self::VariantNotFound { .. } => "variant_not_found",
            Self::DuplicateOrder { .. } => "order_exists",
            Self::DuplicateLine { .. } => "line_exists",
            Self::EmptyOrder { .. } => "order_without_lines",
            Self::EmptySku { .. } => "sku_missing",
            Self::SkuTooLong { .. } => "sku_too_long",
            Self::QuantityTooLarge { .. } => "quantity_too_large",
            Self::FulfilledExceedsQuantity { .. } => "fulfilled_above_quantity",
            Self::InvalidQuantity { .. } => "invalid_quantity",
            Self::ZeroQuantity { .. } => "zero_quantity",
            Self::EditBelowFulfilled { .. } => "quantity_below_fulfilled",
            Self::RefundExceedsUnfulfilled { .. } => "refund_above_unfulfilled",
            Self::ReturnExceedsFulfilled { .. } => "return_above_fulfilled",
            Self::FulfillExceedsUnfulfilled { .. } => "fulfill_above_unfulfilled",
            Self::CancelFulfilled { .. } => "order_has_fulfilments",
            Self::AlreadyCancelled { .. } => "already_cancelled",
            Self::EditCancelled { .. }
            | Self::FulfillCancelled { .. }
            | Self::PayCancelled { .. } => "order_cancelled",
            Self::EditArchived { .. } => "order_archived",
            Self::DeleteOpen { .. } => "not_deletable",
            Self::NotPending { .. } => "payment_not_pending",
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
            | Self::SkuTooLong { .. }
            | Self::QuantityTooLarge { .. }
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
            | Self::DeleteOpen { .. }
            | Self::PayCancelled { .. }
            | Self::NotPending { .. } => ErrorKind::Unprocessable,
        }
    }

    /// The refusal a message was rendered from: the exact inverse of `Display`, so
    /// `ShopifyError::from_message(&e.to_string()) == Some(e)` for every refusal
    /// (a [`ZeroQuantity`](Self::ZeroQuantity) action is one of
    /// [`ZERO_QUANTITY_ACTIONS`]). `None` for any other text.
    ///
    /// This is how an HTTP client maps a REST 422 body (`errors.base[0]`) or a
    /// GraphQL `userErrors[].message` back to the typed refusal.
    pub fn from_message(message: &str) -> Option<ShopifyError> {
        READERS.iter().find_map(|(template, build)| {
            let fields = read(message, template)?;
            let e = build(&mut Fields(fields.into_iter()))?;
            // Only a message that renders back to itself is this refusal (no
            // leading zeros, a repeated number that agrees, …).
            (e.to_string() == message).then_some(e)
        })
    }

    /// The template and fields this refusal's message is rendered from.
    fn template(&self) -> (&'static str, Vec<Field<'_>>) {
        use Field::{Action, Num, Restock, Status, Text};
        let n = |v: u32| Num(u64::from(v));
        match self {
            Self::OrderNotFound { order } => (T_ORDER_NOT_FOUND, vec![Num(*order)]),
            Self::LineNotFound { order, line } => (T_LINE_NOT_FOUND, vec![Text(order), Num(*line)]),
            Self::RefundNotFound { order, refund } => {
                (T_REFUND_NOT_FOUND, vec![Text(order), Num(*refund)])
            }
            Self::VariantNotFound { variant } => (T_VARIANT_NOT_FOUND, vec![Num(*variant)]),
            Self::DuplicateOrder { order } => (T_DUPLICATE_ORDER, vec![Num(*order)]),
            Self::DuplicateLine { line, owner } => {
                (T_DUPLICATE_LINE, vec![Num(*line), Text(owner)])
            }
            Self::EmptyOrder { order } => (T_EMPTY_ORDER, vec![Text(order)]),
            Self::EmptySku { order } => (T_EMPTY_SKU, vec![Text(order)]),
            Self::SkuTooLong { order, length } => {
                (T_SKU_TOO_LONG, vec![Text(order), Num(*length as u64)])
            }
            Self::QuantityTooLarge { order, value } => {
                (T_QUANTITY_TOO_LARGE, vec![Text(order), Num(*value)])
            }
            Self::FulfilledExceedsQuantity {
                order,
                line,
                fulfilled,
                quantity,
            } => (
                T_FULFILLED_EXCEEDS_QUANTITY,
                vec![Num(*line), Text(order), n(*fulfilled), n(*quantity)],
            ),
            Self::InvalidQuantity { value } => (T_INVALID_QUANTITY, vec![Text(value)]),
            Self::ZeroQuantity {
                order,
                line,
                action,
            } => (
                T_ZERO_QUANTITY,
                vec![Num(*line), Text(order), Action(action)],
            ),
            Self::EditBelowFulfilled {
                order,
                line,
                requested,
                fulfilled,
                returned,
                unfulfilled,
            } => (
                T_EDIT_BELOW_FULFILLED,
                vec![
                    Num(*line),
                    Text(order),
                    n(*unfulfilled),
                    n(*fulfilled),
                    n(*returned),
                    n(fulfilled.saturating_sub(*returned)),
                    n(*requested),
                ],
            ),
            Self::RefundExceedsUnfulfilled {
                order,
                line,
                restock_type,
                requested,
                unfulfilled,
                fulfilled,
            } => (
                T_REFUND_EXCEEDS_UNFULFILLED,
                vec![
                    Num(*line),
                    Text(order),
                    n(*unfulfilled),
                    Restock(*restock_type),
                    n(*requested),
                    n(*fulfilled),
                ],
            ),
            Self::ReturnExceedsFulfilled {
                order,
                line,
                requested,
                fulfilled,
                returned,
            } => (
                T_RETURN_EXCEEDS_FULFILLED,
                vec![
                    Num(*line),
                    Text(order),
                    n(fulfilled.saturating_sub(*returned)),
                    n(*requested),
                    n(*fulfilled),
                    n(*returned),
                ],
            ),
            Self::FulfillExceedsUnfulfilled {
                order,
                line,
                requested,
                unfulfilled,
            } => (
                T_FULFILL_EXCEEDS_UNFULFILLED,
                vec![Num(*line), Text(order), n(*unfulfilled), n(*requested)],
            ),
            Self::CancelFulfilled { order, fulfilled } => {
                (T_CANCEL_FULFILLED, vec![Text(order), n(*fulfilled)])
            }
            Self::AlreadyCancelled { order } => (T_ALREADY_CANCELLED, vec![Text(order)]),
            Self::EditCancelled { order } => (T_EDIT_CANCELLED, vec![Text(order)]),
            Self::EditArchived { order } => (T_EDIT_ARCHIVED, vec![Text(order)]),
            Self::FulfillCancelled { order } => (T_FULFILL_CANCELLED, vec![Text(order)]),
            Self::DeleteOpen { order } => (T_DELETE_OPEN, vec![Text(order)]),
            Self::PayCancelled { order } => (T_PAY_CANCELLED, vec![Text(order)]),
            Self::NotPending { order, status } => {
                (T_NOT_PENDING, vec![Text(order), Status(*status)])
            }
        }
    }
}

/// A refusal's message: its template with its fields (`ShopifyError`'s `Display`).
struct Message<'e>(&'e ShopifyError);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (template, fields) = self.0.template();
        render(f, template, &fields)
    }
}

/// Reads a quantity from JSON as Shopify accepts it: a whole number ≥ 0 that fits
/// in a `u32`, given as a JSON number or a string of digits (`2`, `"2"`, `2.0`).
///
/// Anything else (`-1`, `2.5`, `"two"`, `null`) is [`ShopifyError::InvalidQuantity`].
/// A number that fits but is above [`MAX_LINE_QUANTITY`] is read as it is: the
/// store refuses it where the limit applies, naming the order.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Order names a merchant might choose, including ones made of other templates.
    const NAMES: &[&str] = &[
        "#1001",
        "",
        "Order is archived",
        "#1: x",
        "a: b: c",
        "X is archived and cannot be edited; unarchive (open) it first",
        "Y has no line item 5",
        "Z: a line item needs a SKU",
        "W: a refund",
        "12 of order 13",
        "q (in order r); line item ids are unique in the store",
        "quantity must be a whole number ≥ 0; got 5",
        "line item 3 of order #9: only 1 units are unfulfilled; cannot fulfil 2",
        "ünïcødé ✓ {} {n}",
        " spaced ",
        "V is cancelled and cannot be paid",
        "U has no pending payment to capture: its financial status is paid",
        "7",
    ];

    /// One refusal of every variant for a name; the match has no wildcard, so a new
    /// variant does not compile until it is listed here.
    fn every_variant(name: &str) -> Vec<ShopifyError> {
        let o = || name.to_owned();
        let all = vec![
            ShopifyError::OrderNotFound { order: 9 },
            ShopifyError::LineNotFound {
                order: o(),
                line: 21,
            },
            ShopifyError::RefundNotFound {
                order: o(),
                refund: 2,
            },
            ShopifyError::VariantNotFound { variant: 99 },
            ShopifyError::DuplicateOrder { order: 1001 },
            ShopifyError::DuplicateLine {
                line: 11,
                owner: o(),
            },
            ShopifyError::EmptyOrder { order: o() },
            ShopifyError::EmptySku { order: o() },
            ShopifyError::SkuTooLong {
                order: o(),
                length: 256,
            },
            ShopifyError::QuantityTooLarge {
                order: o(),
                value: u64::from(MAX_LINE_QUANTITY) + 1,
            },
            ShopifyError::FulfilledExceedsQuantity {
                order: o(),
                line: 31,
                fulfilled: 3,
                quantity: 2,
            },
            ShopifyError::InvalidQuantity { value: o() },
            ShopifyError::ZeroQuantity {
                order: o(),
                line: 11,
                action: "a new line item",
            },
            ShopifyError::EditBelowFulfilled {
                order: o(),
                line: 12,
                requested: 1,
                fulfilled: 3,
                returned: 1,
                unfulfilled: 1,
            },
            ShopifyError::RefundExceedsUnfulfilled {
                order: o(),
                line: 12,
                restock_type: RestockType::LegacyRestock,
                requested: 3,
                unfulfilled: 1,
                fulfilled: 2,
            },
            ShopifyError::ReturnExceedsFulfilled {
                order: o(),
                line: 12,
                requested: 3,
                fulfilled: 4,
                returned: 2,
            },
            ShopifyError::FulfillExceedsUnfulfilled {
                order: o(),
                line: 11,
                requested: 6,
                unfulfilled: 5,
            },
            ShopifyError::CancelFulfilled {
                order: o(),
                fulfilled: 2,
            },
            ShopifyError::AlreadyCancelled { order: o() },
            ShopifyError::EditCancelled { order: o() },
            ShopifyError::EditArchived { order: o() },
            ShopifyError::FulfillCancelled { order: o() },
            ShopifyError::DeleteOpen { order: o() },
            ShopifyError::PayCancelled { order: o() },
            ShopifyError::NotPending {
                order: o(),
                status: FinancialStatus::PartiallyPaid,
            },
        ];
        let index = |e: &ShopifyError| match e {
            ShopifyError::OrderNotFound { .. } => 0,
            ShopifyError::LineNotFound { .. } => 1,
            ShopifyError::RefundNotFound { .. } => 2,
            ShopifyError::VariantNotFound { .. } => 3,
            ShopifyError::DuplicateOrder { .. } => 4,
            ShopifyError::DuplicateLine { .. } => 5,
            ShopifyError::EmptyOrder { .. } => 6,
            ShopifyError::EmptySku { .. } => 7,
            ShopifyError::SkuTooLong { .. } => 8,
            ShopifyError::QuantityTooLarge { .. } => 9,
            ShopifyError::FulfilledExceedsQuantity { .. } => 10,
            ShopifyError::InvalidQuantity { .. } => 11,
            ShopifyError::ZeroQuantity { .. } => 12,
            ShopifyError::EditBelowFulfilled { .. } => 13,
            ShopifyError::RefundExceedsUnfulfilled { .. } => 14,
            ShopifyError::ReturnExceedsFulfilled { .. } => 15,
            ShopifyError::FulfillExceedsUnfulfilled { .. } => 16,
            ShopifyError::CancelFulfilled { .. } => 17,
            ShopifyError::AlreadyCancelled { .. } => 18,
            ShopifyError::EditCancelled { .. } => 19,
            ShopifyError::EditArchived { .. } => 20,
            ShopifyError::FulfillCancelled { .. } => 21,
            ShopifyError::DeleteOpen { .. } => 22,
            ShopifyError::PayCancelled { .. } => 23,
            ShopifyError::NotPending { .. } => 24,
        };
        let indices: Vec<usize> = all.iter().map(index).collect();
        assert_eq!(indices, (0..25).collect::<Vec<_>>(), "one of every variant");
        all
    }

    #[test]
    fn every_code_is_listed_once_and_every_listed_code_is_used() {
        let codes: Vec<&str> = ShopifyError::CODES.iter().map(|(c, _)| *c).collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "a code is listed twice");
        let used: std::collections::BTreeSet<&str> = every_variant("#1001")
            .iter()
            .map(ShopifyError::code)
            .collect();
        for code in &used {
            assert!(codes.contains(code), "{code} is not in CODES");
        }
        for code in &codes {
            assert!(used.contains(code), "{code} in CODES is used by no refusal");
        }
        for (code, meaning) in ShopifyError::CODES {
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code} is snake_case"
            );
            assert!(!meaning.is_empty() && !meaning.contains('\n'));
        }
    }

    #[test]
    fn codes_are_the_documented_names() {
        let by_code = |name: &str| -> Vec<&'static str> {
            every_variant(name).iter().map(ShopifyError::code).collect()
        };
        assert_eq!(
            by_code("#1"),
            [
                "order_not_found",
                "line_not_found",
                "refund_not_found",
                "variant_not_found",
                "order_exists",
                "line_exists",
                "order_without_lines",
                "sku_missing",
                "sku_too_long",
                "quantity_too_large",
                "fulfilled_above_quantity",
                "invalid_quantity",
                "zero_quantity",
                "quantity_below_fulfilled",
                "refund_above_unfulfilled",
                "return_above_fulfilled",
                "fulfill_above_unfulfilled",
                "order_has_fulfilments",
                "already_cancelled",
                "order_cancelled",
                "order_archived",
                "order_cancelled",
                "not_deletable",
                "order_cancelled",
                "payment_not_pending",
            ]
        );
    }

    #[test]
    fn every_message_reads_back_into_its_refusal() {
        for name in NAMES {
            for e in every_variant(name) {
                let message = e.to_string();
                assert_eq!(
                    ShopifyError::from_message(&message),
                    Some(e.clone()),
                    "{message:?}"
                );
                // No other template reads it too.
                let readers: Vec<&str> = READERS
                    .iter()
                    .filter(|(t, build)| {
                        read(&message, t)
                            .and_then(|f| build(&mut Fields(f.into_iter())))
                            .is_some_and(|e| e.to_string() == message)
                    })
                    .map(|(t, _)| *t)
                    .collect();
                assert_eq!(readers.len(), 1, "{message:?} reads as {readers:?}");
            }
        }
    }

    #[test]
    fn every_action_restock_type_and_status_reads_back() {
        for action in ZERO_QUANTITY_ACTIONS {
            let e = ShopifyError::ZeroQuantity {
                order: format!("#1: {action}"),
                line: 3,
                action,
            };
            assert_eq!(ShopifyError::from_message(&e.to_string()), Some(e));
        }
        for restock_type in RestockType::ALL {
            let e = ShopifyError::RefundExceedsUnfulfilled {
                order: format!("#1 with restock type {}", restock_type.as_str()),
                line: 1,
                restock_type,
                requested: 2,
                unfulfilled: 1,
                fulfilled: 0,
            };
            assert_eq!(ShopifyError::from_message(&e.to_string()), Some(e));
        }
        for status in FinancialStatus::ALL {
            let e = ShopifyError::NotPending {
                order: format!(
                    "#1 has no pending payment to capture: its financial status is {}",
                    status.as_str()
                ),
                status,
            };
            assert_eq!(ShopifyError::from_message(&e.to_string()), Some(e));
        }
        let big = ShopifyError::QuantityTooLarge {
            order: "#1".into(),
            value: u64::MAX,
        };
        assert_eq!(ShopifyError::from_message(&big.to_string()), Some(big));
    }

    #[test]
    fn other_text_is_none() {
        for garbage in [
            "",
            "Not Found",
            "Order does not exist",
            "order",
            "order  not found",
            "order x not found",
            "order 007 not found",
            "order 99999999999999999999999 not found",
            "order #1 has no line item ",
            "order #1 has no line item x",
            "order #1 is archived",
            "line item 1 of order #1: a sale needs a quantity of at least 1",
            "line item 1 of order #1: only 2 unfulfilled units can be refunded with restock type keep; asked 3 (0 are fulfilled: refund those with restock type return)",
            "line item 12 of order #1: only 1 unfulfilled units can be edited; 2 are fulfilled, so the quantity cannot go below 3 (asked 1)",
            "line item 12 of order #1: only 1 unfulfilled units can be edited; 3 are fulfilled (1 of them returned), so the quantity cannot go below the 3 the customer kept (asked 1)",
            "line item 12 of order #1: only 3 fulfilled units can be returned; asked 4 (4 are fulfilled, 2 of them already returned)",
            "line item 12 of order #1: only 2 fulfilled units can be returned; asked 3",
            "line item 1 of order #1: 3 units cannot be fulfilled when only 99999999999 are ordered",
            "The calculated order does not exist",
            "ORDER #1 IS ALREADY CANCELLED",
            "order #1 has no pending payment to capture: its financial status is unpaid",
            "order #1 has no pending payment to capture: its financial status is ",
        ] {
            assert_eq!(ShopifyError::from_message(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn the_limits_in_the_messages_are_the_constants() {
        assert_eq!(MAX_LINE_QUANTITY, i32::MAX as u32);
        assert!(T_QUANTITY_TOO_LARGE.contains(&MAX_LINE_QUANTITY.to_string()));
        assert!(T_SKU_TOO_LONG.contains(&format!(" {MAX_SKU_LEN} ")));
        let e = ShopifyError::QuantityTooLarge {
            order: "#1001".into(),
            value: 2_147_483_648,
        };
        assert_eq!(
            e.to_string(),
            "order #1001: a line item quantity can be at most 2147483647; got 2147483648"
        );
        assert_eq!(e.kind(), ErrorKind::Unprocessable);
        let e = ShopifyError::SkuTooLong {
            order: "#1001".into(),
            length: 300,
        };
        assert_eq!(
            e.to_string(),
            "order #1001: a SKU can be at most 255 characters; this one has 300"
        );
        assert_eq!(e.kind(), ErrorKind::Unprocessable);
    }
}
