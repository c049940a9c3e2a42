//! The Shopify → Katana integration.
//!
//! The pure part reads Shopify's order JSON through the sync's own types
//! ([`shopify`]), decides which orders import (rules.md §3, [`plan_import`]) and turns
//! "Shopify order now vs SO now" into SO changes (rules.md §4, [`plan_changes`]),
//! with skipped changes and their reasons. The [chosen] rules on this side are in
//! [`chosen`].
//!
//! The I/O part is the sync a real integration would run: [`webhook`] (signature and
//! delivery checks, the topics it subscribes to), [`client`] (REST reads and webhook
//! subscriptions, with retries) and [`service`] (the webhook receiver, idempotency,
//! reconciliation).
//!
//! At start the sync registers its own webhook subscriptions through the Admin API,
//! as a real app does: [`service::SyncService::register_webhooks`] subscribes the
//! receiver's URL to every topic in [`webhook::WEBHOOK_TOPICS`] (`webhooks.json`),
//! creating only what is missing and deleting nothing.
//!
//! It never imports `shopify-model`: a shape the mock gets wrong must be caught here,
//! not shared.

pub mod chosen;
pub mod client;
mod plan;
pub mod service;
pub mod shopify;
pub mod webhook;

pub use plan::{Plan, Settings, apply_plan, plan_changes, plan_for, plan_import};
pub use shopify::ShopifyOrder;
