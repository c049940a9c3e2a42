//! `unarchive`: the merchant unarchives (re-opens) an order in Shopify.

use std::fmt;

use jiff::Timestamp;
use shopify_model::{OrderId, ShopifyError, Store};

use serde_json::Value;

use super::{Action, OrderEvent, ShopifyStep, Side, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{order_ref};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::Cx;
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Shopify unarchive (open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unarchive {
    /// The order id.
    pub order: u64,
}

impl StepDef for Unarchive {
    const NAME: &'static str = "unarchive";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`",
        summary: "The order is unarchived in Shopify. An order is never imported again; while sync is on, the next sync brings any difference held back. Over HTTP: REST `POST orders/{id}/open.json`.",
        example: "- unarchive: { order: 1001 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        cx.order_only(value, Self::NAME).map(|order| Self { order })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(f, &[("order", some(self.order))])
    }

    fn schema() -> Value {
        order_ref()
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        g.order().map(|order| Self { order })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for Unarchive {
    fn order(&self) -> OrderId {
        self.order
    }

    fn event(&self) -> OrderEvent {
        OrderEvent::Changed
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store.open(self.order, at).map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        let path = format!("orders/{}/open.json", self.order);
        http.rest(reqwest::Method::POST, &path, Some(serde_json::json!({})), self.order)
            .map(drop)
    }
}
