//! `edit`: the merchant edits an order in Shopify and sets a line's quantity.

use std::fmt;

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{OrderId, ShopifyError, Store};

use super::{Action, ShopifyStep, Side, StepDef, StepDoc, parse_line_units, write_line_units};
use crate::explore::generator::Gen;
use crate::scenario::schema::{id, object, units};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::{Cx, Units};
use crate::scenario::tree::Node;

/// Shopify order edit: set a line's quantity (0 removes the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The order id.
    pub order: u64,
    /// The line item id.
    pub line: u64,
    /// The new quantity.
    pub quantity: u32,
}

impl StepDef for Edit {
    const NAME: &'static str = "edit";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`, `line`, `quantity` (0 removes the line; at most 2,147,483,647)",
        summary: "An order edit in Shopify admin sets a line's quantity. Shopify refuses \
                  to go below the line's fulfilled units and to edit an archived or \
                  cancelled order. Over HTTP: GraphQL `orderEditBegin` → \
                  `orderEditSetQuantity` → `orderEditCommit`.",
        example: "- edit: { order: 1001, line: 11, quantity: 3 }",
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
        object(&[("order", id()), ("line", id()), ("quantity", units(0))], &["order", "line", "quantity"])
    }

    const WEIGHT: u32 = 10;

    fn generate(g: &mut Gen) -> Option<Self> {
        let (order, line) = g.line()?;
        let quantity = g.quantity_for(&line);
        g.set_quantity(order, line.id, quantity);
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

impl ShopifyStep for Edit {
    fn order(&self) -> OrderId {
        self.order
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store
            .set_quantity(self.order, self.line, self.quantity, at)
            .map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        http.order_edit(self.order, |calculated| {
            http.graphql(
                "mutation set($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q, restock: true) { calculatedOrder { id } userErrors { field message } } }",
                json!({
                    "id": calculated,
                    "line": format!("gid://shopify/CalculatedLineItem/{}", self.line),
                    "q": self.quantity,
                }),
                "orderEditSetQuantity",
            )
            .map(drop)
        })
    }
}
