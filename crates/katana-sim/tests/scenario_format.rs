//! The scenario file format: the example of scenarios.md parses to the expected AST, and every
//! kind of bad input is rejected before anything runs, with `path:line:column: message` lines.
//!
//! Bad inputs live in `tests/bad-input/` (one file per kind, read through `load_scenario`);
//! each test asserts the exact report, hints included, so a reworded message is a visible diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use katana_rules::{Delivery, Indicator, MoId, MoStatus, ProductionType, RowRef};
use katana_sim::scenario::{
    DeliverySetup, Loc, MAX_FILE_BYTES, MoKind, MoSetup, OrderSetup, Scenario, SettingsPatch,
    StepEntry, load_scenario, parse_scenario,
};
use katana_sim::steps::Step;
use katana_sim::steps::cancel::Cancel;
use katana_sim::steps::dismiss::Dismiss;
use katana_sim::steps::edit::Edit;
use katana_sim::steps::expect::{
    Expect as Expectation, MessagesExpect, MoExpect, RowExpect, SoExpect,
};
use katana_sim::steps::expect_error::ExpectError;
use katana_sim::steps::keep_mo_quantity::KeepMoQuantity;
use katana_sim::steps::refund::{Refund, RefundLine};
use shopify_model::{CancelReason, FinancialStatus, NewLine, NewOrder, RestockType};

/// The example of scenarios.md, verbatim.
const EXAMPLE: &str = r##"description: An MTO MO in progress is unlinked when the Shopify quantity drops.
settings:                     # optional; defaults in rules.md §2
  sync_order_changes: true
  import_payment_pending: false
shopify:
  orders:
    - id: 1001                # Shopify order id; name defaults to "#1001"
      financial_status: paid  # default paid
      lines:
        - { id: 11, sku: OAK-TABLE, quantity: 5 }
        - { id: 12, sku: OAK-CHAIR, quantity: 4, fulfilled: 1 }   # fulfilled defaults to 0
katana:
  sales_orders:               # optional: delivery status of imported rows
    - { order: 1001, line: 12, delivery: packed }
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 }, status: in_progress }
    - { id: MO-2, sku: OAK-TABLE, quantity: 10, status: not_started }    # make-to-stock
steps:
  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect:
      MO-1: { type: make_to_stock, status: in_progress, quantity: 5, indicator: so_quantity_changed }
      MO-2: { type: make_to_stock, quantity: 10, indicator: none }
  - keep_mo_quantity: MO-1
  - expect:
      MO-1: { indicator: none, messages: 1 }
"##;

/// A valid scenario that uses every step and every optional field at least once.
const EVERY_STEP: &str = r#"description: Every step, to check parsing and Display.
start: 2026-03-01T08:30:00Z
shopify:
  orders:
    - { id: 1001, name: "A-1001", financial_status: pending, lines: [{ id: 11, sku: OAK-TABLE, quantity: 5 }, { id: 12, sku: "oak chair", quantity: 4, fulfilled: 1 }] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 } }
steps:
  - edit: { order: 1001, line: 11, quantity: 0 }
  - add_line: { order: 1001, line: 13, sku: OAK-STOOL, quantity: 2 }
  - refund: { order: 1001, lines: [{ line: 12, quantity: 1, restock: cancel }, { line: 13, quantity: 1, restock: legacy_restock }] }
  - refund: { order: 1001 }
  - fulfill: { order: 1001, line: 12, quantity: 2 }
  - set_delivery: { order: 1001, line: 12, delivery: delivered }
  - create_order: { id: 1002, financial_status: authorized, lines: [{ id: 21, sku: OAK-TABLE, quantity: 1 }] }
  - make_to_order: { mo: MO-2, order: 1002, line: 21, status: blocked }
  - make_to_order: { mo: MO-3, order: 1002, line: 21 }
  - set_status: { mo: MO-2, status: partially_complete }
  - update_mo_quantity: MO-1
  - keep_mo_quantity: MO-2
  - dismiss: MO-3
  - settings: { sync_order_changes: false, import_payment_pending: true }
  - cancel: { order: 1002, reason: inventory, restock: true }
  - cancel: { order: 1001 }
  - archive: { order: 1001 }
  - unarchive: { order: 1001 }
  - delete: { order: 1001 }
  - expect:
      MO-1: { type: make_to_order, status: not_started, quantity: 5, linked_to: { order: 1001, line: 11 }, indicator: so_deleted, messages: 0, exists: true }
      MO-2: { linked_to: null, exists: false }
      sales_orders: { 1001: { exists: false, rows: {} }, 1002: { exists: true, rows: { 21: 1 } } }
  - expect_error: { step: { dismiss: MO-1 }, contains: "no open message" }
  - expect_error: { step: { create_order: { id: 1003, lines: [{ id: 31, sku: X, quantity: 1 }] } } }
