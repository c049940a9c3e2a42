//! `keep_mo_quantity`: a user action in the MO detail view.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Katana, MoId};
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc, Subject};
use crate::explore::generator::Gen;
use crate::scenario::schema::{mo_id};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::Scalar;
use crate::scenario::convert::Cx;
use crate::scenario::tree::Node;

/// MO detail view: the action on the MO's open message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepMoQuantity(pub MoId);

impl StepDef for KeepMoQuantity {
    const NAME: &'static str = "keep_mo_quantity";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "an MO id",
        summary: "**Keep current MO quantity** in the MO detail view: the open `so_quantity_changed` message is resolved `kept`; the MO stays make-to-stock. An action that does not fit the open message is refused (`wrong_action`), as is one on an MO without an open message (`no_open_message`).",
        example: "- keep_mo_quantity: MO-1",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        cx.mo_value(value, Self::NAME).map(Self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Scalar(self.0.as_str()), f)
    }

    fn schema() -> Value {
        mo_id()
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        g.mo().map(Self)
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for KeepMoQuantity {
    fn subject(&self) -> Subject<'_> {
        Subject::Mo(&self.0)
    }

    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        at: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(TraceLine::effects(katana.keep_mo_quantity(&self.0, at)?))
    }
}
