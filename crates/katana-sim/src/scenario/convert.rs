//! Turns the located YAML tree into a [`Scenario`], collecting every problem on the way.
//!
//! Shape checks (keys, types, enum values) and reference checks (ids that exist, ids that
//! are not reused) run in one pass, in the order the runner will see things: orders, then
//! deliveries, then MOs, then the steps one by one. A step may refer to ids created by
//! earlier steps; the step inside `expect_error` is neither checked nor allowed to create
//! ids, since it is expected to be refused. Ids are recorded even when the rest of their
//! entry is broken, so that one mistake does not cascade into spurious "does not exist".

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;

use jiff::{SignedDuration, Timestamp};
use katana_rules::{Delivery, MoId, MoStatus, RowRef};
use shopify_model::{FinancialStatus, MAX_LINE_QUANTITY, MAX_SKU_LEN, NewLine, NewOrder};

use super::MAX_DIAGNOSTICS;
use super::ast::{DeliverySetup, MoKind, MoSetup, OrderSetup, Scenario, SettingsPatch, StepEntry};
use super::diag::{Diagnostic, Loc};
use super::tree::{Kind, Node};
use super::yaml::{Value, describe, is_null, value};
use crate::runner::STEP;
use crate::steps::{STEPS, Step, step_names};

const TOP_KEYS: [&str; 7] = [
    "description",
    "settings",
    "start",
    "shopify",
    "katana",
    "steps",
    "faults",
];
pub(crate) const SETTINGS_KEYS: [&str; 2] = ["sync_order_changes", "import_payment_pending"];
const ORDER_KEYS: [&str; 6] = [
    "id",
    "name",
    "financial_status",
    "archived",
    "cancelled",
    "lines",
];
const LINE_KEYS: [&str; 4] = ["id", "sku", "quantity", "fulfilled"];
const MO_KEYS: [&str; 5] = ["id", "make_to_order", "sku", "quantity", "status"];

/// Which quantities Shopify takes at the door (rules.md §3b): a line is created
/// with 1 to [`MAX_LINE_QUANTITY`] units; an edit may also set 0 (removing the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Units {
    /// 1 ..= [`MAX_LINE_QUANTITY`]: a new line.
    New,
    /// 0 ..= [`MAX_LINE_QUANTITY`]: an edit, a refund, a fulfilment (Shopify's own
    /// rules then decide whether 0 is refused).
    Any,
}

/// The closest candidate by edit distance, when close enough to be a likely typo
/// (or when one contains the other, as `started` and `not_started`).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
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
pub(crate) fn suggestion(word: &str, candidates: &[&str], what: &str) -> String {
    let list = candidates.join(", ");
    match closest(word, candidates) {
        Some(best) => format!("did you mean `{best}`? Valid {what}: {list}"),
        None => format!("valid {what}: {list}"),
    }
}

/// A list of ids for a hint, shortened when long.
pub(crate) fn id_list<T: ToString>(ids: impl Iterator<Item = T>) -> String {
    const MAX: usize = 12;
    let all: Vec<String> = ids.map(|i| i.to_string()).collect();
    if all.len() > MAX {
        format!("{}, … ({} in all)", all[..MAX].join(", "), all.len())
    } else {
        all.join(", ")
    }
}

pub(crate) fn at(loc: Loc) -> String {
    format!("line {}, column {}", loc.line, loc.column)
}

/// A map whose keys were checked: known, scalar, and not repeated.
pub(crate) struct MapView<'n> {
    pub(crate) loc: Loc,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
    /// The valid key that each unknown key most likely means, if any.
    pub(crate) meant: Vec<&'static str>,
}

impl<'n> MapView<'n> {
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    /// True when no known key is given.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn key_node(&self, key: &str) -> Option<&'n Node> {
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
    /// Every order and MO id the file creates anywhere (set-up, steps, and steps
    /// inside `expect_error`), for `exists: false` checks.
    ever_orders: BTreeSet<u64>,
    ever_mos: BTreeSet<MoId>,
    /// `exists: false` checks, decided once the whole file is read.
    absent_orders: Vec<(u64, Loc)>,
    absent_mos: Vec<(MoId, Loc)>,
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
            ever_orders: BTreeSet::new(),
            ever_mos: BTreeSet::new(),
            absent_orders: Vec::new(),
            absent_mos: Vec::new(),
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

