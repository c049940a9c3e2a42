//! The runner: replays a scenario's steps on a simulated clock (rules.md §8) through
//! a [`Transport`], checks the invariants of the run as it goes, and builds the
//! snapshot.
//!
//! Shopify-side steps go to the transport, which changes the Shopify world and lets
//! the sync react; Katana-side steps and checks act on Katana directly, the same
//! code for every transport, so two transports can only differ in how a Shopify
//! change travels. [`InProcess`] is the default transport: shopify-model's `Store`
//! → the order as katana-sync reads it from its REST JSON ([`crate::order_read`]) →
//! katana-sync → katana-rules, by function calls.
//!
//! Outcomes stay typed ([`TraceLine`], [`Refusal`], [`FailureReason`]) until the
//! CLI or the snapshot renders them.

use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use katana_rules::{Effect, Katana, KatanaError, NewMo, NewMoKind, OrderId};
use katana_sync::{Settings, apply_plan, plan_for};
use shopify_model::{NewOrder, ShopifyError, Store};

use crate::invariants::{Import, Invariants, StepKind, Violation};
use crate::refusal::Refusal;
use crate::scenario::{Loc, MoKind, Scenario, SettingChange};
use crate::snapshot::{ShopifyOrderView, Snapshot, StepState, TraceEntry};
use crate::steps::expect::Mismatch;
use crate::steps::{Action, OrderEvent, ShopifyStep, Step, Subject};

/// The instant every scenario starts at unless it says otherwise (rules.md §8):
/// 2026-01-01T09:00:00Z.
pub const DEFAULT_START: Timestamp = Timestamp::constant(1_767_258_000, 0);

/// How far the simulated clock moves with each step (rules.md §8).
pub const STEP: SignedDuration = SignedDuration::from_mins(1);

/// One line of a step's trace: what it changed or skipped, or what it checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceLine {
    /// Something Katana did or chose not to do.
    Effect(Effect),
    /// A setting changed (or was set to what it was).
    Setting(SettingChange),
    /// A Shopify step that brought nothing to Katana, and why.
    NoChange(NoChange),
    /// An `expect` whose every field holds.
    ChecksHold,
    /// An `expect_error` whose step was refused as expected.
    RefusedAsExpected(Refusal),
}

impl TraceLine {
    /// Katana's effects as trace lines.
    pub fn effects(effects: Vec<Effect>) -> Vec<TraceLine> {
        effects.into_iter().map(TraceLine::Effect).collect()
    }
}

/// Why a Shopify step brought nothing to Katana.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoChange {
    /// The SO already matches the order (or Shopify sent nothing: nothing changed).
    Matches {
        /// The SO's number.
        number: String,
    },
    /// The order's SO was deleted, and an order is never imported again.
    SoDeleted {
        /// The Shopify order id.
        order: OrderId,
    },
    /// The order waits for its payment to be captured before it is imported.
    AwaitingPayment {
        /// The Shopify order id.
        order: OrderId,
    },
    /// The order was never imported.
    NeverImported {
        /// The Shopify order id.
        order: OrderId,
    },
}

impl NoChange {
    /// Why a Shopify step about `order` changed nothing, from Katana's state.
    fn of(katana: &Katana, order: OrderId) -> Self {
        match katana.sales_order(order) {
            Some(so) => Self::Matches {
                number: so.number.clone(),
            },
            None if katana.was_imported(order) => Self::SoDeleted { order },
            None if katana.awaits_payment(order) => Self::AwaitingPayment { order },
            None => Self::NeverImported { order },
        }
    }
}

impl fmt::Display for TraceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Effect(e) => e.fmt(f),
            Self::Setting(c) => write!(f, "setting {}: {} → {}", c.name, c.from, c.to),
            Self::NoChange(NoChange::Matches { number }) => write!(
                f,
                "no change: SO {number} already matches the Shopify order"
            ),
            Self::NoChange(NoChange::SoDeleted { order }) => write!(
                f,
                "no change: the SO of Shopify order {order} was deleted, and an order is never imported again"
            ),
            Self::NoChange(NoChange::AwaitingPayment { order }) => write!(
                f,
                "no change: Shopify order {order} is imported only once its payment is captured"
            ),
            Self::NoChange(NoChange::NeverImported { order }) => {
                write!(f, "no change: Shopify order {order} was never imported")
            }
            Self::ChecksHold => f.write_str("all checks hold"),
            Self::RefusedAsExpected(r) => write!(f, "refused as expected: {r}"),
        }
    }
}

