//! `add_line`: the merchant adds a new line (a product variant) to an order in Shopify.

use std::fmt;

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{OrderId, ShopifyError, Store};

use super::{Action, ShopifyStep, Side, StepDef, StepDoc};
use crate::explore::generator::{Gen, GenLine};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::{Cx, Units};
use crate::scenario::schema::{id, object, sku, units};
use crate::scenario::tree::Node;
use crate::scenario::{Scalar, flow_map, some};

/// Shopify order edit: add a new line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddLine {
    /// The order id.
    pub order: u64,
    /// The new line item id.
    pub line: u64,
    /// The variant's SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: u32,
}

impl StepDef for AddLine {
    const NAME: &'static str = "add_line";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`, `line` (the new line item's id), `sku` (at most 255 characters), \
                 `quantity` (1 to 2,147,483,647)",
        summary: "An order edit in Shopify admin adds a line. It becomes a new SO row \
                  without an MO. Over HTTP: GraphQL `orderEditBegin` → \
                  `orderEditAddVariant` → `orderEditCommit`.",
        example: "- add_line: { order: 1001, line: 14, sku: OAK-STOOL, quantity: 2 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`add_line`";
        let m = cx.map(value, what, &["order", "line", "sku", "quantity"])?;
        let order = cx.order_ref(&m, what);
        let line_node = cx.req(&m, "line", what);
        let line = line_node.and_then(|n| cx.u64(n, "line"));
        if let (Some(o), Some(l), Some(n)) = (order, line, line_node) {
            cx.add_line(o, l, n.loc);
        }
        let sku = cx.req(&m, "sku", what).and_then(|n| cx.sku(n));
        let quantity = cx
            .req(&m, "quantity", what)
            .and_then(|n| cx.units(n, "quantity", Units::New));
        Some(Self {
            order: order?,
            line: line?,
            sku: sku?,
            quantity: quantity?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("order", some(self.order)),
                ("line", some(self.line)),
                ("sku", some(Scalar(&self.sku))),
                ("quantity", some(self.quantity)),
            ],
        )
    }

    fn schema() -> Value {
        object(
            &[
                ("order", id()),
                ("line", id()),
                ("sku", sku()),
                ("quantity", units(1)),
            ],
            &["order", "line", "sku", "quantity"],
        )
    }

    const WEIGHT: u32 = 4;

    fn generate(g: &mut Gen) -> Option<Self> {
        let order = g.order()?;
        let line = g.new_line_id();
        let sku = g.sku();
        let quantity = 1 + g.below(5) as u32;
        g.add_line(
            order,
            GenLine {
                id: line,
                sku: sku.clone(),
                quantity,
                fulfilled: 0,
            },
        );
        Some(Self {
            order,
            line,
            sku,
            quantity,
        })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for AddLine {
    fn order(&self) -> OrderId {
        self.order
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store
            .add_line(self.order, Some(self.line), &self.sku, self.quantity, at)
            .map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        // The merchant picks a product variant from the catalogue; the scenario
        // names the new line item's id, which the mock will hand out.
        let variant = http
            .control(
                reqwest::Method::POST,
                "variants",
                Some(json!({ "sku": self.sku })),
            )?
            .get("variant_id")
            .and_then(Value::as_u64)
            .ok_or_else(|| StepError::Transport(format!("no variant for {}", self.sku)))?;
        http.control(
            reqwest::Method::POST,
            "next_line_id",
            Some(json!({ "id": self.line })),
        )?;
        http.order_edit(self.order, |calculated| {
            http.graphql(
                "mutation add($id: ID!, $v: ID!, $q: Int!) { orderEditAddVariant(id: $id, variantId: $v, quantity: $q) { calculatedOrder { id } userErrors { field message } } }",
                json!({
                    "id": calculated,
                    "v": format!("gid://shopify/ProductVariant/{variant}"),
                    "q": self.quantity,
                }),
                "orderEditAddVariant",
            )
            .map(drop)
        })
    }
}