    pub(crate) fn err(&mut self, loc: Loc, message: impl Into<String>, hint: Option<String>) {
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
    pub(crate) fn raw_map<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Option<Vec<(&'n Node, &'n Node)>> {
        let Kind::Map(entries) = &node.kind else {
            if is_null(node) {
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
    pub(crate) fn map<'n>(
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

    pub(crate) fn req<'n>(&mut self, map: &MapView<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let node = map.get(key);
        // A typo of this key is already reported as unknown, with this key as the suggestion.
        if node.is_none() && !map.meant.contains(&key) {
            self.err(map.loc, format!("missing key `{key}` in {what}"), None);
        }
        node
    }

    /// The items of a list; an empty value counts as an empty list.
    pub(crate) fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Rc<Node>]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            Kind::Scalar { .. } if is_null(node) => Some(&[]),
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

    pub(crate) fn uint(&mut self, node: &Node, field: &str, max: u64) -> Option<u64> {
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

    pub(crate) fn u64(&mut self, node: &Node, field: &str) -> Option<u64> {
        self.uint(node, field, u64::MAX)
    }

    pub(crate) fn u32(&mut self, node: &Node, field: &str) -> Option<u32> {
        self.uint(node, field, u64::from(u32::MAX))
            .and_then(|n| u32::try_from(n).ok())
    }

    pub(crate) fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
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
    pub(crate) fn string(&mut self, node: &Node, field: &str) -> Option<String> {
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

    pub(crate) fn choice<T: Copy>(
        &mut self,
        node: &Node,
        field: &str,
        values: &[(&str, T)],
    ) -> Option<T> {
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

    pub(crate) fn mo_id(&mut self, node: &Node, field: &str) -> Option<MoId> {
        self.string(node, field).map(MoId)
    }

    // ---- references ------------------------------------------------------------------

    /// Checks that `order` exists; true when it does or when references are not checked.
    pub(crate) fn check_order(&mut self, order: u64, loc: Loc) -> bool {
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

    pub(crate) fn check_line(&mut self, order: u64, order_loc: Loc, line: u64, loc: Loc) {
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

    pub(crate) fn check_mo(&mut self, mo: &MoId, loc: Loc) {
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
    pub(crate) fn add_order(&mut self, id: u64, loc: Loc) -> bool {
        self.ever_orders.insert(id);
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

    /// Records a line id under `order`; an id already used in this order, or in
    /// another (line item ids are unique in a Shopify store), is an error.
    pub(crate) fn add_line(&mut self, order: u64, line: u64, loc: Loc) {
        if !self.live || !self.orders.contains_key(&order) {
            return;
        }
        let owner = self
            .orders
            .iter()
            .find_map(|(o, known)| known.lines.get(&line).map(|first| (*o, *first)));
        match owner {
            Some((o, first)) if o == order => {
                let hint = Some(format!("line {line} is first defined at {}", at(first)));
                let msg = format!("duplicate line id {line} in order {order}");
                self.err(loc, msg, hint);
            }
            Some((o, first)) => {
                let hint = Some(format!(
                    "line item ids are unique in a Shopify store; order {o} has line {line} at {}",
                    at(first)
                ));
                let msg = format!("line id {line} is already used by order {o}");
                self.err(loc, msg, hint);
            }
            None => {
                if let Some(known) = self.orders.get_mut(&order) {
                    known.lines.insert(line, loc);
                }
            }
        }
    }

    pub(crate) fn add_mo(&mut self, id: &MoId, loc: Loc) {
        self.ever_mos.insert(id.clone());
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

    // ---- shared by steps ------------------------------------------------------------

    /// An `expect` that says order `id` does not exist: fine for an order the file
    /// creates anywhere (before or after), a typo otherwise (checked at the end).
    pub(crate) fn expect_absent_order(&mut self, id: u64, loc: Loc) {
        if self.live {
            self.absent_orders.push((id, loc));
        }
    }

    /// An `expect` that says MO `id` does not exist: fine for an MO the file creates
    /// anywhere (before or after, or in a refused step), a typo otherwise.
    pub(crate) fn expect_absent_mo(&mut self, id: MoId, loc: Loc) {
        if self.live {
            self.absent_mos.push((id, loc));
        }
    }

    /// Reports the `exists: false` checks that name ids the file never creates.
    fn check_absent(&mut self) {
        for (id, loc) in std::mem::take(&mut self.absent_orders) {
            if !self.ever_orders.contains(&id) {
                let hint = format!(
                    "`exists: false` must name an order the file creates; orders: {}",
                    id_list(self.ever_orders.iter())
                );
                self.err(loc, format!("order {id} is never created"), Some(hint));
            }
        }
        for (id, loc) in std::mem::take(&mut self.absent_mos) {
            if !self.ever_mos.contains(&id) {
                let known = if self.ever_mos.is_empty() {
                    "the file creates no MO".to_string()
                } else {
                    format!("MOs: {}", id_list(self.ever_mos.iter()))
                };
                let hint = format!("`exists: false` must name an MO the file creates; {known}");
                self.err(loc, format!("MO `{id}` is never created"), Some(hint));
            }
        }
    }

    /// Runs `f` with reference checks off (the step inside `expect_error`).
    pub(crate) fn without_references<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let was_live = std::mem::replace(&mut self.live, false);
        let out = f(self);
        self.live = was_live;
        out
    }

    /// A Shopify quantity within Shopify's limits at the door (rules.md §3b).
    pub(crate) fn units(&mut self, node: &Node, field: &str, units: Units) -> Option<u32> {
        let n = self.uint(node, field, u64::from(MAX_LINE_QUANTITY))?;
        let n = u32::try_from(n).ok()?;
        if n == 0 && units == Units::New {
            let hint = Some(
                "a new line has at least 1 unit; to remove a line later, `edit` it to 0".into(),
            );
            self.err(node.loc, format!("`{field}` must be at least 1"), hint);
            return None;
        }
        Some(n)
    }

    /// A SKU: not empty, at most [`MAX_SKU_LEN`] characters (Shopify's limit).
    pub(crate) fn sku(&mut self, node: &Node) -> Option<String> {
        let sku = self.string(node, "sku")?;
        let len = sku.chars().count();
        if len > MAX_SKU_LEN {
            self.err(
                node.loc,
                format!("`sku` is {len} characters long; Shopify takes at most {MAX_SKU_LEN}"),
                None,
            );
            return None;
        }
        Some(sku)
    }

    /// Reads `mo` from a map and checks that the MO exists.
    pub(crate) fn mo_ref(&mut self, m: &MapView<'_>, what: &str) -> Option<MoId> {
        let node = self.req(m, "mo", what)?;
        let mo = self.mo_id(node, "mo")?;
        self.check_mo(&mo, node.loc);
        Some(mo)
    }

    /// A step written as its value alone, e.g. `dismiss: MO-1`: the MO id, checked.
    pub(crate) fn mo_value(&mut self, value: &Node, name: &str) -> Option<MoId> {
        if let Kind::Map(_) | Kind::Seq(_) = &value.kind {
            let found = describe(value);
            self.err(
                value.loc,
                format!("expected an MO id for `{name}`, found {found}"),
                Some(format!("write `{name}: MO-1`")),
            );
            return None;
        }
        let mo = self.mo_id(value, name)?;
        self.check_mo(&mo, value.loc);
        Some(mo)
    }

    /// A step whose value is `{ order }` alone; a bare id gets a hint.
    pub(crate) fn order_only(&mut self, value: &Node, name: &str) -> Option<u64> {
        let what = format!("`{name}`");
        if let Kind::Scalar { text, .. } = &value.kind
            && !is_null(value)
        {
            let found = describe(value);
            self.err(
                value.loc,
                format!("expected a map for {what}, found {found}"),
                Some(format!("write `{name}: {{ order: {text} }}`")),
            );
            return None;
        }
        let m = self.map(value, &what, &["order"])?;
        self.order_ref(&m, &what)
    }

    /// Reads `order` and `line` from a map and checks that the line exists.
    pub(crate) fn row(&mut self, m: &MapView<'_>, what: &str) -> Option<RowRef> {
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
    pub(crate) fn order_ref(&mut self, m: &MapView<'_>, what: &str) -> Option<u64> {
        let node = self.req(m, "order", what)?;
        let order = self.u64(node, "order")?;
        self.check_order(order, node.loc);
        Some(order)
    }

    /// True when `line` of `order` is known at this point of the file.
    pub(crate) fn line_known(&self, row: RowRef) -> bool {
        self.orders
            .get(&row.order)
            .is_some_and(|o| o.lines.contains_key(&row.line))
    }

    /// The MTO MO already made for `row` by the set-up or an earlier step, with where.
    pub(crate) fn mto_of(&self, row: RowRef) -> Option<(MoId, Loc)> {
        self.mto_rows.get(&row).cloned()
    }

    /// Records that `mo` is made to order for `row` from here on.
    pub(crate) fn set_mto(&mut self, row: RowRef, mo: MoId, loc: Loc) {
        if self.live {
            self.mto_rows.insert(row, (mo, loc));
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
            Some(n) => self.start(n).map(|t| Some((t, n.loc))),
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
        // Every step written takes a minute, whether or not it is valid itself.
        let written = match top.get("steps").map(|n| &n.kind) {
            Some(Kind::Seq(items)) => items.len(),
            _ => 0,
        };
        if let Some(Some((start, loc))) = start {
            self.check_start(start, loc, written);
        }
        self.check_absent();
        let mut faults = Some(Vec::new());
        if let Some(n) = top.get("faults") {
            faults = self.faults(n, written);
        }
        Some(Scenario {
            path: self.path.to_path_buf(),
            description: description?,
            settings: settings?,
            start: start?.map(|(t, _)| t),
            orders: orders?,
            deliveries: deliveries?,
            mos: mos?,
            steps: steps?,
            faults: faults?,
        })
    }

    fn start(&mut self, node: &Node) -> Option<Timestamp> {
        let text = self.string(node, "start")?;
        match text.parse::<Timestamp>() {
            Ok(ts) => Some(ts),
            Err(e) => {
                let hint = Some("write an RFC 3339 instant such as 2026-01-01T09:00:00Z".into());
                self.err(node.loc, format!("invalid `start` timestamp: {e}"), hint);
                None
            }
        }
    }

    /// rules.md §8: step *n* runs at start + *n* minutes, which must be representable.
    fn check_start(&mut self, start: Timestamp, loc: Loc, steps: usize) {
        let span: Option<SignedDuration> =
            i32::try_from(steps).ok().and_then(|n| STEP.checked_mul(n));
        if span.is_some_and(|d| start.checked_add(d).is_ok()) {
            return;
        }
        let latest = span
            .and_then(|d| Timestamp::MAX.checked_sub(d).ok())
            .and_then(|t| Timestamp::from_second(t.as_second()).ok())
            .map_or_else(String::new, |t| {
                format!("; the latest start for {steps} steps is {t}")
            });
        self.err(
            loc,
            format!("`start` is too late: its {steps} steps, one minute each, would run past the last instant the clock can show"),
            Some(format!("choose an earlier start{latest}")),
        );
    }

    /// The top-level `settings:` and the `settings` step.
    pub(crate) fn settings(&mut self, node: &Node, what: &str) -> Option<SettingsPatch> {
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

    fn orders(&mut self, node: &Node) -> Option<Vec<OrderSetup>> {
        let items = self.seq(node, "`shopify.orders`")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let order = self.order(item, "an order").map(|order| OrderSetup {
                order,
                loc: item.loc,
            });
            push_or_fail(&mut out, order);
        }
        out
    }

    /// An order as under `shopify.orders` or in `create_order`; records its ids when live.
    pub(crate) fn order(&mut self, node: &Node, what: &str) -> Option<NewOrder> {
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
        let mut flag = |key: &str| match m.get(key) {
            Some(n) => self.boolean(n, key),
            None => Some(false),
        };
        let (archived, cancelled) = (flag("archived"), flag("cancelled"));
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
        let lines = lines?;
        if cancelled == Some(true)
            && let Some(fulfilled) = lines.iter().find(|l| l.fulfilled > 0)
            && let Some(n) = m.get("cancelled")
        {
            // Shopify never lets an order with fulfilled units be cancelled.
            self.err(
                n.loc,
                format!(
                    "an order with fulfilled units cannot be cancelled: line {} has {} fulfilled",
                    fulfilled.id, fulfilled.fulfilled
                ),
                Some("leave out `cancelled`, or the line's `fulfilled`".into()),
            );
            return None;
        }
        Some(NewOrder {
            id: id?,
            name: name?,
            financial_status: financial_status?,
            archived: archived?,
            cancelled: cancelled?,
            lines,
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
        let sku = self.req(&m, "sku", what).and_then(|n| self.sku(n));
        let quantity = self
            .req(&m, "quantity", what)
            .and_then(|n| self.units(n, "quantity", Units::New));
        let fulfilled = match m.get("fulfilled") {
            Some(n) => self.units(n, "fulfilled", Units::Any),
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
                        row: row?,
                        delivery: delivery?,
                        loc: item.loc,
                    })
                });
            if let Some(d) = &entry
                && let Some(first) = seen.insert(d.row, d.loc)
            {
                let hint = Some(format!("first given at {}", at(first)));
                let row = d.row;
                self.err(d.loc, format!("the delivery of {row} is given twice"), hint);
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
                && self.line_known(row)
            {
                own |= !self.claim_row(row, id, mto.loc, node.loc);
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
            let quantity = quantity.and_then(|n| {
                let q = self.u32(n, "quantity")?;
                if q == 0 {
                    let hint = Some("an MO makes at least 1 unit".into());
                    self.err(n.loc, "`quantity` must be at least 1", hint);
                    return None;
                }
                Some(q)
            });
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

    /// Records `mo` as the MTO MO of `row`; false (and an error at `loc`) when the
    /// row already has one.
    pub(crate) fn claim_row(&mut self, row: RowRef, mo: &MoId, loc: Loc, entry: Loc) -> bool {
        if let Some((other, other_loc)) = self.mto_of(row) {
            let message =
                format!("an MTO MO on a row that already has one: {row} is linked to `{other}`");
            let hint = Some(format!(
                "an SO row has at most one MTO MO; `{other}` is defined at {}",
                at(other_loc)
            ));
            self.err(loc, message, hint);
            return false;
        }
        self.set_mto(row, mo.clone(), entry);
        true
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

    /// One step: a map with one key, the step's name, dispatched through [`STEPS`].
    pub(crate) fn step(&mut self, node: &Node) -> Option<Step> {
        let names = step_names();
        let entries = match &node.kind {
            Kind::Map(_) => self.raw_map(node, "a step")?,
            _ => {
                let found = describe(node);
                self.err(
                    node.loc,
                    format!("expected a step (a map with one key), found {found}"),
                    Some(format!("valid steps: {}", names.join(", "))),
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
                    format!("valid steps: {}", names.join(", ")),
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
        match STEPS.iter().find(|s| s.name == name.as_str()) {
            Some(def) => (def.parse)(self, value),
            None => {
                let hint = Some(suggestion(name, &names, "steps"));
                self.err(key.loc, format!("unknown step `{name}`"), hint);
                None
            }
        }
    }
}

/// Pushes `item` if both it and the list are intact; otherwise the list becomes `None`.
pub(crate) fn push_or_fail<T>(list: &mut Option<Vec<T>>, item: Option<T>) {
    match (list.as_mut(), item) {
        (Some(l), Some(i)) => l.push(i),
        _ => *list = None,
    }
}

/// The values of an enum for [`Cx::choice`], from its `ALL` and `as_str`.
macro_rules! choices {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("The values of `", stringify!($ty), "` for [`Cx::choice`].")]
            pub(crate) fn $name() -> Vec<(&'static str, $ty)> {
                <$ty>::ALL.iter().map(|v| (v.as_str(), *v)).collect()
            }
        )*
    };
}

choices! {
    statuses: MoStatus,
    deliveries: Delivery,
    indicators: katana_rules::Indicator,
    financial_statuses: FinancialStatus,
    restock_types: shopify_model::RestockType,
    cancel_reasons: shopify_model::CancelReason,
}

/// `make_to_order` and `make_to_stock`, for [`Cx::choice`].
pub(crate) fn production_types() -> Vec<(&'static str, katana_rules::ProductionType)> {
    use katana_rules::ProductionType;
    [ProductionType::MakeToOrder, ProductionType::MakeToStock]
        .iter()
        .map(|p| (p.as_str(), *p))
        .collect()
}
