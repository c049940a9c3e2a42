//! `explore` in CI: a fixed budget of seeded cases, every invariant on every step,
//! in process and over HTTP; the same seed gives the same bytes; every cell of
//! change × MO type × status × delivery is reached; shrinking ends in a small case
//! that still fails.

use katana_sim::explore::case::{Case, FaultPlan, prepare};
use katana_sim::explore::coverage::Coverage;
use katana_sim::explore::{self, Config, Finding, Outcome, Transports};

fn config(seed: u64, cases: u64, transports: Transports) -> Config {
    Config {
        transports,
        ..Config::new(seed, cases)
    }
}

fn run(config: &Config) -> Coverage {
    let mut coverage = Coverage::default();
    for k in explore::case_numbers(config) {
        let (outcome, _) = explore::run_case(config, k, &mut coverage);
        match outcome {
            Outcome::Passed(_) => {}
            Outcome::Failed { finding, text, .. } => panic!(
                "{}: {}\n{}\n{text}",
                explore::repro(config, k),
                finding.property,
                finding.detail
            ),
            Outcome::Invalid(e) => panic!("{}: {e}", explore::repro(config, k)),
        }
    }
    coverage
}

#[test]
fn a_thousand_cases_in_process_hold_and_reach_every_cell() {
    let coverage = run(&config(20261128, 1000, Transports::InProcess));
    assert_eq!(
        coverage.missed(),
        vec![],
        "cells the generator should reach and did not"
    );
}

#[test]
fn a_hundred_cases_give_the_same_outcome_on_both_transports() {
    run(&config(7, 100, Transports::Both));
}

/// With the light fault plan over HTTP, the outcome is the fault-free one.
#[test]
fn a_hundred_cases_with_light_faults_change_nothing() {
    let mut c = config(8, 100, Transports::Both);
    c.faults = FaultPlan::Light;
    run(&c);
    let faulted = (0..100).filter(|k| {
        !Case::generate_with(8, *k, 12, &FaultPlan::Light)
            .faults
            .is_empty()
    });
    assert!(faulted.count() > 30, "the light plan plans faults");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let mut c = config(11, 20, Transports::InProcess);
    c.check_determinism = true;
    run(&c);
    for k in 0..20 {
        let a = prepare(&Case::generate(11, k, 12), "x")
            .expect("valid")
            .text;
        let b = prepare(&Case::generate(11, k, 12), "x")
            .expect("valid")
            .text;
        assert_eq!(a, b, "case {k}");
    }
    assert_ne!(
        prepare(&Case::generate(11, 0, 12), "x").unwrap().text,
        prepare(&Case::generate(12, 0, 12), "x").unwrap().text,
        "another seed, another case"
    );
}

