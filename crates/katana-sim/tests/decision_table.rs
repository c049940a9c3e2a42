//! The decision tables (`katana-sim rules`, `docs/decision-table.md`): the file is
//! current, every cell computed, and the tables say what the rules say.

use katana_sim::decision::{
    DecisionTable, STEPS_COLUMN, decision_tables, decision_tables_markdown,
};
use katana_sim::suite::repo_root;

const FILE: &str = "docs/decision-table.md";
const REGENERATE: &str = "cargo run -p katana-sim -- rules > docs/decision-table.md";

#[test]
fn the_decision_table_file_is_current() {
    let path = repo_root().join(FILE);
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == decision_tables_markdown(),
        "{FILE} is not current: regenerate it with `{REGENERATE}`"
    );
}

#[test]
fn the_output_is_deterministic() {
    assert_eq!(decision_tables_markdown(), decision_tables_markdown());
}

#[test]
fn every_cell_is_computed() {
    for table in decision_tables() {
        for row in &table.rows {
            assert_eq!(row.len(), table.header.len(), "{}: {row:?}", table.title);
            for cell in row {
                assert!(
                    !cell.contains("could not compute") && !cell.is_empty(),
                    "{}: a cell was not computed: {cell}",
                    table.title
                );
            }
        }
    }
}

fn table(n: usize) -> DecisionTable {
    let all = decision_tables();
    assert_eq!(all.len(), 4, "four decision tables");
    all[n - 1].clone()
}

fn cell<'a>(t: &'a DecisionTable, row: &str, column: &str) -> &'a str {
    t.cell(row, column)
        .unwrap_or_else(|| panic!("{}: no cell ({row}, {column})", t.title))
}

/// rules.md §4: an edit reaches a not-shipped row; a packed or delivered row is
/// skipped; a packed row becomes delivered when its line is fulfilled.
#[test]
fn shopify_changes_skip_packed_and_delivered_rows() {
    let t = table(1);
    let edit = "order edit: line quantity set to q > 0";
    assert_eq!(
        cell(&t, edit, STEPS_COLUMN),
        "`edit: { order: 1001, line: 11, quantity: 3 }`"
    );
    assert_eq!(
        cell(&t, edit, "row 11 not_shipped"),
        "row 11: quantity 5 → 3"
    );
    for delivery in ["packed", "delivered"] {
        let c = cell(&t, edit, &format!("row 11 {delivery}"));
        assert!(
            c.starts_with("skipped:") && c.contains(&format!("the row is {delivery}")),
            "{delivery}: {c}"
        );
        let cancel = cell(&t, "cancel", &format!("row 11 {delivery}"));
        assert!(cancel.starts_with("skipped: delete SO"), "{cancel}");
    }
    assert_eq!(cell(&t, "cancel", "row 11 not_shipped"), "SO deleted");
    assert_eq!(
        cell(
            &t,
            "order edit: line quantity set to 0 (line removed)",
            "row 11 not_shipped"
        ),
        "row 11 deleted"
    );
    assert_eq!(
        cell(&t, "fulfilment that completes a line", "row 11 packed"),
        "row 11: delivery packed → delivered"
    );
    for quiet in [
        "refund of money only",
        "refund, restock `return` (line 11: 2 of 5 fulfilled)",
    ] {
        assert!(
            cell(&t, quiet, "row 11 not_shipped").starts_with("no change"),
            "{quiet}"
        );
    }
}

