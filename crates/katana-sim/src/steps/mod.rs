//! The steps of a scenario, one file each.
//!
//! A step's file holds everything about it: its keys and how they are parsed and
//! checked (with `path:line:column` diagnostics), how it reads back in a trace
//! ([`StepDef::write`]), how it runs in process and over HTTP (or on Katana), and
//! its documentation with an example. The [`steps!`] list at the bottom of this
//! file is the only place that enumerates them: it makes the [`Step`] enum, the
//! names that `check` accepts and suggests, the dispatch, and the step reference
//! (`katana-sim steps`, `docs/steps.md`).
//!
//! Adding a step: write `steps/<name>.rs` with a type that implements [`StepDef`]
//! (and [`ShopifyStep`] or [`KatanaStep`]), then add one line to the list.

use std::fmt;

use jiff::Timestamp;
use katana_rules::{Katana, MoId};
use katana_sync::Settings;
use shopify_model::{OrderId, ShopifyError, Store};

use crate::explore::generator::Gen;
use crate::http::Http;
use crate::refusal::Refusal;
use crate::runner::{StepError, TraceLine};
use crate::scenario::convert::{Cx, Units};
use crate::scenario::tree::Node;
use crate::scenario::{flow_map, some};

/// Which world a step acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// What a merchant does in Shopify admin (or a customer's checkout).
    Shopify,
    /// What a user does in Katana.
    Katana,
    /// A check of the state; changes nothing.
    Check,
}

impl Side {
    /// The heading of this side in the step reference.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Shopify => "Shopify side (what a merchant does in Shopify)",
            Self::Katana => "Katana side (what a user does in Katana)",
            Self::Check => "Checks",
        }
    }
}

/// A step's entry in the step reference.
#[derive(Debug, Clone, Copy)]
pub struct StepDoc {
    /// Which world it acts on.
    pub side: Side,
    /// Its fields, e.g. "`order`, `line`, `quantity` (0 removes the line)".
    pub fields: &'static str,
    /// What it does, in a sentence or two.
    pub summary: &'static str,
    /// A list item as a scenario writes it (checked to parse by a test).
    pub example: &'static str,
}

/// What a Shopify step does to its order, which tells the sync what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// The order is new: the sync decides whether to import it.
    Created,
    /// The order changed (or nothing changed): the sync brings the difference.
    Changed,
    /// The order is gone from Shopify.
    Deleted,
}

/// A step a merchant does in Shopify: it runs on shopify-model's store in process,
/// or through the mock Shopify server's APIs over HTTP, and the sync reacts.
pub trait ShopifyStep {
    /// The order it acts on.
    fn order(&self) -> OrderId;
    /// What it does to the order's existence.
    fn event(&self) -> OrderEvent {
        OrderEvent::Changed
    }
    /// In process: the change on Shopify's store, or Shopify's refusal.
    fn in_process(&self, store: &mut Store, at: Timestamp) -> Result<(), ShopifyError>;
    /// Over HTTP: the change as a merchant's admin sends it to the mock server.
    fn over_http(&self, http: &Http) -> Result<(), StepError>;
}

/// What a Katana step acts on, for the invariants: an action on one MO may change
/// that MO, a user's change of an SO may leave its rows different from Shopify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// One MO.
    Mo(&'a MoId),
    /// The SO of a Shopify order, changed by a user.
    SalesOrder(OrderId),
    /// Neither (settings, deliveries).
    Other,
}

/// A step a user does in Katana: the same code for every transport.
pub trait KatanaStep {
    /// What it acts on (see [`Subject`]).
    fn subject(&self) -> Subject<'_> {
        Subject::Other
    }

    /// Runs on Katana and the integration settings at `at`; what it did, or the refusal.
    fn run(
        &self,
        katana: &mut Katana,
        settings: &mut Settings,
        at: Timestamp,
    ) -> Result<Vec<TraceLine>, Refusal>;
}

