//! Turns the located YAML tree into a [`Scenario`], collecting every problem on the way.
//!
//! Shape checks (keys, types, enum values) and reference checks (ids that exist, ids that
//! are not reused) run in one pass, in the order the runner will see things: orders, then
//! deliveries, then MOs, then the steps one by one. A step may refer to ids created by
//! earlier steps; the step inside `expect_error` is neither checked nor allowed to create
//! ids, since it is expected to be refused. Ids are recorded even when the rest of their
//! entry is broken, so that one mistake does not cascade into spurious "does not exist".

use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

use katana_rules::{Delivery, Indicator, MoId, MoStatus, ProductionType, RowRef};
use shopify_model::{CancelReason, FinancialStatus, NewLine, NewOrder, RestockType};

use super::MAX_DIAGNOSTICS;
use super::ast::{
    DeliverySetup, Expectation, MoExpect, MoKind, MoSetup, RefundLine, Scenario, SettingsPatch,
    SoExpect, Step, StepEntry,
};
use super::diag::{Diagnostic, Loc};
use super::tree::{Kind, Node};

/// The keys of every step, in the order of scenarios.md.
pub(crate) const STEP_NAMES: [&str; 18] = [
    "edit",
    "add_line",
    "refund",
    "cancel",
    "archive",
    "unarchive",
    "delete",
    "fulfill",
    "create_order",
    "set_status",
    "make_to_order",
    "set_delivery",
    "update_mo_quantity",
    "keep_mo_quantity",
    "dismiss",
    "settings",
    "expect",
    "expect_error",
];

const TOP_KEYS: [&str; 6] = [
    "description",
    "settings",
    "start",
    "shopify",
    "katana",
    "steps",
];
const SETTINGS_KEYS: [&str; 2] = ["sync_order_changes", "import_payment_pending"];
const ORDER_KEYS: [&str; 4] = ["id", "name", "financial_status", "lines"];
const LINE_KEYS: [&str; 4] = ["id", "sku", "quantity", "fulfilled"];
const MO_KEYS: [&str; 5] = ["id", "make_to_order", "sku", "quantity", "status"];
const MO_EXPECT_KEYS: [&str; 7] = [
    "type",
    "status",
    "quantity",
    "linked_to",
    "indicator",
    "messages",
    "exists",
];

/// A plain scalar read under YAML 1.2's core schema; quoted scalars are always strings.
enum Value<'n> {
    Null,
    Bool(bool),
    /// An integer; `None` when it does not fit in an `i128`.
    Int(Option<i128>),
    Float,
    Str(&'n str),
}

fn value(text: &str, plain: bool) -> Value<'_> {
    if !plain {
        return Value::Str(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Value::Float,
        _ => {}
    }
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = |digits: &str, radix: u32| {
        (!digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))).then(|| {
            let magnitude = i128::from_str_radix(digits, radix).ok();
            Value::Int(magnitude.map(|m| if negative { -m } else { m }))
        })
    };
    if let Some(hex) = text.strip_prefix("0x") {
        if let Some(v) = radix(hex, 16) {
            return v;
        }
    } else if let Some(oct) = text.strip_prefix("0o") {
        if let Some(v) = radix(oct, 8) {
            return v;
        }
    } else if let Some(v) = radix(unsigned, 10) {
        return v;
    }
    if is_float(unsigned) {
        return Value::Float;
    }
    Value::Str(text)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float without sign.
fn is_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |d: &str| d.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// How a node is described in "found ..." messages.
fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::Map(_) => "a map".into(),
        Kind::Seq(_) => "a list".into(),
        Kind::Scalar { text, plain } => match value(text, *plain) {
            Value::Null => "nothing (null)".into(),
            Value::Bool(b) => format!("the boolean `{b}`"),
            Value::Int(_) => format!("the integer `{text}`"),
            Value::Float => format!("the number `{text}`"),
            Value::Str(s) => format!("the string {}", quote_excerpt(s)),
        },
    }
}

/// A string quoted for a message, shortened when long.
fn quote_excerpt(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}

/// The closest candidate by edit distance, when close enough to be a likely typo
/// (or when one contains the other, as `started` and `not_started`).
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, c), *c))
        .filter(|(d, c)| {
            *d <= 2.max(c.len() / 3)
                || (lower.len() >= 4 && (c.contains(lower.as_str()) || lower.contains(c)))
        })
        .min()
        .map(|(_, c)| c)
}

/// "did you mean `x`? valid …: a, b, c" or just the list.
fn suggestion(word: &str, candidates: &[&str], what: &str) -> String {
    let list = candidates.join(", ");
    match closest(word, candidates) {
        Some(best) => format!("did you mean `{best}`? Valid {what}: {list}"),
        None => format!("valid {what}: {list}"),
    }
}

/// A list of ids for a hint, shortened when long.
fn id_list<T: ToString>(ids: impl Iterator<Item = T>) -> String {
    const MAX: usize = 12;
    let all: Vec<String> = ids.map(|i| i.to_string()).collect();
    if all.len() > MAX {
        format!("{}, … ({} in all)", all[..MAX].join(", "), all.len())
    } else {
        all.join(", ")
    }
}

fn at(loc: Loc) -> String {
    format!("line {}, column {}", loc.line, loc.column)
}

/// A map whose keys were checked: known, scalar, and not repeated.
struct MapView<'n> {
    loc: Loc,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
    /// The valid key that each unknown key most likely means, if any.
    meant: Vec<&'static str>,
}

impl<'n> MapView<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| *k)
    }
}

