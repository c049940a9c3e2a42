//! Shopify's side as pure logic: orders and line items, the changes a merchant can
//! make to them, Shopify's own refusals, and the REST JSON of an order.
//!
//! No I/O, no clock, no randomness: every instant is an argument (`now`), and the
//! same calls give the same store and the same JSON bytes.
//!
//! - [`Store`] holds every order and makes every change: [`Store::create_order`]
//!   ([`Store::create_orders`] for a batch, all or nothing without copying the store),
//!   [`Store::edit`] (a batch, as GraphQL `orderEditCommit` applies it),
//!   [`Store::refund`], [`Store::cancel`], [`Store::close`], [`Store::open`],
//!   [`Store::delete`], [`Store::fulfill`], [`Store::pay`]. Each checks everything before it changes
//!   anything, so a refused change leaves the store as it was.
//! - [`ShopifyError`] is Shopify's refusal, with [`ShopifyError::kind`] telling an
//!   HTTP layer whether it is a 404, a 422 or a 400, a stable
//!   [`code`](ShopifyError::code) (all listed in [`ShopifyError::CODES`]), and
//!   [`ShopifyError::from_message`], the exact inverse of its message, so that an
//!   HTTP client reads a REST 422 or a GraphQL `userErrors` message back into the
//!   same typed refusal. Every operation checks in one documented order (order
//!   exists, its state, what the change names, values: see [`Store`]'s module docs),
//!   so a change refused for two reasons reports the same first one whichever API
//!   made it. Reads cost O(log n) in the store's size: [`Store::order`], and
//!   [`Store::orders_in`] for the orders of a range of ids (a list's page).
//! - [`Order::to_rest_json`], [`Refund::to_rest_json`] and
//!   [`OrderEdit::to_webhook_json`] are the JSON a client reads.
//!
//! # What is simplified compared with real Shopify
//!
//! - **No money.** There are no prices, taxes, transactions or amounts. A refund sets
//!   the financial status to `refunded` when no line has units left
//!   (`current_quantity` 0 everywhere) and to `partially_refunded` otherwise, even for
//!   a refund of money only and whatever the status was before. Cancelling does not
//!   change the financial status. Capturing a payment ([`Store::pay`]) takes a
//!   `pending` or `authorized` order to `paid`; any other status (`partially_paid`
//!   included, which real Shopify could still mark as paid) is refused.
//! - **No inventory or locations.** Restock types decide which units a refund takes
//!   (`return`: fulfilled ones not returned yet; `cancel`, `no_restock`,
//!   `legacy_restock`: unfulfilled ones) and nothing else; `cancel`'s `restock` flag
//!   has no effect.
//! - **One variant per SKU.** Variant ids are handed out in the order SKUs are first
//!   seen; a line's `title` is its SKU.
//! - **Fulfilment is a number per line** (`fulfilled_quantity`); there are no
//!   fulfilment objects. **Returned units stay fulfilled** (rules.md §4, "Returned
//!   units"): a return moves units from `current_quantity` to `returned_quantity`
//!   and leaves `fulfilled_quantity` as it is. A line's unfulfilled units (REST's
//!   `fulfillable_quantity`) are `current_quantity + returned_quantity −
//!   fulfilled_quantity`; an edit cannot go below the fulfilled units the customer
//!   kept (`fulfilled_quantity − returned_quantity`). A line's and the order's
//!   `fulfillment_status` is `null` when nothing is fulfilled, `fulfilled` when
//!   something is and no line has units left to fulfil, else `partial`: a line
//!   whose fulfilled units were all returned is still `fulfilled`, and an order
//!   whose fulfilled units were all returned still has fulfilled items (it cannot
//!   be cancelled).
//! - **Edits.** Raising a line's quantity raises its `current_quantity` on the same
//!   line item; quantity 0 removes the line, which stays with `current_quantity` 0
//!   and may be raised again by a later edit. There is no calculated-order session:
//!   a batch of ops is applied or refused as a whole.
//! - **Order numbers.** `order_number` is `n` when the name is `#<n>`, else the id.
//! - **Line item ids are unique in the store**, as in Shopify; an id of a deleted
//!   order may be used again. Ids the store allocates count up from 1 per kind (line
//!   items from above the highest id seen) and are never reused.
//! - **Orders may start archived or cancelled** ([`NewOrder`]'s `archived` and
//!   `cancelled`): closed or cancelled at the creation instant (cancel reason
//!   `other`), as if done right after creation but with no separate change.
//! - **Close and open are idempotent**: closing a closed order (or opening an open
//!   one) changes nothing, not even `updated_at`. Archived orders can still be
//!   refunded, fulfilled and cancelled; only editing is refused. Cancelled orders can
//!   still be refunded and closed.
//! - **Time** is whatever `now` the caller passes; the store does not check that it
//!   moves forward.
//!
//! # Shopify's rules the store enforces (rules.md §4)
//!
//! Only unfulfilled quantity can be edited or refunded as unfulfilled; only fulfilled
//! units not returned yet can be returned; an order with fulfilled items (returned
//! ones included) cannot be cancelled, nor created cancelled; an
//! order can be deleted only after it is archived or cancelled; an archived order
//! cannot be edited; a cancelled order cannot be edited, fulfilled or paid; only a
//! pending or authorized payment can be captured; quantities are
//! whole numbers ≥ 0 (`u32` here; [`quantity_from_json`] checks JSON input), and a
//! new line, a refunded line and a fulfilment need at least 1 unit.
//!
//! Shopify's limits hold at the door (rules.md §3b): a line quantity is at most
//! [`MAX_LINE_QUANTITY`] (2,147,483,647, GraphQL's `Int`) on create and in edits,
//! and a SKU at most [`MAX_SKU_LEN`] (255) characters on create and when a line is
//! added.

mod error;
mod order;
mod store;
mod types;

#[cfg(test)]
mod tests;

pub use error::{
    ErrorKind, MAX_LINE_QUANTITY, MAX_SKU_LEN, ShopifyError, ZERO_QUANTITY_ACTIONS,
    quantity_from_json,
};
pub use order::{FulfillmentStatus, LineItem, Order, Refund, RefundLineItem};
pub use store::{EditOp, ItemRef, LineDelta, OrderEdit, RefundLineRequest, Store};
pub use types::*;
