//! `pay`: an order's pending payment is captured in Shopify.

use std::fmt;

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{OrderId, ShopifyError, Store};

use super::{Action, ShopifyStep, Side, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{order_ref};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::Cx;
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Shopify: the pending payment of an order is captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pay {
    /// The order id.
    pub order: u64,
}

impl StepDef for Pay {
    const NAME: &'static str = "pay";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`",
        summary: "The order's pending (or authorized) payment is captured: its financial \
                  status becomes `paid`. An order skipped at its creation only because its \
                  payment was pending is imported now, if it still qualifies (open, not \
                  cancelled, not fully fulfilled). Shopify refuses an order without a \
                  pending payment (`payment_not_pending`) and a cancelled one. Over HTTP: \
                  GraphQL `orderMarkAsPaid`, which sends `orders/paid` and `orders/updated`.",
        example: "- pay: { order: 1001 }",
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
        let order = g.order()?;
        g.imported(order);
        Some(Self { order })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for Pay {
    fn order(&self) -> OrderId {
        self.order
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store.pay(self.order, at).map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        http.graphql(
            "mutation pay($input: OrderMarkAsPaidInput!) { orderMarkAsPaid(input: $input) { order { id } userErrors { field message } } }",
            json!({ "input": { "id": format!("gid://shopify/Order/{}", self.order) } }),
            "orderMarkAsPaid",
        )
        .map(drop)
    }
}