/// Why a scenario failed: where, at which step, and what differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The scenario file.
    pub path: PathBuf,
    /// The step's number, 1-based; 0 for the set-up.
    pub step: usize,
    /// Where the step (or set-up entry) is written, when known.
    pub loc: Option<Loc>,
    /// The step as written, one line (or the set-up entry).
    pub step_text: String,
    /// What went wrong.
    pub reason: FailureReason,
}

/// What went wrong in a failed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The set-up could not be built (e.g. an MTO MO on a row that was not imported).
    Setup(Refusal),
    /// A step was refused, and no `expect_error` asked for that.
    Refused(Refusal),
    /// An `expect_error` step was not refused.
    NotRefused,
    /// An `expect_error` step was refused, but not as expected.
    WrongRefusal {
        /// The kind expected, if given.
        kind: Option<String>,
        /// Text the message had to contain, if given.
        contains: Option<String>,
        /// The refusal.
        actual: Refusal,
    },
    /// An `expect` did not hold.
    Expect(Vec<Mismatch>),
    /// An invariant of rules.md does not hold after the step.
    Invariant(Violation),
    /// The transport itself broke (e.g. a server did not start).
    Transport(String),
}

impl FailureReason {
    /// The refusal's kind, for a failure that is a refusal.
    pub fn refusal_kind(&self) -> Option<&'static str> {
        match self {
            Self::Setup(r) | Self::Refused(r) | Self::WrongRefusal { actual: r, .. } => {
                Some(r.kind())
            }
            _ => None,
        }
    }
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
            FailureReason::Setup(r) => write!(f, "\n  {r}"),
            FailureReason::Refused(r) => write!(f, "\n  {r}"),
            FailureReason::NotRefused => {
                write!(f, "\n  expected the step to be refused, but it succeeded")
            }
            FailureReason::WrongRefusal {
                kind,
                contains,
                actual,
            } => {
                let mut wanted = Vec::new();
                if let Some(k) = kind {
                    wanted.push(format!("kind {k}"));
                }
                if let Some(c) = contains {
                    wanted.push(format!("a message containing \"{c}\""));
                }
                write!(
                    f,
                    "\n  refused, but not with {}\n  {actual}",
                    wanted.join(" and ")
                )
            }
            FailureReason::Expect(mismatches) => {
                for m in mismatches {
                    write!(f, "\n  {m}")?;
                }
                Ok(())
            }
            FailureReason::Invariant(v) => write!(f, "\n  {v}"),
            FailureReason::Transport(e) => write!(f, "\n  transport error: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

/// How a Shopify step went, from a transport's point of view.
#[derive(Debug)]
pub enum StepError {
    /// Refused by Shopify's or Katana's rules; nothing changed.
    Refused(Refusal),
    /// The transport broke; the scenario cannot go on.
    Transport(String),
}

impl From<ShopifyError> for StepError {
    fn from(e: ShopifyError) -> Self {
        Self::Refused(e.into())
    }
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
    fn shopify_step(
        &mut self,
        step: &dyn ShopifyStep,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError>;

    /// Runs `f` on Katana and the integration settings (Katana-side steps, checks).
    fn with_katana(&mut self, f: &mut dyn FnMut(&mut Katana, &mut Settings));

    /// The Shopify order as it is now, if it exists (for the invariants).
    fn shopify_order(&mut self, id: OrderId) -> Result<Option<shopify_model::Order>, StepError>;

    /// Arms the faults of the next step (none: disarms). In process there is no
    /// wire: nothing to act on.
    fn arm_faults(&mut self, _faults: &[shopify_mock::Fault]) -> Result<(), StepError> {
        Ok(())
    }

    /// The faults injected on the wire since the last call, one line each, in the
    /// order they happened. In process: none.
    fn injected_faults(&mut self) -> Result<Vec<String>, StepError> {
        Ok(Vec::new())
    }
}

/// The in-process transport: a shopify-model `Store`, and the sync called directly
/// with the order as it reads it from the order's REST JSON.
#[derive(Default)]
pub struct InProcess {
    shopify: Store,
    katana: Katana,
    settings: Settings,
    planted: Option<PlantedBug>,
}

/// The environment variable that plants a bug in the in-process transport
/// ([`PlantedBug`]), to show that `explore` finds it, shrinks it and saves a file
/// `run` fails on the same way. Never set it otherwise.
pub const PLANT_BUG_VAR: &str = "KATANA_SIM_PLANT_BUG";

/// A bug planted on purpose in the in-process transport ([`PLANT_BUG_VAR`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlantedBug {
    /// `mts_changed`: when a Shopify change reaches Katana, the first make-to-stock
    /// MO that is not done is marked done (breaks the invariant `mts_untouched`).
    MtsChanged,
}

impl PlantedBug {
    /// The bug the environment plants, if any; read once per process (every world
    /// `explore` makes asks).
    pub fn from_env() -> Option<Self> {
        static PLANTED: std::sync::OnceLock<Option<PlantedBug>> = std::sync::OnceLock::new();
        *PLANTED.get_or_init(|| match std::env::var(PLANT_BUG_VAR).ok()?.as_str() {
            "mts_changed" => Some(Self::MtsChanged),
            _ => None,
        })
    }

    fn act(self, katana: &mut Katana) {
        match self {
            Self::MtsChanged => {
                let id = katana
                    .mos()
                    .into_iter()
                    .find(|m| m.link.is_none() && m.status != katana_rules::MoStatus::Done)
                    .map(|m| m.id.clone());
                if let Some(id) = id {
                    let _ = katana.set_status(&id, katana_rules::MoStatus::Done);
                }
            }
        }
    }
}

impl InProcess {
    /// A new, empty world (with the bug [`PLANT_BUG_VAR`] plants, if set).
    pub fn new() -> Self {
        Self {
            planted: PlantedBug::from_env(),
            ..Self::default()
        }
    }

    /// Shopify as it is now.
    pub fn shopify(&self) -> &Store {
        &self.shopify
    }

    /// The sync's reaction to a Shopify event about order `id`: on its creation the
    /// import decision, afterwards the changes (katana-sync's `plan_for`, as over HTTP).
    fn sync(
        &mut self,
        id: OrderId,
        event: OrderEvent,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError> {
        let order = match event {
            OrderEvent::Deleted => None,
            OrderEvent::Created | OrderEvent::Changed => {
                let order = self.shopify.order(id)?;
                Some(crate::order_read::read(order).map_err(StepError::Transport)?)
            }
        };
        let created = event == OrderEvent::Created;
        let plan = plan_for(id, order.as_ref(), created, &self.katana, &self.settings);
        let effects = apply_plan(&mut self.katana, &plan, at).map_err(|e: KatanaError| {
            StepError::Transport(format!("Katana refused a planned change: {e}"))
        })?;
        if let Some(bug) = self.planted
            && !effects.is_empty()
        {
            bug.act(&mut self.katana);
        }
        Ok(effects)
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
        for order in sorted {
            self.shopify.create_order(order, at)?;
        }
        let mut effects = Vec::new();
        for id in self.shopify.orders().map(|o| o.id).collect::<Vec<_>>() {
            effects.extend(self.sync(id, OrderEvent::Created, at)?);
        }
        Ok(effects)
    }

    fn shopify_step(
        &mut self,
        step: &dyn ShopifyStep,
        at: Timestamp,
    ) -> Result<Vec<Effect>, StepError> {
        let id = step.order();
        let updated = |s: &Store| s.order(id).ok().map(|o| o.updated_at);
        let before = updated(&self.shopify);
        step.in_process(&mut self.shopify, at)?;
        // Shopify sends webhooks only for a change: archiving an archived order, or
        // setting a quantity to what it is, tells the sync nothing.
        let event = step.event();
        if event == OrderEvent::Changed && before == updated(&self.shopify) {
            return Ok(Vec::new());
        }
        self.sync(id, event, at)
    }

    fn with_katana(&mut self, f: &mut dyn FnMut(&mut Katana, &mut Settings)) {
        f(&mut self.katana, &mut self.settings);
    }

    fn shopify_order(&mut self, id: OrderId) -> Result<Option<shopify_model::Order>, StepError> {
        Ok(self.shopify.order(id).ok().cloned())
    }
}

/// Runs `f` on the transport's Katana and returns its result.
fn on_katana<T>(
    transport: &mut dyn Transport,
    f: impl FnOnce(&mut Katana, &mut Settings) -> T,
) -> Result<T, FailureReason> {
    let mut f = Some(f);
    let mut out = None;
    transport.with_katana(&mut |katana, settings| {
        if let Some(f) = f.take() {
            out = Some(f(katana, settings));
        }
    });
    out.ok_or_else(|| FailureReason::Transport("the transport did not give Katana back".into()))
}

fn step_error(e: StepError) -> FailureReason {
    match e {
        StepError::Refused(r) => FailureReason::Refused(r),
        StepError::Transport(t) => FailureReason::Transport(t),
    }
}

/// Runs one step: Shopify steps through the transport, the rest on Katana.
fn run_step(
    transport: &mut dyn Transport,
    step: &Step,
    at: Timestamp,
) -> Result<Vec<TraceLine>, FailureReason> {
    match step.action() {
        Action::Shopify(s) => {
            let effects = transport.shopify_step(s, at).map_err(step_error)?;
            if !effects.is_empty() {
                return Ok(TraceLine::effects(effects));
            }
            // Nothing changed in Katana: say why, from Katana's state, the same for
            // every transport.
            let why = on_katana(transport, |katana, _| NoChange::of(katana, s.order()))?;
            Ok(vec![TraceLine::NoChange(why)])
        }
        Action::Katana(s) => on_katana(transport, |katana, settings| s.run(katana, settings, at))?
            .map_err(FailureReason::Refused),
        Action::Expect(x) => {
            let mismatches = on_katana(transport, |katana, _| x.check(katana))?;
            if mismatches.is_empty() {
                Ok(vec![TraceLine::ChecksHold])
            } else {
                Err(FailureReason::Expect(mismatches))
            }
        }
        Action::ExpectError(e) => match run_step(transport, &e.step, at) {
            Ok(_) => Err(FailureReason::NotRefused),
            Err(FailureReason::Refused(actual)) if e.matches(&actual) => {
                Ok(vec![TraceLine::RefusedAsExpected(actual)])
            }
            Err(FailureReason::Refused(actual)) => Err(FailureReason::WrongRefusal {
                kind: e.kind.clone(),
                contains: e.contains.clone(),
                actual,
            }),
            Err(other) => Err(other),
        },
    }
}

/// Checks the invariants after a step: what the step was, Katana before and now,
/// and for a Shopify step the order as Shopify has it now.
fn check_invariants(
    transport: &mut dyn Transport,
    invariants: &mut Invariants,
    step: &Step,
    lines: &[TraceLine],
    before: &Katana,
) -> Result<(), FailureReason> {
    let order = match step.action() {
        Action::Shopify(s) => Some(s.order()),
        _ => None,
    };
    let shopify_now = match order {
        Some(id) => transport.shopify_order(id).map_err(step_error)?,
        None => None,
    };
    let result = on_katana(transport, |katana, settings| {
        let kind = match step.action() {
            Action::Shopify(s) => StepKind::Shopify {
                order: s.order(),
                synced: settings.sync_order_changes
                    && lines.iter().any(|l| matches!(l, TraceLine::Effect(_))),
                now: shopify_now.as_ref(),
                import: if s.event() == OrderEvent::Created {
                    Import::Creation
                } else if step.name() == <crate::steps::pay::Pay as crate::steps::StepDef>::NAME {
                    Import::Payment
                } else {
                    Import::Never
                },
            },
            Action::Katana(s) => match s.subject() {
                Subject::Mo(id) => StepKind::OnMo(id),
                Subject::SalesOrder(order) => StepKind::OnSalesOrder(order),
                Subject::Other => StepKind::Other,
            },
            Action::Expect(_) | Action::ExpectError(_) => StepKind::Other,
        };
        invariants.check(kind, before, katana)
    })?;
    result.map_err(FailureReason::Invariant)
}

/// A run's outcome as two transports must agree on it: the snapshot document
/// without the faults injected on the wire, or the failure report.
pub fn outcome_text(result: &Result<Snapshot, Box<Failure>>) -> String {
    match result {
        Ok(s) => s.outcome_yaml(),
        Err(f) => format!("FAIL\n{f}\n"),
    }
}

/// How a run over HTTP differs from the same run in process, as a unified diff of
/// their [`outcome_text`]; `None` when they are the same.
pub fn outcome_diff(
    in_process: &Result<Snapshot, Box<Failure>>,
    http: &Result<Snapshot, Box<Failure>>,
) -> Option<String> {
    let (a, b) = (outcome_text(in_process), outcome_text(http));
    (a != b).then(|| {
        similar::TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(2)
            .header("in-process", "http")
            .to_string()
    })
}

/// The outcome of a scenario run on both transports: the in-process one when the
/// two agree, else a failure of the whole scenario that shows how they differ.
pub fn both_agree(
    scenario: &Scenario,
    in_process: Result<Snapshot, Box<Failure>>,
    http: &Result<Snapshot, Box<Failure>>,
) -> Result<Snapshot, Box<Failure>> {
    let Some(diff) = outcome_diff(&in_process, http) else {
        return in_process;
    };
    Err(Box::new(Failure {
        path: scenario.path.clone(),
        step: 0,
        loc: None,
        step_text: "the whole scenario".into(),
        reason: FailureReason::Transport(format!(
            "the transports give different outcomes:\n{diff}"
        )),
    }))
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
    run_observed(scenario, transport, &mut Observe::default())
}

/// A look at each step and Katana just before it.
pub type BeforeStep<'a> = dyn FnMut(&Step, &Katana) + 'a;

/// What a run reports besides its snapshot, for `explore`: it may go on past a
/// refused step (recording the step's number and the refusal's kind), and it may
/// look at Katana before each step.
#[derive(Default)]
pub struct Observe<'a> {
    /// Go on past refused steps instead of failing (they change nothing).
    pub allow_refusals: bool,
    /// The steps refused, by number (1-based), with their kinds.
    pub refused: Vec<(usize, &'static str)>,
    /// Called with each step and Katana as it is before the step.
    pub before_step: Option<&'a mut BeforeStep<'a>>,
}

/// [`run_with`], reporting to `observe` as it goes.
pub fn run_observed(
    scenario: &Scenario,
    transport: &mut dyn Transport,
    observe: &mut Observe<'_>,
) -> Result<Snapshot, Box<Failure>> {
    let (trace, injected) = drive(scenario, transport, observe, true, None)?;
    finish(scenario, transport, trace, injected)
}

/// The snapshot of a run whose steps are done.
fn finish(
    scenario: &Scenario,
    transport: &mut dyn Transport,
    trace: Vec<TraceEntry>,
    injected: Vec<String>,
) -> Result<Snapshot, Box<Failure>> {
    on_katana(transport, |katana, _| {
        let mut snapshot = Snapshot::of(scenario, katana, trace);
        snapshot.injected_faults = injected;
        snapshot
    })
    .map_err(|reason| {
        Box::new(Failure {
            path: scenario.path.clone(),
            step: scenario.steps.len(),
            loc: None,
            step_text: "snapshot".into(),
            reason,
        })
    })
}

/// [`run_observed`] without a trace or a snapshot: every step, its invariants and
/// `observe`, for `explore`'s runs that nothing is compared with.
pub fn run_unrecorded(
    scenario: &Scenario,
    transport: &mut dyn Transport,
    observe: &mut Observe<'_>,
) -> Result<(), Box<Failure>> {
    drive(scenario, transport, observe, false, None).map(drop)
}

/// A run with the state after every step recorded ([`run_recorded`]).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The snapshot, or the first failing step.
    pub result: Result<Snapshot, Box<Failure>>,
    /// The state right after the set-up (index 0) and after every step that
    /// succeeded, in order; a failing step has none.
    pub states: Vec<StepState>,
}

/// [`run_with`], also recording the state right after the set-up and after every
/// step ([`StepState`]: the Schedule, the "unlinked" filter, the MO detail views,
/// the Shopify orders the scenario names, the step's trace), for the HTML report.
/// [`run_with`] and [`run_unrecorded`] do none of this work.
pub fn run_recorded(scenario: &Scenario, transport: &mut dyn Transport) -> Recorded {
    let mut states = Vec::new();
    let result = drive(
        scenario,
        transport,
        &mut Observe::default(),
        true,
        Some(&mut states),
    )
    .and_then(|(trace, injected)| finish(scenario, transport, trace, injected));
    Recorded { result, states }
}

/// The Shopify orders a scenario names: its set-up's and its steps', in id order.
fn orders_named(scenario: &Scenario) -> Vec<OrderId> {
    let mut ids: Vec<OrderId> = scenario.orders.iter().map(|o| o.order.id).collect();
    for entry in &scenario.steps {
        let mut step = &entry.step;
        if let Action::ExpectError(e) = step.action() {
            step = &e.step;
        }
        if let Action::Shopify(s) = step.action() {
            ids.push(s.order());
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The state of the world after a step, for [`run_recorded`].
fn step_state(
    transport: &mut dyn Transport,
    orders: &[OrderId],
    entry: &TraceEntry,
) -> Result<StepState, FailureReason> {
    let mut shopify = Vec::new();
    for &id in orders {
        if let Some(order) = transport.shopify_order(id).map_err(step_error)? {
            shopify.push(ShopifyOrderView::of(&order));
        }
    }
    on_katana(transport, |katana, _| {
        StepState::of(entry.clone(), katana, shopify)
    })
}

/// Runs the set-up and every step, checking the invariants after each; when
/// `record`, the trace and the faults injected on the wire, by step.
fn drive(
    scenario: &Scenario,
    transport: &mut dyn Transport,
    observe: &mut Observe<'_>,
    record: bool,
    mut states: Option<&mut Vec<StepState>>,
) -> Result<(Vec<TraceEntry>, Vec<String>), Box<Failure>> {
    let orders = match states {
        Some(_) => orders_named(scenario),
        None => Vec::new(),
    };
    let mut injected = Vec::new();
    let mut note_injected = |transport: &mut dyn Transport, step: usize| {
        if record {
            let what = if step == 0 {
                "set-up".to_string()
            } else {
                format!("step {step}")
            };
            for line in transport.injected_faults()? {
                injected.push(format!("{what}: {line}"));
            }
        }
        Ok::<(), StepError>(())
    };
    let setup_failure = |reason| {
        Box::new(Failure {
            path: scenario.path.clone(),
            step: 0,
            loc: None,
            step_text: "set-up".into(),
            reason,
        })
    };
    let start = scenario.start.unwrap_or(DEFAULT_START);
    let faults_of = |step: usize| -> Vec<shopify_mock::Fault> {
        scenario
            .faults
            .iter()
            .filter(|f| f.step == step)
            .map(|f| f.fault.clone())
            .collect()
    };
    transport
        .arm_faults(&faults_of(0))
        .map_err(|e| setup_failure(step_error(e)))?;
    let setup_lines = setup(scenario, transport, start)?;
    let mut invariants = Invariants::new();
    let setup_checked = on_katana(transport, |katana, _| {
        invariants.check(StepKind::Setup, &Katana::new(), katana)
    })
    .and_then(|r| r.map_err(FailureReason::Invariant));
    if let Err(reason) = setup_checked {
        return Err(setup_failure(reason));
    }
    note_injected(transport, 0).map_err(|e| setup_failure(step_error(e)))?;
    let mut trace = Vec::new();
    if record {
        let entry = TraceEntry::new(0, start, "set-up".to_string(), setup_lines);
        if let Some(states) = states.as_deref_mut() {
            let state = step_state(transport, &orders, &entry).map_err(setup_failure)?;
            states.push(state);
        }
        trace.push(entry);
    }
    let mut at = start;
    for (i, entry) in scenario.steps.iter().enumerate() {
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
        // The check refuses a `start` too late for its steps (rules.md §8).
        at = at.checked_add(STEP).map_err(|_| {
            fail(FailureReason::Transport(
                "the simulated clock ran past the last representable instant".into(),
            ))
        })?;
        transport
            .arm_faults(&faults_of(number))
            .map_err(|e| fail(step_error(e)))?;
        let before = on_katana(transport, |katana, _| katana.clone()).map_err(fail)?;
        if let Some(f) = observe.before_step.as_mut() {
            f(&entry.step, &before);
        }
        let lines = match run_step(transport, &entry.step, at) {
            Err(FailureReason::Refused(r)) if observe.allow_refusals => {
                observe.refused.push((number, r.kind()));
                vec![TraceLine::RefusedAsExpected(r)]
            }
            other => other.map_err(fail)?,
        };
        note_injected(transport, number).map_err(|e| fail(step_error(e)))?;
        check_invariants(transport, &mut invariants, &entry.step, &lines, &before).map_err(fail)?;
        if record {
            let traced = TraceEntry::new(number, at, entry.step.to_string(), lines);
            if let Some(states) = states.as_deref_mut() {
                states.push(step_state(transport, &orders, &traced).map_err(fail)?);
            }
            trace.push(traced);
        }
    }
    Ok((trace, injected))
}

/// Builds a scenario's set-up: Shopify orders and their import, then delivery
/// statuses and MOs. Returns the trace lines of the set-up.
///
/// When Shopify refuses an order, the orders are created again on a scratch store,
/// one by one, so that the set-up fails at the refused order's own entry, with the
/// same refusal whatever the transport.
fn setup(
    scenario: &Scenario,
    transport: &mut dyn Transport,
    at: Timestamp,
) -> Result<Vec<TraceLine>, Box<Failure>> {
    let mut settings = Settings::default();
    scenario.settings.apply(&mut settings);
    let fail = |loc: Option<Loc>, what: String, reason: FailureReason| {
        Box::new(Failure {
            path: scenario.path.clone(),
            step: 0,
            loc,
            step_text: what,
            reason,
        })
    };
    let orders: Vec<NewOrder> = scenario.orders.iter().map(|o| o.order.clone()).collect();
    let mut out = match transport.setup_orders(&orders, settings, at) {
        Ok(effects) => TraceLine::effects(effects),
        Err(e) => {
            // Which entry: the first Shopify refuses, created one by one on a
            // scratch store, with the same refusal whatever the transport.
            let mut sorted: Vec<_> = scenario.orders.iter().collect();
            sorted.sort_by_key(|o| o.order.id);
            let mut scratch = Store::new();
            for o in &sorted {
                if let Err(e) = scratch.create_order(&o.order, at) {
                    let what = format!("shopify.orders: order {}", o.order.id);
                    return Err(fail(Some(o.loc), what, FailureReason::Setup(e.into())));
                }
            }
            let reason = match e {
                StepError::Refused(r) => FailureReason::Setup(r),
                StepError::Transport(t) => FailureReason::Transport(t),
            };
            return Err(fail(None, "shopify.orders".into(), reason));
        }
    };
    let katana_setup = on_katana(transport, |katana, _| {
        for d in &scenario.deliveries {
            match katana.set_delivery(d.row, d.delivery) {
                Ok(fx) => out.extend(TraceLine::effects(fx)),
                Err(e) => {
                    let what = format!("katana.sales_orders: {} {}", d.row, d.delivery);
                    return Err(Box::new((d.loc, what, e)));
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
            let new = NewMo {
                id: mo.id.clone(),
                kind,
                status: mo.status,
            };
            match katana.create_mo(&new) {
                Ok(fx) => out.extend(TraceLine::effects(fx)),
                Err(e) => {
                    let what = format!("katana.manufacturing_orders: {}", mo.id);
                    return Err(Box::new((mo.loc, what, e)));
                }
            }
        }
        Ok(())
    });
    match katana_setup {
        Ok(Ok(())) => Ok(out),
        Ok(Err(refused)) => {
            let (loc, what, e) = *refused;
            Err(fail(Some(loc), what, FailureReason::Setup(e.into())))
        }
        Err(reason) => Err(fail(None, "katana".into(), reason)),
    }
}
