//! A failing step reports the step number, the step, and for `expect` each
//! differing field as expected vs actual (scenarios.md). Fixtures are inline so the
//! expected report sits next to its input.

use std::path::Path;

use katana_sim::runner::{self, FailureReason};
use katana_sim::scenario::parse_scenario;

const HEAD: &str = "\
description: failure reports
shopify:
  orders:
    - id: 1001
      lines:
        - { id: 11, sku: OAK-TABLE, quantity: 5 }
        - { id: 12, sku: OAK-CHAIR, quantity: 4, fulfilled: 1 }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 }, status: in_progress }
steps:
";

/// Runs `HEAD` + `steps` and returns the failure report as text.
fn failure(steps: &str) -> String {
    let text = format!("{HEAD}{steps}");
    let scenario = parse_scenario(Path::new("scenarios/f.yaml"), &text).expect("valid scenario");
    runner::run(&scenario)
        .expect_err("the scenario must fail")
        .to_string()
}

#[test]
fn a_wrong_expect_lists_each_differing_field() {
    let report = failure(
        "  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect:
      MO-1: { type: make_to_order, quantity: 3, indicator: none, status: in_progress }
      sales_orders: { 1001: { rows: { 11: 5, 12: 4 } } }
",
    );
    assert_eq!(
        report,
        "scenarios/f.yaml:13:5: step 2 failed: expect: { MO-1: { type: make_to_order, status: in_progress, quantity: 3, indicator: none }, sales_orders: { 1001: { rows: { 11: 5, 12: 4 } } } }
  MO-1.type: expected make_to_order, actual make_to_stock
  MO-1.quantity: expected 3, actual 5
  MO-1.indicator: expected none, actual so_quantity_changed
  sales_orders.1001.rows: expected { 11: 5, 12: 4 }, actual { 11: 3, 12: 4 }"
    );
}

#[test]
fn an_expected_mo_that_is_gone_is_reported() {
    let report = failure(
        "  - set_status: { mo: MO-1, status: not_started }
  - edit: { order: 1001, line: 11, quantity: 0 }
  - expect: { MO-1: { status: not_started } }
",
    );
    assert!(
        report.ends_with("\n  MO-1.exists: expected true, actual false"),
        "{report}"
    );
}

#[test]
fn a_shopify_refusal_fails_the_step() {
    let report = failure(
        "  - set_status: { mo: MO-1, status: not_started }
  - cancel: { order: 1001 }
",
    );
    // Cancelling is refused: line 12 has a fulfilled unit.
    assert!(
        report.starts_with("scenarios/f.yaml:13:5: step 2 failed: cancel: { order: 1001"),
        "{report}"
    );
    assert!(
        report.ends_with(
            "\n  Shopify refused (order_has_fulfilments): order #1001 cannot be cancelled: 1 units are fulfilled (an order with fulfilled items cannot be cancelled; refund them instead)"
        ),
        "{report}"
    );
}

#[test]
fn an_unexpected_refusal_names_the_step_and_the_reason() {
    let report = failure("  - dismiss: MO-1\n");
    assert_eq!(
        report,
        "scenarios/f.yaml:12:5: step 1 failed: dismiss: MO-1\n  Katana refused (no_open_message): MO-1 has no open message, so there is nothing to dismiss (Close)"
    );
}

#[test]
fn expect_error_that_succeeds_fails() {
    let report =
        failure("  - expect_error: { step: { edit: { order: 1001, line: 11, quantity: 2 } } }\n");
    assert!(
        report.ends_with("expected the step to be refused, but it succeeded"),
        "{report}"
    );
}

#[test]
fn expect_error_with_other_text_fails_and_shows_the_error() {
    let report =
        failure("  - expect_error: { step: { dismiss: MO-1 }, contains: \"was deleted\" }\n");
    assert_eq!(
        report,
        "scenarios/f.yaml:12:5: step 1 failed: expect_error: { step: { dismiss: MO-1 }, contains: \"was deleted\" }\n  \
         refused, but not with a message containing \"was deleted\"\n  \
         Katana refused (no_open_message): MO-1 has no open message, so there is nothing to dismiss (Close)"
    );
}

