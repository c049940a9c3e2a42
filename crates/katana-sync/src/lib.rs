//! The Shopify → Katana integration.
//!
//! This is its pure part: reading Shopify's order JSON through the sync's own types
//! ([`shopify`]), deciding which orders import (rules.md §3, [`plan_import`]) and
//! turning "Shopify order now vs SO now" into SO changes (rules.md §4,
//! [`plan_changes`]), with skipped changes and their reasons. The [chosen] rules on
//! this side are in [`chosen`].
//!
//! It never imports `shopify-model`: a shape the mock gets wrong must be caught here,
//! not shared.

pub mod chosen;
mod plan;
pub mod shopify;

pub use plan::{Plan, Settings, apply_plan, plan_changes, plan_import};
pub use shopify::ShopifyOrder;
