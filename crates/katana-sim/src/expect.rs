//! `expect` steps: every named field compared with Katana's state, each difference
//! reported as expected vs actual.

use std::collections::BTreeMap;
use std::fmt;

use katana_rules::{Katana, RowRef};

use crate::scenario::{Expectation, MoExpect, SoExpect};

/// One field of an `expect` that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The field, e.g. `MO-1.quantity` or `sales_orders.1001.rows`.
    pub field: String,
    /// What the scenario expects.
    pub expected: String,
    /// What is there.
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, actual {}",
            self.field, self.expected, self.actual
        )
    }
}

/// Compares an expectation with Katana; empty when everything holds.
pub fn check_expectation(katana: &Katana, expectation: &Expectation) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for (id, e) in &expectation.mos {
        check_mo(katana, id.as_str(), e, &mut out);
    }
    for (order, e) in &expectation.sales_orders {
        check_so(katana, *order, e, &mut out);
    }
    out
}

fn push(out: &mut Vec<Mismatch>, field: String, expected: impl ToString, actual: impl ToString) {
    out.push(Mismatch {
        field,
        expected: expected.to_string(),
        actual: actual.to_string(),
    });
}

fn link_text(link: Option<RowRef>) -> String {
    match link {
        Some(r) => format!("{{ order: {}, line: {} }}", r.order, r.line),
        None => "null".to_string(),
    }
}

fn check_mo(katana: &Katana, id: &str, e: &MoExpect, out: &mut Vec<Mismatch>) {
    let Some(mo) = katana.mo(&katana_rules::MoId::new(id)) else {
        if e.exists != Some(false) {
            push(out, format!("{id}.exists"), true, false);
        }
        return;
    };
    if e.exists == Some(false) {
        push(out, format!("{id}.exists"), false, true);
        return;
    }
    if let Some(t) = e.production_type
        && t != mo.production_type()
    {
        push(
            out,
            format!("{id}.type"),
            t.as_str(),
            mo.production_type().as_str(),
        );
    }
    if let Some(s) = e.status
        && s != mo.status
    {
        push(out, format!("{id}.status"), s, mo.status);
    }
    if let Some(q) = e.quantity
        && q != mo.quantity
    {
        push(out, format!("{id}.quantity"), q, mo.quantity);
    }
    if let Some(link) = e.linked_to
        && link != mo.link
    {
        push(
            out,
            format!("{id}.linked_to"),
            link_text(link),
            link_text(mo.link),
        );
    }
    if let Some(i) = e.indicator
        && i != mo.indicator()
    {
        push(
            out,
            format!("{id}.indicator"),
            i.as_str(),
            mo.indicator().as_str(),
        );
    }
    if let Some(n) = e.messages
        && n != mo.messages.len()
    {
        push(out, format!("{id}.messages"), n, mo.messages.len());
    }
}

fn rows_text(rows: &BTreeMap<u64, u32>) -> String {
    let inner: Vec<String> = rows.iter().map(|(l, q)| format!("{l}: {q}")).collect();
    format!("{{ {} }}", inner.join(", "))
}

fn check_so(katana: &Katana, order: u64, e: &SoExpect, out: &mut Vec<Mismatch>) {
    let field = |f: &str| format!("sales_orders.{order}.{f}");
    let Some(so) = katana.sales_order(order) else {
        if e.exists != Some(false) {
            push(out, field("exists"), true, false);
        }
        return;
    };
    if e.exists == Some(false) {
        push(out, field("exists"), false, true);
        return;
    }
    if let Some(rows) = &e.rows {
        let actual: BTreeMap<u64, u32> = so.rows.values().map(|r| (r.line, r.quantity)).collect();
        if &actual != rows {
            push(out, field("rows"), rows_text(rows), rows_text(&actual));
        }
    }
}
