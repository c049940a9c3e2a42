//! Faults on the wire never change the outcome: a scenario with a `faults:` plan
//! gives, over HTTP, the snapshot it gives without faults, and every planned fault
//! was really injected (none left unused).

use std::path::Path;

use katana_sim::http::Http;
use katana_sim::runner::{self, DEFAULT_START};
use katana_sim::scenario::{load_scenario, parse_scenario};
use katana_sim::suite::repo_root;
use shopify_mock::InjectedFault;

#[test]
fn every_fault_is_injected_and_changes_nothing() {
    let path = repo_root().join("scenarios/faults/every-fault.yaml");
    let scenario = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.faults.len(), 12);
    let mut http = Http::start(DEFAULT_START).expect("servers start");
    let snapshot = runner::run_with(&scenario, &mut http).unwrap_or_else(|f| panic!("{f}"));
    // The trace lists what was injected, by step, and the comparison leaves it out.
    assert!(
        snapshot.injected_faults.len() >= 12
            && snapshot
                .injected_faults
                .iter()
                .all(|l| l.starts_with("step ")),
        "{:?}",
        snapshot.injected_faults
    );
    assert!(snapshot.to_yaml().contains("\ninjected_faults:\n"));
    let faulted = snapshot.outcome_yaml();
    let injected = http.mock().injected_faults();
    let unused: Vec<String> = injected
        .iter()
        .filter(|f| matches!(f, InjectedFault::Unused { .. }))
        .map(ToString::to_string)
        .collect();
    assert!(unused.is_empty(), "planned but not injected: {unused:?}");
    assert!(injected.len() >= 12, "{injected:?}");

    // The same scenario without its faults, in process.
    let text = std::fs::read_to_string(&path).unwrap();
    let plain = text.split("\nfaults:").next().unwrap();
    let without = parse_scenario(Path::new("plain.yaml"), plain).unwrap();
    let clean = runner::run(&without).unwrap().to_yaml();
    let strip = |doc: &str| {
        let body = doc.split("\nfaults:").next().unwrap();
        body.trim_end().to_string()
    };
    assert_eq!(strip(&faulted), strip(&clean));
}

#[test]
fn a_fault_for_a_step_that_does_not_exist_is_refused() {
    let text = "\
description: x
shopify:
  orders: [{ id: 1, lines: [{ id: 2, sku: S, quantity: 1 }] }]
steps:
  - edit: { order: 1, line: 2, quantity: 2 }
faults:
  - { step: 2, fault: drop_webhook }
  - { step: 1, fault: drop_webbook }
  - { step: 1, fault: rest_429, count: 9 }
";
    assert_eq!(
        parse_scenario(Path::new("f.yaml"), text)
            .unwrap_err()
            .to_string(),
        "\
f.yaml:7:13: fault for step 2, but the scenario has 1 steps
  hint: `step` is a step number from 1, or 0 for the set-up
f.yaml:8:23: unknown fault `drop_webbook`
  hint: did you mean `drop_webhook`? Valid values: duplicate_webhook, reorder_webhooks, delay_webhook, drop_webhook, fail_delivery, rest_429, rest_5xx, rest_reset, rest_slow, graphql_throttled
f.yaml:9:40: `count` is too large: 9 (at most 4)"
    );
}

/// THROTTLED answers of one step add up: more than a client retries is refused at
/// the entry that goes past it (explore found a heavy plan stacking three).
#[test]
fn throttled_answers_of_a_step_add_up() {
    let text = "\
description: x
shopify:
  orders: [{ id: 1, lines: [{ id: 2, sku: S, quantity: 1 }] }]
steps:
  - edit: { order: 1, line: 2, quantity: 2 }
  - edit: { order: 1, line: 2, quantity: 3 }
faults:
  - { step: 1, fault: graphql_throttled, count: 2 }
  - { step: 2, fault: graphql_throttled, count: 4 }
  - { step: 1, fault: graphql_throttled, count: 2 }
  - { step: 1, fault: graphql_throttled }
";
    assert_eq!(
        parse_scenario(Path::new("f.yaml"), text)
            .unwrap_err()
            .to_string(),
        "\
f.yaml:11:5: the graphql_throttled faults of step 1 add up to 5 THROTTLED answers in a row; a client tries a call again at most 4 times
  hint: give step 1 at most 4 in all, or spread them over steps"
    );
    let within = text.replace("  - { step: 1, fault: graphql_throttled }\n", "");
    let scenario = parse_scenario(Path::new("f.yaml"), &within).expect("4 per step is fine");
    let mut http = katana_sim::http::Http::start(katana_sim::runner::DEFAULT_START).unwrap();
    katana_sim::runner::run_with(&scenario, &mut http).expect("retried through");
}

/// A fault plan file (`explore --faults FILE`) is a `faults:` list alone; what is
/// wrong in it is located, with the fix.
#[test]
fn a_fault_plan_file_is_read_and_checked() {
    use katana_sim::scenario::parse_fault_plan;
    let plan = parse_fault_plan(
        Path::new("plan.yaml"),
        "faults:\n  - { step: 40, fault: drop_webhook }\n  - { step: 2, fault: rest_5xx, count: 3 }\n",
    )
    .expect("valid");
    assert_eq!(plan.len(), 2);
    assert_eq!((plan[0].step, plan[0].kind()), (40, "drop_webhook"));
    let err = |text: &str| {
        parse_fault_plan(Path::new("plan.yaml"), text)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(""),
        "plan.yaml: the file is empty\n  hint: write `faults:` and a list of `{ step: N, fault: KIND }`"
    );
    assert!(
        err("fautls: []\n").contains("plan.yaml:1:1: unknown key `fautls`"),
        "{}",
        err("fautls: []\n")
    );
    assert!(
        err("faults:\n  - { step: 1 }\n").contains("plan.yaml:2:5"),
        "{}",
        err("faults:\n  - { step: 1 }\n")
    );
    assert!(
        err("faults: [").starts_with("plan.yaml:"),
        "{}",
        err("faults: [")
    );
}
