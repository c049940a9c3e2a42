//! `expect`: fields of MOs and SOs that must hold; every differing field is
//! reported as expected vs actual.

use std::collections::BTreeMap;
use std::fmt;

use katana_rules::{
    Delivery, Indicator, Katana, MessageState, MoId, MoStatus, ProductionType, RowRef,
    UnlinkReason,
};

use serde_json::{Value, json};

use super::{Action, Side, StepDef, StepDoc};
use crate::explore::generator::Gen;
use crate::scenario::schema::{count, delivery, described, mo_id, object, one_of, or_null, row_ref, sku, status, text};
use crate::scenario::Loc;
use crate::scenario::convert::{
    Cx, MapView, deliveries, indicators, production_types, push_or_fail, statuses,
};
use crate::scenario::tree::{Kind, Node};
use crate::scenario::yaml::is_null;
use crate::scenario::{Scalar, flow_map, some};

const MO_KEYS: [&str; 10] = [
    "type",
    "status",
    "quantity",
    "sku",
    "linked_to",
    "indicator",
    "hover",
    "messages",
    "exists",
    "sales_orders",
];
const MESSAGE_KEYS: [&str; 5] = ["reason", "from", "to", "deleted", "state"];
const REASONS: [&str; 2] = ["so_quantity_changed", "so_deleted"];
const DELETED: [&str; 2] = ["row", "sales_order"];
const STATES: [&str; 4] = ["open", "updated", "kept", "acknowledged"];

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
    /// The product's SKU.
    pub sku: Option<String>,
    /// Link: `Some(None)` means "not linked" (`linked_to: null`).
    pub linked_to: Option<Option<RowRef>>,
    /// The Schedule's indicator.
    pub indicator: Option<Indicator>,
    /// The indicator's hover text in the Schedule; `Some(None)` means no hover
    /// (`hover: null`, no indicator).
    pub hover: Option<Option<String>>,
    /// The unlink messages: how many, or each one.
    pub messages: Option<MessagesExpect>,
    /// Whether the MO exists.
    pub exists: Option<bool>,
}

/// An MO's messages as an `expect` states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagesExpect {
    /// How many, open or resolved (`messages: 2`).
    Count(usize),
    /// Every message, oldest first (`messages: [{ reason: so_deleted, … }]`).
    List(Vec<MessageExpect>),
}

/// One unlink message; `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageExpect {
    /// `so_quantity_changed` or `so_deleted`.
    pub reason: Option<&'static str>,
    /// The row quantity before, for a quantity change.
    pub from: Option<u32>,
    /// The row quantity after, for a quantity change.
    pub to: Option<u32>,
    /// For a deletion: `row` or `sales_order`.
    pub deleted: Option<&'static str>,
    /// `open`, or how it was resolved: `updated`, `kept`, `acknowledged`.
    pub state: Option<&'static str>,
}

/// What must hold for one SO; `None` fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoExpect {
    /// Whether the SO exists.
    pub exists: Option<bool>,
    /// The SO's rows exactly, by line id.
    pub rows: Option<BTreeMap<u64, RowExpect>>,
}

/// What must hold for one SO row (`11: 3` checks the quantity only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowExpect {
    /// The row's quantity.
    pub quantity: Option<u32>,
    /// Its delivery status.
    pub delivery: Option<Delivery>,
    /// Its make-to-order MO; `Some(None)` means none (`mo: null`).
    pub mo: Option<Option<MoId>>,
}

