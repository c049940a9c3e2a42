//! A generated case: a world and steps, written as an ordinary scenario file.
//!
//! A case is made in two passes. The generator aims steps at the world it
//! pictures; then the case runs once in process with refusals allowed, and every
//! step Shopify or Katana refused is pinned as `expect_error` with its kind. The
//! result is a scenario `katana-sim run` replays as it is.

use std::path::PathBuf;

use std::time::Duration;

use katana_rules::{Delivery, MoId, MoStatus, RowRef};
use shopify_mock::{Fault, ReadFault, WebhookOrder};
use shopify_model::{FinancialStatus, NewLine, NewOrder};

use super::generator::{Gen, GenLine, GenOrder};
use crate::runner::{self, InProcess, Observe};
use crate::scenario::display::OrderYaml;
use crate::scenario::faults::{FaultEntry, MAX_FAULT_COUNT};
use crate::scenario::{
    DeliverySetup, Loc, MoKind, MoSetup, OrderSetup, Scalar, Scenario, SettingsPatch, StepEntry,
    parse_scenario,
};
use crate::steps::expect_error::ExpectError;
use crate::steps::{STEPS, Step};

/// How a set-up MO is made, in a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseMo {
    /// Make-to-order for a row.
    MakeToOrder(RowRef),
    /// Make-to-stock.
    MakeToStock {
        /// Its SKU.
        sku: String,
        /// Its quantity.
        quantity: u32,
    },
}

/// A generated case, before its refusals are pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The run's seed.
    pub seed: u64,
    /// The case's number in the run.
    pub index: u64,
    /// The top-level settings.
    pub settings: SettingsPatch,
    /// `shopify.orders`.
    pub orders: Vec<NewOrder>,
    /// `katana.sales_orders`.
    pub deliveries: Vec<(RowRef, Delivery)>,
    /// `katana.manufacturing_orders`.
    pub mos: Vec<(MoId, CaseMo, MoStatus)>,
    /// The steps.
    pub steps: Vec<Step>,
    /// What goes wrong on the wire, by step (over HTTP).
    pub faults: Vec<FaultEntry>,
}

/// How many faults `explore` plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultPlan {
    /// None.
    None,
    /// About one step in six gets one fault.
    Light,
    /// About one step in two gets one to three faults.
    Heavy,
    /// The faults of a file in every case (`--faults FILE`); those of steps a case
    /// does not have are left out.
    Fixed {
        /// The file, as given (for the repro line).
        file: PathBuf,
        /// Its faults.
        faults: Vec<FaultEntry>,
    },
}

/// One fault of any kind, aimed at the first webhooks of a step.
fn any_fault(g: &mut Gen) -> Fault {
    let index = g.below(3) as usize;
    let count = 1 + g.below(2) as u32;
    match g.below(10) {
        0 => Fault::DuplicateWebhook { index },
        1 => Fault::ReorderWebhooks {
            order: WebhookOrder::Reverse,
        },
        2 => Fault::DelayWebhook { index },
        3 => Fault::DropWebhook { index },
        4 => Fault::FailDelivery {
            index,
            attempts: count,
            timeout: g.chance(30),
        },
        5 => Fault::RestRead {
            kind: ReadFault::TooManyRequests {
                retry_after: Duration::from_millis(10),
            },
            count,
        },
        6 => Fault::RestRead {
            kind: ReadFault::ServerError { status: 503 },
            count,
        },
        7 => Fault::RestRead {
            kind: ReadFault::Reset,
            count: 1,
        },
        8 => Fault::RestRead {
            kind: ReadFault::Slow {
                delay: Duration::from_millis(5),
            },
            count: 1,
        },
        _ => Fault::GraphqlThrottled { count },
    }
}

fn paid_like(status: FinancialStatus) -> bool {
    matches!(
        status,
        FinancialStatus::Paid | FinancialStatus::PartiallyPaid | FinancialStatus::PartiallyRefunded
    )
}

impl Case {
    /// Case `index` of the run seeded with `seed`, with at most `max_steps` steps
    /// and the faults of `plan`.
    pub fn generate_with(seed: u64, index: u64, max_steps: usize, plan: &FaultPlan) -> Self {
        Self::generate_weighted(seed, index, max_steps, plan, None)
    }

