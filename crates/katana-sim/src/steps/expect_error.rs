//! `expect_error`: a step that must be refused, optionally with a given kind of
//! refusal and words in its message.

use std::fmt;

use serde_json::Value;

use super::{Action, Side, Step, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{object, one_of, step, text};
use crate::refusal::{Refusal, kind_names};
use crate::scenario::convert::{Cx, suggestion};
use crate::scenario::tree::Node;
use crate::scenario::{Scalar, flow_map, some};

/// Check that a step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectError {
    /// The step that must be refused.
    pub step: Box<Step>,
    /// The refusal's kind, if given (e.g. `no_open_message`).
    pub kind: Option<String>,
    /// Text the canonical message must contain (case-insensitive), if given.
    pub contains: Option<String>,
}

impl ExpectError {
    /// Whether `refusal` is the one expected.
    pub fn matches(&self, refusal: &Refusal) -> bool {
        let kind_ok = self.kind.as_deref().is_none_or(|k| k == refusal.kind());
        let text_ok = self.contains.as_deref().is_none_or(|text| {
            refusal
                .message()
                .to_lowercase()
                .contains(&text.to_lowercase())
        });
        kind_ok && text_ok
    }
}

impl StepDef for ExpectError {
    const NAME: &'static str = "expect_error";
    const DOC: StepDoc = StepDoc {
        side: Side::Check,
        fields: "`step:` a Shopify or Katana step (as above) that must be refused; optional \
                 `kind:` (the refusal's stable name, listed in docs/refusals.md); optional \
                 `contains:` text the refusal's message must contain (case-insensitive)",
        summary: "The step must be refused, and nothing changes. Refusals have one kind and \
                  one message whichever transport the step travelled, so the check holds on \
                  both. The step inside is not checked for references (a refusal may be the \
                  point) and creates no ids.",
        example: "- expect_error: { step: { dismiss: MO-1 }, kind: no_open_message }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let what = "`expect_error`";
        let m = cx.map(value, what, &["step", "kind", "contains"])?;
        let inner = cx.req(&m, "step", what);
        let kind = match m.get("kind") {
            Some(n) => {
                let names = kind_names();
                cx.string(n, "kind").and_then(|k| {
                    if names.contains(&k.as_str()) {
                        Some(Some(k))
                    } else {
                        let hint = Some(suggestion(&k, &names, "kinds"));
                        cx.err(n.loc, format!("unknown refusal kind `{k}`"), hint);
                        None
                    }
                })
            }
            None => Some(None),
        };
        let contains = match m.get("contains") {
            Some(n) => cx.string(n, "contains").map(Some),
            None => Some(None),
        };
        let inner = inner.and_then(|n| {
            let step = cx.without_references(|cx| cx.step(n));
            match step? {
                step @ (Step::Expect(_) | Step::ExpectError(_) | Step::Settings(_)) => {
                    let name = step.name();
                    cx.err(
                        n.loc,
                        format!("`expect_error` needs an action that can be refused, not `{name}`"),
                        Some(
                            "wrap a Shopify or Katana action, e.g. `step: { dismiss: MO-1 }`"
                                .into(),
                        ),
                    );
                    None
                }
                other => Some(other),
            }
        });
        Some(Self {
            step: Box::new(inner?),
            kind: kind?,
            contains: contains?,
        })
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("step", some(format!("{{ {} }}", self.step))),
                ("kind", self.kind.clone()),
                (
                    "contains",
                    self.contains.as_deref().map(|c| Scalar(c).to_string()),
                ),
            ],
        )
    }

    fn schema() -> Value {
        object(
            &[
                ("step", step()),
                ("kind", one_of(&kind_names())),
                ("contains", text()),
            ],
            &["step"],
        )
    }

    const WEIGHT: u32 = 0;

    fn generate(_g: &mut Gen) -> Option<Self> {
        None
    }

    fn action(&self) -> Action<'_> {
        Action::ExpectError(self)
    }
}