"#;

/// The report for a file under `tests/bad-input/`, read as the binary would read it.
fn report(name: &str) -> String {
    let path = PathBuf::from("tests/bad-input").join(name);
    let started = Instant::now();
    let result = load_scenario(&path);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{name} took {:?}",
        started.elapsed()
    );
    match result {
        Ok(s) => panic!("{name} was accepted: {s:#?}"),
        Err(e) => e.to_string(),
    }
}

fn loc(line: usize, column: usize) -> Loc {
    Loc { line, column }
}

fn mo(id: &str) -> MoId {
    MoId::new(id)
}

fn line(id: u64, sku: &str, quantity: u32, fulfilled: u32) -> NewLine {
    NewLine {
        id,
        sku: sku.into(),
        quantity,
        fulfilled,
    }
}

#[test]
fn the_example_of_scenarios_md_parses_to_the_expected_ast() {
    let scenario = parse_scenario(Path::new("scenarios/example.yaml"), EXAMPLE)
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = Scenario {
        path: PathBuf::from("scenarios/example.yaml"),
        description: "An MTO MO in progress is unlinked when the Shopify quantity drops.".into(),
        settings: SettingsPatch {
            sync_order_changes: Some(true),
            import_payment_pending: Some(false),
        },
        start: None,
        orders: vec![OrderSetup {
            order: NewOrder {
                id: 1001,
                name: None,
                financial_status: FinancialStatus::Paid,
                archived: false,
                cancelled: false,
                lines: vec![line(11, "OAK-TABLE", 5, 0), line(12, "OAK-CHAIR", 4, 1)],
            },
            loc: loc(7, 7),
        }],
        deliveries: vec![DeliverySetup {
            row: RowRef {
                order: 1001,
                line: 12,
            },
            delivery: Delivery::Packed,
            loc: loc(14, 7),
        }],
        mos: vec![
            MoSetup {
                id: mo("MO-1"),
                kind: MoKind::MakeToOrder(RowRef {
                    order: 1001,
                    line: 11,
                }),
                status: MoStatus::InProgress,
                loc: loc(16, 7),
            },
            MoSetup {
                id: mo("MO-2"),
                kind: MoKind::MakeToStock {
                    sku: "OAK-TABLE".into(),
                    quantity: 10,
                },
                status: MoStatus::NotStarted,
                loc: loc(17, 7),
            },
        ],
        steps: vec![
            StepEntry {
                step: Step::Edit(Edit {
                    order: 1001,
                    line: 11,
                    quantity: 3,
                }),
                loc: loc(19, 5),
            },
            StepEntry {
                step: Step::Expect(Expectation {
                    mos: BTreeMap::from([
                        (
                            mo("MO-1"),
                            MoExpect {
                                production_type: Some(ProductionType::MakeToStock),
                                status: Some(MoStatus::InProgress),
                                quantity: Some(5),
                                indicator: Some(Indicator::SoQuantityChanged),
                                ..MoExpect::default()
                            },
                        ),
                        (
                            mo("MO-2"),
                            MoExpect {
                                production_type: Some(ProductionType::MakeToStock),
                                quantity: Some(10),
                                indicator: Some(Indicator::None),
                                ..MoExpect::default()
                            },
                        ),
                    ]),
                    sales_orders: BTreeMap::new(),
                }),
                loc: loc(20, 5),
            },
            StepEntry {
                step: Step::KeepMoQuantity(KeepMoQuantity(mo("MO-1"))),
                loc: loc(23, 5),
            },
            StepEntry {
                step: Step::Expect(Expectation {
                    mos: BTreeMap::from([(
                        mo("MO-1"),
                        MoExpect {
                            indicator: Some(Indicator::None),
                            messages: Some(MessagesExpect::Count(1)),
                            ..MoExpect::default()
                        },
                    )]),
                    sales_orders: BTreeMap::new(),
                }),
                loc: loc(24, 5),
            },
        ],
        faults: vec![],
    };
    assert_eq!(scenario, expected);
}

