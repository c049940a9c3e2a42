//! The project documents itself: the step reference and the refusal kinds in
//! `docs/` are generated from the code and must be current; every step's example
//! parses; every refusal kind a scenario can meet appears in `scenarios/`; and no
//! document points outside the repository.

use std::path::Path;

use katana_sim::refusal::{self, NOT_IN_SCENARIOS};
use katana_sim::scenario::parse_scenario;
use katana_sim::steps::{self, STEPS};
use katana_sim::suite::{self, repo_root};

fn current(file: &str, generated: &str, command: &str) {
    let path = repo_root().join(file);
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{file} is not current: regenerate it with `cargo run -p katana-sim -- {command} > {file}`"
    );
}

#[test]
fn the_step_reference_is_current() {
    current("docs/steps.md", &steps::reference_markdown(), "docs steps");
}

#[test]
fn the_refusal_kinds_are_current() {
    current(
        "docs/refusals.md",
        &refusal::reference_markdown(),
        "docs refusals",
    );
}

/// A world every example can refer to.
const BASE: &str = "\
description: the examples of the step reference
shopify:
  orders:
    - id: 1001
      lines:
        - { id: 11, sku: OAK-TABLE, quantity: 5 }
        - { id: 12, sku: OAK-CHAIR, quantity: 4 }
        - { id: 13, sku: OAK-BENCH, quantity: 2 }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 }, status: in_progress }
steps:
";

#[test]
fn every_step_example_parses_as_that_step() {
    for step in STEPS {
        let example = step
            .doc
            .example
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>();
        let text = format!("{BASE}{example}");
        let scenario = parse_scenario(Path::new("example.yaml"), &text)
            .unwrap_or_else(|e| panic!("the example of `{}` does not parse:\n{e}", step.name));
        assert_eq!(scenario.steps.len(), 1, "{}", step.name);
        assert_eq!(scenario.steps[0].step.name(), step.name);
    }
}

#[test]
fn every_refusal_kind_a_scenario_can_meet_appears_in_the_suite() {
    let scenarios = repo_root().join("scenarios");
    let files = suite::discover(std::slice::from_ref(&scenarios)).expect("scenarios/");
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("readable"))
        .collect();
    let never: Vec<&str> = NOT_IN_SCENARIOS.iter().map(|(k, _)| *k).collect();
    for kind in refusal::kind_names() {
        if never.contains(&kind) {
            assert!(
                !text.contains(&format!("kind: {kind}")),
                "{kind} is listed as never in a scenario, yet a scenario names it"
            );
            continue;
        }
        assert!(
            text.contains(&format!("kind: {kind}")),
            "no scenario expects the refusal kind `{kind}`; add one under scenarios/"
        );
    }
    for (kind, _) in NOT_IN_SCENARIOS {
        assert!(
            refusal::kind_names().contains(kind),
            "{kind} is not a refusal kind"
        );
    }
}

#[test]
fn no_document_points_outside_the_repository() {
    let root = repo_root();
    let mut docs = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in ["docs", "crates/shopify-mock"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                docs.push(path);
            }
        }
    }
    for doc in docs {
        let text = std::fs::read_to_string(&doc).expect("readable");
        assert!(
            !text.contains("../shared") && !text.contains("shared/spec"),
            "{} points outside the repository (../shared)",
            doc.display()
        );
    }
}
