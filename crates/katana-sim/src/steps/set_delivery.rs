//! `set_delivery`: a user packs or delivers an SO row in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Delivery, Katana, RowRef};
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{delivery, id, object};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::convert::{Cx, deliveries};
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Katana: change a row's delivery status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDelivery {
    /// The row (Shopify order and line item ids).
    pub row: RowRef,
    /// The new delivery status.
    pub delivery: Delivery,
}

impl StepDef for SetDelivery {
    const NAME: &'static str = "set_delivery";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "`order`, `line`, `delivery` (`not_shipped`, `packed`, `delivered`)",
        summary: "A user sets an SO row's delivery status in Katana. Shopify changes never \
                  touch a packed or delivered row, and never delete an SO that has one.",
        example: "- set_delivery: { order: 1001, line: 11, delivery: packed }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`set_delivery`";
        let m = cx.map(value, what, &["order", "line", "delivery"])?;
        let row = cx.row(&m, what);
        let delivery = cx
            .req(&m, "delivery", what)
            .and_then(|n| cx.choice(n, "delivery", &deliveries()));
        Some(Self {
            row: row?,
            delivery: delivery?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("order", some(self.row.order)),
                ("line", some(self.row.line)),
                ("delivery", some(self.delivery)),
            ],
        )
    }

    fn schema() -> Value {
        object(&[("order", id()), ("line", id()), ("delivery", delivery())], &["order", "line", "delivery"])
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        let row = g.imported_row()?;
        let delivery = g.delivery();
        Some(Self { row, delivery })
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for SetDelivery {
    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        _: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(TraceLine::effects(
            katana.set_delivery(self.row, self.delivery)?,
        ))
    }
}
