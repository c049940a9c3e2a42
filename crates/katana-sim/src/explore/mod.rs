//! `katana-sim explore`: seeded random scenarios, checked against the invariants on
//! every step, across transports and twice for determinism, and shrunk to a small
//! scenario file when one fails.
//!
//! A run is a seed and a number of cases; case *k* is made from the seed and *k*
//! alone ([`generator::Gen::new`]), so `--shard` splits a run across machines and
//! `--case` replays one case, with the same bytes every time. Each case is an
//! ordinary scenario ([`case`]): what it finds is saved as a file `katana-sim run`
//! replays.

pub mod case;
pub mod coverage;
pub mod generator;

use std::path::{Path, PathBuf};

use crate::http::Http;
use crate::runner::{self, FailureReason, InProcess, Observe};
use crate::scenario::Scenario;
use crate::snapshot::Snapshot;
use crate::steps::STEPS;
use case::{Case, prepare};
use coverage::Coverage;

/// Which transports a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transports {
    /// In process only.
    InProcess,
    /// Over HTTP only.
    Http,
    /// Both, and their outcomes must be the same.
    Both,
}

/// What to explore.
#[derive(Debug, Clone)]
pub struct Config {
    /// The run's seed.
    pub seed: u64,
    /// How many cases (case numbers `0..cases`).
    pub cases: u64,
    /// At most this many steps per case.
    pub max_steps: usize,
    /// Where cases run.
    pub transports: Transports,
    /// Run every case twice, and generate it twice, comparing bytes.
    pub check_determinism: bool,
    /// Only the cases `k` with `k % n == shard - 1` (`shard` from 1).
    pub shard: (u64, u64),
    /// Only this case, when given.
    pub only_case: Option<u64>,
    /// The faults planned on the wire (over HTTP).
    pub faults: case::FaultPlan,
    /// How often each step kind is drawn, when not the steps' own weights.
    pub weights: Option<Weights>,
}

/// The default number of steps per case at most (`--max-steps`).
pub const DEFAULT_MAX_STEPS: usize = 12;

impl Config {
    /// A run of `cases` cases from `seed`, in process, with every other option at
    /// its default (as `katana-sim explore` has them).
    pub fn new(seed: u64, cases: u64) -> Self {
        Self {
            seed,
            cases,
            max_steps: DEFAULT_MAX_STEPS,
            transports: Transports::InProcess,
            check_determinism: false,
            shard: (1, 1),
            only_case: None,
            faults: case::FaultPlan::None,
            weights: None,
        }
    }

    /// Case `index` of this run.
    pub fn case(&self, index: u64) -> Case {
        Case::generate_weighted(
            self.seed,
            index,
            self.max_steps,
            &self.faults,
            self.weights.as_ref().map(|w| w.by_step.as_slice()),
        )
    }
}

/// How often each step kind is drawn (`--weights edit=20,refund=0`): the steps'
/// own weights, with some changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weights {
    /// As written.
    pub spec: String,
    /// One weight per entry of the step list.
    pub by_step: Vec<u32>,
}

impl Weights {
    /// Reads `name=weight,…`; unnamed steps keep their own weight. A name that is
    /// not a step, a weight that is not a number up to 1,000, or every weight 0 is
    /// refused with the fix.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut by_step: Vec<u32> = STEPS.iter().map(|s| s.weight).collect();
        let drawn: Vec<&str> = STEPS
            .iter()
            .filter(|s| s.weight > 0)
            .map(|s| s.name)
            .collect();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, weight)) = part.split_once('=') else {
                return Err(format!(
                    "`{part}`: write `step=weight`, e.g. `edit=20,refund=0`"
                ));
            };
            let (name, weight) = (name.trim(), weight.trim());
            let Some(i) = STEPS.iter().position(|s| s.name == name && s.weight > 0) else {
                return Err(format!(
                    "`{name}` is not a step explore draws; {}",
                    crate::scenario::convert::suggestion(name, &drawn, "steps")
                ));
            };
            by_step[i] = match weight.parse::<u32>() {
                Ok(w) if w <= 1000 => w,
                _ => {
                    return Err(format!(
                        "`{part}`: the weight is a whole number from 0 to 1000"
                    ));
                }
            };
        }
        if by_step.iter().all(|w| *w == 0) {
            return Err("every weight is 0: give at least one step a weight".into());
        }
        Ok(Self {
            spec: spec.to_string(),
            by_step,
        })
    }
}

