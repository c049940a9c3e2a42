//! The runner: replays a scenario's steps on a simulated clock (rules.md §8) through
//! a [`Transport`], and builds its snapshot.
//!
//! Shopify-side steps go to the transport, which changes the Shopify world and lets
//! the sync react; Katana-side steps and checks act on Katana directly, the same
//! code for every transport, so two transports can only differ in how a Shopify
//! change travels. [`InProcess`] is the default transport: shopify-model's `Store`
//! → the order's REST JSON → katana-sync → katana-rules, by function calls.

use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use katana_rules::{Effect, Katana, KatanaError, MoStatus, NewMo, NewMoKind, RowRef};
use katana_sync::{Settings, ShopifyOrder, apply_plan, plan_for};
use shopify_model::{CancelReason, NewOrder, OrderId, RefundLineRequest, ShopifyError, Store};

use crate::expect::{Mismatch, check_expectation};
use crate::scenario::{Loc, MoKind, Scenario, SettingsPatch, Step};
use crate::snapshot::{Snapshot, TraceEntry};

/// The instant every scenario starts at unless it says otherwise (rules.md §8):
/// 2026-01-01T09:00:00Z.
pub const DEFAULT_START: Timestamp = Timestamp::constant(1_767_258_000, 0);

/// How far the simulated clock moves with each step (rules.md §8).
pub const STEP: SignedDuration = SignedDuration::from_mins(1);

/// Why a scenario failed: where, at which step, and what differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The scenario file.
    pub path: PathBuf,
    /// The step's number, 1-based; 0 for the set-up.
    pub step: usize,
    /// Where the step (or set-up entry) is written, when known.
    pub loc: Option<Loc>,
    /// The step as written, one line.
    pub step_text: String,
    /// What went wrong.
    pub reason: FailureReason,
}

