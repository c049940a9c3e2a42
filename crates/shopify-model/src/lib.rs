//! Shopify's side as pure logic: orders and line items, the changes a merchant can
//! make to them, Shopify's own refusals, and the REST JSON of an order.
//!
//! No I/O, no clock, no randomness: every instant is an argument.

mod types;

pub use types::*;
