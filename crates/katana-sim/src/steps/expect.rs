//! `expect`: fields of MOs and SOs that must hold; every differing field is
//! reported as expected vs actual.

use std::collections::BTreeMap;
use std::fmt;

use katana_rules::{Indicator, Katana, MoId, MoStatus, ProductionType, RowRef};

use super::{Action, Side, StepDef, StepDoc};
use crate::scenario::convert::{Cx, MapView, indicators, production_types, statuses};
use crate::scenario::tree::{Kind, Node};
use crate::scenario::yaml::is_null;
use crate::scenario::{Scalar, flow_map, some};

const MO_KEYS: [&str; 7] = [
    "type",
    "status",
    "quantity",
    "linked_to",
    "indicator",
    "messages",
    "exists",
];

/// An `expect` step: fields of MOs and SOs that must hold; fields not named are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expect {
    /// Checks per MO.
    pub mos: BTreeMap<MoId, MoExpect>,
    /// Checks per SO, keyed by Shopify order id (`sales_orders:`).
    pub sales_orders: BTreeMap<u64, SoExpect>,
}

/// What must hold for one MO; `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MoExpect {
    /// Production type (key `type`).
    pub production_type: Option<ProductionType>,
    /// Status.
    pub status: Option<MoStatus>,
    /// Planned quantity.
    pub quantity: Option<u32>,
    /// Link: `Some(None)` means "not linked" (`linked_to: null`).
    pub linked_to: Option<Option<RowRef>>,
    /// The Schedule's indicator.
    pub indicator: Option<Indicator>,
    /// Number of unlink messages, open or resolved.
    pub messages: Option<usize>,
    /// Whether the MO exists.
    pub exists: Option<bool>,
}

/// What must hold for one SO; `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoExpect {
    /// Whether the SO exists.
    pub exists: Option<bool>,
    /// The SO's rows exactly: line id → quantity.
    pub rows: Option<BTreeMap<u64, u32>>,
}

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

impl StepDef for Expect {
    const NAME: &'static str = "expect";
    const DOC: StepDoc = StepDoc {
        side: Side::Check,
        fields: "a map of MO id → any of `type` (`make_to_order` / `make_to_stock`), \
                 `status`, `quantity`, `linked_to: { order, line }` or `null`, `indicator` \
                 (`none` / `so_quantity_changed` / `so_deleted`), `messages` (a count), \
                 `exists` (bool); and optionally `sales_orders: { <order id>: { exists, \
                 rows: { <line id>: quantity } } }`",
        summary: "Checks Katana's state now. MO fields not named are not checked; `rows` \
                  lists the SO's rows exactly, so a deleted row is shown by leaving it \
                  out. Each differing field fails the step as expected vs actual.",
        example: "- expect:\n    MO-1: { type: make_to_stock, quantity: 5, indicator: so_quantity_changed }\n    sales_orders: { 1001: { rows: { 11: 3 } } }",
    };

    fn parse(cx: &mut Cx<'_>, value: &Node) -> Option<Self> {
        let entries = cx.raw_map(value, "`expect`")?;
        if entries.is_empty() {
            cx.err(
                value.loc,
                "this `expect` checks nothing",
                Some("name at least one MO id, or `sales_orders`".into()),
            );
            return None;
        }
        let mut out = Some(Expect::default());
        for (k, v) in entries {
            let Kind::Scalar { text, .. } = &k.kind else {
                continue;
            };
            if text == "sales_orders" {
                let sos = so_expects(cx, v);
                match (&mut out, sos) {
                    (Some(e), Some(sos)) => e.sales_orders = sos,
                    _ => out = None,
                }
                continue;
            }
            let Some(mo) = cx.mo_id(k, "expect") else {
                out = None;
                continue;
            };
            let expect = mo_expect(cx, v, &mo);
            // `{ exists: false }` alone may name an id that never existed, e.g. the
            // MO of a refused `make_to_order`: that is the point of the check.
            let only_absent = expect.as_ref().is_some_and(|x| {
                *x == MoExpect {
                    exists: Some(false),
                    ..MoExpect::default()
                }
            });
            if !only_absent {
                cx.check_mo(&mo, k.loc);
            }
            match (&mut out, expect) {
                (Some(e), Some(x)) => {
                    e.mos.insert(mo, x);
                }
                _ => out = None,
            }
        }
        out
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fields: Vec<(String, Option<String>)> = self
            .mos
            .iter()
            .map(|(id, x)| (Scalar(id.as_str()).to_string(), some(MoExpectYaml(x))))
            .collect();
        if !self.sales_orders.is_empty() {
            let sos: Vec<String> = self
                .sales_orders
                .iter()
                .map(|(order, so)| format!("{order}: {}", SoExpectYaml(so)))
                .collect();
            fields.push((
                "sales_orders".into(),
                some(format!("{{ {} }}", sos.join(", "))),
            ));
        }
        let borrowed: Vec<(&str, Option<String>)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        flow_map(f, &borrowed)
    }

    fn action(&self) -> Action<'_> {
        Action::Expect(self)
    }
}