#[test]
fn expect_error_with_another_kind_fails_and_shows_the_refusal() {
    let report = failure(
        "  - expect_error: { step: { dismiss: MO-1 }, kind: wrong_action, contains: open }\n",
    );
    assert_eq!(
        report,
        "scenarios/f.yaml:12:5: step 1 failed: expect_error: { step: { dismiss: MO-1 }, kind: wrong_action, contains: open }\n  \
         refused, but not with kind wrong_action and a message containing \"open\"\n  \
         Katana refused (no_open_message): MO-1 has no open message, so there is nothing to dismiss (Close)"
    );
}

#[test]
fn expect_error_with_the_right_kind_passes() {
    let scenario = parse_scenario(
        Path::new("scenarios/f.yaml"),
        &format!(
            "{HEAD}  - expect_error: {{ step: {{ dismiss: MO-1 }}, kind: no_open_message }}\n"
        ),
    )
    .expect("valid");
    let snapshot = runner::run(&scenario).expect("passes").to_yaml();
    assert!(
        snapshot.contains(
            "refused as expected: Katana refused (no_open_message): MO-1 has no open message"
        ),
        "{snapshot}"
    );
}

#[test]
fn a_setup_mo_on_a_row_that_was_not_imported_fails_the_setup() {
    let text = "\
description: pending orders are not imported, so no MTO MO can be made for them
shopify:
  orders:
    - { id: 1001, financial_status: pending, lines: [ { id: 11, sku: OAK, quantity: 1 } ] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 } }
steps: []
";
    let scenario = parse_scenario(Path::new("s.yaml"), text).expect("valid");
    let failure = runner::run(&scenario).unwrap_err();
    assert!(matches!(failure.reason, FailureReason::Setup(_)));
    assert_eq!(
        failure.to_string(),
        "s.yaml:7:7: set-up failed: katana.manufacturing_orders: MO-1\n  Katana refused (so_not_found): there is no sales order for Shopify order 1001 (not imported, or deleted)"
    );
}

#[test]
fn the_same_scenario_gives_the_same_snapshot_every_time() {
    let text = format!("{HEAD}  - edit: {{ order: 1001, line: 11, quantity: 3 }}\n");
    let scenario = parse_scenario(Path::new("s.yaml"), &text).unwrap();
    let first = runner::run(&scenario).unwrap().to_yaml();
    for _ in 0..5 {
        assert_eq!(runner::run(&scenario).unwrap().to_yaml(), first);
    }
}

#[test]
fn a_wrong_rich_expect_names_each_field_as_expected_vs_actual() {
    let report = failure(
        "  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect:
      MO-1:
        sku: OAK-CHAIR
        hover: \"Sales order #1001 was deleted\"
        messages: [{ reason: so_deleted, deleted: row, state: kept }]
      sales_orders: { 1001: { rows: { 11: { quantity: 3, delivery: packed, mo: MO-1 }, 12: 4 } } }
",
    );
    assert_eq!(
        report,
        "scenarios/f.yaml:13:5: step 2 failed: expect: { MO-1: { sku: OAK-CHAIR, hover: \"Sales order #1001 was deleted\", messages: [{ reason: so_deleted, deleted: row, state: kept }] }, sales_orders: { 1001: { rows: { 11: { quantity: 3, delivery: packed, mo: MO-1 }, 12: 4 } } } }
  MO-1.sku: expected OAK-CHAIR, actual OAK-TABLE
  MO-1.hover: expected \"Sales order #1001 was deleted\", actual \"Sales order #1001 quantity changed from 5 to 3\"
  MO-1.messages[0].reason: expected so_deleted, actual so_quantity_changed
  MO-1.messages[0].deleted: expected row, actual null
  MO-1.messages[0].state: expected kept, actual open
  sales_orders.1001.rows.11.delivery: expected packed, actual not_shipped
  sales_orders.1001.rows.11.mo: expected MO-1, actual null"
    );
}

#[test]
fn a_messages_list_of_another_length_says_so() {
    let report = failure(
        "  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect: { MO-1: { messages: [] } }
",
    );
    assert!(
        report.ends_with("\n  MO-1.messages (count): expected 0, actual 1"),
        "{report}"
    );
}