/// An order known at some point of the scenario.
struct KnownOrder {
    loc: Loc,
    lines: BTreeMap<u64, Loc>,
}

/// The conversion: diagnostics found so far and the ids that exist at the current point.
pub(crate) struct Cx<'p> {
    path: &'p Path,
    diags: Vec<Diagnostic>,
    dropped: usize,
    orders: BTreeMap<u64, KnownOrder>,
    mos: BTreeMap<MoId, Loc>,
    mto_rows: BTreeMap<RowRef, (MoId, Loc)>,
    /// False inside `expect_error`: no reference checks, no new ids.
    live: bool,
}

impl<'p> Cx<'p> {
    /// A conversion of the file at `path`.
    pub(crate) fn new(path: &'p Path) -> Self {
        Self {
            path,
            diags: Vec::new(),
            dropped: 0,
            orders: BTreeMap::new(),
            mos: BTreeMap::new(),
            mto_rows: BTreeMap::new(),
            live: true,
        }
    }

    /// Every problem found, in file order, deduplicated, capped at [`MAX_DIAGNOSTICS`].
    pub(crate) fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        // Stable: problems at one place keep the order they were found in. An aliased node
        // converted twice reports its problems twice; keep one.
        self.diags.sort_by_key(|d| d.loc);
        let mut seen = std::collections::BTreeSet::new();
        self.diags
            .retain(|d| seen.insert((d.loc, d.message.clone())));
        if self.dropped > 0 {
            self.diags.push(Diagnostic {
                path: self.path.to_path_buf(),
                loc: None,
                message: format!(
                    "too many problems: stopped after {MAX_DIAGNOSTICS}, {} more not shown",
                    self.dropped
                ),
                hint: None,
            });
        }
        self.diags
    }

    fn err(&mut self, loc: Loc, message: impl Into<String>, hint: Option<String>) {
        if self.diags.len() >= MAX_DIAGNOSTICS {
            self.dropped += 1;
            return;
        }
        self.diags.push(Diagnostic {
            path: self.path.to_path_buf(),
            loc: Some(loc),
            message: message.into(),
            hint,
        });
    }

    // ---- generic shape helpers -------------------------------------------------------

    /// The entries of a map node, keys checked to be scalars and not repeated.
    fn raw_map<'n>(&mut self, node: &'n Node, what: &str) -> Option<Vec<(&'n Node, &'n Node)>> {
        let Kind::Map(entries) = &node.kind else {
            if let Kind::Scalar { text, plain } = &node.kind
                && matches!(value(text, *plain), Value::Null)
            {
                // An empty value (`key:`) counts as an empty map.
                return Some(Vec::new());
            }
            let found = describe(node);
            self.err(
                node.loc,
                format!("expected a map for {what}, found {found}"),
                None,
            );
            return None;
        };
        let mut seen: BTreeMap<&'n str, Loc> = BTreeMap::new();
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Kind::Scalar { text, .. } = &k.kind else {
                let found = describe(k);
                self.err(
                    k.loc,
                    format!("a key in {what} must be a scalar, found {found}"),
                    None,
                );
                continue;
            };
            if let Some(first) = seen.get(text.as_str()) {
                let hint = Some(format!("`{text}` is first given at {}", at(*first)));
                self.err(k.loc, format!("duplicate key `{text}` in {what}"), hint);
                continue;
            }
            seen.insert(text, k.loc);
            out.push((&**k, &**v));
        }
        Some(out)
    }

    /// A map with a fixed set of keys; unknown keys are reported with a suggestion.
    fn map<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        keys: &[&'static str],
    ) -> Option<MapView<'n>> {
        let entries = self.raw_map(node, what)?;
        let mut view = MapView {
            loc: node.loc,
            entries: Vec::with_capacity(entries.len()),
            meant: Vec::new(),
        };
        for (k, v) in entries {
            let Kind::Scalar { text, .. } = &k.kind else {
                continue;
            };
            if keys.contains(&text.as_str()) {
                view.entries.push((text, k, v));
            } else {
                view.meant.extend(closest(text, keys));
                let hint = Some(suggestion(text, keys, "keys"));
                self.err(k.loc, format!("unknown key `{text}` in {what}"), hint);
            }
        }
        Some(view)
    }

    fn req<'n>(&mut self, map: &MapView<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let node = map.get(key);
        // A typo of this key is already reported as unknown, with this key as the suggestion.
        if node.is_none() && !map.meant.contains(&key) {
            self.err(map.loc, format!("missing key `{key}` in {what}"), None);
        }
        node
    }

    /// The items of a list; an empty value counts as an empty list.
    fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Rc<Node>]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            Kind::Scalar { text, plain } if matches!(value(text, *plain), Value::Null) => Some(&[]),
            _ => {
                let found = describe(node);
                self.err(
                    node.loc,
                    format!("expected a list for {what}, found {found}"),
                    None,
                );
                None
            }
        }
    }

    fn uint(&mut self, node: &Node, field: &str, max: u64) -> Option<u64> {
        let found = match &node.kind {
            Kind::Scalar { text, plain } => match value(text, *plain) {
                Value::Int(Some(n)) if n >= 0 => match u64::try_from(n) {
                    Ok(n) if n <= max => return Some(n),
                    _ => {
                        self.err(
                            node.loc,
                            format!("`{field}` is too large: {text} (at most {max})"),
                            None,
                        );
                        return None;
                    }
                },
                Value::Int(None) if !text.starts_with('-') => {
                    let msg = format!("`{field}` is too large: {text} (at most {max})");
                    self.err(node.loc, msg, None);
                    return None;
                }
                Value::Str(s) if !*plain && s.trim().parse::<u64>().is_ok() => {
                    let hint = Some(format!("write {} without quotes", s.trim()));
                    let msg = format!(
                        "expected a non-negative integer for `{field}`, found {}",
                        describe(node)
                    );
                    self.err(node.loc, msg, hint);
                    return None;
                }
                _ => describe(node),
            },
            _ => describe(node),
        };
        self.err(
            node.loc,
            format!("expected a non-negative integer for `{field}`, found {found}"),
            None,
        );
        None
    }

    fn u64(&mut self, node: &Node, field: &str) -> Option<u64> {
        self.uint(node, field, u64::MAX)
    }

    fn u32(&mut self, node: &Node, field: &str) -> Option<u32> {
        self.uint(node, field, u64::from(u32::MAX))
            .and_then(|n| u32::try_from(n).ok())
    }

    fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
        if let Kind::Scalar { text, plain } = &node.kind
            && let Value::Bool(b) = value(text, *plain)
        {
            return Some(b);
        }
        let found = describe(node);
        self.err(
            node.loc,
            format!("expected `true` or `false` for `{field}`, found {found}"),
            None,
        );
        None
    }

    /// A non-empty string; unquoted numbers and booleans are taken as written.
    fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.kind {
            Kind::Scalar { text, plain } if !matches!(value(text, *plain), Value::Null) => {
                if text.trim().is_empty() {
                    self.err(node.loc, format!("`{field}` must not be empty"), None);
                    None
                } else {
                    Some(text.clone())
                }
            }
            _ => {
                let found = describe(node);
                self.err(
                    node.loc,
                    format!("expected a string for `{field}`, found {found}"),
                    None,
                );
                None
            }
        }
    }

    fn choice<T: Copy>(&mut self, node: &Node, field: &str, values: &[(&str, T)]) -> Option<T> {
        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        if let Kind::Scalar { text, plain } = &node.kind
            && !matches!(value(text, *plain), Value::Null)
        {
            if let Some((_, v)) = values.iter().find(|(n, _)| *n == text.as_str()) {
                return Some(*v);
            }
            let hint = Some(suggestion(text, &names, "values"));
            self.err(node.loc, format!("unknown {field} `{text}`"), hint);
            return None;
        }
        let found = describe(node);
        self.err(
            node.loc,
            format!(
                "expected one of {} for `{field}`, found {found}",
                names.join(", ")
            ),
            None,
        );
        None
    }

    fn mo_id(&mut self, node: &Node, field: &str) -> Option<MoId> {
        self.string(node, field).map(MoId)
    }

    // ---- references ------------------------------------------------------------------

    /// Checks that `order` exists; true when it does or when references are not checked.
    fn check_order(&mut self, order: u64, loc: Loc) -> bool {
        if !self.live || self.orders.contains_key(&order) {
            return true;
        }
        let hint = if self.orders.is_empty() {
            "no order exists yet; define one under `shopify.orders` or with `create_order`".into()
        } else {
            format!("known orders: {}", id_list(self.orders.keys()))
        };
        self.err(loc, format!("order {order} does not exist"), Some(hint));
        false
    }

    fn check_line(&mut self, order: u64, order_loc: Loc, line: u64, loc: Loc) {
        if !self.live || !self.check_order(order, order_loc) {
            return;
        }
        let Some(known) = self.orders.get(&order) else {
            return;
        };
        if known.lines.contains_key(&line) {
            return;
        }
        let hint = format!("lines of order {order}: {}", id_list(known.lines.keys()));
        self.err(
            loc,
            format!("line {line} does not exist in order {order}"),
            Some(hint),
        );
    }

    fn check_mo(&mut self, mo: &MoId, loc: Loc) {
        if !self.live || self.mos.contains_key(mo) {
            return;
        }
        let hint = if self.mos.is_empty() {
            "no MO exists yet; define one under `katana.manufacturing_orders` or with \
             `make_to_order`"
                .into()
        } else {
            format!("known MOs: {}", id_list(self.mos.keys()))
        };
        self.err(loc, format!("MO `{mo}` does not exist"), Some(hint));
    }

    /// Records a new order; false (and an error) when the id is taken.
    fn add_order(&mut self, id: u64, loc: Loc) -> bool {
        if !self.live {
            return false;
        }
        if let Some(first) = self.orders.get(&id) {
            let hint = Some(format!("order {id} is first defined at {}", at(first.loc)));
            self.err(loc, format!("duplicate order id {id}"), hint);
            return false;
        }
        self.orders.insert(
            id,
            KnownOrder {
                loc,
                lines: BTreeMap::new(),
            },
        );
        true
    }

    fn add_line(&mut self, order: u64, line: u64, loc: Loc) {
        if !self.live {
            return;
        }
        let Some(known) = self.orders.get_mut(&order) else {
            return;
        };
        if let Some(first) = known.lines.get(&line) {
            let hint = Some(format!("line {line} is first defined at {}", at(*first)));
            self.err(
                loc,
                format!("duplicate line id {line} in order {order}"),
                hint,
            );
        } else {
            known.lines.insert(line, loc);
        }
    }

    fn add_mo(&mut self, id: &MoId, loc: Loc) {
        if !self.live {
            return;
        }
        if let Some(first) = self.mos.get(id) {
            let hint = Some(format!("`{id}` is first defined at {}", at(*first)));
            self.err(loc, format!("duplicate MO id `{id}`"), hint);
        } else {
            self.mos.insert(id.clone(), loc);
        }
    }

    // ---- the scenario ----------------------------------------------------------------

    /// The whole file; `None` when anything is wrong (the problems are in the diagnostics).
    pub(crate) fn scenario(&mut self, root: &Node) -> Option<Scenario> {
        let top = self.map(root, "the scenario", &TOP_KEYS)?;
        let description = self
            .req(&top, "description", "the scenario")
            .and_then(|n| self.string(n, "description"));
        let settings = match top.get("settings") {
            Some(n) => self.settings(n, "`settings`"),
            None => Some(SettingsPatch::default()),
        };
        let start = match top.get("start") {
            Some(n) => self.start(n).map(Some),
            None => Some(None),
        };

        let mut orders = Some(Vec::new());
        if let Some(shopify) = top.get("shopify")
            && let Some(m) = self.map(shopify, "`shopify`", &["orders"])
            && let Some(list) = m.get("orders")
        {
            orders = self.orders(list);
        }

        let (mut deliveries, mut mos) = (Some(Vec::new()), Some(Vec::new()));
        if let Some(katana) = top.get("katana")
            && let Some(m) = self.map(
                katana,
                "`katana`",
                &["sales_orders", "manufacturing_orders"],
            )
        {
            if let Some(list) = m.get("sales_orders") {
                deliveries = self.deliveries(list);
            }
            if let Some(list) = m.get("manufacturing_orders") {
                mos = self.setup_mos(list);
            }
        }

        let mut steps = Some(Vec::new());
        if let Some(list) = top.get("steps") {
            steps = self.steps(list);
        }

        Some(Scenario {
            path: self.path.to_path_buf(),
            description: description?,
            settings: settings?,
            start: start?,
            orders: orders?,
            deliveries: deliveries?,
            mos: mos?,
            steps: steps?,
        })
    }

    fn start(&mut self, node: &Node) -> Option<jiff::Timestamp> {
        let text = self.string(node, "start")?;
        match text.parse::<jiff::Timestamp>() {
            Ok(ts) => Some(ts),
            Err(e) => {
                let hint = Some("write an RFC 3339 instant such as 2026-01-01T09:00:00Z".into());
                self.err(node.loc, format!("invalid `start` timestamp: {e}"), hint);
                None
            }
        }
    }

    fn settings(&mut self, node: &Node, what: &str) -> Option<SettingsPatch> {
        let m = self.map(node, what, &SETTINGS_KEYS)?;
        let mut patch = SettingsPatch::default();
        let mut ok = true;
        for (key, slot) in [
            ("sync_order_changes", &mut patch.sync_order_changes),
            ("import_payment_pending", &mut patch.import_payment_pending),
        ] {
            if let Some(n) = m.get(key) {
                *slot = self.boolean(n, key);
                ok &= slot.is_some();
            }
        }
        ok.then_some(patch)
    }

    fn orders(&mut self, node: &Node) -> Option<Vec<NewOrder>> {
        let items = self.seq(node, "`shopify.orders`")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let order = self.order(item, "an order");
            push_or_fail(&mut out, order);
        }
        out
    }

    /// An order as under `shopify.orders` or in `create_order`; records its ids when live.
    fn order(&mut self, node: &Node, what: &str) -> Option<NewOrder> {
        let m = self.map(node, what, &ORDER_KEYS)?;
        let id_node = self.req(&m, "id", what);
        let id = id_node.and_then(|n| self.u64(n, "id"));
        let recorded = match (id, id_node) {
            (Some(id), Some(n)) => self.add_order(id, n.loc),
            _ => false,
        };
        let name = match m.get("name") {
            Some(n) => self.string(n, "name").map(Some),
            None => Some(None),
        };
        let financial_status = match m.get("financial_status") {
            Some(n) => self.choice(n, "financial_status", &financial_statuses()),
            None => Some(FinancialStatus::Paid),
        };
        let lines = self
            .req(&m, "lines", what)
            .and_then(|n| self.lines(n, id.filter(|_| recorded)));
        if let Some(lines) = &lines
            && lines.is_empty()
            && let Some(n) = m.get("lines")
        {
            self.err(n.loc, "an order needs at least one line", None);
            return None;
        }
        Some(NewOrder {
            id: id?,
            name: name?,
            financial_status: financial_status?,
            lines: lines?,
        })
    }

    /// An order's lines; their ids are recorded under `order` when it is given.
    fn lines(&mut self, node: &Node, order: Option<u64>) -> Option<Vec<NewLine>> {
        let items = self.seq(node, "`lines`")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let line = self.line(item, order);
            push_or_fail(&mut out, line);
        }
        out
    }

    fn line(&mut self, node: &Node, order: Option<u64>) -> Option<NewLine> {
        let what = "a line";
        let m = self.map(node, what, &LINE_KEYS)?;
        let id_node = self.req(&m, "id", what);
        let id = id_node.and_then(|n| self.u64(n, "id"));
        if let (Some(order), Some(id), Some(n)) = (order, id, id_node) {
            self.add_line(order, id, n.loc);
        }
        let sku = self
            .req(&m, "sku", what)
            .and_then(|n| self.string(n, "sku"));
        let quantity = self
            .req(&m, "quantity", what)
            .and_then(|n| self.u32(n, "quantity"));
        let fulfilled = match m.get("fulfilled") {
            Some(n) => self.u32(n, "fulfilled"),
            None => Some(0),
        };
        if let (Some(q), Some(f), Some(n)) = (quantity, fulfilled, m.get("fulfilled"))
            && f > q
        {
            self.err(
                n.loc,
                format!("`fulfilled` ({f}) is more than `quantity` ({q})"),
                None,
            );
            return None;
        }
        Some(NewLine {
            id: id?,
            sku: sku?,
            quantity: quantity?,
            fulfilled: fulfilled?,
        })
    }

    /// Reads `order` and `line` from a map and checks that the line exists.
    fn row(&mut self, m: &MapView<'_>, what: &str) -> Option<RowRef> {
        let order_node = self.req(m, "order", what);
        let order = order_node.and_then(|n| self.u64(n, "order"));
        let line_node = self.req(m, "line", what);
        let line = line_node.and_then(|n| self.u64(n, "line"));
        if let (Some(o), Some(on), Some(l), Some(ln)) = (order, order_node, line, line_node) {
            self.check_line(o, on.loc, l, ln.loc);
        }
        Some(RowRef {
            order: order?,
            line: line?,
        })
    }

    /// Reads `order` from a map and checks that it exists.
    fn order_ref(&mut self, m: &MapView<'_>, what: &str) -> Option<u64> {
        let node = self.req(m, "order", what)?;
        let order = self.u64(node, "order")?;
        self.check_order(order, node.loc);
        Some(order)
    }

    fn deliveries(&mut self, node: &Node) -> Option<Vec<DeliverySetup>> {
        let items = self.seq(node, "`katana.sales_orders`")?;
        let what = "a `katana.sales_orders` entry";
        let mut seen: BTreeMap<RowRef, Loc> = BTreeMap::new();
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let entry = self
                .map(item, what, &["order", "line", "delivery"])
                .and_then(|m| {
                    let row = self.row(&m, what);
                    let delivery = self
                        .req(&m, "delivery", what)
                        .and_then(|n| self.choice(n, "delivery", &deliveries()));
                    Some(DeliverySetup {
                        order: row?.order,
                        line: row?.line,
                        delivery: delivery?,
                        loc: item.loc,
                    })
                });
            if let Some(d) = &entry {
                let row = RowRef {
                    order: d.order,
                    line: d.line,
                };
                if let Some(first) = seen.insert(row, d.loc) {
                    let hint = Some(format!("first given at {}", at(first)));
                    self.err(d.loc, format!("the delivery of {row} is given twice"), hint);
                }
            }
            push_or_fail(&mut out, entry);
        }
        out
    }

    fn setup_mos(&mut self, node: &Node) -> Option<Vec<MoSetup>> {
        let items = self.seq(node, "`katana.manufacturing_orders`")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let mo = self.setup_mo(item);
            push_or_fail(&mut out, mo);
        }
        out
    }

    fn setup_mo(&mut self, node: &Node) -> Option<MoSetup> {
        let what = "an MO";
        let m = self.map(node, what, &MO_KEYS)?;
        let id = self
            .req(&m, "id", what)
            .and_then(|n| self.mo_id(n, "id").map(|id| (id, n.loc)));
        if let Some((id, loc)) = &id {
            self.add_mo(id, *loc);
        }
        let status = match m.get("status") {
            Some(n) => self.choice(n, "status", &statuses()),
            None => Some(MoStatus::NotStarted),
        };
        let kind = if let Some(mto) = m.get("make_to_order") {
            let mut own = false;
            for key in ["sku", "quantity"] {
                if let Some(k) = m.key_node(key) {
                    own = true;
                    self.err(
                        k.loc,
                        format!("an MTO MO takes its {key} from its row; remove `{key}`"),
                        Some(
                            "leave out `make_to_order` instead for a make-to-stock MO with its \
                             own sku and quantity"
                                .into(),
                        ),
                    );
                }
            }
            let row = self
                .map(mto, "`make_to_order`", &["order", "line"])
                .and_then(|rm| self.row(&rm, "`make_to_order`"));
            if let (Some(row), Some((id, _))) = (row, &id)
                && self
                    .orders
                    .get(&row.order)
                    .is_some_and(|o| o.lines.contains_key(&row.line))
            {
                if let Some((other, other_loc)) = self.mto_rows.get(&row) {
                    let message = format!(
                        "an MTO MO on a row that already has one: {row} is linked to `{other}`"
                    );
                    let hint = Some(format!(
                        "an SO row has at most one MTO MO; `{other}` is defined at {}",
                        at(*other_loc)
                    ));
                    self.err(mto.loc, message, hint);
                    own = true;
                } else {
                    self.mto_rows.insert(row, (id.clone(), node.loc));
                }
            }
            row.filter(|_| !own).map(MoKind::MakeToOrder)
        } else {
            let hint = "an MO needs `make_to_order: { order, line }`, or `sku` and `quantity` \
                        for make-to-stock";
            let (sku, quantity) = (m.get("sku"), m.get("quantity"));
            for (key, n) in [("sku", sku), ("quantity", quantity)] {
                if n.is_none() && !m.meant.contains(&key) {
                    self.err(
                        m.loc,
                        format!("missing key `{key}` in {what}"),
                        Some(hint.into()),
                    );
                }
            }
            let sku = sku.and_then(|n| self.string(n, "sku"));
            let quantity = quantity.and_then(|n| self.u32(n, "quantity"));
            Some(MoKind::MakeToStock {
                sku: sku?,
                quantity: quantity?,
            })
        };
        Some(MoSetup {
            id: id?.0,
            kind: kind?,
            status: status?,
            loc: node.loc,
        })
    }

    // ---- steps -------------------------------------------------------------------------

    fn steps(&mut self, node: &Node) -> Option<Vec<StepEntry>> {
        let items = self.seq(node, "`steps`")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let step = self.step(item).map(|step| StepEntry {
                step,
                loc: item.loc,
            });
            push_or_fail(&mut out, step);
        }
        out
    }

    fn step(&mut self, node: &Node) -> Option<Step> {
        let entries = match &node.kind {
            Kind::Map(_) => self.raw_map(node, "a step")?,
            _ => {
                let found = describe(node);
                self.err(
                    node.loc,
                    format!("expected a step (a map with one key), found {found}"),
                    Some(format!("valid steps: {}", STEP_NAMES.join(", "))),
                );
                return None;
            }
        };
        let [(key, value)] = entries[..] else {
            let keys: Vec<String> = entries
                .iter()
                .filter_map(|(k, _)| match &k.kind {
                    Kind::Scalar { text, .. } => Some(format!("`{text}`")),
                    _ => None,
                })
                .collect();
            let (message, hint) = if keys.is_empty() {
                (
                    "a step must have exactly one key, found none".to_string(),
                    format!("valid steps: {}", STEP_NAMES.join(", ")),
                )
            } else {
                (
                    format!(
                        "a step must have exactly one key, found {}: {}",
                        keys.len(),
                        keys.join(", ")
                    ),
                    "write each action as its own `- ` item".to_string(),
                )
            };
            self.err(node.loc, message, Some(hint));
            return None;
        };
        let Kind::Scalar { text: name, .. } = &key.kind else {
            return None;
        };
        let what = format!("`{name}`");
        let what = what.as_str();
        match name.as_str() {
            "edit" | "fulfill" => {
                let m = self.map(value, what, &["order", "line", "quantity"])?;
                let row = self.row(&m, what);
                let quantity = self
                    .req(&m, "quantity", what)
                    .and_then(|n| self.u32(n, "quantity"));
                let (RowRef { order, line }, quantity) = (row?, quantity?);
                Some(if name == "edit" {
                    Step::Edit {
                        order,
                        line,
                        quantity,
                    }
                } else {
                    Step::Fulfill {
                        order,
                        line,
                        quantity,
                    }
                })
            }
            "add_line" => {
                let m = self.map(value, what, &["order", "line", "sku", "quantity"])?;
                let order = self.order_ref(&m, what);
                let line_node = self.req(&m, "line", what);
                let line = line_node.and_then(|n| self.u64(n, "line"));
                if let (Some(o), Some(l), Some(n)) = (order, line, line_node) {
                    self.add_line(o, l, n.loc);
                }
                let sku = self
                    .req(&m, "sku", what)
                    .and_then(|n| self.string(n, "sku"));
                let quantity = self
                    .req(&m, "quantity", what)
                    .and_then(|n| self.u32(n, "quantity"));
                Some(Step::AddLine {
                    order: order?,
                    line: line?,
                    sku: sku?,
                    quantity: quantity?,
                })
            }
            "refund" => self.refund(value, what),
            "cancel" => {
                let m = self.map(value, what, &["order", "reason", "restock"])?;
                let order = self.order_ref(&m, what);
                let reason = match m.get("reason") {
                    Some(n) => self.choice(n, "reason", &cancel_reasons()).map(Some),
                    None => Some(None),
                };
                let restock = match m.get("restock") {
                    Some(n) => self.boolean(n, "restock"),
                    None => Some(false),
                };
                Some(Step::Cancel {
                    order: order?,
                    reason: reason?,
                    restock: restock?,
                })
            }
            "archive" | "unarchive" | "delete" => {
                if let Kind::Scalar { text, .. } = &value.kind {
                    let found = describe(value);
                    self.err(
                        value.loc,
                        format!("expected a map for {what}, found {found}"),
                        Some(format!("write `{name}: {{ order: {text} }}`")),
                    );
                    return None;
                }
                let m = self.map(value, what, &["order"])?;
                let order = self.order_ref(&m, what)?;
                Some(match name.as_str() {
                    "archive" => Step::Archive { order },
                    "unarchive" => Step::Unarchive { order },
                    _ => Step::Delete { order },
                })
            }
            "create_order" => self.order(value, what).map(Step::CreateOrder),
            "set_status" => {
                let m = self.map(value, what, &["mo", "status"])?;
                let mo = self.mo_ref(&m, what);
                let status = self
                    .req(&m, "status", what)
                    .and_then(|n| self.choice(n, "status", &statuses()));
                Some(Step::SetStatus {
                    mo: mo?,
                    status: status?,
                })
            }
            "make_to_order" => {
                let m = self.map(value, what, &["mo", "order", "line", "status"])?;
                let mo = self
                    .req(&m, "mo", what)
                    .and_then(|n| self.mo_id(n, "mo").map(|id| (id, n.loc)));
                if let Some((id, loc)) = &mo {
                    self.add_mo(id, *loc);
                }
                let row = self.row(&m, what);
                let status = match m.get("status") {
                    Some(n) => self.choice(n, "status", &statuses()).map(Some),
                    None => Some(None),
                };
                let RowRef { order, line } = row?;
                Some(Step::MakeToOrder {
                    mo: mo?.0,
                    order,
                    line,
                    status: status?,
                })
            }
            "set_delivery" => {
                let m = self.map(value, what, &["order", "line", "delivery"])?;
                let row = self.row(&m, what);
                let delivery = self
                    .req(&m, "delivery", what)
                    .and_then(|n| self.choice(n, "delivery", &deliveries()));
                let RowRef { order, line } = row?;
                Some(Step::SetDelivery {
                    order,
                    line,
                    delivery: delivery?,
                })
            }
            "update_mo_quantity" | "keep_mo_quantity" | "dismiss" => {
                if let Kind::Map(_) = &value.kind {
                    self.err(
                        value.loc,
                        format!("expected an MO id for {what}, found a map"),
                        Some(format!("write `{name}: MO-1`")),
                    );
                    return None;
                }
                let mo = self.mo_id(value, name)?;
                self.check_mo(&mo, value.loc);
                Some(match name.as_str() {
                    "update_mo_quantity" => Step::UpdateMoQuantity(mo),
                    "keep_mo_quantity" => Step::KeepMoQuantity(mo),
                    _ => Step::Dismiss(mo),
                })
            }
            "settings" => {
                let patch = self.settings(value, what)?;
                if patch.is_empty() {
                    self.err(
                        value.loc,
                        "this `settings` step changes nothing",
                        Some(format!(
                            "name at least one of: {}",
                            SETTINGS_KEYS.join(", ")
                        )),
                    );
                    return None;
                }
                Some(Step::Settings(patch))
            }
            "expect" => self.expectation(value).map(Step::Expect),
            "expect_error" => self.expect_error(value),
            _ => {
                let hint = Some(suggestion(name, &STEP_NAMES, "steps"));
                self.err(key.loc, format!("unknown step `{name}`"), hint);
                None
            }
        }
    }

    fn mo_ref(&mut self, m: &MapView<'_>, what: &str) -> Option<MoId> {
        let node = self.req(m, "mo", what)?;
        let mo = self.mo_id(node, "mo")?;
        self.check_mo(&mo, node.loc);
        Some(mo)
    }

    fn refund(&mut self, value: &Node, what: &str) -> Option<Step> {
        let m = self.map(value, what, &["order", "lines"])?;
        let order_node = self.req(&m, "order", what);
        let order = order_node.and_then(|n| self.u64(n, "order"));
        let order_exists = match (order, order_node) {
            (Some(o), Some(n)) => self.check_order(o, n.loc),
            _ => false,
        };
        let mut lines = Some(Vec::new());
        if let Some(list) = m.get("lines") {
            let items = self.seq(list, "`lines`");
            if items.is_none() {
                lines = None;
            }
            let mut seen: BTreeMap<u64, Loc> = BTreeMap::new();
            for item in items.unwrap_or_default() {
                let line_what = "a refund line";
                let line = self
                    .map(item, line_what, &["line", "quantity", "restock"])
                    .and_then(|lm| {
                        let line_node = self.req(&lm, "line", line_what);
                        let line = line_node.and_then(|n| self.u64(n, "line"));
                        if let (Some(l), Some(n)) = (line, line_node) {
                            if let (true, Some(o), Some(on)) = (order_exists, order, order_node) {
                                self.check_line(o, on.loc, l, n.loc);
                            }
                            if let Some(first) = seen.insert(l, n.loc) {
                                let hint = Some(format!("first listed at {}", at(first)));
                                let msg = format!("line {l} is listed twice in this refund");
                                self.err(n.loc, msg, hint);
                            }
                        }
                        let quantity = self
                            .req(&lm, "quantity", line_what)
                            .and_then(|n| self.u32(n, "quantity"));
                        let restock = self
                            .req(&lm, "restock", line_what)
                            .and_then(|n| self.choice(n, "restock", &restock_types()));
                        Some(RefundLine {
                            line: line?,
                            quantity: quantity?,
                            restock: restock?,
                        })
                    });
                push_or_fail(&mut lines, line);
            }
        }
        Some(Step::Refund {
            order: order?,
            lines: lines?,
        })
    }

    fn expectation(&mut self, value: &Node) -> Option<Expectation> {
        let entries = self.raw_map(value, "`expect`")?;
        if entries.is_empty() {
            self.err(
                value.loc,
                "this `expect` checks nothing",
                Some("name at least one MO id, or `sales_orders`".into()),
            );
            return None;
        }
        let mut out = Some(Expectation::default());
        for (k, v) in entries {
            let Kind::Scalar { text, .. } = &k.kind else {
                continue;
            };
            if text == "sales_orders" {
                let sos = self.so_expects(v);
                match (&mut out, sos) {
                    (Some(e), Some(sos)) => e.sales_orders = sos,
                    _ => out = None,
                }
                continue;
            }
            let Some(mo) = self.mo_id(k, "expect") else {
                out = None;
                continue;
            };
            let expect = self.mo_expect(v, &mo);
            // `{ exists: false }` alone may name an id that never existed, e.g. the
            // MO of a refused `make_to_order`: that is the point of the check.
            let only_absent = expect.as_ref().is_some_and(|x| {
                *x == MoExpect {
                    exists: Some(false),
                    ..MoExpect::default()
                }
            });
            if !only_absent {
                self.check_mo(&mo, k.loc);
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

    fn mo_expect(&mut self, node: &Node, mo: &MoId) -> Option<MoExpect> {
        let what = format!("the expectation for `{mo}`");
        let m = self.map(node, &what, &MO_EXPECT_KEYS)?;
        let mut ok = true;
        let mut x = MoExpect::default();
        if let Some(n) = m.get("type") {
            x.production_type = self.choice(n, "type", &production_types());
            ok &= x.production_type.is_some();
        }
        if let Some(n) = m.get("status") {
            x.status = self.choice(n, "status", &statuses());
            ok &= x.status.is_some();
        }
        if let Some(n) = m.get("quantity") {
            x.quantity = self.u32(n, "quantity");
            ok &= x.quantity.is_some();
        }
        if let Some(n) = m.get("linked_to") {
            x.linked_to = match &n.kind {
                Kind::Scalar { text, plain } if matches!(value(text, *plain), Value::Null) => {
                    Some(None)
                }
                _ => self
                    .map(n, "`linked_to`", &["order", "line"])
                    .and_then(|lm| self.row(&lm, "`linked_to`"))
                    .map(Some),
            };
            ok &= x.linked_to.is_some();
        }
        if let Some(n) = m.get("indicator") {
            x.indicator = self.choice(n, "indicator", &indicators());
            ok &= x.indicator.is_some();
        }
        if let Some(n) = m.get("messages") {
            x.messages = self.u32(n, "messages").map(|c| c as usize);
            ok &= x.messages.is_some();
        }
        if let Some(n) = m.get("exists") {
            x.exists = self.boolean(n, "exists");
            ok &= x.exists.is_some();
        }
        ok.then_some(x)
    }

    fn so_expects(&mut self, node: &Node) -> Option<BTreeMap<u64, SoExpect>> {
        let entries = self.raw_map(node, "`sales_orders`")?;
        let mut out = Some(BTreeMap::new());
        for (k, v) in entries {
            let Some(order) = self.u64(k, "sales_orders") else {
                out = None;
                continue;
            };
            let known = !self.live || self.orders.contains_key(&order);
            let so = self.so_expect(v, order, k.loc, known);
            // `{ exists: false }` alone may name an order that never existed.
            let only_absent = so.as_ref().is_some_and(|x| {
                *x == SoExpect {
                    exists: Some(false),
                    rows: None,
                }
            });
            if !only_absent {
                self.check_order(order, k.loc);
            }
            match (&mut out, so) {
                (Some(map), Some(so)) => {
                    if map.insert(order, so).is_some() {
                        self.err(k.loc, format!("order {order} is named twice"), None);
                    }
                }
                _ => out = None,
            }
        }
        out
    }

    fn so_expect(
        &mut self,
        node: &Node,
        order: u64,
        order_loc: Loc,
        known: bool,
    ) -> Option<SoExpect> {
        let what = format!("the expectation for order {order}");
        let m = self.map(node, &what, &["exists", "rows"])?;
        let exists = match m.get("exists") {
            Some(n) => self.boolean(n, "exists").map(Some),
            None => Some(None),
        };
        let rows = match m.get("rows") {
            None => Some(None),
            Some(n) => self.raw_map(n, "`rows`").and_then(|entries| {
                let mut rows = Some(BTreeMap::new());
                for (lk, lv) in entries {
                    let line = self.u64(lk, "rows");
                    if let (Some(l), true) = (line, known) {
                        self.check_line(order, order_loc, l, lk.loc);
                    }
                    let quantity = self.u32(lv, "quantity");
                    match (&mut rows, line, quantity) {
                        (Some(r), Some(l), Some(q)) => {
                            if r.insert(l, q).is_some() {
                                self.err(lk.loc, format!("line {l} is named twice"), None);
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

    fn expect_error(&mut self, value: &Node) -> Option<Step> {
        let what = "`expect_error`";
        let m = self.map(value, what, &["step", "contains"])?;
        let inner = self.req(&m, "step", what);
        let contains = match m.get("contains") {
            Some(n) => self.string(n, "contains").map(Some),
            None => Some(None),
        };
        let inner = inner.and_then(|n| {
            let was_live = std::mem::replace(&mut self.live, false);
            let step = self.step(n);
            self.live = was_live;
            match step {
                Some(Step::Expect(_) | Step::ExpectError { .. } | Step::Settings(_)) => {
                    let name = step.as_ref().map_or("", Step::name);
                    self.err(
                        n.loc,
                        format!("`expect_error` needs an action that can be refused, not `{name}`"),
                        Some(
                            "wrap a Shopify or Katana action, e.g. `step: { dismiss: MO-1 }`"
                                .into(),
                        ),
                    );
                    None
                }
                other => other,
            }
        });
        Some(Step::ExpectError {
            step: Box::new(inner?),
            contains: contains?,
        })
    }
}

/// Pushes `item` if both it and the list are intact; otherwise the list becomes `None`.
fn push_or_fail<T>(list: &mut Option<Vec<T>>, item: Option<T>) {
    match (list.as_mut(), item) {
        (Some(l), Some(i)) => l.push(i),
        _ => *list = None,
    }
}

fn statuses() -> Vec<(&'static str, MoStatus)> {
    MoStatus::ALL.iter().map(|s| (s.as_str(), *s)).collect()
}

fn deliveries() -> Vec<(&'static str, Delivery)> {
    Delivery::ALL.iter().map(|d| (d.as_str(), *d)).collect()
}

fn indicators() -> Vec<(&'static str, Indicator)> {
    Indicator::ALL.iter().map(|i| (i.as_str(), *i)).collect()
}

fn production_types() -> Vec<(&'static str, ProductionType)> {
    [ProductionType::MakeToOrder, ProductionType::MakeToStock]
        .iter()
        .map(|p| (p.as_str(), *p))
        .collect()
}

fn financial_statuses() -> Vec<(&'static str, FinancialStatus)> {
    FinancialStatus::ALL
        .iter()
        .map(|f| (f.as_str(), *f))
        .collect()
}

fn restock_types() -> Vec<(&'static str, RestockType)> {
    RestockType::ALL.iter().map(|r| (r.as_str(), *r)).collect()
}

fn cancel_reasons() -> Vec<(&'static str, CancelReason)> {
    CancelReason::ALL.iter().map(|r| (r.as_str(), *r)).collect()
}
