//! `fulfill`: units of a line are fulfilled (shipped) in Shopify.

use std::fmt;

use jiff::Timestamp;
use shopify_model::{OrderId, ShopifyError, Store};

use serde_json::Value;

use super::{Action, ShopifyStep, Side, StepDef, StepDoc, parse_line_units, write_line_units};
use crate::explore::generator::Gen;
use crate::scenario::schema::{id, object, units};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::{Cx, Units};
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
                  unfulfilled, and a cancelled order. Over HTTP: the mock server's \
                  fulfilment hook, which sends `orders/fulfilled` or \
                  `orders/partially_fulfilled` and `orders/updated`.",
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
        object(&[("order", id()), ("line", id()), ("quantity", units(0))], &["order", "line", "quantity"])
    }

    const WEIGHT: u32 = 5;

    fn generate(g: &mut Gen) -> Option<Self> {
        let (order, line) = g.line()?;
        let left = line.quantity.saturating_sub(line.fulfilled);
        let quantity = if g.chance(60) { left } else { g.quantity_for(&line) };
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
        http.mock()
            .fulfill(self.order, self.line, self.quantity)
            .map(drop)
            .map_err(StepError::from)
    }
}
