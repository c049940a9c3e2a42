//! `katana_delete_row`: a user deletes a sales order row in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Katana, RowRef};
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc, Subject};
use crate::explore::generator::Gen;
use crate::scenario::schema::{row_ref};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::convert::Cx;
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Katana: a user deletes an SO row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KatanaDeleteRow {
    /// The row (Shopify order and line item ids).
    pub row: RowRef,
}

impl StepDef for KatanaDeleteRow {
    const NAME: &'static str = "katana_delete_row";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "`order`, `line`",
        summary: "A user deletes an SO row in Katana. Its MO follows the same rules as for a \
                  Shopify deletion (a not-started MTO MO is deleted, a started one unlinked \
                  with a message), and an SO without rows is deleted. Katana refuses a \
                  packed or delivered row. The next Shopify change of that line brings it \
                  back as a new row.",
        example: "- katana_delete_row: { order: 1001, line: 12 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = format!("`{}`", Self::NAME);
        let m = cx.map(value, &what, &["order", "line"])?;
        cx.row(&m, &what).map(|row| Self { row })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("order", some(self.row.order)),
                ("line", some(self.row.line)),
            ],
        )
    }

    fn schema() -> Value {
        row_ref()
    }

    const WEIGHT: u32 = 2;

    fn generate(g: &mut Gen) -> Option<Self> {
        g.imported_row().map(|row| Self { row })
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for KatanaDeleteRow {
    fn subject(&self) -> Subject<'_> {
        Subject::SalesOrder(self.row.order)
    }

    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        at: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(TraceLine::effects(katana.user_delete_row(self.row, at)?))
    }
}