/// One field of an `expect` that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The field, e.g. `MO-1.quantity` or `sales_orders.1001.rows.11.delivery`.
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
                 `status`, `quantity`, `sku`, `linked_to: { order, line }` or `null`, \
                 `indicator` (`none` / `so_quantity_changed` / `so_deleted`), `hover` (the \
                 Schedule's hover text, or `null`), `messages` (a count, or the full list, \
                 oldest first, each with any of `reason`, `from`, `to`, `deleted: row | \
                 sales_order`, `state: open | updated | kept | acknowledged`), `exists` \
                 (bool); and optionally `sales_orders: { <order id>: { exists, rows } }`, \
                 where `rows` maps each line id to its quantity (`11: 3`) or to any of \
                 `{ quantity, delivery, mo }` (`mo` an MO id or `null`)",
        summary: "Checks Katana's state now. MO fields not named are not checked; `rows` \
                  lists the SO's rows exactly, so a deleted row is shown by leaving it \
                  out; a `messages` list names every message. Each differing field fails \
                  the step as expected vs actual. An id that neither the set-up nor any \
                  step creates is an error, `exists: false` included.",
        example: "- expect:\n    MO-1:\n      type: make_to_stock\n      quantity: 5\n      hover: \"Sales order #1001 quantity changed from 5 to 3\"\n      messages: [{ reason: so_quantity_changed, from: 5, to: 3, state: open }]\n    sales_orders: { 1001: { rows: { 11: { quantity: 3, mo: null }, 12: 4 } } }",
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
            // `{ exists: false }` alone may name an MO made later, or by a refused
            // step; one the file never creates is a typo (checked at the end).
            let only_absent = expect.as_ref().is_some_and(|x| {
                *x == MoExpect {
                    exists: Some(false),
                    ..MoExpect::default()
                }
            });
            if only_absent {
                cx.expect_absent_mo(mo.clone(), k.loc);
            } else {
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

    fn schema() -> Value {
        expect_schema()
    }

    const WEIGHT: u32 = 0;

    fn generate(_g: &mut Gen) -> Option<Self> {
        None
    }

    fn action(&self) -> Action<'_> {
        Action::Expect(self)
    }
}

/// The schema of an `expect` step's value.
fn expect_schema() -> Value {
    let nullable = |schema: Value| json!({ "anyOf": [schema, { "type": "null" }] });
    let message = object(
        &[
            ("reason", one_of(&REASONS)),
            ("from", count(0)),
            ("to", count(0)),
            ("deleted", one_of(&DELETED)),
            ("state", one_of(&STATES)),
        ],
        &[],
    );
    let indicators: Vec<&str> = Indicator::ALL.iter().map(|i| i.as_str()).collect();
    let mo = object(
        &[
            ("type", one_of(&["make_to_order", "make_to_stock"])),
            ("status", status()),
            ("quantity", count(0)),
            ("sku", sku()),
            ("linked_to", nullable(row_ref())),
            ("indicator", one_of(&indicators)),
            (
                "hover",
                described(
                    nullable(text()),
                    "the Schedule's hover text (quote it: it contains #), or null",
                ),
            ),
            (
                "messages",
                json!({ "anyOf": [count(0), { "type": "array", "items": message }] }),
            ),
            ("exists", json!({ "type": "boolean" })),
        ],
        &[],
    );
    let row = json!({ "anyOf": [
        count(0),
        object(
            &[("quantity", count(0)), ("delivery", delivery()), ("mo", nullable(mo_id()))],
            &[],
        ),
    ] });
    let so = object(
        &[
            ("exists", json!({ "type": "boolean" })),
            (
                "rows",
                or_null(json!({ "type": "object", "additionalProperties": row, "propertyNames": { "pattern": "^[0-9]+$" } })),
            ),
        ],
        &[],
    );
    json!({
        "type": "object",
        "minProperties": 1,
        "properties": {
            "sales_orders": {
                "type": "object",
                "additionalProperties": so,
                "propertyNames": { "pattern": "^[0-9]+$" },
            },
        },
        "additionalProperties": mo,
    })
}

/// One of `values`, as the `&'static str` the list holds.
fn word(cx: &mut Cx<'_>, node: &Node, field: &str, values: &[&'static str]) -> Option<&'static str> {
    let pairs: Vec<(&'static str, &'static str)> = values.iter().map(|v| (*v, *v)).collect();
    cx.choice(node, field, &pairs)
}

