//! `cancel`: the merchant cancels an order in Shopify.

use std::fmt;

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{CancelReason, OrderId, ShopifyError, Store};

use super::{Action, ShopifyStep, Side, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{cancel_reason, id, object};
use crate::http::Http;
use crate::runner::StepError;
use crate::scenario::convert::{Cx, cancel_reasons};
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Shopify cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    /// The order id.
    pub order: u64,
    /// The cancel reason, if given.
    pub reason: Option<CancelReason>,
    /// Whether to restock the items (default false).
    pub restock: bool,
}

impl StepDef for Cancel {
    const NAME: &'static str = "cancel";
    const DOC: StepDoc = StepDoc {
        side: Side::Shopify,
        fields: "`order`, optional `reason` (`customer`, `inventory`, `fraud`, `declined`, \
                 `other`), optional `restock` (default false)",
        summary: "The order is cancelled in Shopify; its SO is deleted (unless a row is \
                  packed or delivered). Shopify refuses to cancel an order with fulfilled \
                  units. Over HTTP: REST `POST orders/{id}/cancel.json`.",
        example: "- cancel: { order: 1001, reason: customer }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`cancel`";
        let m = cx.map(value, what, &["order", "reason", "restock"])?;
        let order = cx.order_ref(&m, what);
        let reason = match m.get("reason") {
            Some(n) => cx.choice(n, "reason", &cancel_reasons()).map(Some),
            None => Some(None),
        };
        let restock = match m.get("restock") {
            Some(n) => cx.boolean(n, "restock"),
            None => Some(false),
        };
        Some(Self {
            order: order?,
            reason: reason?,
            restock: restock?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("order", some(self.order)),
                ("reason", self.reason.map(|r| r.as_str().to_string())),
                ("restock", self.restock.then(|| "true".to_string())),
            ],
        )
    }

    fn schema() -> Value {
        object(&[("order", id()), ("reason", cancel_reason()), ("restock", json!({ "type": "boolean" }))], &["order"])
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        let order = g.order()?;
        let reason = if g.chance(50) {
            g.pick(&CancelReason::ALL)
        } else {
            None
        };
        let restock = g.chance(30);
        Some(Self {
            order,
            reason,
            restock,
        })
    }

    fn action(&self) -> Action<'_> {
        Action::Shopify(self)
    }
}

impl ShopifyStep for Cancel {
    fn order(&self) -> OrderId {
        self.order
    }

    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError> {
        let reason = self.reason.unwrap_or(CancelReason::Other);
        store
            .cancel(self.order, reason, self.restock, at)
            .map(drop)
    }

    fn over_http(&self, http: &Http) -> Result<(), StepError> {
        let mut body = json!({ "restock": self.restock });
        if let Some(reason) = self.reason {
            body["reason"] = json!(reason.as_str());
        }
        let path = format!("orders/{}/cancel.json", self.order);
        http.rest(reqwest::Method::POST, &path, Some(body), self.order)
            .map(drop)
    }
}
