//! `delete`: the merchant deletes an order in Shopify.

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

/// Shopify delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete {
    /// The order id.
    pub order: u64,
}

impl StepDef for Delete {
    const NAME: &'static str = "delete";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`",
        summary: "The order is deleted in Shopify; its SO is deleted (unless a row is packed or delivered). Shopify deletes only archived or cancelled orders. Over HTTP: REST `DELETE orders/{id}.json`.",
        example: "- delete: { order: 1001 }",
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

impl ShopifyStep for Delete {
    fn order(&self) -> OrderId {
        self.order
    }

    fn event(&self) -> OrderEvent {
        OrderEvent::Deleted
    }

    fn in_process(&self, store: &mut Store, _at: Timestamp) -> Result<(), ShopifyError> {
        store.delete(self.order).map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        let path = format!("orders/{}.json", self.order);
        http.rest(reqwest::Method::DELETE, &path, None, self.order)
            .map(drop)
    }
}