#[test]
fn shards_split_the_cases_without_overlap() {
    let mut seen = Vec::new();
    for k in 1..=3 {
        let mut c = config(1, 10, Transports::InProcess);
        c.shard = (k, 3);
        seen.extend(explore::case_numbers(&c));
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

/// A property that "fails" whenever a `cancel` step is there: shrinking keeps one
/// cancel and drops everything it can.
#[test]
fn shrinking_ends_in_a_small_case_that_still_fails() {
    let has_cancel = |case: &Case| {
        let prepared = prepare(case, "x").ok()?;
        prepared.text.contains("cancel: {").then(|| Finding {
            property: "has a cancel".into(),
            detail: String::new(),
        })
    };
    let case = (0..200)
        .map(|k| Case::generate(3, k, 12))
        .find(|c| c.steps.len() > 4 && has_cancel(c).is_some())
        .expect("a case with a cancel among the first 200");
    let finding = has_cancel(&case).unwrap();
    let (small, _) = explore::shrink_with(case.clone(), finding, has_cancel);
    assert!(has_cancel(&small).is_some());
    assert_eq!(small.steps.len(), 1, "{small:?}");
    assert!(
        small.mos.is_empty() && small.deliveries.is_empty(),
        "{small:?}"
    );
    assert!(small.orders.len() <= case.orders.len());
}

/// A case built directly is the scenario its file reads as, locations included;
/// every generated case is a scenario the check accepts.
#[test]
fn a_case_built_directly_is_the_scenario_its_file_reads_as() {
    for plan in [FaultPlan::None, FaultPlan::Heavy] {
        for k in 0..300 {
            let case = Case::generate_with(5, k, 12, &plan);
            let prepared = prepare(&case, "d").expect("the check accepts every case");
            assert_eq!(
                case.scenario("d", &prepared.steps),
                prepared.scenario,
                "{}",
                prepared.text
            );
        }
    }
}

/// Several worlds at a time give the same results, handed over in case order, and
/// the same coverage; a stop leaves the first cases run and no other.
#[test]
fn cases_run_at_once_give_the_same_results_in_order() {
    let c = config(21, 40, Transports::InProcess);
    let collect = |jobs: usize, stop: &(dyn Fn() -> bool + Sync)| {
        let mut seen = Vec::new();
        let coverage = explore::run_cases(&c, jobs, stop, |r| {
            seen.push((r.index, format!("{:?}", r.outcome), r.steps));
            Ok::<(), ()>(())
        })
        .unwrap();
        (seen, coverage)
    };
    let never = || false;
    let (one, cov1) = collect(1, &never);
    let (three, cov3) = collect(3, &never);
    assert_eq!(one, three);
    assert_eq!(one.len(), 40);
    assert_eq!(cov1.hits, cov3.hits);
    assert_eq!(cov1.checked_steps, cov3.checked_steps);

    let asked = std::sync::atomic::AtomicUsize::new(0);
    let after_ten = || asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 10;
    let (some, _) = collect(3, &after_ten);
    assert!(!some.is_empty() && some.len() < 40, "{}", some.len());
    assert_eq!(some[..], one[..some.len()], "the first cases, in order");
}

/// `--weights` changes how often each step kind is drawn; bad weights are refused
/// with the fix.
#[test]
fn weights_choose_the_steps_and_bad_weights_are_refused() {
    use katana_sim::explore::Weights;
    let only_edits: String = katana_sim::steps::STEPS
        .iter()
        .filter(|s| s.weight > 0)
        .map(|s| format!("{}={}", s.name, u32::from(s.name == "edit")))
        .collect::<Vec<_>>()
        .join(",");
    let mut c = config(4, 30, Transports::InProcess);
    c.weights = Some(Weights::parse(&only_edits).expect("valid"));
    for k in 0..30 {
        let case = c.case(k);
        assert!(!case.steps.is_empty());
        assert!(case.steps.iter().all(|s| s.name() == "edit"), "{case:?}");
    }
    run(&c);
    // Unnamed steps keep their weights: the same cases as without `--weights`.
    let same = Weights::parse("edit=10").expect("valid");
    let mut d = config(4, 30, Transports::InProcess);
    let plain: Vec<Case> = (0..30).map(|k| d.case(k)).collect();
    d.weights = Some(same);
    assert_eq!((0..30).map(|k| d.case(k)).collect::<Vec<_>>(), plain);

    let err = Weights::parse("edti=3").unwrap_err();
    assert!(err.contains("did you mean `edit`?"), "{err}");
    assert!(Weights::parse("edit").unwrap_err().contains("step=weight"));
    assert!(Weights::parse("edit=x").unwrap_err().contains("0 to 1000"));
    assert!(
        Weights::parse("edit=1001")
            .unwrap_err()
            .contains("0 to 1000")
    );
    assert!(
        Weights::parse("expect=3")
            .unwrap_err()
            .contains("not a step explore draws")
    );
    let all_zero: String = katana_sim::steps::STEPS
        .iter()
        .filter(|s| s.weight > 0)
        .map(|s| format!("{}=0", s.name))
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        Weights::parse(&all_zero)
            .unwrap_err()
            .contains("every weight is 0")
    );
}

/// The repro line names every option that shapes the case, so it replays the
/// same case.
#[test]
fn the_repro_line_names_the_options_that_shape_the_case() {
    let mut c = config(9, 10, Transports::InProcess);
    assert_eq!(
        explore::repro(&c, 3),
        "katana-sim explore --seed 9 --case 3"
    );
    c.max_steps = 25;
    c.transports = Transports::Both;
    c.faults = FaultPlan::Heavy;
    c.weights = Some(katana_sim::explore::Weights::parse("edit=20").unwrap());
    c.check_determinism = true;
    assert_eq!(
        explore::repro(&c, 3),
        "katana-sim explore --seed 9 --case 3 --max-steps 25 --transport both --faults heavy --weights edit=20 --check-determinism"
    );
}
