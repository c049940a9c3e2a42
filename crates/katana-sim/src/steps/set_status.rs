//! `set_status`: a user moves an MO through production in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Katana, MoId, MoStatus};
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc, Subject};
use crate::explore::generator::Gen;
use crate::scenario::schema::{mo_id, object, status};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::convert::{Cx, statuses};
use crate::scenario::tree::Node;
use crate::scenario::{Scalar, flow_map, some};

/// Katana: change an MO's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetStatus {
    /// The MO.
    pub mo: MoId,
    /// The new status.
    pub status: MoStatus,
}

impl StepDef for SetStatus {
    const NAME: &'static str = "set_status";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "`mo`, `status` (`not_started`, `blocked`, `in_progress`, \
                 `partially_complete`, `done`)",
        summary: "A user changes an MO's status in Katana.",
        example: "- set_status: { mo: MO-1, status: in_progress }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`set_status`";
        let m = cx.map(value, what, &["mo", "status"])?;
        let mo = cx.mo_ref(&m, what);
        let status = cx
            .req(&m, "status", what)
            .and_then(|n| cx.choice(n, "status", &statuses()));
        Some(Self {
            mo: mo?,
            status: status?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("mo", some(Scalar(self.mo.as_str()))),
                ("status", some(self.status)),
            ],
        )
    }

    fn schema() -> Value {
        object(&[("mo", mo_id()), ("status", status())], &["mo", "status"])
    }

    const WEIGHT: u32 = 5;

    fn generate(g: &mut Gen) -> Option<Self> {
        let mo = g.mo()?;
        let status = g.status();
        Some(Self { mo, status })
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for SetStatus {
    fn subject(&self) -> Subject<'_> {
        Subject::Mo(&self.mo)
    }

    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        _: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(TraceLine::effects(katana.set_status(&self.mo, self.status)?))
    }
}