    /// [`Case::generate_with`], with the steps drawn with `weights` (one per entry of
    /// the step list; `None`: each step's own `WEIGHT`).
    pub fn generate_weighted(
        seed: u64,
        index: u64,
        max_steps: usize,
        plan: &FaultPlan,
        weights: Option<&[u32]>,
    ) -> Self {
        let mut case = Self::generate_steps(seed, index, max_steps, weights);
        let (percent, most) = match plan {
            FaultPlan::None => return case,
            FaultPlan::Fixed { faults, .. } => {
                case.faults = faults
                    .iter()
                    .filter(|f| f.step <= case.steps.len())
                    .cloned()
                    .collect();
                return case;
            }
            FaultPlan::Light => (16, 1),
            FaultPlan::Heavy => (50, 3),
        };
        // A stream of its own, so the same case gets the same steps with any plan.
        let mut g = Gen::new(seed ^ 0x6661_756c_7473, index);
        for step in 1..=case.steps.len() {
            if !g.chance(percent) {
                continue;
            }
            let mut throttled = 0;
            for _ in 0..1 + g.below(most) {
                let fault = any_fault(&mut g);
                // THROTTLED answers of a step add up; a client retries a call at
                // most MAX_FAULT_COUNT times (the check refuses more).
                if let Fault::GraphqlThrottled { count } = fault {
                    throttled += count;
                    if throttled > MAX_FAULT_COUNT {
                        continue;
                    }
                }
                case.faults.push(FaultEntry { step, fault });
            }
        }
        case
    }

    /// Case `index` of the run seeded with `seed`, with at most `max_steps` steps.
    pub fn generate(seed: u64, index: u64, max_steps: usize) -> Self {
        Self::generate_steps(seed, index, max_steps, None)
    }

    fn generate_steps(seed: u64, index: u64, max_steps: usize, weights: Option<&[u32]>) -> Self {
        let weight = |i: usize| u64::from(weights.map_or(STEPS[i].weight, |w| w[i]));
        let mut g = Gen::new(seed, index);
        let settings = SettingsPatch {
            sync_order_changes: Some(!g.chance(15)),
            import_payment_pending: Some(g.chance(20)),
        };
        let pending_ok = settings.import_payment_pending == Some(true);
        let mut orders = Vec::new();
        for _ in 0..1 + g.below(4) {
            let id = g.new_order_id();
            let mut lines = Vec::new();
            for _ in 0..1 + g.below(4) {
                let quantity = 1 + g.below(6) as u32;
                let fulfilled = if g.chance(20) {
                    g.below(u64::from(quantity) + 1) as u32
                } else {
                    0
                };
                lines.push(NewLine {
                    id: g.new_line_id(),
                    sku: g.sku(),
                    quantity,
                    fulfilled,
                });
            }
            let financial_status = g.financial_status();
            let archived = g.chance(8);
            let cancelled = g.chance(5) && lines.iter().all(|l| l.fulfilled == 0);
            let all_fulfilled = lines.iter().all(|l| l.fulfilled == l.quantity);
            let payment_ok = paid_like(financial_status)
                || (pending_ok
                    && matches!(
                        financial_status,
                        FinancialStatus::Pending | FinancialStatus::Authorized
                    ));
            let imported = !archived && !cancelled && payment_ok && !all_fulfilled;
            g.orders.push(GenOrder {
                id,
                lines: lines.iter().map(GenLine::from).collect(),
                imported,
            });
            orders.push(NewOrder {
                id,
                name: None,
                financial_status,
                archived,
                cancelled,
                lines,
            });
        }
        let mut mos = Vec::new();
        let mut deliveries = Vec::new();
        for row in g.imported_rows() {
            if g.chance(60) {
                let id = g.new_mo_id();
                let status = g.status();
                g.mos.push(id.clone());
                mos.push((id, CaseMo::MakeToOrder(row), status));
            }
            match g.below(100) {
                0..15 => deliveries.push((row, Delivery::Packed)),
                15..25 => deliveries.push((row, Delivery::Delivered)),
                _ => {}
            }
        }
        for _ in 0..g.below(3) {
            let id = g.new_mo_id();
            let status = g.status();
            let kind = CaseMo::MakeToStock {
                sku: g.sku(),
                quantity: 1 + g.below(9) as u32,
            };
            g.mos.push(id.clone());
            mos.push((id, kind, status));
        }
        let total: u64 = (0..STEPS.len()).map(weight).sum();
        let mut steps = Vec::new();
        for _ in 0..1 + g.below(max_steps.max(1) as u64) {
            for _attempt in 0..10 {
                let mut roll = g.below(total);
                let Some(kind) = (0..STEPS.len())
                    .find(|&i| {
                        let w = weight(i);
                        if roll < w {
                            true
                        } else {
                            roll -= w;
                            false
                        }
                    })
                    .map(|i| &STEPS[i])
                else {
                    break;
                };
                if let Some(step) = (kind.generate)(&mut g) {
                    steps.push(step);
                    break;
                }
            }
        }
        Self {
            seed,
            index,
            settings,
            orders,
            deliveries,
            mos,
            steps,
            faults: Vec::new(),
        }
    }

