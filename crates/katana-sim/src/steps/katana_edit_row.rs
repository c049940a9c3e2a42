//! `katana_edit_row`: a user edits a sales order row's quantity in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Katana, RowRef};
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc, Subject};
use crate::explore::generator::Gen;
use crate::scenario::schema::{count, id, object};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::convert::Cx;
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Katana: a user sets an SO row's quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KatanaEditRow {
    /// The row (Shopify order and line item ids).
    pub row: RowRef,
    /// The new quantity (at least 1).
    pub quantity: u32,
}

impl StepDef for KatanaEditRow {
    const NAME: &'static str = "katana_edit_row";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "`order`, `line`, `quantity` (at least 1; delete a row with `katana_delete_row`)",
        summary: "A user edits an SO row's quantity in Katana. The row's MO follows the same \
                  rules as for a Shopify change: a not-started MTO MO takes the new \
                  quantity, a blocked, in-progress, partially complete or done one is \
                  unlinked with a message. Katana refuses a packed or delivered row \
                  (`row_packed`, `row_delivered`). The next Shopify change of that line \
                  overwrites the edit; changes of other lines do not.",
        example: "- katana_edit_row: { order: 1001, line: 11, quantity: 4 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = format!("`{}`", Self::NAME);
        let m = cx.map(value, &what, &["order", "line", "quantity"])?;
        let row = cx.row(&m, &what);
        let quantity = cx.req(&m, "quantity", &what).and_then(|n| {
            let q = cx.u32(n, "quantity")?;
            if q == 0 {
                let hint = Some("delete the row with `katana_delete_row` instead".into());
                cx.err(n.loc, "`quantity` must be at least 1", hint);
                return None;
            }
            Some(q)
        });
        Some(Self {
            row: row?,
            quantity: quantity?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("order", some(self.row.order)),
                ("line", some(self.row.line)),
                ("quantity", some(self.quantity)),
            ],
        )
    }

    fn schema() -> Value {
        object(&[("order", id()), ("line", id()), ("quantity", count(1))], &["order", "line", "quantity"])
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        let row = g.imported_row()?;
        let quantity = 1 + g.below(8) as u32;
        g.set_quantity(row.order, row.line, quantity);
        Some(Self { row, quantity })
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for KatanaEditRow {
    fn subject(&self) -> Subject<'_> {
        Subject::SalesOrder(self.row.order)
    }

    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        at: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(TraceLine::effects(
            katana.user_edit_row(self.row, self.quantity, at)?,
        ))
    }
}