#[test]
fn every_step_parses_with_its_optional_fields() {
    let s = parse_scenario(Path::new("every.yaml"), EVERY_STEP).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.start, Some("2026-03-01T08:30:00Z".parse().unwrap()));
    assert_eq!(s.orders[0].order.name.as_deref(), Some("A-1001"));
    assert_eq!(s.orders[0].order.financial_status, FinancialStatus::Pending);
    assert_eq!(s.steps.len(), 22);
    assert_eq!(
        s.steps[2].step,
        Step::Refund(Refund {
            order: 1001,
            lines: vec![
                RefundLine {
                    line: 12,
                    quantity: 1,
                    restock: RestockType::Cancel
                },
                RefundLine {
                    line: 13,
                    quantity: 1,
                    restock: RestockType::LegacyRestock
                },
            ],
        })
    );
    assert_eq!(
        s.steps[3].step,
        Step::Refund(Refund {
            order: 1001,
            lines: vec![]
        })
    );
    assert_eq!(
        s.steps[14].step,
        Step::Cancel(Cancel {
            order: 1002,
            reason: Some(CancelReason::Inventory),
            restock: true
        })
    );
    assert_eq!(
        s.steps[15].step,
        Step::Cancel(Cancel {
            order: 1001,
            reason: None,
            restock: false
        })
    );
    let Step::Expect(x) = &s.steps[19].step else {
        panic!("not an expect: {:?}", s.steps[19].step);
    };
    assert_eq!(x.mos[&mo("MO-2")].linked_to, Some(None));
    assert_eq!(
        x.mos[&mo("MO-1")].linked_to,
        Some(Some(RowRef {
            order: 1001,
            line: 11
        }))
    );
    assert_eq!(
        x.sales_orders[&1002],
        SoExpect {
            exists: Some(true),
            rows: Some(BTreeMap::from([(
                21,
                RowExpect {
                    quantity: Some(1),
                    ..RowExpect::default()
                }
            )]))
        }
    );
    assert_eq!(x.sales_orders[&1001].rows, Some(BTreeMap::new()));
}

#[test]
fn steps_display_as_one_line_of_flow_yaml() {
    let s = parse_scenario(Path::new("every.yaml"), EVERY_STEP).unwrap_or_else(|e| panic!("{e}"));
    let shown: Vec<String> = s.steps.iter().map(|e| e.step.to_string()).collect();
    let expected = [
        "edit: { order: 1001, line: 11, quantity: 0 }",
        "add_line: { order: 1001, line: 13, sku: OAK-STOOL, quantity: 2 }",
        "refund: { order: 1001, lines: [{ line: 12, quantity: 1, restock: cancel }, { line: 13, quantity: 1, restock: legacy_restock }] }",
        "refund: { order: 1001 }",
        "fulfill: { order: 1001, line: 12, quantity: 2 }",
        "set_delivery: { order: 1001, line: 12, delivery: delivered }",
        "create_order: { id: 1002, financial_status: authorized, lines: [{ id: 21, sku: OAK-TABLE, quantity: 1 }] }",
        "make_to_order: { mo: MO-2, order: 1002, line: 21, status: blocked }",
        "make_to_order: { mo: MO-3, order: 1002, line: 21 }",
        "set_status: { mo: MO-2, status: partially_complete }",
        "update_mo_quantity: MO-1",
        "keep_mo_quantity: MO-2",
        "dismiss: MO-3",
        "settings: { sync_order_changes: false, import_payment_pending: true }",
        "cancel: { order: 1002, reason: inventory, restock: true }",
        "cancel: { order: 1001 }",
        "archive: { order: 1001 }",
        "unarchive: { order: 1001 }",
        "delete: { order: 1001 }",
        "expect: { MO-1: { type: make_to_order, status: not_started, quantity: 5, linked_to: { order: 1001, line: 11 }, indicator: so_deleted, messages: 0, exists: true }, MO-2: { linked_to: null, exists: false }, sales_orders: { 1001: { exists: false, rows: {} }, 1002: { exists: true, rows: { 21: 1 } } } }",
        "expect_error: { step: { dismiss: MO-1 }, contains: \"no open message\" }",
        "expect_error: { step: { create_order: { id: 1003, lines: [{ id: 31, sku: X, quantity: 1 }] } } }",
    ];
    assert_eq!(shown, expected);
}