    /// The file a case is saved and reported as.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("seed-{}-case-{}.yaml", self.seed, self.index))
    }

    /// The case as a scenario file, and the line each step is written on.
    pub fn to_yaml(&self, description: &str, steps: &[Step]) -> (String, Vec<usize>) {
        let mut out = String::new();
        out.push_str(&format!("description: {}\n", Scalar(description)));
        let flag = |v: Option<bool>| v.map_or_else(|| "true".into(), |b| b.to_string());
        out.push_str(&format!(
            "settings: {{ sync_order_changes: {}, import_payment_pending: {} }}\n",
            flag(self.settings.sync_order_changes),
            self.settings
                .import_payment_pending
                .map_or_else(|| "false".into(), |b| b.to_string()),
        ));
        out.push_str("shopify:\n  orders:\n");
        for o in &self.orders {
            out.push_str(&format!("    - {}\n", OrderYaml(o)));
        }
        out.push_str("katana:\n  sales_orders:");
        if self.deliveries.is_empty() {
            out.push_str(" []\n");
        } else {
            out.push('\n');
            for (row, d) in &self.deliveries {
                out.push_str(&format!(
                    "    - {{ order: {}, line: {}, delivery: {d} }}\n",
                    row.order, row.line
                ));
            }
        }
        out.push_str("  manufacturing_orders:");
        if self.mos.is_empty() {
            out.push_str(" []\n");
        } else {
            out.push('\n');
            for (id, kind, status) in &self.mos {
                let what = match kind {
                    CaseMo::MakeToOrder(row) => format!(
                        "make_to_order: {{ order: {}, line: {} }}",
                        row.order, row.line
                    ),
                    CaseMo::MakeToStock { sku, quantity } => {
                        format!("sku: {}, quantity: {quantity}", Scalar(sku))
                    }
                };
                out.push_str(&format!(
                    "    - {{ id: {}, {what}, status: {status} }}\n",
                    Scalar(id.as_str())
                ));
            }
        }
        let mut lines = Vec::with_capacity(steps.len());
        if steps.is_empty() {
            out.push_str("steps: []\n");
        } else {
            out.push_str("steps:\n");
            for step in steps {
                lines.push(out.matches('\n').count() + 1);
                out.push_str(&format!("  - {step}\n"));
            }
        }
        let faults: Vec<&FaultEntry> = self
            .faults
            .iter()
            .filter(|f| f.step <= steps.len())
            .collect();
        if !faults.is_empty() {
            out.push_str("faults:\n");
            for f in faults {
                out.push_str(&format!("  - {f}\n"));
            }
        }
        (out, lines)
    }
}

impl Case {
    /// The case as the scenario its file reads as ([`Case::to_yaml`] then the
    /// check), built directly: `explore` runs every case this way and only writes
    /// and reads the file of a case that fails. Locations are those of the file
    /// (a test holds the two equal).
    pub fn scenario(&self, description: &str, steps: &[Step]) -> Scenario {
        // The layout of `to_yaml`: description, settings, `shopify:`, `orders:`.
        let mut line = 4;
        let mut next = || {
            line += 1;
            line
        };
        let orders = self
            .orders
            .iter()
            .map(|o| OrderSetup {
                order: o.clone(),
                loc: Loc::new(next(), ENTRY_COLUMN),
            })
            .collect();
        next(); // katana:
        next(); // sales_orders:
        let deliveries = self
            .deliveries
            .iter()
            .map(|(row, delivery)| DeliverySetup {
                row: *row,
                delivery: *delivery,
                loc: Loc::new(next(), ENTRY_COLUMN),
            })
            .collect();
        next(); // manufacturing_orders:
        let mos = self
            .mos
            .iter()
            .map(|(id, kind, status)| MoSetup {
                id: id.clone(),
                kind: match kind {
                    CaseMo::MakeToOrder(row) => MoKind::MakeToOrder(*row),
                    CaseMo::MakeToStock { sku, quantity } => MoKind::MakeToStock {
                        sku: sku.clone(),
                        quantity: *quantity,
                    },
                },
                status: *status,
                loc: Loc::new(next(), ENTRY_COLUMN),
            })
            .collect();
        next(); // steps:
        let count = steps.len();
        let steps = steps
            .iter()
            .map(|step| StepEntry {
                step: step.clone(),
                loc: Loc::new(next(), STEP_COLUMN),
            })
            .collect();
        Scenario {
            path: self.path(),
            description: description.to_string(),
            settings: SettingsPatch {
                sync_order_changes: Some(self.settings.sync_order_changes.unwrap_or(true)),
                import_payment_pending: Some(self.settings.import_payment_pending.unwrap_or(false)),
            },
            start: None,
            orders,
            deliveries,
            mos,
            steps,
            faults: self
                .faults
                .iter()
                .filter(|f| f.step <= count)
                .cloned()
                .collect(),
        }
    }
}

