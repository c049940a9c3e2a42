//! The in-process runner: each step goes Shopify world (shopify-model) → order JSON
//! → katana-sync → katana-rules, on the simulated clock of rules.md §8.

use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use katana_rules::{Effect, Katana, KatanaError, NewMo, NewMoKind, RowRef};
use katana_sync::{Settings, ShopifyOrder, apply_plan, plan_for};
use shopify_model::{CancelReason, OrderId, RefundLineRequest, ShopifyError, Store};

use crate::expect::{Mismatch, check_expectation};
use crate::scenario::{Loc, MoKind, Scenario, SettingsPatch, Step};
use crate::snapshot::{Snapshot, TraceEntry};

/// The instant every scenario starts at unless it says otherwise (rules.md §8).
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
            FailureReason::WrongRefusal { contains, actual } => {
                write!(
                    f,
                    "\n  refused, but the error does not contain \"{contains}\"\n  error: {actual}"
                )
            }
            FailureReason::Expect(mismatches) => {
                for m in mismatches {
                    write!(f, "\n  {m}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Failure {}

/// A refusal: Shopify's own rule, or Katana's.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("Shopify: {0}")]
    Shopify(#[from] ShopifyError),
    #[error("Katana: {0}")]
    Katana(#[from] KatanaError),
    #[error("the sync could not read Shopify's order JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// What a Shopify step did to an order, for the sync to act on.
enum Touched {
    Created(OrderId),
    Changed(OrderId),
    Deleted(OrderId),
}

/// The Shopify store, Katana and the integration settings of one running scenario.
pub struct World {
    shopify: Store,
    katana: Katana,
    settings: Settings,
}

impl World {
    /// Katana as it is now.
    pub fn katana(&self) -> &Katana {
        &self.katana
    }

    /// Shopify as it is now.
    pub fn shopify(&self) -> &Store {
        &self.shopify
    }

    /// The integration settings now.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    fn patch_settings(&mut self, patch: &SettingsPatch) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(v) = patch.sync_order_changes {
            out.push(format!(
                "setting sync_order_changes: {} → {v}",
                self.settings.sync_order_changes
            ));
            self.settings.sync_order_changes = v;
        }
        if let Some(v) = patch.import_payment_pending {
            out.push(format!(
                "setting import_payment_pending: {} → {v}",
                self.settings.import_payment_pending
            ));
            self.settings.import_payment_pending = v;
        }
        out
    }

    /// The order as Shopify's REST API shows it, read back through the sync's own types.
    fn order_json(&self, id: OrderId) -> Result<ShopifyOrder, Refusal> {
        let order = self.shopify.order(id)?;
        Ok(ShopifyOrder::from_value(order.to_rest_json())?)
    }

    /// The sync's reaction to a Shopify change: on the order's creation the import
    /// decision, afterwards the changes (katana-sync's `plan_for`, as over HTTP).
    fn sync(&mut self, touched: Touched, at: Timestamp) -> Result<Vec<Effect>, Refusal> {
        let (id, first_sight) = match touched {
            Touched::Created(id) => (id, true),
            Touched::Changed(id) | Touched::Deleted(id) => (id, false),
        };
        let order = match touched {
            Touched::Deleted(_) => None,
            _ => Some(self.order_json(id)?),
        };
        let plan = plan_for(
            id,
            order.as_ref(),
            first_sight,
            &self.katana,
            &self.settings,
        );
        Ok(apply_plan(&mut self.katana, &plan, at)?)
    }

    /// Runs one step; `Ok` holds the trace lines, `Err` a refusal (nothing changed).
    fn step(&mut self, step: &Step, at: Timestamp) -> Result<Vec<String>, StepError> {
        let touched = match step {
            Step::Edit {
                order,
                line,
                quantity,
            } => {
                self.shopify
                    .set_quantity(*order, *line, *quantity, at)
                    .map_err(Refusal::from)?;
                Touched::Changed(*order)
            }
            Step::AddLine {
                order,
                line,
                sku,
                quantity,
            } => {
                self.shopify
                    .add_line(*order, Some(*line), sku, *quantity, at)
                    .map_err(Refusal::from)?;
                Touched::Changed(*order)
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
                self.shopify
                    .refund(*order, &lines, None, at)
                    .map_err(Refusal::from)?;
                Touched::Changed(*order)
            }
            Step::Cancel {
                order,
                reason,
                restock,
            } => {
                let reason = reason.unwrap_or(CancelReason::Other);
                self.shopify
                    .cancel(*order, reason, *restock, at)
                    .map_err(Refusal::from)?;
                Touched::Changed(*order)
            }
            Step::Archive { order } => {
                self.shopify.close(*order, at).map_err(Refusal::from)?;
                Touched::Changed(*order)
            }
            Step::Unarchive { order } => {
                self.shopify.open(*order, at).map_err(Refusal::from)?;
                Touched::Changed(*order)
            }
            Step::Delete { order } => {
                self.shopify.delete(*order).map_err(Refusal::from)?;
                Touched::Deleted(*order)
            }
            Step::Fulfill {
                order,
                line,
                quantity,
            } => {
                self.shopify
                    .fulfill(*order, *line, *quantity, at)
                    .map_err(Refusal::from)?;
                Touched::Changed(*order)
            }
            Step::CreateOrder(new) => {
                self.shopify.create_order(new, at).map_err(Refusal::from)?;
                Touched::Created(new.id)
            }
            Step::SetStatus { mo, status } => {
                return katana_lines(self.katana.set_status(mo, *status));
            }
            Step::MakeToOrder {
                mo,
                order,
                line,
                status,
            } => {
                let new = NewMo {
                    id: mo.clone(),
                    kind: NewMoKind::MakeToOrder(RowRef {
                        order: *order,
                        line: *line,
                    }),
                    status: status.unwrap_or(katana_rules::MoStatus::NotStarted),
                };
                return katana_lines(self.katana.create_mo(&new));
            }
            Step::SetDelivery {
                order,
                line,
                delivery,
            } => {
                return katana_lines(self.katana.set_delivery(
                    RowRef {
                        order: *order,
                        line: *line,
                    },
                    *delivery,
                ));
            }
            Step::UpdateMoQuantity(mo) => {
                return katana_lines(self.katana.update_mo_quantity(mo, at));
            }
            Step::KeepMoQuantity(mo) => return katana_lines(self.katana.keep_mo_quantity(mo, at)),
            Step::Dismiss(mo) => return katana_lines(self.katana.dismiss(mo, at)),
            Step::Settings(patch) => return Ok(self.patch_settings(patch)),
            Step::Expect(expectation) => {
                let mismatches = check_expectation(&self.katana, expectation);
                return if mismatches.is_empty() {
                    Ok(vec!["all checks hold".to_string()])
                } else {
                    Err(StepError::Expect(mismatches))
                };
            }
            Step::ExpectError { step, contains } => {
                return match self.step(step, at) {
                    Ok(_) => Err(StepError::NotRefused),
                    Err(StepError::Refused(actual)) => match contains {
                        Some(text) if !actual.contains(text.as_str()) => {
                            Err(StepError::WrongRefusal {
                                contains: text.clone(),
                                actual,
                            })
                        }
                        _ => Ok(vec![format!("refused as expected: {actual}")]),
                    },
                    Err(other) => Err(other),
                };
            }
        };
        let effects = self.sync(touched, at)?;
        Ok(effects.iter().map(ToString::to_string).collect())
    }
}

/// Why a step did not pass.
enum StepError {
    Refused(String),
    NotRefused,
    WrongRefusal { contains: String, actual: String },
    Expect(Vec<Mismatch>),
}

impl From<Refusal> for StepError {
    fn from(r: Refusal) -> Self {
        StepError::Refused(r.to_string())
    }
}

fn katana_lines(result: Result<Vec<Effect>, KatanaError>) -> Result<Vec<String>, StepError> {
    result
        .map(|fx| fx.iter().map(ToString::to_string).collect())
        .map_err(|e| Refusal::from(e).into())
}

/// Builds the world of a scenario's set-up: Shopify orders, their import, delivery
/// statuses and MOs. Returns the trace lines of the set-up.
pub fn setup(scenario: &Scenario) -> Result<(World, Vec<String>), Box<Failure>> {
    let at = scenario.start.unwrap_or(DEFAULT_START);
    let mut settings = Settings::default();
    if let Some(v) = scenario.settings.sync_order_changes {
        settings.sync_order_changes = v;
    }
    if let Some(v) = scenario.settings.import_payment_pending {
        settings.import_payment_pending = v;
    }
    let mut world = World {
        shopify: Store::new(),
        katana: Katana::new(),
        settings,
    };
    let fail = |loc: Option<Loc>, what: String, e: String| {
        Box::new(Failure {
            path: scenario.path.clone(),
            step: 0,
            loc,
            step_text: what,
            reason: FailureReason::Setup(e),
        })
    };
    let mut lines = Vec::new();
    for order in &scenario.orders {
        let what = format!("shopify.orders: order {}", order.id);
        world
            .shopify
            .create_order(order, at)
            .map_err(|e| fail(None, what.clone(), format!("Shopify refused it: {e}")))?;
        let effects = world
            .sync(Touched::Created(order.id), at)
            .map_err(|e| fail(None, what.clone(), e.to_string()))?;
        lines.extend(effects.iter().map(ToString::to_string));
    }
    for d in &scenario.deliveries {
        let what = format!(
            "katana.sales_orders: order {} line {} {}",
            d.order, d.line, d.delivery
        );
        let fx = world
            .katana
            .set_delivery(
                RowRef {
                    order: d.order,
                    line: d.line,
                },
                d.delivery,
            )
            .map_err(|e| fail(Some(d.loc), what, e.to_string()))?;
        lines.extend(fx.iter().map(ToString::to_string));
    }
    for mo in &scenario.mos {
        let kind = match &mo.kind {
            MoKind::MakeToOrder(row) => NewMoKind::MakeToOrder(*row),
            MoKind::MakeToStock { sku, quantity } => NewMoKind::MakeToStock {
                sku: sku.clone(),
                quantity: *quantity,
            },
        };
        let what = format!("katana.manufacturing_orders: {}", mo.id);
        let fx = world
            .katana
            .create_mo(&NewMo {
                id: mo.id.clone(),
                kind,
                status: mo.status,
            })
            .map_err(|e| fail(Some(mo.loc), what, e.to_string()))?;
        lines.extend(fx.iter().map(ToString::to_string));
    }
    Ok((world, lines))
}

/// Runs a scenario in process and returns its snapshot, or the first failing step.
pub fn run(scenario: &Scenario) -> Result<Snapshot, Box<Failure>> {
    let start = scenario.start.unwrap_or(DEFAULT_START);
    let (mut world, setup_lines) = setup(scenario)?;
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
        match world.step(&entry.step, at) {
            Ok(effects) => trace.push(TraceEntry {
                step: number,
                at,
                does: entry.step.to_string(),
                effects,
            }),
            Err(StepError::Refused(e)) => return Err(fail(FailureReason::Refused(e))),
            Err(StepError::NotRefused) => return Err(fail(FailureReason::NotRefused)),
            Err(StepError::WrongRefusal { contains, actual }) => {
                return Err(fail(FailureReason::WrongRefusal { contains, actual }));
            }
            Err(StepError::Expect(m)) => return Err(fail(FailureReason::Expect(m))),
        }
    }
    Ok(Snapshot::of(scenario, &world, trace))
}