/// rules.md §5: MTS never changes; a not-started MTO MO follows its row; every
/// other status is unlinked with a message.
#[test]
fn mos_follow_or_unlink_as_rules_md_says() {
    let t = table(2);
    let columns: Vec<String> = t.header[1..].to_vec();
    for row in [
        "MTS, any status",
        "MTS (MTO unlinked earlier, message open), any status",
    ] {
        for c in &columns {
            assert_eq!(cell(&t, row, c), "no change", "{row} × {c}");
        }
    }
    let follows = cell(&t, "MTO, not_started", "row 11 quantity changed (5 → 3)");
    assert!(follows.starts_with("quantity 5 → 3"), "{follows}");
    assert!(!follows.contains("hover"), "no message: {follows}");
    for c in ["row 11 deleted", "SO deleted"] {
        assert!(
            cell(&t, "MTO, not_started", c).starts_with("deleted"),
            "{c}"
        );
    }
    for status in ["blocked", "in_progress", "partially_complete", "done"] {
        let row = format!("MTO, {status}");
        let q = cell(&t, &row, "row 11 quantity changed (5 → 3)");
        assert!(
            q.starts_with("unlinked → make-to-stock")
                && q.contains("Sales order #1001 quantity changed from 5 to 3"),
            "{row}: {q}"
        );
        let so = cell(&t, &row, "SO deleted");
        assert!(
            so.contains("so_deleted") && so.contains("Sales order #1001 was deleted"),
            "{row}: {so}"
        );
    }
}

/// rules.md §7: which action fits which open message.
#[test]
fn actions_fit_their_messages() {
    let t = table(3);
    let q = "open `so_quantity_changed`";
    let d = "open `so_deleted`";
    let none = "no open message";
    assert!(cell(&t, "`update_mo_quantity`", q).starts_with("allowed → resolved `updated`"));
    assert_eq!(
        cell(&t, "`keep_mo_quantity`", q),
        "allowed → resolved `kept`"
    );
    assert_eq!(
        cell(&t, "`dismiss`", d),
        "allowed → resolved `acknowledged`"
    );
    assert_eq!(cell(&t, "`dismiss`", q), "refused: `wrong_action`");
    assert_eq!(
        cell(&t, "`update_mo_quantity`", d),
        "refused: `wrong_action`"
    );
    for action in ["`update_mo_quantity`", "`keep_mo_quantity`", "`dismiss`"] {
        assert_eq!(cell(&t, action, none), "refused: `no_open_message`");
    }
    for (column, kind) in [
        ("former row deleted since", "row_gone"),
        ("former row packed since", "row_packed"),
        ("former row delivered since", "row_delivered"),
        ("former row taken by MO-2 since", "row_taken"),
    ] {
        let column = format!("{q}, {column}");
        assert_eq!(
            cell(&t, "`update_mo_quantity`", &column),
            format!("refused: `{kind}`")
        );
        assert_eq!(
            cell(&t, "`keep_mo_quantity`", &column),
            "allowed → resolved `kept`"
        );
    }
}

/// rules.md §4b: a user cannot edit or delete a packed or delivered row, nor an SO
/// with one; a row edited in Katana is overwritten only by a Shopify change of its
/// own line; an SO deleted in Katana is never imported again.
#[test]
fn katana_side_changes_follow_section_4b() {
    let t = table(4);
    for (row, done) in [
        ("user edits row 11's quantity", "row 11: quantity 5 → 3"),
        ("user deletes row 11", "row 11 deleted"),
        ("user deletes the SO", "SO deleted"),
    ] {
        assert_eq!(cell(&t, row, "row 11 not_shipped"), done);
        assert_eq!(cell(&t, row, "row 11 packed"), "refused: `row_packed`");
        assert_eq!(
            cell(&t, row, "row 11 delivered"),
            "refused: `row_delivered`"
        );
    }
    assert_eq!(
        cell(
            &t,
            "row 11 edited in Katana, then Shopify edits another line",
            "row 11 not_shipped"
        ),
        "row 12: quantity 4 → 3"
    );
    assert_eq!(
        cell(
            &t,
            "row 11 edited in Katana, then Shopify edits line 11",
            "row 11 not_shipped"
        ),
        "row 11: quantity 2 → 4"
    );
    let gone = cell(
        &t,
        "SO deleted in Katana, then Shopify edits the order",
        "row 11 not_shipped",
    );
    assert!(gone.contains("never imported again"), "{gone}");
}