/// A property that did not hold for a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which property, stable across shrinking: e.g. `invariant mts_untouched`,
    /// `transports differ`, `determinism`, `run fails`.
    pub property: String,
    /// What happened.
    pub detail: String,
}

/// One case's result.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every property holds; the number of steps run.
    Passed(usize),
    /// A property does not hold: the shrunk case and its file.
    Failed {
        /// What failed.
        finding: Finding,
        /// The shrunk case, as a scenario file.
        text: String,
        /// Its file name.
        file: PathBuf,
    },
    /// The generator made a case the check refuses (a bug of the generator).
    Invalid(String),
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases run.
    pub cases: u64,
    /// Steps run (in process; each transport runs the same steps).
    pub steps: u64,
    /// Cases that failed, by number.
    pub failed: Vec<(u64, Finding, PathBuf)>,
    /// Cases the check refused (generator bugs).
    pub invalid: Vec<(u64, String)>,
    /// Which cells of change × MO × status × delivery were reached.
    pub coverage: Coverage,
}

/// The repro line of case `case` of a run: the seed, the case, and every option
/// that shapes the case or what is checked, when not the default.
pub fn repro(config: &Config, case: u64) -> String {
    let mut line = format!("katana-sim explore --seed {} --case {case}", config.seed);
    if config.max_steps != DEFAULT_MAX_STEPS {
        line.push_str(&format!(" --max-steps {}", config.max_steps));
    }
    match config.transports {
        Transports::InProcess => {}
        Transports::Http => line.push_str(" --transport http"),
        Transports::Both => line.push_str(" --transport both"),
    }
    match &config.faults {
        case::FaultPlan::None => {}
        case::FaultPlan::Light => line.push_str(" --faults light"),
        case::FaultPlan::Heavy => line.push_str(" --faults heavy"),
        case::FaultPlan::Fixed { file, .. } => {
            line.push_str(&format!(" --faults {}", file.display()));
        }
    }
    if let Some(w) = &config.weights {
        line.push_str(&format!(" --weights {}", w.spec));
    }
    if config.check_determinism {
        line.push_str(" --check-determinism");
    }
    line
}

fn description(config: &Config, case: &Case, finding: Option<&Finding>) -> String {
    match finding {
        None => format!(
            "Generated by {} (replay it with katana-sim run).",
            repro(config, case.index)
        ),
        Some(f) => format!(
            "Found by {}: {}. {} Replay: katana-sim run --transport both <this file>.",
            repro(config, case.index),
            f.property,
            f.detail.lines().next().unwrap_or_default()
        ),
    }
}

fn finding_of(failure: &runner::Failure) -> Finding {
    let property = match &failure.reason {
        FailureReason::Invariant(v) => format!("invariant {}", v.invariant),
        FailureReason::Transport(_) => "transport error".to_string(),
        FailureReason::Refused(r) => format!("refused ({})", r.kind()),
        FailureReason::NotRefused => "not refused".to_string(),
        FailureReason::WrongRefusal { .. } => "another refusal".to_string(),
        FailureReason::Expect(_) => "expect".to_string(),
        FailureReason::Setup(r) => format!("set-up refused ({})", r.kind()),
    };
    Finding {
        property,
        detail: failure.to_string(),
    }
}

fn over_http(scenario: &Scenario, allow_refusals: bool) -> Result<Snapshot, Box<runner::Failure>> {
    let mut http = Http::for_scenario(scenario)?;
    observed(allow_refusals, None, |o| {
        runner::run_observed(scenario, &mut http, o)
    })
}

