//! `make_to_order`: a user creates a make-to-order MO for an SO row in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Katana, MoId, MoStatus, NewMo, NewMoKind, RowRef};
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc, Subject};
use crate::explore::generator::Gen;
use crate::scenario::schema::{id, mo_id, object, status};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::convert::{Cx, statuses};
use crate::scenario::tree::Node;
use crate::scenario::{Scalar, flow_map, some};

/// Katana: create a new MTO MO for a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakeToOrder {
    /// The new MO's id.
    pub mo: MoId,
    /// The row (Shopify order and line item ids).
    pub row: RowRef,
    /// The new MO's status, if given (default `not_started`).
    pub status: Option<MoStatus>,
}

impl StepDef for MakeToOrder {
    const NAME: &'static str = "make_to_order";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "`mo` (a new MO id), `order`, `line`, optional `status` (default `not_started`)",
        summary: "A user creates a make-to-order MO for an SO row; it takes the row's SKU \
                  and quantity. Katana refuses a row that already has its MO.",
        example: "- make_to_order: { mo: MO-2, order: 1001, line: 13 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`make_to_order`";
        let m = cx.map(value, what, &["mo", "order", "line", "status"])?;
        let mo = cx
            .req(&m, "mo", what)
            .and_then(|n| cx.mo_id(n, "mo").map(|id| (id, n.loc)));
        if let Some((id, loc)) = &mo {
            cx.add_mo(id, *loc);
        }
        let row = cx.row(&m, what);
        let status = match m.get("status") {
            Some(n) => cx.choice(n, "status", &statuses()).map(Some),
            None => Some(None),
        };
        // Whether the row still has an MO by then depends on the steps before (an
        // unlink frees it): Katana decides when the step runs (`row_has_mo`).
        Some(Self {
            mo: mo?.0,
            row: row?,
            status: status?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("mo", some(Scalar(self.mo.as_str()))),
                ("order", some(self.row.order)),
                ("line", some(self.row.line)),
                ("status", self.status.map(|s| s.to_string())),
            ],
        )
    }

    fn schema() -> Value {
        object(&[("mo", mo_id()), ("order", id()), ("line", id()), ("status", status())], &["mo", "order", "line"])
    }

    const WEIGHT: u32 = 4;

    fn generate(g: &mut Gen) -> Option<Self> {
        let row = g.imported_row()?;
        let mo = g.new_mo_id();
        g.mos.push(mo.clone());
        let status = if g.chance(50) { Some(g.status()) } else { None };
        Some(Self { mo, row, status })
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for MakeToOrder {
    fn subject(&self) -> Subject<'_> {
        Subject::Mo(&self.mo)
    }

    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        _: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        let new = NewMo {
            id: self.mo.clone(),
            kind: NewMoKind::MakeToOrder(self.row),
            status: self.status.unwrap_or(MoStatus::NotStarted),
        };
        Ok(TraceLine::effects(katana.create_mo(&new)?))
    }
}
