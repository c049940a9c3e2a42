//! `settings`: the integration's settings change in Katana.

use std::fmt;

use jiff::Timestamp;
use katana_rules::Katana;
use katana_sync::Settings;

use serde_json::Value;

use super::{Action, KatanaStep, Side, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{settings_patch};
use crate::refusal::Refusal;
use crate::runner::TraceLine;
use crate::scenario::SettingsPatch;
use crate::scenario::convert::{Cx, SETTINGS_KEYS};
use crate::scenario::flow_map;
use crate::scenario::tree::Node;

/// Change integration settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsStep(pub SettingsPatch);

impl StepDef for SettingsStep {
    const NAME: &'static str = "settings";
    const DOC: StepDoc = StepDoc {
        side: Side::Katana,
        fields: "any of `sync_order_changes`, `import_payment_pending` (booleans)",
        summary: "The Shopify integration's settings change. While `sync_order_changes` is \
                  off, SOs are left as they are; the next Shopify change after it is on \
                  again brings the whole difference.",
        example: "- settings: { sync_order_changes: false }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let patch = cx.settings(value, "`settings`")?;
        if patch.is_empty() {
            cx.err(
                value.loc,
                "this `settings` step changes nothing",
                Some(format!(
                    "name at least one of: {}",
                    SETTINGS_KEYS.join(", ")
                )),
            );
            return None;
        }
        Some(Self(patch))
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                (
                    "sync_order_changes",
                    self.0.sync_order_changes.map(|b| b.to_string()),
                ),
                (
                    "import_payment_pending",
                    self.0.import_payment_pending.map(|b| b.to_string()),
                ),
            ],
        )
    }

    fn schema() -> Value {
        settings_patch()
    }

    const WEIGHT: u32 = 2;

    fn generate(g: &mut Gen) -> Option<Self> {
        let patch = if g.chance(80) {
            SettingsPatch {
                sync_order_changes: Some(g.chance(50)),
                import_payment_pending: None,
            }
        } else {
            SettingsPatch {
                sync_order_changes: None,
                import_payment_pending: Some(g.chance(50)),
            }
        };
        Some(Self(patch))
    }

    fn action(&self) -> Action<'_> {
        Action::Katana(self)
    }
}

impl KatanaStep for SettingsStep {
    fn run(
        &self,
        _: &mut Katana,
        settings: &mut Settings,
        _: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal> {
        Ok(self
            .0
            .apply(settings)
            .into_iter()
            .map(TraceLine::Setting)
            .collect())
    }
}
