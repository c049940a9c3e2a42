//! `katana_delete_so`: a user deletes a sales order in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::Katana;
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc, Subject};
use crate::explore::generator::Gen;
use crate::scenario::schema::{order_ref};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::convert::Cx;
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Katana: a user deletes the SO of a Shopify order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KatanaDeleteSo {
    /// The Shopify order id of the SO.
    pub order: u64,
}

impl StepDef for KatanaDeleteSo {
    const NAME: &'static str = "katana_delete_so";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "`order` (the SO of that Shopify order)",
        summary: "A user deletes a sales order in Katana. The MO of each row follows the \
                  rules of an SO deletion (a not-started MTO MO is deleted, a started one \
                  unlinked with a message). The order is never imported again, whatever \
                  later happens to it in Shopify. Katana refuses while a row is packed or \
                  delivered.",
        example: "- katana_delete_so: { order: 1001 }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        cx.order_only(value, Self::NAME).map(|order| Self { order })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(f, &[("order", some(self.order))])
    }

    fn schema() -> Value {
        order_ref()
    }

    const WEIGHT: u32 = 3;

    fn generate(g: &mut Gen) -> Option<Self> {
        g.order().map(|order| Self { order })
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for KatanaDeleteSo {
    fn subject(&self) -> Subject<'_> {
        Subject::SalesOrder(self.order)
    }

    fn run(
        &self,
        katana: &mut Katana,
        _: &mut Settings,
        at: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(TraceLine::effects(katana.user_delete_so(self.order, at)?))
    }
}