#[test]
fn displayed_steps_parse_back_to_the_same_steps() {
    let s = parse_scenario(Path::new("every.yaml"), EVERY_STEP).unwrap_or_else(|e| panic!("{e}"));
    let head = EVERY_STEP.split("steps:").next().unwrap_or_default();
    let mut text = format!("{head}steps:\n");
    for entry in &s.steps {
        text.push_str(&format!("  - {}\n", entry.step));
    }
    let again = parse_scenario(Path::new("again.yaml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let steps = |s: &Scenario| s.steps.iter().map(|e| e.step.clone()).collect::<Vec<_>>();
    assert_eq!(steps(&again), steps(&s));
}

#[test]
fn a_typo_in_a_key_suggests_the_closest_valid_key() {
    assert_eq!(
        report("typo-key.yaml"),
        "\
tests/bad-input/typo-key.yaml:3:3: unknown key `sync_order_change` in `settings`
  hint: did you mean `sync_order_changes`? Valid keys: sync_order_changes, import_payment_pending
tests/bad-input/typo-key.yaml:6:53: unknown key `quantitty` in a line
  hint: did you mean `quantity`? Valid keys: id, sku, quantity, fulfilled"
    );
}

#[test]
fn a_bad_enum_value_lists_the_valid_values() {
    assert_eq!(
        report("bad-enum.yaml"),
        "\
tests/bad-input/bad-enum.yaml:4:37: unknown financial_status `payed`
  hint: did you mean `paid`? Valid values: pending, authorized, paid, partially_paid, partially_refunded, refunded, voided
tests/bad-input/bad-enum.yaml:7:69: unknown status `in_progres`
  hint: did you mean `in_progress`? Valid values: not_started, blocked, in_progress, partially_complete, done
tests/bad-input/bad-enum.yaml:10:21: unknown type `mto`
  hint: valid values: make_to_order, make_to_stock
tests/bad-input/bad-enum.yaml:10:37: unknown indicator `so_changed`
  hint: valid values: none, so_quantity_changed, so_deleted"
    );
}

#[test]
fn a_wrong_type_says_what_was_expected_and_found() {
    assert_eq!(
        report("wrong-type.yaml"),
        "\
tests/bad-input/wrong-type.yaml:3:23: expected `true` or `false` for `sync_order_changes`, found the string \"yes\"
tests/bad-input/wrong-type.yaml:8:47: expected a non-negative integer for `quantity`, found the string \"three\"
tests/bad-input/wrong-type.yaml:9:47: expected a non-negative integer for `quantity`, found the integer `-2`
tests/bad-input/wrong-type.yaml:10:47: expected a non-negative integer for `quantity`, found the number `1.5`
tests/bad-input/wrong-type.yaml:11:17: expected a non-negative integer for `id`, found the string \"14\"
  hint: write 14 without quotes
tests/bad-input/wrong-type.yaml:11:28: expected a string for `sku`, found a list
tests/bad-input/wrong-type.yaml:12:8: expected a list for `steps`, found a map"
    );
}

#[test]
fn malformed_yaml_is_reported_where_the_parser_stopped() {
    assert_eq!(
        report("malformed.yaml"),
        "tests/bad-input/malformed.yaml:4:7: invalid YAML: unclosed bracket '{'"
    );
}

#[test]
fn duplicate_order_line_and_mo_ids_are_rejected_in_setup_and_steps() {
    assert_eq!(
        report("duplicate-ids.yaml"),
        "\
tests/bad-input/duplicate-ids.yaml:7:17: duplicate line id 11 in order 1001
  hint: line 11 is first defined at line 6, column 17
tests/bad-input/duplicate-ids.yaml:8:11: duplicate order id 1001
  hint: order 1001 is first defined at line 4, column 11
tests/bad-input/duplicate-ids.yaml:14:13: duplicate MO id `MO-1`
  hint: `MO-1` is first defined at line 13, column 13
tests/bad-input/duplicate-ids.yaml:16:25: duplicate order id 1001
  hint: order 1001 is first defined at line 4, column 11
tests/bad-input/duplicate-ids.yaml:17:36: duplicate line id 11 in order 1001
  hint: line 11 is first defined at line 6, column 17
tests/bad-input/duplicate-ids.yaml:18:26: duplicate MO id `MO-1`
  hint: `MO-1` is first defined at line 13, column 13"
    );
}

#[test]
fn references_to_missing_orders_lines_and_mos_are_rejected() {
    assert_eq!(
        report("dangling-refs.yaml"),
        "\
tests/bad-input/dangling-refs.yaml:7:16: order 1002 does not exist
  hint: known orders: 1001
tests/bad-input/dangling-refs.yaml:9:55: line 12 does not exist in order 1001
  hint: lines of order 1001: 11
tests/bad-input/dangling-refs.yaml:11:32: line 13 does not exist in order 1001
  hint: lines of order 1001: 11
tests/bad-input/dangling-refs.yaml:12:22: order 1003 does not exist
  hint: known orders: 1001
tests/bad-input/dangling-refs.yaml:13:14: MO `MO-9` does not exist
  hint: known MOs: MO-1
tests/bad-input/dangling-refs.yaml:15:7: MO `MO-2` does not exist
  hint: known MOs: MO-1
tests/bad-input/dangling-refs.yaml:16:23: order 1004 does not exist
  hint: known orders: 1001
tests/bad-input/dangling-refs.yaml:16:63: line 14 does not exist in order 1001
  hint: lines of order 1001: 11"
    );
}

#[test]
fn a_reference_to_an_id_created_only_by_a_later_step_is_rejected() {
    assert_eq!(
        report("use-before-create.yaml"),
        "\
tests/bad-input/use-before-create.yaml:6:23: MO `MO-3` does not exist
  hint: no MO exists yet; define one under `katana.manufacturing_orders` or with `make_to_order`"
    );
}

#[test]
fn ids_created_by_earlier_steps_exist_and_expect_error_steps_are_not_ref_checked() {
    let path = Path::new("tests/bad-input/created-by-steps.yaml");
    let s = load_scenario(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.steps.len(), 8);
    assert_eq!(
        s.steps[0].step,
        Step::ExpectError(ExpectError {
            step: Box::new(Step::Dismiss(Dismiss(mo("MO-7")))),
            kind: None,
            contains: Some("does not exist".into()),
        })
    );
    assert_eq!(
        s.steps[1].step,
        Step::ExpectError(ExpectError {
            step: Box::new(Step::Edit(Edit {
                order: 4242,
                line: 1,
                quantity: 1
            })),
            kind: None,
            contains: None,
        })
    );
}

#[test]
fn an_mto_mo_with_its_own_sku_or_quantity_is_rejected() {
    assert_eq!(
        report("mto-with-sku.yaml"),
        "\
tests/bad-input/mto-with-sku.yaml:7:61: an MTO MO takes its sku from its row; remove `sku`
  hint: leave out `make_to_order` instead for a make-to-stock MO with its own sku and quantity
tests/bad-input/mto-with-sku.yaml:7:77: an MTO MO takes its quantity from its row; remove `quantity`
  hint: leave out `make_to_order` instead for a make-to-stock MO with its own sku and quantity"
    );
}

#[test]
fn two_mto_mos_on_one_row_are_rejected() {
    assert_eq!(
        report("two-mto-one-row.yaml"),
        "\
tests/bad-input/two-mto-one-row.yaml:8:34: an MTO MO on a row that already has one: order 1001 line 11 is linked to `MO-1`
  hint: an SO row has at most one MTO MO; `MO-1` is defined at line 7, column 7"
    );
}

#[test]
fn every_problem_in_a_file_is_listed_in_file_order() {
    assert_eq!(
        report("many-errors.yaml"),
        "\
tests/bad-input/many-errors.yaml:1:1: unknown key `descripton` in the scenario
  hint: did you mean `description`? Valid keys: description, settings, start, shopify, katana, steps, faults
tests/bad-input/many-errors.yaml:7:69: unknown status `started`
  hint: did you mean `not_started`? Valid values: not_started, blocked, in_progress, partially_complete, done
tests/bad-input/many-errors.yaml:9:11: missing key `quantity` in `edit`
tests/bad-input/many-errors.yaml:9:36: unknown key `qty` in `edit`
  hint: valid keys: order, line, quantity
tests/bad-input/many-errors.yaml:10:23: MO `MO-2` does not exist
  hint: known MOs: MO-1
tests/bad-input/many-errors.yaml:11:70: unknown restock `yes`
  hint: valid values: cancel, no_restock, return, legacy_restock
tests/bad-input/many-errors.yaml:12:5: unknown step `frobnicate`
  hint: valid steps: edit, add_line, refund, cancel, archive, unarchive, delete, fulfill, create_order, pay, set_status, make_to_order, set_delivery, update_mo_quantity, keep_mo_quantity, dismiss, settings, katana_edit_row, katana_delete_row, katana_delete_so, expect, expect_error"
    );
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    assert_eq!(
        report("alias-bomb.yaml"),
        "\
tests/bad-input/alias-bomb.yaml:6:8: the document is too large: more than 100000 YAML nodes (aliases counted as expanded)
  hint: scenario files are small; look for aliases that expand to huge trees"
    );
}

#[test]
fn deep_nesting_is_refused() {
    assert_eq!(
        report("deep-nesting.yaml"),
        "\
tests/bad-input/deep-nesting.yaml:2:40: the document is nested too deeply (more than 32 levels)
  hint: a scenario needs about 10 levels; look for runaway nesting or aliases"
    );
}

#[test]
fn deep_block_nesting_is_refused() {
    let mut text = String::from("description: deep\nsteps:\n");
    for depth in 0..200 {
        text.push_str(&"  ".repeat(depth + 1));
        text.push_str("- \n");
    }
    let e = parse_scenario(Path::new("deep.yaml"), &text).unwrap_err();
    assert!(
        e.to_string()
            .contains("nested too deeply (more than 32 levels)"),
        "{e}"
    );
}

#[test]
fn an_oversized_file_is_refused_before_parsing() {
    // Not YAML at all: the size check must come first.
    let text = "[".repeat(MAX_FILE_BYTES + 1);
    let e = parse_scenario(Path::new("big.yaml"), &text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "big.yaml: the file is too large: 1048577 bytes, the limit is 1048576 bytes (1 MiB)\n  \
         hint: split it into smaller scenarios"
    );

    let path =
        std::env::temp_dir().join(format!("katana-sim-oversized-{}.yaml", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let loaded = load_scenario(&path);
    let _ = std::fs::remove_file(&path);
    let e = loaded.unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e.0[0].loc, None);
    assert!(
        e.0[0]
            .message
            .starts_with("the file is too large: 1048577 bytes")
    );
}

#[test]
fn a_huge_document_under_the_size_limit_is_refused() {
    let mut text = String::from("description: huge\nsteps:\n");
    while text.len() < MAX_FILE_BYTES - 16 {
        text.push_str("- dismiss: M\n");
    }
    let started = Instant::now();
    let e = parse_scenario(Path::new("huge.yaml"), &text).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.to_string().contains("more than 100000 YAML nodes"), "{e}");
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(
        report("empty.yaml"),
        "\
tests/bad-input/empty.yaml: the file is empty
  hint: a scenario needs at least `description:`, and `steps:` to do something"
    );
    let e = parse_scenario(Path::new("c.yaml"), "# only a comment\n").unwrap_err();
    assert_eq!(e.0[0].message, "the file is empty");
}

#[test]
fn a_step_with_two_keys_or_none_is_rejected() {
    assert_eq!(
        report("step-two-keys.yaml"),
        "\
tests/bad-input/step-two-keys.yaml:9:5: a step must have exactly one key, found 2: `edit`, `dismiss`
  hint: write each action as its own `- ` item
tests/bad-input/step-two-keys.yaml:11:5: a step must have exactly one key, found none
  hint: valid steps: edit, add_line, refund, cancel, archive, unarchive, delete, fulfill, create_order, pay, set_status, make_to_order, set_delivery, update_mo_quantity, keep_mo_quantity, dismiss, settings, katana_edit_row, katana_delete_row, katana_delete_so, expect, expect_error"
    );
}

#[test]
fn no_prefix_or_mutation_of_a_valid_file_panics() {
    // Cheap deterministic fuzzing: many prefixes, and changes of one character into a
    // structural one, must give Ok or a report, never a panic or a hang.
    let started = Instant::now();
    for end in (0..=EVERY_STEP.len()).filter(|i| EVERY_STEP.is_char_boundary(*i) && i % 5 == 0) {
        let _ = parse_scenario(Path::new("p.yaml"), &EVERY_STEP[..end]);
    }
    for (i, c) in EVERY_STEP.char_indices().filter(|(i, _)| i % 11 == 0) {
        for replacement in ["", "{", "]", ":", "&a [*a]", "*a"] {
            let mut text = String::with_capacity(EVERY_STEP.len() + 4);
            text.push_str(&EVERY_STEP[..i]);
            text.push_str(replacement);
            text.push_str(&EVERY_STEP[i + c.len_utf8()..]);
            if let Err(e) = parse_scenario(Path::new("m.yaml"), &text) {
                assert!(!e.is_empty());
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn common_mistakes_get_a_hint() {
    assert_eq!(
        report("common-mistakes.yaml"),
        "\
tests/bad-input/common-mistakes.yaml:2:8: invalid `start` timestamp: failed to parse four digit integer as year: invalid digit, expected 0-9 but got y
  hint: write an RFC 3339 instant such as 2026-01-01T09:00:00Z
tests/bad-input/common-mistakes.yaml:5:77: `fulfilled` (6) is more than `quantity` (5)
tests/bad-input/common-mistakes.yaml:9:7: missing key `sku` in an MO
  hint: an MO needs `make_to_order: { order, line }`, or `sku` and `quantity` for make-to-stock
tests/bad-input/common-mistakes.yaml:9:7: missing key `quantity` in an MO
  hint: an MO needs `make_to_order: { order, line }`, or `sku` and `quantity` for make-to-stock
tests/bad-input/common-mistakes.yaml:11:14: expected a map for `archive`, found the integer `1001`
  hint: write `archive: { order: 1001 }`
tests/bad-input/common-mistakes.yaml:12:14: expected an MO id for `dismiss`, found a map
  hint: write `dismiss: MO-1`
tests/bad-input/common-mistakes.yaml:13:27: `expect_error` needs an action that can be refused, not `expect`
  hint: wrap a Shopify or Katana action, e.g. `step: { dismiss: MO-1 }`
tests/bad-input/common-mistakes.yaml:14:15: this `settings` step changes nothing
  hint: name at least one of: sync_order_changes, import_payment_pending
tests/bad-input/common-mistakes.yaml:15:13: this `expect` checks nothing
  hint: name at least one MO id, or `sales_orders`
tests/bad-input/common-mistakes.yaml:16:49: duplicate key `order` in `edit`
  hint: `order` is first given at line 16, column 13
tests/bad-input/common-mistakes.yaml:18:80: missing key `restock` in a refund line
tests/bad-input/common-mistakes.yaml:18:88: line 11 is listed twice in this refund
  hint: first listed at line 18, column 44"
    );
}

#[test]
fn numbers_out_of_range_are_reported() {
    let text = "description: x\nshopify:\n  orders: [{ id: 1, lines: [{ id: 2, sku: S, quantity: 1 }] }]\n\
                steps:\n  - edit: { order: 99999999999999999999999, line: 2, quantity: 4294967296 }\n";
    assert_eq!(
        parse_scenario(Path::new("n.yaml"), text)
            .unwrap_err()
            .to_string(),
        "\
n.yaml:5:20: `order` is too large: 99999999999999999999999 (at most 18446744073709551615)
n.yaml:5:64: `quantity` is too large: 4294967296 (at most 2147483647)"
    );
}

/// rules.md §3b and §8: what Shopify refuses at the door, and a start too late for
/// the steps, are refused by the check with their location, inside `expect_error`
/// too (so every file the check accepts runs the same on both transports).
#[test]
fn shopifys_limits_at_the_door_and_a_late_start_are_refused() {
    let long_sku = "S".repeat(256);
    let text = format!(
        "description: x
start: \"9999-12-30T21:58:00Z\"
shopify:
  orders:
    - {{ id: 1, lines: [{{ id: 2, sku: S, quantity: 0 }}, {{ id: 3, sku: {long_sku}, quantity: 2147483648 }}] }}
steps:
  - edit: {{ order: 1, line: 2, quantity: 2147483648 }}
  - add_line: {{ order: 1, line: 4, sku: T, quantity: 0 }}
  - expect_error: {{ step: {{ add_line: {{ order: 1, line: 5, sku: T, quantity: 2147483648 }} }} }}
  - edit: {{ order: 1, line: 2, quantity: 2147483647 }}
"
    );
    assert_eq!(
        parse_scenario(Path::new("l.yaml"), &text)
            .unwrap_err()
            .to_string(),
        "\
l.yaml:2:8: `start` is too late: its 4 steps, one minute each, would run past the last instant the clock can show
  hint: choose an earlier start; the latest start for 4 steps is 9999-12-30T21:56:00Z
l.yaml:5:51: `quantity` must be at least 1
  hint: a new line has at least 1 unit; to remove a line later, `edit` it to 0
l.yaml:5:70: `sku` is 256 characters long; Shopify takes at most 255
l.yaml:5:338: `quantity` is too large: 2147483648 (at most 2147483647)
l.yaml:7:42: `quantity` is too large: 2147483648 (at most 2147483647)
l.yaml:8:54: `quantity` must be at least 1
  hint: a new line has at least 1 unit; to remove a line later, `edit` it to 0
l.yaml:9:78: `quantity` is too large: 2147483648 (at most 2147483647)"
    );
    // The last start that fits its steps is accepted.
    let fits = text
        .replace("9999-12-30T21:58:00Z", "9999-12-30T21:56:00Z")
        .replace("quantity: 0", "quantity: 1")
        .replace("2147483648", "7")
        .replace(&long_sku, &"S".repeat(255));
    parse_scenario(Path::new("l.yaml"), &fits).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn yaml_features_outside_the_format_are_refused() {
    let err = |text: &str| {
        parse_scenario(Path::new("y.yaml"), text)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("description: !!str x\n"),
        "y.yaml:1:14: YAML tags are not supported in scenario files (found `!!str`)\n  \
         hint: remove the tag; values are read as the scenario format expects"
    );
    assert_eq!(
        err("description: x\n---\ndescription: y\n"),
        "y.yaml:2:1: a scenario file holds one YAML document, found a second one\n  \
         hint: put each scenario in its own file"
    );
    assert_eq!(
        err("description: &x [*x]\n"),
        "y.yaml:1:18: an alias refers to a node that contains it\n  \
         hint: an anchored node cannot include itself"
    );
    assert_eq!(
        err("description: *nope\n"),
        "y.yaml:1:14: invalid YAML: while parsing node, found unknown anchor"
    );
    assert_eq!(
        err("- description: x\n"),
        "y.yaml:1:1: expected a map for the scenario, found a list"
    );
}

#[test]
fn invalid_utf8_is_located() {
    assert_eq!(
        report("not-utf8.yaml"),
        "tests/bad-input/not-utf8.yaml:1:19: the file is not valid UTF-8\n  hint: save the file as UTF-8"
    );
}

#[test]
fn aliases_within_limits_are_expanded() {
    let text = "\
description: Anchors may share values.
shopify:
  orders:
    - { id: 1001, lines: [{ id: 11, sku: &sku OAK-TABLE, quantity: &q 5 }] }
    - { id: 1002, lines: [{ id: 21, sku: *sku, quantity: *q }] }
steps:
  - expect: { sales_orders: { 1002: { rows: { 21: 5 } } } }
";
    let s = parse_scenario(Path::new("a.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.orders[0].order.lines[0].sku,
        s.orders[1].order.lines[0].sku
    );
    assert_eq!(s.orders[1].order.lines[0].quantity, 5);
    // A line list shared by two orders is two orders with the same line ids, which
    // Shopify refuses (line item ids are unique in a store): the check says so.
    let shared = "\
description: x
shopify:
  orders:
    - { id: 1001, lines: &lines [{ id: 11, sku: OAK-TABLE, quantity: 5 }] }
    - { id: 1002, lines: *lines }
";
    assert_eq!(
        parse_scenario(Path::new("a.yaml"), shared)
            .unwrap_err()
            .to_string(),
        "a.yaml:4:40: line id 11 is already used by order 1001
  hint: line item ids are unique in a Shopify store; order 1001 has line 11 at line 4, column 40"
    );
}

/// `{ exists: false }` may name an MO or order the file creates anywhere: later, or
/// in a refused step (that absence is what it checks). An id the file never creates
/// is a typo, and a reference error like any other, with the known ids as a hint.
#[test]
fn expecting_absence_needs_an_id_the_file_creates() {
    let text = "\
description: absence checks
shopify:
  orders:
    - { id: 1001, lines: [{ id: 11, sku: OAK, quantity: 5 }] }
steps:
  - expect_error: { step: { make_to_order: { mo: MO-7, order: 1001, line: 99 } } }
  - expect:
      MO-7: { exists: false }
      MO-8: { exists: false }
      sales_orders: { 1002: { exists: false } }
  - create_order: { id: 1002, lines: [{ id: 21, sku: OAK, quantity: 1 }] }
  - make_to_order: { mo: MO-8, order: 1002, line: 21 }
";
    let scenario = parse_scenario(Path::new("a.yaml"), text);
    assert!(scenario.is_ok(), "{}", scenario.unwrap_err());
    let typos = text
        .replace("MO-8: { exists: false }", "MO-9: { exists: false }")
        .replace("1002: { exists: false }", "4242: { exists: false }");
    assert_eq!(
        parse_scenario(Path::new("a.yaml"), &typos)
            .unwrap_err()
            .to_string(),
        "\
a.yaml:9:7: MO `MO-9` is never created
  hint: `exists: false` must name an MO the file creates; MOs: MO-7, MO-8
a.yaml:10:23: order 4242 is never created
  hint: `exists: false` must name an order the file creates; orders: 1001, 1002"
    );
    let other_field = text.replace(
        "MO-7: { exists: false }",
        "MO-7: { exists: false, status: done }",
    );
    let err = parse_scenario(Path::new("a.yaml"), &other_field).unwrap_err();
    assert!(
        err.to_string().contains("MO `MO-7` does not exist"),
        "{err}"
    );
}
