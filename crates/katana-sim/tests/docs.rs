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

/// The documents a user reads: README, ARCHITECTURE, docs/ and the mock's README.
fn documents() -> Vec<std::path::PathBuf> {
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
    docs
}

#[test]
fn no_document_points_outside_the_repository() {
    let docs = documents();
    for doc in docs {
        let text = std::fs::read_to_string(&doc).expect("readable");
        assert!(
            !text.contains("../shared") && !text.contains("shared/spec"),
            "{} points outside the repository (../shared)",
            doc.display()
        );
    }
}

#[test]
fn the_json_schema_is_current() {
    current(
        "docs/scenario.schema.json",
        &katana_sim::scenario::schema::scenario_schema_json(),
        "docs schema",
    );
}

fn schema_validator() -> jsonschema::Validator {
    let schema = katana_sim::scenario::schema::scenario_schema();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("the schema is not valid: {e}"))
}

/// A scenario file as JSON, the way an editor's YAML language server sees it.
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("readable");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_scenario_file_validates_against_the_schema() {
    let validator = schema_validator();
    let root = repo_root();
    let folders = [
        root.join("scenarios"),
        root.join("crates/katana-sim/tests/edges"),
    ];
    let files = suite::discover(&folders).expect("scenario folders");
    assert!(files.len() > 50, "{} files", files.len());
    for file in files {
        let value = as_json(&file);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not validate:\n{}",
            file.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn the_schema_refuses_what_the_check_refuses_in_shape() {
    let validator = schema_validator();
    let bad = [
        "description: x\nsteps: [{ edit: { order: 1, line: 1, quantity: 1, qty: 2 } }]",
        "description: x\nsteps: [{ frobnicate: {} }]",
        "description: x\nsteps: [{ edit: { order: 1, line: 1 } }]",
        "description: x\nsteps: [{ add_line: { order: 1, line: 2, sku: S, quantity: 0 } }]",
        "description: x\nsteps: [{ dismiss: MO-1, keep_mo_quantity: MO-1 }]",
        "description: x\nsteps: [{ expect: { MO-1: { indicator: amber } } }]",
        "description: x\nsteps: [{ expect_error: { step: { dismiss: MO-1 }, kind: no_such_kind } }]",
        "description: x\nshopify: { orders: [{ id: 1, lines: [] }] }",
        "descripton: x",
    ];
    for text in bad {
        let value: serde_json::Value = serde_saphyr::from_str(text).expect("YAML");
        assert!(!validator.is_valid(&value), "the schema accepts: {text}");
        assert!(
            parse_scenario(Path::new("bad.yaml"), text).is_err(),
            "the check accepts: {text}"
        );
    }
}

/// Every relative link of the documents (`[text](path)`, `#anchor` dropped) points
/// at a file or folder of the repository.
#[test]
fn every_relative_link_points_at_a_file() {
    let docs = documents();
    let mut broken = Vec::new();
    for doc in docs {
        let text = std::fs::read_to_string(&doc).expect("readable");
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap_or_default().trim();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let base = doc.parent().expect("in a folder");
            if !base.join(target).exists() {
                broken.push(format!("{}: {target}", doc.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to nothing:\n{}",
        broken.join("\n")
    );
}