fn mo_expect(cx: &mut Cx<'_>, node: &Node, mo: &MoId) -> Option<MoExpect> {
    let what = format!("the expectation for `{mo}`");
    let m = cx.map(node, &what, &MO_KEYS)?;
    let mut ok = true;
    let mut x = MoExpect::default();
    if let Some(n) = m.get("type") {
        x.production_type = cx.choice(n, "type", &production_types());
        ok &= x.production_type.is_some();
    }
    if let Some(n) = m.get("status") {
        x.status = cx.choice(n, "status", &statuses());
        ok &= x.status.is_some();
    }
    if let Some(n) = m.get("quantity") {
        x.quantity = cx.u32(n, "quantity");
        ok &= x.quantity.is_some();
    }
    if let Some(n) = m.get("linked_to") {
        x.linked_to = if is_null(n) {
            Some(None)
        } else {
            cx.map(n, "`linked_to`", &["order", "line"])
                .and_then(|lm: MapView<'_>| cx.row(&lm, "`linked_to`"))
                .map(Some)
        };
        ok &= x.linked_to.is_some();
    }
    if let Some(n) = m.get("indicator") {
        x.indicator = cx.choice(n, "indicator", &indicators());
        ok &= x.indicator.is_some();
    }
    if let Some(n) = m.get("messages") {
        x.messages = cx.u32(n, "messages").map(|c| c as usize);
        ok &= x.messages.is_some();
    }
    if let Some(n) = m.get("exists") {
        x.exists = cx.boolean(n, "exists");
        ok &= x.exists.is_some();
    }
    ok.then_some(x)
}

fn so_expects(cx: &mut Cx<'_>, node: &Node) -> Option<BTreeMap<u64, SoExpect>> {
    let entries = cx.raw_map(node, "`sales_orders`")?;
    let mut out = Some(BTreeMap::new());
    for (k, v) in entries {
        let Some(order) = cx.u64(k, "sales_orders") else {
            out = None;
            continue;
        };
        let so = so_expect(cx, v, order, k.loc);
        // `{ exists: false }` alone may name an order that never existed.
        let only_absent = so.as_ref().is_some_and(|x| {
            *x == SoExpect {
                exists: Some(false),
                rows: None,
            }
        });
        if !only_absent {
            cx.check_order(order, k.loc);
        }
        match (&mut out, so) {
            (Some(map), Some(so)) => {
                if map.insert(order, so).is_some() {
                    cx.err(k.loc, format!("order {order} is named twice"), None);
                }
            }
            _ => out = None,
        }
    }
    out
}

fn so_expect(
    cx: &mut Cx<'_>,
    node: &Node,
    order: u64,
    order_loc: crate::scenario::Loc,
) -> Option<SoExpect> {
    let what = format!("the expectation for order {order}");
    let m = cx.map(node, &what, &["exists", "rows"])?;
    let exists = match m.get("exists") {
        Some(n) => cx.boolean(n, "exists").map(Some),
        None => Some(None),
    };
    let rows = match m.get("rows") {
        None => Some(None),
        Some(n) => cx.raw_map(n, "`rows`").and_then(|entries| {
            let mut rows = Some(BTreeMap::new());
            for (lk, lv) in entries {
                let line = cx.u64(lk, "rows");
                if let Some(l) = line {
                    cx.check_line(order, order_loc, l, lk.loc);
                }
                let quantity = cx.u32(lv, "quantity");
                match (&mut rows, line, quantity) {
                    (Some(r), Some(l), Some(q)) => {
                        if r.insert(l, q).is_some() {
                            cx.err(lk.loc, format!("line {l} is named twice"), None);
                        }
                    }
                    _ => rows = None,
                }
            }
            rows.map(Some)
        }),
    };
    Some(SoExpect {
        exists: exists?,
        rows: rows?,
    })
}

struct MoExpectYaml<'a>(&'a MoExpect);

impl fmt::Display for MoExpectYaml<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        flow_map(
            f,
            &[
                ("type", x.production_type.map(|t| t.as_str().to_string())),
                ("status", x.status.map(|s| s.to_string())),
                ("quantity", x.quantity.map(|q| q.to_string())),
                ("linked_to", x.linked_to.map(link_text)),
                ("indicator", x.indicator.map(|i| i.as_str().to_string())),
                ("messages", x.messages.map(|m| m.to_string())),
                ("exists", x.exists.map(|e| e.to_string())),
            ],
        )
    }
}

struct SoExpectYaml<'a>(&'a SoExpect);

impl fmt::Display for SoExpectYaml<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        flow_map(
            f,
            &[
                ("exists", self.0.exists.map(|e| e.to_string())),
                ("rows", self.0.rows.as_ref().map(rows_text)),
            ],
        )
    }
}

// ---- the comparison ------------------------------------------------------------------

impl Expect {
    /// Compares the expectation with Katana; empty when everything holds.
    pub fn check(&self, katana: &Katana) -> Vec<Mismatch> {
        let mut out = Vec::new();
        for (id, e) in &self.mos {
            check_mo(katana, id, e, &mut out);
        }
        for (order, e) in &self.sales_orders {
            check_so(katana, *order, e, &mut out);
        }
        out
    }
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

fn check_mo(katana: &Katana, id: &MoId, e: &MoExpect, out: &mut Vec<Mismatch>) {
    let Some(mo) = katana.mo(id) else {
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
    if rows.is_empty() {
        return "{}".to_string();
    }
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
