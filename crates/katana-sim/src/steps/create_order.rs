//! `create_order`: a new order is created in Shopify (a customer's checkout).

use std::fmt;

use jiff::Timestamp;
use shopify_model::{FinancialStatus, NewLine, NewOrder, OrderId, ShopifyError, Store};

use serde_json::{Value, json};

use super::{Action, OrderEvent, ShopifyStep, Side, StepDef, StepDoc};
use crate::explore::generator::{Gen, GenLine, GenOrder};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::Cx;
use crate::scenario::display::OrderYaml;
use crate::scenario::schema::order;
use crate::scenario::tree::Node;

/// A new Shopify order (imported if it qualifies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder(pub NewOrder);

impl StepDef for CreateOrder {
    const NAME: &'static str = "create_order";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "an order, as under `shopify.orders`: `id`, optional `name` (default \
                 `#<id>`), optional `financial_status` (default `paid`), `lines: [{ id, \
                 sku, quantity, fulfilled }]`",
        summary: "A new order is created in Shopify, as a customer's checkout would; \
                  Katana imports it if it qualifies then (open, not cancelled, paid or \
                  pending with `import_payment_pending`, not fully fulfilled). Over HTTP: \
                  REST `POST orders.json`, which sends `orders/create`.",
        example: "- create_order: { id: 1002, lines: [{ id: 21, sku: OAK-CHAIR, quantity: 4 }] }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        cx.order(value, "`create_order`").map(Self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&OrderYaml(&self.0), f)
    }

    fn schema() -> Value {
        order()
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        let id = g.new_order_id();
        let financial_status = g.financial_status();
        let mut lines = Vec::new();
        for _ in 0..1 + g.below(3) {
            let quantity = 1 + g.below(5) as u32;
            let fulfilled = if g.chance(20) {
                g.below(u64::from(quantity) + 1) as u32
            } else {
                0
            };
            lines.push(NewLine {
                id: g.new_line_id(),
                sku: g.sku(),
                quantity,
                fulfilled,
            });
        }
        let order = NewOrder {
            id,
            name: None,
            financial_status,
            archived: g.chance(10),
            cancelled: g.chance(5) && lines.iter().all(|l| l.fulfilled == 0),
            lines,
        };
        g.orders.push(GenOrder {
            id,
            lines: order.lines.iter().map(GenLine::from).collect(),
            imported: financial_status == FinancialStatus::Paid,
        });
        Some(Self(order))
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for CreateOrder {
    fn order(&self) -> OrderId {
        self.0.id
    }

    fn event(&self) -> OrderEvent {
        OrderEvent::Created
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        store.create_order(&self.0, at).map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        // REST `POST orders.json`, with the ids the scenario names (the mock uses
        // an id given when it is free) and the order's state at creation, so that
        // one `orders/create` carries it as in process.
        let o = &self.0;
        let lines: Vec<Value> = o
            .lines
            .iter()
            .map(|l| json!({"id": l.id, "sku": l.sku, "quantity": l.quantity, "fulfilled": l.fulfilled}))
            .collect();
        let mut order = json!({
            "id": o.id,
            "financial_status": o.financial_status,
            "line_items": lines,
        });
        if let Some(name) = &o.name {
            order["name"] = json!(name);
        }
        let at = http.now().to_string();
        if o.archived {
            order["closed_at"] = json!(at);
        }
        if o.cancelled {
            order["cancelled_at"] = json!(at);
        }
        http.rest(
            reqwest::Method::POST,
            "orders.json",
            Some(json!({ "order": order })),
            o.id,
        )
        .map(drop)
    }
}