/// How the runner runs a step.
pub enum Action<'a> {
    /// Through the transport, then the sync.
    Shopify(&'a dyn ShopifyStep),
    /// On Katana directly.
    Katana(&'a dyn KatanaStep),
    /// An `expect`: compared with Katana's state.
    Expect(&'a expect::Expect),
    /// An `expect_error`: its step must be refused.
    ExpectError(&'a expect_error::ExpectError),
}

/// What every step type provides; one implementation per file.
pub(crate) trait StepDef: Sized {
    /// Its key in a scenario file, e.g. `edit`.
    const NAME: &'static str;
    /// Its entry in the step reference.
    const DOC: StepDoc;
    /// Reads the step's value (the part after `name:`), reporting every problem to `cx`.
    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self>;
    /// The JSON Schema of the step's value (for `docs/scenario.schema.json`).
    fn schema() -> serde_json::Value;
    /// Writes the step's value back as flow YAML, e.g. `{ order: 1001, line: 11, quantity: 3 }`.
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// How the runner runs it.
    fn action(&self) -> Action<'_>;
    /// How often `explore` picks it, relative to the other steps (0: never; a
    /// check, or a step `explore` makes itself).
    const WEIGHT: u32;
    /// A step of this kind for the world `g` pictures, aimed at interesting
    /// values; `None` when the world has nothing for it.
    fn generate(g: &mut Gen) -> Option<Self>;
}

/// Reads `{ order, line, quantity }`, the fields of a step about units of one line
/// (`edit`, `fulfill`): the line must exist, the quantity be within `units`.
pub(crate) fn parse_line_units(
    cx: &mut Cx<'_>,
    value: &Node,
    name: &str,
    units: Units,
) -> Option<(u64, u64, u32)> {
    let what = format!("`{name}`");
    let m = cx.map(value, &what, &["order", "line", "quantity"])?;
    let row = cx.row(&m, &what);
    let quantity = cx
        .req(&m, "quantity", &what)
        .and_then(|n| cx.units(n, "quantity", units));
    let row = row?;
    Some((row.order, row.line, quantity?))
}

/// Writes `{ order, line, quantity }` back.
pub(crate) fn write_line_units(
    f: &mut fmt::Formatter<'_>,
    order: u64,
    line: u64,
    quantity: u32,
) -> fmt::Result {
    flow_map(
        f,
        &[
            ("order", some(order)),
            ("line", some(line)),
            ("quantity", some(quantity)),
        ],
    )
}

/// One entry of the list of steps: what the parser, `check` and the docs need.
pub struct StepInfo {
    /// Its key in a scenario file.
    pub name: &'static str,
    /// Its entry in the step reference.
    pub doc: StepDoc,
    /// Parses its value into a [`Step`].
    pub(crate) parse: fn(&mut Cx<'_>, &Node) -> Option<Step>,
    /// The JSON Schema of its value.
    pub schema: fn() -> serde_json::Value,
    /// How often `explore` picks it.
    pub weight: u32,
    /// Makes one for `explore`.
    pub(crate) generate: fn(&mut Gen) -> Option<Step>,
}

/// The names of every step, in the list's order (for hints).
pub fn step_names() -> Vec<&'static str> {
    STEPS.iter().map(|s| s.name).collect()
}

/// The step reference in Markdown, generated from the list of steps (`docs/steps.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Steps\n\n\
         <!-- Generated by `katana-sim docs steps` from crates/katana-sim/src/steps/; \
         a test fails when this file is not current. -->\n\n\
         Each step is a map with one key, the step's name. Step *n* runs at the \
         scenario's start plus *n* minutes. `katana-sim explore` draws each step \
         kind as often as its weight (`--weights` changes them).\n",
    );
    for side in [Side::Shopify, Side::Katana, Side::Check] {
        out.push_str(&format!("\n## {}\n", side.heading()));
        for s in STEPS.iter().filter(|s| s.doc.side == side) {
            let drawn = if s.weight == 0 {
                "not drawn by `explore`".to_string()
            } else {
                format!("weight in `explore`: {}", s.weight)
            };
            out.push_str(&format!(
                "\n### `{}`\n\n{}\n\nFields: {}\n\n{drawn}\n\n```yaml\n{}\n```\n",
                s.name,
                s.doc.summary,
                s.doc.fields,
                s.doc.example.trim_end()
            ));
        }
    }
    out
}

/// The list of steps: each line names a variant of [`Step`] and the file (module)
/// and type that define it. The only place that enumerates the steps.
macro_rules! steps {
    ($($variant:ident => $module:ident :: $ty:ident,)*) => {
        $(pub mod $module;)*

        /// One step of a scenario: a Shopify action, a Katana action or a check.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Step {
            $(
                #[doc = concat!("`", stringify!($module), "` (see [`", stringify!($module), "::", stringify!($ty), "`]).")]
                $variant($module::$ty),
            )*
        }

        impl Step {
            /// The step's key in a scenario file, e.g. `edit`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => <$module::$ty as StepDef>::NAME,)*
                }
            }

            /// How the runner runs it.
            pub fn action(&self) -> Action<'_> {
                match self {
                    $(Self::$variant(s) => s.action(),)*
                }
            }

            fn write_value(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Self::$variant(s) => s.write(f),)*
                }
            }
        }

        $(
            impl From<$module::$ty> for Step {
                fn from(s: $module::$ty) -> Self {
                    Self::$variant(s)
                }
            }
        )*

        /// Every step, in the order of the step reference.
        pub static STEPS: &[StepInfo] = &[
            $(StepInfo {
                name: <$module::$ty as StepDef>::NAME,
                doc: <$module::$ty as StepDef>::DOC,
                parse: |cx, node| <$module::$ty as StepDef>::parse(cx, node).map(Step::$variant),
                schema: <$module::$ty as StepDef>::schema,
                weight: <$module::$ty as StepDef>::WEIGHT,
                generate: |g| <$module::$ty as StepDef>::generate(g).map(Step::$variant),
            },)*
        ];
    };
}

impl fmt::Display for Step {
    /// One line of flow YAML, e.g. `edit: { order: 1001, line: 11, quantity: 3 }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name())?;
        self.write_value(f)
    }
}

steps! {
    Edit => edit::Edit,
    AddLine => add_line::AddLine,
    Refund => refund::Refund,
    Cancel => cancel::Cancel,
    Archive => archive::Archive,
    Unarchive => unarchive::Unarchive,
    Delete => delete::Delete,
    Fulfill => fulfill::Fulfill,
    CreateOrder => create_order::CreateOrder,
    Pay => pay::Pay,
    SetStatus => set_status::SetStatus,
    MakeToOrder => make_to_order::MakeToOrder,
    SetDelivery => set_delivery::SetDelivery,
    UpdateMoQuantity => update_mo_quantity::UpdateMoQuantity,
    KeepMoQuantity => keep_mo_quantity::KeepMoQuantity,
    Dismiss => dismiss::Dismiss,
    Settings => settings::SettingsStep,
    KatanaEditRow => katana_edit_row::KatanaEditRow,
    KatanaDeleteRow => katana_delete_row::KatanaDeleteRow,
    KatanaDeleteSo => katana_delete_so::KatanaDeleteSo,
    Expect => expect::Expect,
    ExpectError => expect_error::ExpectError,
}
