//! Which cells of {change} × {make-to-order, make-to-stock} × {MO status} × {row
//! delivery} a run reached: for every step that changes a sales order, each MO
//! that change could reach, as it was just before.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use katana_rules::{Delivery, Katana, MoStatus};

use crate::steps::{Action, STEPS, Side, Step, Subject};

/// One cell: the change, the MO's type, its status, the row's delivery (`-` for
/// make-to-stock).
pub type Cell = (&'static str, &'static str, &'static str, &'static str);

/// How often each cell was reached.
#[derive(Debug, Default, Clone)]
pub struct Coverage {
    /// Hits per cell.
    pub hits: BTreeMap<Cell, u64>,
    /// Steps whose invariants were checked.
    pub checked_steps: u64,
    /// Faults planned, by kind (they act over HTTP).
    pub faults: BTreeMap<String, u64>,
}

/// The changes that may reach an SO: every Shopify step, and the Katana steps on an SO.
fn changes() -> Vec<&'static str> {
    STEPS
        .iter()
        .filter(|s| s.doc.side == Side::Shopify || s.name.starts_with("katana_"))
        .map(|s| s.name)
        .collect()
}

impl Coverage {
    /// Records the cells a step reaches from `before`.
    /// A refused step (inside `expect_error`) counts too: the change met that state.
    pub fn record(&mut self, step: &Step, before: &Katana) {
        let (name, order) = match step.action() {
            Action::ExpectError(e) => return self.record(&e.step, before),
            Action::Shopify(s) => (step.name(), s.order()),
            Action::Katana(s) => match s.subject() {
                Subject::SalesOrder(order) => (step.name(), order),
                _ => return,
            },
            _ => return,
        };
        for mo in before.mos() {
            let cell = match mo.link {
                Some(row) if row.order == order => {
                    let delivery = before.row(row).map_or("-", |r| r.delivery.as_str());
                    (name, "make_to_order", mo.status.as_str(), delivery)
                }
                Some(_) => continue,
                None => (name, "make_to_stock", mo.status.as_str(), "-"),
            };
            *self.hits.entry(cell).or_default() += 1;
        }
    }

    /// Adds another run's hits.
    pub fn merge(&mut self, other: &Coverage) {
        for (cell, n) in &other.hits {
            *self.hits.entry(*cell).or_default() += n;
        }
        self.checked_steps += other.checked_steps;
        for (kind, n) in &other.faults {
            *self.faults.entry(kind.clone()).or_default() += n;
        }
    }

    /// Every cell a run should reach: a new order has no MTO MO yet, and neither
    /// has one that waits for its payment.
    pub fn expected() -> Vec<Cell> {
        let mut out = Vec::new();
        for change in changes() {
            for status in MoStatus::ALL {
                out.push((change, "make_to_stock", status.as_str(), "-"));
                if matches!(change, "create_order" | "pay") {
                    continue;
                }
                for delivery in Delivery::ALL {
                    out.push((change, "make_to_order", status.as_str(), delivery.as_str()));
                }
            }
        }
        out
    }

    /// The expected cells not reached.
    pub fn missed(&self) -> Vec<Cell> {
        Self::expected()
            .into_iter()
            .filter(|c| !self.hits.contains_key(c))
            .collect()
    }

    /// The coverage as a Markdown table: one row per change, a column per MO type,
    /// status and delivery, each cell the number of hits.
    pub fn table(&self) -> String {
        let mut columns: Vec<(&str, &str, &str)> = Vec::new();
        for status in MoStatus::ALL {
            for delivery in Delivery::ALL {
                columns.push(("make_to_order", status.as_str(), delivery.as_str()));
            }
        }
        for status in MoStatus::ALL {
            columns.push(("make_to_stock", status.as_str(), "-"));
        }
        let mut out = String::from("| change |");
        for (t, s, d) in &columns {
            let t = if *t == "make_to_order" { "MTO" } else { "MTS" };
            let _ = write!(out, " {t} {s} {d} |");
        }
        out.push_str("\n|---|");
        for _ in &columns {
            out.push_str("---|");
        }
        out.push('\n');
        for change in changes() {
            let _ = write!(out, "| {change} |");
            for (t, s, d) in &columns {
                let n = self.hits.get(&(change, *t, *s, *d)).copied().unwrap_or(0);
                let _ = write!(out, " {n} |");
            }
            out.push('\n');
        }
        out
    }
}