/// Runs `run` with an [`Observe`] that allows refusals or not and reports the cells
/// each step reaches to `coverage`.
fn observed<R>(
    allow_refusals: bool,
    coverage: Option<&mut Coverage>,
    run: impl FnOnce(&mut Observe<'_>) -> R,
) -> R {
    let mut record;
    let mut observe = Observe {
        allow_refusals,
        ..Observe::default()
    };
    if let Some(coverage) = coverage {
        record = |step: &crate::steps::Step, before: &katana_rules::Katana| {
            coverage.record(step, before)
        };
        observe.before_step = Some(&mut record);
    }
    run(&mut observe)
}

/// Runs `scenario` in process, reporting the cells it reaches to `coverage`.
fn run_in_process(
    scenario: &Scenario,
    allow_refusals: bool,
    coverage: Option<&mut Coverage>,
) -> Result<Snapshot, Box<runner::Failure>> {
    observed(allow_refusals, coverage, |o| {
        runner::run_observed(scenario, &mut InProcess::new(), o)
    })
}

/// [`run_in_process`] when nothing is compared with the run: no trace, no snapshot.
fn run_in_process_unrecorded(
    scenario: &Scenario,
    allow_refusals: bool,
    coverage: Option<&mut Coverage>,
) -> Result<(), Box<runner::Failure>> {
    observed(allow_refusals, coverage, |o| {
        runner::run_unrecorded(scenario, &mut InProcess::new(), o)
    })
}

/// Checks every property of a case run as `scenario`; the first that fails.
///
/// `allow_refusals` runs the case as generated, a refused step changing nothing
/// (what `explore` does with every case); without it, `scenario` is the case as
/// its file is written, refusals pinned as `expect_error` (what shrinking and a
/// saved file do). With `coverage`, the in-process run (or, over HTTP only, one
/// made for it) records the cells it reaches.
fn check(
    config: &Config,
    case: &Case,
    scenario: &Scenario,
    allow_refusals: bool,
    coverage: Option<&mut Coverage>,
) -> Option<Finding> {
    let compared = config.transports != Transports::InProcess || config.check_determinism;
    let in_process = match (config.transports, coverage) {
        (Transports::Http, Some(c)) => {
            let _ = run_in_process_unrecorded(scenario, allow_refusals, Some(c));
            None
        }
        (_, c) if !compared => {
            if let Err(f) = run_in_process_unrecorded(scenario, allow_refusals, c) {
                return Some(finding_of(&f));
            }
            None
        }
        (Transports::Http, None) => None,
        (_, c) => Some(run_in_process(scenario, allow_refusals, c)),
    };
    if let Some(Err(f)) = &in_process {
        return Some(finding_of(f));
    }
    if config.transports != Transports::InProcess {
        let http = over_http(scenario, allow_refusals);
        match (&in_process, &http) {
            (_, Err(f)) if config.transports == Transports::Http => return Some(finding_of(f)),
            (Some(a), b) => {
                if let Some(diff) = runner::outcome_diff(a, b) {
                    return Some(Finding {
                        property: "transports differ".into(),
                        detail: diff,
                    });
                }
            }
            _ => {}
        }
    }
    if config.check_determinism {
        let again = config.case(case.index);
        let text = |c: &Case| c.to_yaml(&description(config, c, None), &c.steps).0;
        let same_case = again == *case && text(&again) == text(case);
        // The in-process run above is the first (over HTTP only there was none).
        let first = match in_process {
            Some(first) => first,
            None => run_in_process(scenario, allow_refusals, None),
        };
        let second = run_in_process(scenario, allow_refusals, None);
        if !same_case || runner::outcome_text(&first) != runner::outcome_text(&second) {
            return Some(Finding {
                property: "determinism".into(),
                detail: "the same seed and case gave different bytes".into(),
            });
        }
    }
    None
}

/// Runs one case: generate and check it as generated; a case that fails is
/// written as its file (refusals pinned), checked again that way, shrunk and
/// returned with its text.
pub fn run_case(config: &Config, index: u64, coverage: &mut Coverage) -> (Outcome, usize) {
    let case = config.case(index);
    let scenario = case.scenario(&description(config, &case, None), &case.steps);
    let steps = scenario.steps.len();
    coverage.checked_steps += steps as u64;
    for f in &scenario.faults {
        *coverage.faults.entry(f.kind().to_string()).or_default() += 1;
    }
    if check(config, &case, &scenario, true, Some(coverage)).is_none() {
        return (Outcome::Passed(steps), steps);
    }
    // The file as written: steps the check refuses dropped, refusals pinned.
    let prepared = match prepare(&case, &description(config, &case, None)) {
        Ok(p) => p,
        Err(e) => return (Outcome::Invalid(e), steps),
    };
    let Some(finding) = check(config, &case, &prepared.scenario, false, None) else {
        return (Outcome::Passed(steps), steps);
    };
    let (small, finding) = shrink(config, case, finding);
    let text = prepare(&small, &description(config, &small, Some(&finding)))
        .map(|p| p.text)
        .unwrap_or_default();
    let file = small.path();
    (
        Outcome::Failed {
            finding,
            text,
            file,
        },
        steps,
    )
}

/// Makes a failing case smaller while it fails with the same property: fewer
/// steps, MOs, deliveries, orders and lines, and smaller quantities.
pub fn shrink(config: &Config, case: Case, finding: Finding) -> (Case, Finding) {
    let property = finding.property.clone();
    shrink_with(case, finding, |candidate| {
        let prepared = prepare(candidate, &description(config, candidate, None)).ok()?;
        check(config, candidate, &prepared.scenario, false, None).filter(|f| f.property == property)
    })
}

/// Shrinks `case` while `fails` says it still fails (with what); at most 400 tries.
pub fn shrink_with(
    mut case: Case,
    mut finding: Finding,
    mut fails: impl FnMut(&Case) -> Option<Finding>,
) -> (Case, Finding) {
    let mut budget = 400;
    loop {
        let mut improved = false;
        for candidate in smaller(&case) {
            if budget == 0 {
                return (case, finding);
            }
            budget -= 1;
            if let Some(f) = fails(&candidate) {
                case = candidate;
                finding = f;
                improved = true;
                break;
            }
        }
        if !improved {
            return (case, finding);
        }
    }
}

/// Every case one simplification away from `case`, smallest change last.
fn smaller(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    // Halves of the steps first, then each step.
    let n = case.steps.len();
    if n > 1 {
        for (from, to) in [(0, n / 2), (n / 2, n)] {
            let mut c = case.clone();
            c.steps.drain(from..to);
            out.push(c);
        }
    }
    for i in 0..n {
        let mut c = case.clone();
        c.steps.remove(i);
        // The faults of later steps move with them; those of the step go.
        c.faults.retain(|f| f.step != i + 1);
        for f in &mut c.faults {
            if f.step > i + 1 {
                f.step -= 1;
            }
        }
        out.push(c);
    }
    if !case.faults.is_empty() {
        let mut c = case.clone();
        c.faults.clear();
        out.push(c);
    }
    for i in 0..case.faults.len() {
        let mut c = case.clone();
        c.faults.remove(i);
        out.push(c);
    }
    for i in 0..case.mos.len() {
        let mut c = case.clone();
        c.mos.remove(i);
        out.push(c);
    }
    for i in 0..case.deliveries.len() {
        let mut c = case.clone();
        c.deliveries.remove(i);
        out.push(c);
    }
    for i in 0..case.orders.len() {
        let mut c = case.clone();
        let gone = c.orders.remove(i).id;
        c.mos.retain(
            |(_, kind, _)| !matches!(kind, case::CaseMo::MakeToOrder(r) if r.order == gone),
        );
        c.deliveries.retain(|(r, _)| r.order != gone);
        out.push(c);
    }
    for (i, order) in case.orders.iter().enumerate() {
        for j in 0..order.lines.len() {
            if order.lines.len() < 2 {
                break;
            }
            let mut c = case.clone();
            let gone = c.orders[i].lines.remove(j).id;
            c.mos.retain(
                |(_, kind, _)| !matches!(kind, case::CaseMo::MakeToOrder(r) if r.line == gone),
            );
            c.deliveries.retain(|(r, _)| r.line != gone);
            out.push(c);
        }
        for j in 0..order.lines.len() {
            let line = &order.lines[j];
            if line.quantity > 1 && line.fulfilled < line.quantity {
                let mut c = case.clone();
                let l = &mut c.orders[i].lines[j];
                l.quantity = (l.quantity / 2).max(l.fulfilled).max(1);
                out.push(c);
            }
        }
    }
    out
}

/// One case's result, as [`run_cases`] hands it over.
#[derive(Debug)]
pub struct CaseResult {
    /// The case's number.
    pub index: u64,
    /// What happened.
    pub outcome: Outcome,
    /// Steps run.
    pub steps: usize,
}

/// Runs the cases of `config` (its shard, or its one case) on `jobs` threads, each
/// case a world of its own, and hands every result to `each` on the calling
/// thread, in case order whatever the threads do. `stop` is asked before each
/// case is started: once it says yes, no case starts, and the cases started
/// finish (so the cases run are always the first ones). Returns the coverage of
/// the cases run.
pub fn run_cases<E>(
    config: &Config,
    jobs: usize,
    stop: &(dyn Fn() -> bool + Sync),
    mut each: impl FnMut(CaseResult) -> Result<(), E>,
) -> Result<Coverage, E> {
    let numbers = case_numbers(config);
    let mut coverage = Coverage::default();
    if jobs <= 1 || numbers.len() <= 1 {
        for &index in &numbers {
            if stop() {
                break;
            }
            let (outcome, steps) = run_case(config, index, &mut coverage);
            each(CaseResult {
                index,
                outcome,
                steps,
            })?;
        }
        return Ok(coverage);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (send, receive) = std::sync::mpsc::channel::<(usize, CaseResult)>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.min(numbers.len()))
            .map(|_| {
                let send = send.clone();
                let (next, numbers) = (&next, &numbers);
                scope.spawn(move || {
                    let mut mine = Coverage::default();
                    loop {
                        if stop() {
                            break;
                        }
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(&index) = numbers.get(at) else {
                            break;
                        };
                        let (outcome, steps) = run_case(config, index, &mut mine);
                        let result = CaseResult {
                            index,
                            outcome,
                            steps,
                        };
                        if send.send((at, result)).is_err() {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        drop(send);
        // Results come in any order; hand them over in case order.
        let mut waiting = std::collections::BTreeMap::new();
        let mut due = 0;
        let mut handed = Ok(());
        for (at, result) in receive {
            waiting.insert(at, result);
            while let Some(result) = waiting.remove(&due) {
                due += 1;
                if handed.is_ok() {
                    handed = each(result);
                    if handed.is_err() {
                        // Stop the workers: nothing more is wanted.
                        next.store(usize::MAX / 2, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            }
        }
        for worker in workers {
            match worker.join() {
                Ok(share) => coverage.merge(&share),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        handed
    })?;
    Ok(coverage)
}

/// The case numbers of a run (its shard, or one case).
pub fn case_numbers(config: &Config) -> Vec<u64> {
    if let Some(k) = config.only_case {
        return vec![k];
    }
    let (k, n) = config.shard;
    (0..config.cases)
        .filter(|i| n <= 1 || i % n == k.saturating_sub(1))
        .collect()
}

/// Saves a failing case's file under `dir`; the path written.
pub fn save(dir: &Path, file: &Path, text: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file);
    std::fs::write(&path, text)?;
    Ok(path)
}
