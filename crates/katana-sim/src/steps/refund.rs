//! `refund`: the merchant refunds units of lines, or money only, in Shopify.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{OrderId, RefundLineRequest, RestockType, ShopifyError, Store};

use super::{Action, ShopifyStep, Side, StepDef, StepDoc};
use crate::explore::generator::{Gen, GenLine};
use crate::scenario::schema::{id, object, or_null, restock, units};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::{Cx, Units, at, push_or_fail, restock_types};
use crate::scenario::tree::Node;
use crate::scenario::{Loc, flow_map, some};

/// Shopify refund; no lines means a refund of money only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The order id.
    pub order: u64,
    /// The refunded lines.
    pub lines: Vec<RefundLine>,
}

/// One line of a `refund` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLine {
    /// The line item id.
    pub line: u64,
    /// Units refunded.
    pub quantity: u32,
    /// What happens to the units' stock.
    pub restock: RestockType,
}

impl StepDef for Refund {
    const NAME: &'static str = "refund";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`, `lines: [{ line, quantity, restock: cancel | no_restock | \
                 legacy_restock | return }]` (empty or absent: money only)",
        summary: "A refund in Shopify. `cancel`, `no_restock` and `legacy_restock` refund \
                  unfulfilled units and reduce the SO row; `return` sends fulfilled units \
                  back and changes nothing in Katana; a money-only refund changes \
                  nothing. Over HTTP: REST `POST orders/{id}/refunds.json`.",
        example: "- refund: { order: 1001, lines: [{ line: 11, quantity: 2, restock: cancel }] }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`refund`";
        let m = cx.map(value, what, &["order", "lines"])?;
        let order_node = cx.req(&m, "order", what);
        let order = order_node.and_then(|n| cx.u64(n, "order"));
        let order_exists = match (order, order_node) {
            (Some(o), Some(n)) => cx.check_order(o, n.loc),
            _ => false,
        };
        let mut lines = Some(Vec::new());
        if let Some(list) = m.get("lines") {
            let items = cx.seq(list, "`lines`");
            if items.is_none() {
                lines = None;
            }
            let mut seen: BTreeMap<u64, Loc> = BTreeMap::new();
            for item in items.unwrap_or_default() {
                let line_what = "a refund line";
                let line = cx
                    .map(item, line_what, &["line", "quantity", "restock"])
                    .and_then(|lm| {
                        let line_node = cx.req(&lm, "line", line_what);
                        let line = line_node.and_then(|n| cx.u64(n, "line"));
                        if let (Some(l), Some(n)) = (line, line_node) {
                            if let (true, Some(o), Some(on)) = (order_exists, order, order_node) {
                                cx.check_line(o, on.loc, l, n.loc);
                            }
                            if let Some(first) = seen.insert(l, n.loc) {
                                let hint = Some(format!("first listed at {}", at(first)));
                                let msg = format!("line {l} is listed twice in this refund");
                                cx.err(n.loc, msg, hint);
                            }
                        }
                        let quantity = cx
                            .req(&lm, "quantity", line_what)
                            .and_then(|n| cx.units(n, "quantity", Units::Any));
                        let restock = cx
                            .req(&lm, "restock", line_what)
                            .and_then(|n| cx.choice(n, "restock", &restock_types()));
                        Some(RefundLine {
                            line: line?,
                            quantity: quantity?,
                            restock: restock?,
                        })
                    });
                push_or_fail(&mut lines, line);
            }
        }
        Some(Self {
            order: order?,
            lines: lines?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = (!self.lines.is_empty()).then(|| {
            let items: Vec<String> = self
                .lines
                .iter()
                .map(|l| {
                    format!(
                        "{{ line: {}, quantity: {}, restock: {} }}",
                        l.line,
                        l.quantity,
                        l.restock.as_str()
                    )
                })
                .collect();
            format!("[{}]", items.join(", "))
        });
        flow_map(f, &[("order", some(self.order)), ("lines", lines)])
    }

    fn schema() -> Value {
        {
        let line = object(
            &[("line", id()), ("quantity", units(0)), ("restock", restock())],
            &["line", "quantity", "restock"],
        );
        object(
            &[("order", id()), ("lines", or_null(json!({ "type": "array", "items": line })))],
            &["order"],
        )
    }
    }

    const WEIGHT: u32 = 6;

    fn generate(g: &mut Gen) -> Option<Self> {
        let order = g.order()?;
        let lines: Vec<GenLine> = g
            .orders
            .iter()
            .find(|o| o.id == order)
            .map(|o| o.lines.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        for line in lines {
            if !g.chance(50) {
                continue;
            }
            let restock = g.pick(&RestockType::ALL).unwrap_or(RestockType::Cancel);
            let quantity = match restock {
                RestockType::Return => line.fulfilled.min(1 + g.below(3) as u32),
                _ => line.quantity.saturating_sub(line.fulfilled).min(1 + g.below(3) as u32),
            };
            if restock != RestockType::Return {
                g.set_quantity(order, line.id, line.quantity.saturating_sub(quantity));
            }
            out.push(RefundLine {
                line: line.id,
                quantity,
                restock,
            });
        }
        Some(Self { order, lines: out })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for Refund {
    fn order(&self) -> OrderId {
        self.order
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        let lines: Vec<RefundLineRequest> = self
            .lines
            .iter()
            .map(|l| RefundLineRequest {
                line: l.line,
                quantity: l.quantity,
                restock_type: l.restock,
            })
            .collect();
        store.refund(self.order, &lines, None, at).map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        let items: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                json!({ "line_item_id": l.line, "quantity": l.quantity, "restock_type": l.restock.as_str() })
            })
            .collect();
        let body = json!({ "refund": { "refund_line_items": items } });
        let path = format!("orders/{}/refunds.json", self.order);
        http.rest(reqwest::Method::POST, &path, Some(body), self.order)
            .map(drop)
    }
}