/// A string, or `null` for "none".
fn nullable<T>(
    cx: &mut Cx<'_>,
    node: &Node,
    read: impl FnOnce(&mut Cx<'_>, &Node) -> Option<T>,
) -> Option<Option<T>> {
    if is_null(node) {
        Some(None)
    } else {
        read(cx, node).map(Some)
    }
}

fn mo_expect(cx: &mut Cx<'_>, node: &Node, mo: &MoId) -> Option<MoExpect> {
    let what = format!("the expectation for `{mo}`");
    let m = cx.map(node, &what, &MO_KEYS[..MO_KEYS.len() - 1])?;
    let mut ok = true;
    let mut x = MoExpect::default();
    macro_rules! field {
        ($key:literal, $slot:expr, $read:expr) => {
            if let Some(n) = m.get($key) {
                $slot = $read(n);
                ok &= $slot.is_some();
            }
        };
    }
    field!("type", x.production_type, |n| cx.choice(n, "type", &production_types()));
    field!("status", x.status, |n| cx.choice(n, "status", &statuses()));
    field!("quantity", x.quantity, |n| cx.u32(n, "quantity"));
    field!("sku", x.sku, |n| cx.string(n, "sku"));
    field!("linked_to", x.linked_to, |n| nullable(cx, n, |cx, n| {
        cx.map(n, "`linked_to`", &["order", "line"])
            .and_then(|lm: MapView<'_>| cx.row(&lm, "`linked_to`"))
    }));
    field!("indicator", x.indicator, |n| cx.choice(n, "indicator", &indicators()));
    field!("hover", x.hover, |n| nullable(cx, n, |cx, n| cx.string(n, "hover")));
    field!("messages", x.messages, |n| messages(cx, n));
    field!("exists", x.exists, |n| cx.boolean(n, "exists"));
    ok.then_some(x)
}

fn messages(cx: &mut Cx<'_>, node: &Node) -> Option<MessagesExpect> {
    let Kind::Seq(items) = &node.kind else {
        return cx.u32(node, "messages").map(|c| MessagesExpect::Count(c as usize));
    };
    let mut list = Some(Vec::with_capacity(items.len()));
    for item in items {
        let what = "a message";
        let one = cx.map(item, what, &MESSAGE_KEYS).and_then(|m| {
            let mut ok = true;
            let mut x = MessageExpect::default();
            if m.is_empty() {
                cx.err(
                    item.loc,
                    "this message checks nothing",
                    Some(format!("name any of: {}", MESSAGE_KEYS.join(", "))),
                );
                return None;
            }
            if let Some(n) = m.get("reason") {
                x.reason = word(cx, n, "reason", &REASONS);
                ok &= x.reason.is_some();
            }
            if let Some(n) = m.get("from") {
                x.from = cx.u32(n, "from");
                ok &= x.from.is_some();
            }
            if let Some(n) = m.get("to") {
                x.to = cx.u32(n, "to");
                ok &= x.to.is_some();
            }
            if let Some(n) = m.get("deleted") {
                x.deleted = word(cx, n, "deleted", &DELETED);
                ok &= x.deleted.is_some();
            }
            if let Some(n) = m.get("state") {
                x.state = word(cx, n, "state", &STATES);
                ok &= x.state.is_some();
            }
            ok.then_some(x)
        });
        push_or_fail(&mut list, one);
    }
    list.map(MessagesExpect::List)
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
        // `{ exists: false }` alone may name an order created later; one the file
        // never creates is a typo (checked at the end).
        let only_absent = so.as_ref().is_some_and(|x| {
            *x == SoExpect {
                exists: Some(false),
                rows: None,
            }
        });
        if only_absent {
            cx.expect_absent_order(order, k.loc);
        } else {
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

fn so_expect(cx: &mut Cx<'_>, node: &Node, order: u64, order_loc: Loc) -> Option<SoExpect> {
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
                let row = row_expect(cx, lv);
                match (&mut rows, line, row) {
                    (Some(r), Some(l), Some(x)) => {
                        if r.insert(l, x).is_some() {
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

fn row_expect(cx: &mut Cx<'_>, node: &Node) -> Option<RowExpect> {
    let Kind::Map(_) = &node.kind else {
        return cx.u32(node, "quantity").map(|q| RowExpect {
            quantity: Some(q),
            ..RowExpect::default()
        });
    };
    let m = cx.map(node, "a row", &["quantity", "delivery", "mo"])?;
    if m.is_empty() && m.meant.is_empty() {
        cx.err(
            node.loc,
            "this row checks nothing",
            Some("name any of quantity, delivery, mo, or write the quantity alone (`11: 3`)".into()),
        );
        return None;
    }
    let mut ok = true;
    let mut x = RowExpect::default();
    if let Some(n) = m.get("quantity") {
        x.quantity = cx.u32(n, "quantity");
        ok &= x.quantity.is_some();
    }
    if let Some(n) = m.get("delivery") {
        x.delivery = cx.choice(n, "delivery", &deliveries());
        ok &= x.delivery.is_some();
    }
    if let Some(n) = m.get("mo") {
        x.mo = nullable(cx, n, |cx, n| {
            let mo = cx.mo_id(n, "mo")?;
            cx.check_mo(&mo, n.loc);
            Some(mo)
        });
        ok &= x.mo.is_some();
    }
    ok.then_some(x)
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
                ("sku", x.sku.as_deref().map(|s| Scalar(s).to_string())),
                ("linked_to", x.linked_to.map(link_text)),
                ("indicator", x.indicator.map(|i| i.as_str().to_string())),
                ("hover", x.hover.as_ref().map(|h| opt_text(h.as_deref()))),
                ("messages", x.messages.as_ref().map(messages_text)),
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

/// A string or `null`, as YAML.
fn opt_text(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_string(), |s| Scalar(s).to_string())
}

fn message_text(m: &MessageExpect) -> String {
    struct Msg<'a>(&'a MessageExpect);
    impl fmt::Display for Msg<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let m = self.0;
            flow_map(
                f,
                &[
                    ("reason", m.reason.map(str::to_string)),
                    ("from", m.from.map(|v| v.to_string())),
                    ("to", m.to.map(|v| v.to_string())),
                    ("deleted", m.deleted.map(str::to_string)),
                    ("state", m.state.map(str::to_string)),
                ],
            )
        }
    }
    Msg(m).to_string()
}

fn messages_text(m: &MessagesExpect) -> String {
    match m {
        MessagesExpect::Count(n) => n.to_string(),
        MessagesExpect::List(list) => {
            let items: Vec<String> = list.iter().map(message_text).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn row_text(r: &RowExpect) -> String {
    if let RowExpect {
        quantity: Some(q),
        delivery: None,
        mo: None,
    } = r
    {
        return q.to_string();
    }
    struct Row<'a>(&'a RowExpect);
    impl fmt::Display for Row<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let r = self.0;
            flow_map(
                f,
                &[
                    ("quantity", r.quantity.map(|q| q.to_string())),
                    ("delivery", r.delivery.map(|d| d.as_str().to_string())),
                    (
                        "mo",
                        r.mo.as_ref().map(|m| opt_text(m.as_ref().map(MoId::as_str))),
                    ),
                ],
            )
        }
    }
    Row(r).to_string()
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

/// Records a mismatch when `expected` is given and differs from `actual`.
fn differ<T: PartialEq>(
    out: &mut Vec<Mismatch>,
    field: impl FnOnce() -> String,
    expected: Option<T>,
    actual: T,
    show: impl Fn(&T) -> String,
) {
    if let Some(e) = expected
        && e != actual
    {
        out.push(Mismatch {
            field: field(),
            expected: show(&e),
            actual: show(&actual),
        });
    }
}

fn link_text(link: Option<RowRef>) -> String {
    match link {
        Some(r) => format!("{{ order: {}, line: {} }}", r.order, r.line),
        None => "null".to_string(),
    }
}

fn check_mo(katana: &Katana, id: &MoId, e: &MoExpect, out: &mut Vec<Mismatch>) {
    let exists = katana.mo(id).is_some();
    if e.exists.is_some_and(|x| x != exists) || (!exists && e.exists.is_none()) {
        let expected = e.exists.unwrap_or(true);
        differ(out, || format!("{id}.exists"), Some(expected), exists, bool::to_string);
        return;
    }
    let Some(mo) = katana.mo(id) else {
        return;
    };
    let f = |name: &str| format!("{id}.{name}");
    differ(out, || f("type"), e.production_type, mo.production_type(), |t| {
        t.as_str().to_string()
    });
    differ(out, || f("status"), e.status, mo.status, ToString::to_string);
    differ(out, || f("quantity"), e.quantity, mo.quantity, ToString::to_string);
    differ(out, || f("sku"), e.sku.as_deref(), mo.sku.as_str(), |s| Scalar(s).to_string());
    differ(out, || f("linked_to"), e.linked_to, mo.link, |l| link_text(*l));
    differ(out, || f("indicator"), e.indicator, mo.indicator(), |i| {
        i.as_str().to_string()
    });
    let hover = mo.open_message().map(|m| m.text());
    differ(out, || f("hover"), e.hover.clone(), hover, |h| opt_text(h.as_deref()));
    match &e.messages {
        None => {}
        Some(MessagesExpect::Count(n)) => {
            differ(out, || f("messages"), Some(*n), mo.messages.len(), ToString::to_string);
        }
        Some(MessagesExpect::List(list)) => {
            if list.len() != mo.messages.len() {
                differ(
                    out,
                    || format!("{id}.messages (count)"),
                    Some(list.len()),
                    mo.messages.len(),
                    ToString::to_string,
                );
            }
            for (i, (x, m)) in list.iter().zip(&mo.messages).enumerate() {
                let g = |name: &str| format!("{id}.messages[{i}].{name}");
                let (from, to, deleted) = match m.reason {
                    UnlinkReason::SoQuantityChanged { from, to } => (Some(from), Some(to), None),
                    UnlinkReason::SoDeleted { whole_order } => (
                        None,
                        None,
                        Some(if whole_order { "sales_order" } else { "row" }),
                    ),
                };
                let state = match m.state {
                    MessageState::Open => "open",
                    MessageState::Resolved { resolution, .. } => resolution.as_str(),
                };
                differ(out, || g("reason"), x.reason, m.reason.as_str(), |s| s.to_string());
                differ(out, || g("from"), x.from.map(Some), from, |v| opt_num(*v));
                differ(out, || g("to"), x.to.map(Some), to, |v| opt_num(*v));
                differ(out, || g("deleted"), x.deleted.map(Some), deleted, |v| {
                    v.unwrap_or("null").to_string()
                });
                differ(out, || g("state"), x.state, state, |s| s.to_string());
            }
        }
    }
}

fn opt_num(v: Option<u32>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

fn rows_text(rows: &BTreeMap<u64, RowExpect>) -> String {
    if rows.is_empty() {
        return "{}".to_string();
    }
    let inner: Vec<String> = rows
        .iter()
        .map(|(l, r)| format!("{l}: {}", row_text(r)))
        .collect();
    format!("{{ {} }}", inner.join(", "))
}

fn check_so(katana: &Katana, order: u64, e: &SoExpect, out: &mut Vec<Mismatch>) {
    let field = |f: &str| format!("sales_orders.{order}.{f}");
    let so = katana.sales_order(order);
    let exists = so.is_some();
    if e.exists.is_some_and(|x| x != exists) || (!exists && e.exists.is_none()) {
        let expected = e.exists.unwrap_or(true);
        differ(out, || field("exists"), Some(expected), exists, bool::to_string);
        return;
    }
    let (Some(so), Some(rows)) = (so, &e.rows) else {
        return;
    };
    // The actual rows, in the shape the expectation names them.
    let actual: BTreeMap<u64, RowExpect> = so
        .rows
        .values()
        .map(|r| {
            let named = rows.get(&r.line);
            let row = RowExpect {
                quantity: Some(r.quantity),
                delivery: named.and_then(|x| x.delivery).map(|_| r.delivery),
                mo: named.and_then(|x| x.mo.as_ref()).map(|_| r.mo.clone()),
            };
            (r.line, row)
        })
        .collect();
    let same_lines = rows.keys().eq(actual.keys());
    let quantities_only = rows.values().all(|x| x.delivery.is_none() && x.mo.is_none());
    if !same_lines || quantities_only {
        // Which rows exist, and their quantities, read best as a whole.
        differ(out, || field("rows"), Some(rows), &actual, |r| rows_text(r));
        return;
    }
    for (line, x) in rows {
        let Some(r) = so.rows.get(line) else { continue };
        let g = |name: &str| format!("sales_orders.{order}.rows.{line}.{name}");
        differ(out, || g("quantity"), x.quantity, r.quantity, ToString::to_string);
        differ(out, || g("delivery"), x.delivery, r.delivery, |d| d.as_str().to_string());
        differ(out, || g("mo"), x.mo.clone(), r.mo.clone(), |m| {
            opt_text(m.as_ref().map(MoId::as_str))
        });
    }
}
