//! `archive`: the merchant archives (closes) an order in Shopify.

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

/// Shopify archive (close).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// The order id.
    pub order: u64,
}

impl StepDef for Archive {
    const NAME: &'static str = "archive";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`",
        summary: "The order is archived in Shopify. Its SO is deleted when nothing of the order was fulfilled and no row is packed or delivered; otherwise nothing changes. Archiving an archived order changes nothing. Over HTTP: REST `POST orders/{id}/close.json`.",
        example: "- archive: { order: 1001 }",
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

    const WEIGHT: u32 = 4;

    fn generate(g: &mut Gen) -> Option<Self> {
        g.order().map(|order| Self { order })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for Archive {
    fn order(&self) -> OrderId {
        self.order
    }

    fn event(&self) -> OrderEvent {
        OrderEvent::Changed
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store.close(self.order, at).map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        let path = format!("orders/{}/close.json", self.order);
        http.rest(reqwest::Method::POST, &path, Some(serde_json::json!({})), self.order)
            .map(drop)
    }
}
