//! `fulfill`: units of a line are fulfilled (shipped) in Shopify.

use std::fmt;

use jiff::Timestamp;
use shopify_model::{OrderId, ShopifyError, Store};

use serde_json::{Value, json};

use super::{Action, ShopifyStep, Side, StepDef, StepDoc, parse_line_units, write_line_units};
use crate::explore::generator::Gen;
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::{Cx, Units};
use crate::scenario::schema::{id, object, units};
use crate::scenario::tree::Node;

/// Shopify fulfilment of some units of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfill {
    /// The order id.
    pub order: u64,
    /// The line item id.
    pub line: u64,
    /// Units fulfilled.
    pub quantity: u32,
}

impl StepDef for Fulfill {
    const NAME: &'static str = "fulfill";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`, `line`, `quantity`",
        summary: "Units of a line are fulfilled in Shopify. A line fulfilled completely \
                  makes its SO row `delivered`. Shopify refuses more units than are \
                  unfulfilled, and a cancelled order. Over HTTP: GraphQL \
                  `order { fulfillmentOrders }`, then `fulfillmentCreate`, which sends \
                  `orders/fulfilled` or `orders/partially_fulfilled` and `orders/updated`.",
        example: "- fulfill: { order: 1001, line: 11, quantity: 5 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let (order, line, quantity) = parse_line_units(cx, value, Self::NAME, Units::Any)?;
        Some(Self {
            order,
            line,
            quantity,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_line_units(f, self.order, self.line, self.quantity)
    }

    fn schema() -> Value {
        object(
            &[("order", id()), ("line", id()), ("quantity", units(0))],
            &["order", "line", "quantity"],
        )
    }

    const WEIGHT: u32 = 5;

    fn generate(g: &mut Gen) -> Option<Self> {
        let (order, line) = g.line()?;
        let left = line.quantity.saturating_sub(line.fulfilled);
        let quantity = if g.chance(60) {
            left
        } else {
            g.quantity_for(&line)
        };
        g.fulfil(order, line.id, quantity);
        Some(Self {
            order,
            line: line.id,
            quantity,
        })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for Fulfill {
    fn order(&self) -> OrderId {
        self.order
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store
            .fulfill(self.order, self.line, self.quantity, at)
            .map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        // As an app fulfils: read the order's fulfilment order, then fulfil the
        // line's units through it (GraphQL `fulfillmentCreate`).
        let read = http.graphql(
            "query fo($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id lineItems(first: 100) { nodes { id lineItem { id } } } } } } }",
            json!({ "id": format!("gid://shopify/Order/{}", self.order) }),
            "order",
        )?;
        if read.is_null() {
            return Err(StepError::Refused(
                ShopifyError::OrderNotFound { order: self.order }.into(),
            ));
        }
        let fo = read.pointer("/fulfillmentOrders/nodes/0").ok_or_else(|| {
            StepError::Transport(format!(
                "order {} has no fulfillment order: {read}",
                self.order
            ))
        })?;
        let gid_number = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|g| g.rsplit('/').next())
                .and_then(|n| n.parse::<u64>().ok())
        };
        let fo_id = gid_number(fo.get("id")).ok_or_else(|| {
            StepError::Transport(format!("a fulfillment order without an id: {fo}"))
        })?;
        // The fulfilment order's line item for the line; a line it does not show
        // (removed, or not the order's) gets its id by the mock's documented
        // numbering, so that the store refuses it in its own words, as in process.
        let listed = fo
            .pointer("/lineItems/nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|l| gid_number(l.pointer("/lineItem/id")) == Some(self.line))
            .and_then(|l| gid_number(l.get("id")));
        let fo_line = listed.unwrap_or_else(|| (fo_id - self.order).saturating_add(self.line));
        http.graphql(
            "mutation f($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { field message } } }",
            json!({ "f": { "lineItemsByFulfillmentOrder": [{
                "fulfillmentOrderId": format!("gid://shopify/FulfillmentOrder/{fo_id}"),
                "fulfillmentOrderLineItems": [{
                    "id": format!("gid://shopify/FulfillmentOrderLineItem/{fo_line}"),
                    "quantity": self.quantity,
                }],
            }]}}),
            "fulfillmentCreate",
        )
        .map(drop)
    }
}