/// The column of a set-up entry's map (`    - {`) and of a step's (`  - {`).
const ENTRY_COLUMN: usize = 7;
const STEP_COLUMN: usize = 5;

/// A case ready to run: its refusals pinned, written as a scenario.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The steps after pinning (refused ones inside `expect_error`).
    pub steps: Vec<Step>,
    /// The scenario file's text.
    pub text: String,
    /// The scenario.
    pub scenario: Scenario,
}

/// Pins the case's refusals and checks that it is a valid scenario. Steps the
/// check refuses once others are pinned (e.g. a step on the MO of a refused
/// `make_to_order`) are dropped. `Err` when the generator made something the check
/// refuses otherwise (a bug in the generator).
pub fn prepare(case: &Case, description: &str) -> Result<Prepared, String> {
    let path = case.path();
    let mut raw = case.steps.clone();
    for _round in 0..8 {
        // Drop steps the check refuses (references to ids that a refused step did
        // not create).
        let (text, _) = case.to_yaml(description, &raw);
        let scenario = match parse_scenario(&path, &text) {
            Ok(s) => s,
            Err(d) => {
                raw = drop_refused_by_check(case, description, &raw, &d)?;
                continue;
            }
        };
        let mut observe = Observe {
            allow_refusals: true,
            ..Observe::default()
        };
        // A failure here is a finding; the caller runs the pinned case again and
        // sees it there.
        let _ = runner::run_observed(&scenario, &mut InProcess::new(), &mut observe);
        let refused = observe.refused;
        let pinned: Vec<Step> = raw
            .iter()
            .enumerate()
            .map(
                |(i, step)| match refused.iter().find(|(n, _)| *n == i + 1) {
                    Some((_, kind)) => Step::ExpectError(ExpectError {
                        step: Box::new(step.clone()),
                        kind: Some((*kind).to_string()),
                        contains: None,
                    }),
                    None => step.clone(),
                },
            )
            .collect();
        let (text, _) = case.to_yaml(description, &pinned);
        match parse_scenario(&path, &text) {
            Ok(scenario) => {
                return Ok(Prepared {
                    steps: pinned,
                    text,
                    scenario,
                });
            }
            Err(d) => {
                let dropped = drop_refused_by_check(case, description, &pinned, &d)?;
                // Keep the unpinned form of what is left, and probe again.
                let keep: Vec<usize> = pinned
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| dropped.contains(s))
                    .map(|(i, _)| i)
                    .collect();
                raw = keep.into_iter().map(|i| raw[i].clone()).collect();
            }
        }
    }
    Err(format!("{}: the case did not settle", path.display()))
}

/// The steps without those the check's diagnostics point at; `Err` when a
/// diagnostic points elsewhere (the set-up: a generator bug).
fn drop_refused_by_check(
    case: &Case,
    description: &str,
    steps: &[Step],
    diagnostics: &crate::scenario::Diagnostics,
) -> Result<Vec<Step>, String> {
    let (text, lines) = case.to_yaml(description, steps);
    let bad: Vec<usize> = diagnostics
        .0
        .iter()
        .filter_map(|d| {
            d.loc
                .and_then(|loc| lines.iter().position(|l| *l == loc.line))
        })
        .collect();
    if bad.is_empty() || bad.len() < diagnostics.0.len() {
        return Err(format!(
            "the generator made a case the check refuses:\n{diagnostics}\n{text}"
        ));
    }
    Ok(steps
        .iter()
        .enumerate()
        .filter(|(i, _)| !bad.contains(i))
        .map(|(_, s)| s.clone())
        .collect())
}