/// What went wrong in a failed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The set-up could not be built (e.g. an MTO MO on a row that was not imported).
    Setup(String),
    /// A step was refused, and no `expect_error` asked for that.
    Refused(String),
    /// An `expect_error` step was not refused.
    NotRefused,
    /// An `expect_error` step was refused, but not with the expected text.
    WrongRefusal {
        /// Text the error had to contain.
        contains: String,
        /// The error.
        actual: String,
    },
    /// An `expect` did not hold.
    Expect(Vec<Mismatch>),
    /// The transport itself broke (e.g. a server did not start).
    Transport(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(loc) = self.loc {
            write!(f, ":{}:{}", loc.line, loc.column)?;
        }
        if self.step == 0 {
            write!(f, ": set-up failed: {}", self.step_text)?;
        } else {
            write!(f, ": step {} failed: {}", self.step, self.step_text)?;
        }
        match &self.reason {
            FailureReason::Setup(e) => write!(f, "\n  {e}"),
            FailureReason::Refused(e) => write!(f, "\n  refused: {e}"),
            FailureReason::NotRefused => {
                write!(f, "\n  expected the step to be refused, but it succeeded")
            }
            FailureReason::WrongRefusal { contains, actual } => write!(
                f,
                "\n  refused, but the error does not contain \"{contains}\"\n  error: {actual}"
            ),
            FailureReason::Expect(mismatches) => {
                for m in mismatches {
                    write!(f, "\n  {m}")?;
                }
                Ok(())
            }
            FailureReason::Transport(e) => write!(f, "\n  transport error: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

/// How a step went, from a transport's point of view.
#[derive(Debug)]
pub enum StepError {
    /// Refused by Shopify's or Katana's rules; nothing changed. The text says why.
    Refused(String),
    /// The transport broke; the scenario cannot go on.
    Transport(String),
}

/// How Shopify-side steps reach Katana. The runner owns the clock and the
/// Katana-side steps; a transport owns the Shopify world and the sync.
pub trait Transport {
    /// Creates the scenario's Shopify orders (as they were before the first step)
    /// and lets the sync import them, at `at`. Returns what the sync did.
    fn setup_orders(
        &mut self,
        orders: &[NewOrder],
        settings: Settings,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError>;

    /// Applies a Shopify-side step at `at` and waits until the sync has reacted to
    /// all of it. Returns what the sync did.
    fn shopify_step(&mut self, step: &Step, at: Timestamp) -> Result<Vec<Effect>, StepError>;

    /// Runs `f` on Katana and the integration settings (Katana-side steps, checks).
    fn with_katana(&mut self, f: &mut dyn FnMut(&mut Katana, &mut Settings));
}

/// The in-process transport: a shopify-model `Store`, and the sync called directly
/// with the order's REST JSON, read back through katana-sync's own types.
#[derive(Default)]
pub struct InProcess {
    shopify: Store,
    katana: Katana,
    settings: Settings,
}

/// A refusal in process: Shopify's own rule, or the JSON the sync reads.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("Shopify: {0}")]
    Shopify(#[from] ShopifyError),
    #[error("the sync could not read Shopify's order JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("Katana refused a planned change: {0}")]
    Katana(#[from] KatanaError),
}

impl From<Refusal> for StepError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Shopify(_) => StepError::Refused(r.to_string()),
            other => StepError::Transport(other.to_string()),
        }
    }
}

impl InProcess {
    /// A new, empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shopify as it is now.
    pub fn shopify(&self) -> &Store {
        &self.shopify
    }

    /// The sync's reaction to a Shopify change: on the order's creation the import
    /// decision, afterwards the changes (katana-sync's `plan_for`, as over HTTP).
    fn sync(
        &mut self,
        id: OrderId,
        created: bool,
        deleted: bool,
        at: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
        let order = if deleted {
            None
        } else {
            let json = self.shopify.order(id)?.to_rest_json();
            Some(ShopifyOrder::from_value(json)?)
        };
        let plan = plan_for(id, order.as_ref(), created, &self.katana, &self.settings);
        Ok(apply_plan(&mut self.katana, &plan, at)?)
    }
}

impl Transport for InProcess {
    fn setup_orders(
        &mut self,
        orders: &[NewOrder],
        settings: Settings,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError> {
        self.settings = settings;
        let mut sorted: Vec<&NewOrder> = orders.iter().collect();
        sorted.sort_by_key(|o| o.id);
        let mut effects = Vec::new();
        for order in sorted {
            self.shopify
                .create_order(order, at)
                .map_err(Refusal::from)?;
        }
        for id in self.shopify.orders().map(|o| o.id).collect::<Vec<_>>() {
            effects.extend(self.sync(id, true, false, at)?);
        }
        Ok(effects)
    }

    fn shopify_step(&mut self, step: &Step, at: Timestamp) -> Result<Vec<Effect>, StepError> {
        let before = step_order(step)
            .and_then(|id| self.shopify.order(id).ok())
            .map(|o| o.updated_at);
        let s = &mut self.shopify;
        let (id, created, deleted) = match step {
            Step::Edit {
                order,
                line,
                quantity,
            } => {
                s.set_quantity(*order, *line, *quantity, at)
                    .map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::AddLine {
                order,
                line,
                sku,
                quantity,
            } => {
                s.add_line(*order, Some(*line), sku, *quantity, at)
                    .map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::Refund { order, lines } => {
                let lines: Vec<_> = lines
                    .iter()
                    .map(|l| RefundLineRequest {
                        line: l.line,
                        quantity: l.quantity,
                        restock_type: l.restock,
                    })
                    .collect();
                s.refund(*order, &lines, None, at).map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::Cancel {
                order,
                reason,
                restock,
            } => {
                s.cancel(*order, reason.unwrap_or(CancelReason::Other), *restock, at)
                    .map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::Archive { order } => {
                s.close(*order, at).map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::Unarchive { order } => {
                s.open(*order, at).map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::Delete { order } => {
                s.delete(*order).map_err(Refusal::from)?;
                (*order, false, true)
            }
            Step::Fulfill {
                order,
                line,
                quantity,
            } => {
                s.fulfill(*order, *line, *quantity, at)
                    .map_err(Refusal::from)?;
                (*order, false, false)
            }
            Step::CreateOrder(new) => {
                s.create_order(new, at).map_err(Refusal::from)?;
                (new.id, true, false)
            }
            other => {
                return Err(StepError::Transport(format!(
                    "`{}` is not a Shopify step",
                    other.name()
                )));
            }
        };
        // Shopify sends webhooks only for a change: archiving an archived order, or
        // opening an open one, tells the sync nothing.
        let after = self.shopify.order(id).ok().map(|o| o.updated_at);
        if !created && !deleted && before == after {
            return Ok(Vec::new());
        }
        Ok(self.sync(id, created, deleted, at)?)
    }

    fn with_katana(&mut self, f: &mut dyn FnMut(&mut Katana, &mut Settings)) {
        f(&mut self.katana, &mut self.settings);
    }
}

/// The order a Shopify step is about.
pub fn step_order(step: &Step) -> Option<OrderId> {
    match step {
        Step::Edit { order, .. }
        | Step::AddLine { order, .. }
        | Step::Refund { order, .. }
        | Step::Cancel { order, .. }
        | Step::Archive { order }
        | Step::Unarchive { order }
        | Step::Delete { order }
        | Step::Fulfill { order, .. } => Some(*order),
        Step::CreateOrder(new) => Some(new.id),
        _ => None,
    }
}

/// True for the steps a merchant does in Shopify.
pub fn is_shopify_step(step: &Step) -> bool {
    matches!(
        step,
        Step::Edit { .. }
            | Step::AddLine { .. }
            | Step::Refund { .. }
            | Step::Cancel { .. }
            | Step::Archive { .. }
            | Step::Unarchive { .. }
            | Step::Delete { .. }
            | Step::Fulfill { .. }
            | Step::CreateOrder(_)
    )
}

/// Why a step did not pass.
enum Outcome {
    Refused(String),
    NotRefused,
    WrongRefusal { contains: String, actual: String },
    Expect(Vec<Mismatch>),
    Transport(String),
}

impl From<StepError> for Outcome {
    fn from(e: StepError) -> Self {
        match e {
            StepError::Refused(t) => Outcome::Refused(t),
            StepError::Transport(t) => Outcome::Transport(t),
        }
    }
}

fn lines(effects: &[Effect]) -> Vec<String> {
    effects.iter().map(ToString::to_string).collect()
}

fn patch_settings(settings: &mut Settings, patch: &SettingsPatch) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = patch.sync_order_changes {
        out.push(format!(
            "setting sync_order_changes: {} → {v}",
            settings.sync_order_changes
        ));
        settings.sync_order_changes = v;
    }
    if let Some(v) = patch.import_payment_pending {
        out.push(format!(
            "setting import_payment_pending: {} → {v}",
            settings.import_payment_pending
        ));
        settings.import_payment_pending = v;
    }
    out
}

/// A Katana-side step or a check, on Katana directly (the same for every transport).
fn katana_step(
    katana: &mut Katana,
    settings: &mut Settings,
    step: &Step,
    at: Timestamp,
) -> Result<Vec<String>, Outcome> {
    let katana_result = |r: Result<Vec<Effect>, KatanaError>| {
        r.map(|fx| lines(&fx))
            .map_err(|e| Outcome::Refused(format!("Katana: {e}")))
    };
    match step {
        Step::SetStatus { mo, status } => katana_result(katana.set_status(mo, *status)),
        Step::MakeToOrder {
            mo,
            order,
            line,
            status,
        } => katana_result(katana.create_mo(&NewMo {
            id: mo.clone(),
            kind: NewMoKind::MakeToOrder(RowRef {
                order: *order,
                line: *line,
            }),
            status: status.unwrap_or(MoStatus::NotStarted),
        })),
        Step::SetDelivery {
            order,
            line,
            delivery,
        } => katana_result(katana.set_delivery(
            RowRef {
                order: *order,
                line: *line,
            },
            *delivery,
        )),
        Step::UpdateMoQuantity(mo) => katana_result(katana.update_mo_quantity(mo, at)),
        Step::KeepMoQuantity(mo) => katana_result(katana.keep_mo_quantity(mo, at)),
        Step::Dismiss(mo) => katana_result(katana.dismiss(mo, at)),
        Step::Settings(patch) => Ok(patch_settings(settings, patch)),
        Step::Expect(expectation) => {
            let mismatches = check_expectation(katana, expectation);
            if mismatches.is_empty() {
                Ok(vec!["all checks hold".to_string()])
            } else {
                Err(Outcome::Expect(mismatches))
            }
        }
        other => Err(Outcome::Transport(format!(
            "`{}` is not a Katana step",
            other.name()
        ))),
    }
}

/// Why a Shopify step changed nothing in Katana.
fn no_change_reason(katana: &Katana, order: OrderId) -> String {
    match katana.sales_order(order) {
        Some(so) => format!(
            "no change: SO {} already matches the Shopify order",
            so.number
        ),
        None if katana.was_imported(order) => format!(
            "no change: the SO of Shopify order {order} was deleted, and an order is never imported again"
        ),
        None => format!("no change: Shopify order {order} was never imported"),
    }
}

/// Runs one step through the transport (Shopify steps) or on Katana (the rest).
fn run_step(
    transport: &mut dyn Transport,
    step: &Step,
    at: Timestamp,
) -> Result<Vec<String>, Outcome> {
    if is_shopify_step(step) {
        let effects = lines(&transport.shopify_step(step, at)?);
        if !effects.is_empty() {
            return Ok(effects);
        }
        // Nothing changed in Katana: say why, from Katana's state, the same for
        // every transport.
        let order = step_order(step).unwrap_or_default();
        let mut why = String::new();
        transport.with_katana(&mut |katana, _| why = no_change_reason(katana, order));
        return Ok(vec![why]);
    }
    if let Step::ExpectError {
        step: inner,
        contains,
    } = step
    {
        return match run_step(transport, inner, at) {
            Ok(_) => Err(Outcome::NotRefused),
            Err(Outcome::Refused(actual)) => match contains {
                // Case-insensitive: the same refusal reads "Not Found" over HTTP.
                Some(text) if !actual.to_lowercase().contains(&text.to_lowercase()) => {
                    Err(Outcome::WrongRefusal {
                        contains: text.clone(),
                        actual,
                    })
                }
                // Shopify's words differ by transport (REST, GraphQL, in process),
                // so for a Shopify step the snapshot records what the scenario
                // checked; Katana's refusals are the same everywhere and shown whole.
                Some(text) if is_shopify_step(inner) => Ok(vec![format!(
                    "refused by Shopify as expected: the error contains \"{text}\""
                )]),
                None if is_shopify_step(inner) => {
                    Ok(vec!["refused by Shopify as expected".to_string()])
                }
                _ => Ok(vec![format!("refused as expected: {actual}")]),
            },
            Err(other) => Err(other),
        };
    }
    let mut result = None;
    transport.with_katana(&mut |katana, settings| {
        result = Some(katana_step(katana, settings, step, at))
    });
    result.unwrap_or_else(|| {
        Err(Outcome::Transport(
            "the transport did not run the step".into(),
        ))
    })
}

/// Runs a scenario in process and returns its snapshot, or the first failing step.
pub fn run(scenario: &Scenario) -> Result<Snapshot, Box<Failure>> {
    run_with(scenario, &mut InProcess::new())
}

/// Runs a scenario through a transport and returns its snapshot, or the first
/// failing step.
pub fn run_with(
    scenario: &Scenario,
    transport: &mut dyn Transport,
) -> Result<Snapshot, Box<Failure>> {
    let start = scenario.start.unwrap_or(DEFAULT_START);
    let setup_lines = setup(scenario, transport, start)?;
    let mut trace = vec![TraceEntry {
        step: 0,
        at: start,
        does: "set-up".to_string(),
        effects: setup_lines,
    }];
    let mut at = start;
    for (i, entry) in scenario.steps.iter().enumerate() {
        at = at.checked_add(STEP).unwrap_or(at);
        let number = i + 1;
        let fail = |reason| {
            Box::new(Failure {
                path: scenario.path.clone(),
                step: number,
                loc: Some(entry.loc),
                step_text: entry.step.to_string(),
                reason,
            })
        };
        match run_step(transport, &entry.step, at) {
            Ok(effects) => trace.push(TraceEntry {
                step: number,
                at,
                does: entry.step.to_string(),
                effects,
            }),
            Err(Outcome::Refused(e)) => return Err(fail(FailureReason::Refused(e))),
            Err(Outcome::NotRefused) => return Err(fail(FailureReason::NotRefused)),
            Err(Outcome::WrongRefusal { contains, actual }) => {
                return Err(fail(FailureReason::WrongRefusal { contains, actual }));
            }
            Err(Outcome::Expect(m)) => return Err(fail(FailureReason::Expect(m))),
            Err(Outcome::Transport(e)) => return Err(fail(FailureReason::Transport(e))),
        }
    }
    let mut snapshot = None;
    transport.with_katana(&mut |katana, _| {
        snapshot = Some(Snapshot::of(scenario, katana, trace.clone()))
    });
    snapshot.ok_or_else(|| {
        Box::new(Failure {
            path: scenario.path.clone(),
            step: scenario.steps.len(),
            loc: None,
            step_text: "snapshot".into(),
            reason: FailureReason::Transport("the transport did not give Katana back".into()),
        })
    })
}

/// Builds a scenario's set-up: Shopify orders and their import, then delivery
/// statuses and MOs. Returns the trace lines of the set-up.
fn setup(
    scenario: &Scenario,
    transport: &mut dyn Transport,
    at: Timestamp,
) -> Result<Vec<String>, Box<Failure>> {
    let mut settings = Settings::default();
    if let Some(v) = scenario.settings.sync_order_changes {
        settings.sync_order_changes = v;
    }
    if let Some(v) = scenario.settings.import_payment_pending {
        settings.import_payment_pending = v;
    }
    let fail = |loc: Option<Loc>, what: String, e: String| {
        Box::new(Failure {
            path: scenario.path.clone(),
            step: 0,
            loc,
            step_text: what,
            reason: FailureReason::Setup(e),
        })
    };
    let mut out = match transport.setup_orders(&scenario.orders, settings, at) {
        Ok(effects) => lines(&effects),
        Err(StepError::Refused(e)) => {
            return Err(fail(
                None,
                "shopify.orders".into(),
                format!("Shopify refused them: {e}"),
            ));
        }
        Err(StepError::Transport(e)) => return Err(fail(None, "shopify.orders".into(), e)),
    };
    let mut error = None;
    transport.with_katana(&mut |katana, _| {
        for d in &scenario.deliveries {
            match katana.set_delivery(
                RowRef {
                    order: d.order,
                    line: d.line,
                },
                d.delivery,
            ) {
                Ok(fx) => out.extend(lines(&fx)),
                Err(e) => {
                    let what = format!(
                        "katana.sales_orders: order {} line {} {}",
                        d.order, d.line, d.delivery
                    );
                    error = Some(fail(Some(d.loc), what, e.to_string()));
                    return;
                }
            }
        }
        for mo in &scenario.mos {
            let kind = match &mo.kind {
                MoKind::MakeToOrder(row) => NewMoKind::MakeToOrder(*row),
                MoKind::MakeToStock { sku, quantity } => NewMoKind::MakeToStock {
                    sku: sku.clone(),
                    quantity: *quantity,
                },
            };
            match katana.create_mo(&NewMo {
                id: mo.id.clone(),
                kind,
                status: mo.status,
            }) {
                Ok(fx) => out.extend(lines(&fx)),
                Err(e) => {
                    error = Some(fail(
                        Some(mo.loc),
                        format!("katana.manufacturing_orders: {}", mo.id),
                        e.to_string(),
                    ));
                    return;
                }
            }
        }
    });
    match error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
