//! What a GraphQL query costs, the limits that keep a query cheap to refuse, and
//! the answers: `MAX_COST_EXCEEDED`, `THROTTLED`, and `extensions.cost` on every
//! answer.
//!
//! The cost is Shopify's requested cost, computed before the query runs over the
//! operation as executed: fragment spreads and inline fragments expanded, every
//! aliased field counted on its own.
//!
//! | selection | cost |
//! |---|---|
//! | scalar or enum | 0 |
//! | object | 1 + its selection |
//! | connection (`…Connection`) | 2 + `first`/`last` × (one node: 1 + its selection; at least 1) |
//! | list of objects with `first` | `first` × (1 + its selection) |
//! | list of objects without it | 1 + its selection |
//! | root mutation field | 10 (its payload is free) |
//!
//! `pageInfo` and the `edges` wrapper are part of a connection's 2; `first`/`last`
//! may be variables; a connection with neither is sized 250 (Shopify's largest
//! page). A query costs at least 1.
//!
//! The walk is linear in the document: a named fragment is walked once and its
//! tally reused at every spread, so a fragment that doubles 18 times costs the walk
//! 18 steps, not 2^18. Before any of that, a byte scan refuses brackets nested
//! deeper than the parser can take without risking its stack.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{ErrorExtensionValues, Name, ServerError, Value as ConstValue, Variables};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::state::Core;

/// Cost of a root mutation field (Shopify: 10).
const MUTATION_COST: u64 = 10;
/// A connection's own cost, before its nodes (Shopify: 2).
const CONNECTION_COST: u64 = 2;
/// The size of a connection asked without `first` or `last` (Shopify's largest page).
const DEFAULT_PAGE: u64 = 250;

/// Fields nested deeper than this are refused (`{ a { b } }` has depth 2).
pub(super) const MAX_DEPTH: u32 = 15;
/// Fields, fragment spreads and inline fragments nested deeper than this are refused
/// (async-graphql's own recursion limit, 32, is the second line).
pub(super) const MAX_NESTING: u32 = 30;
/// Brackets (`{`, `[`, `(`) nested deeper than this are refused before parsing.
pub(super) const MAX_BRACKETS: usize = 64;
/// Queries of more tokens than this are refused before parsing (names, numbers,
/// strings and punctuators; commas, spaces and comments are free). async-graphql's
/// parser spends about a microsecond on each token.
pub(super) const MAX_TOKENS: u64 = 5_000;
/// The most selections a document may hold once every fragment is expanded where
/// it is spread: fields (each alias on its own), fragment spreads, inline
/// fragments, directives and argument values, summed over every operation of the
/// document and every fragment no operation spreads.
pub(super) const MAX_SELECTIONS: u64 = 5_000;
/// The most values an answer may hold by the query's own sizes: each field counts
/// once, times the `first`/`last` of every connection or list around it (250 for a
/// connection without either). What bounds the work of a query that asks for many
/// scalars (free in the cost) on each node of a large page.
pub(super) const MAX_VALUES: u64 = 5_000;
/// The most directives one field may carry (async-graphql's check).
pub(super) const MAX_DIRECTIVES: usize = 8;

/// Where Shopify documents its cost limits.
const DOCUMENTATION: &str = "https://shopify.dev/api/usage/rate-limits";

// ----- the schema's shape --------------------------------------------------------

/// What a field returns: the named type under any list and non-null wrappers.
#[derive(Debug, Clone)]
struct FieldType {
    named: String,
    list: bool,
}

/// The schema as the cost walk needs it: each object's fields and what they return,
/// and which types are leaves (scalars and enums). Read once from the SDL.
#[derive(Debug)]
pub(super) struct CostModel {
    fields: HashMap<String, HashMap<String, FieldType>>,
    leaves: HashSet<String>,
    query_root: String,
    mutation_root: String,
}

impl CostModel {
    /// Reads the schema's SDL. Built-in scalars are leaves even when the SDL does
    /// not declare them.
    pub(super) fn new(sdl: &str, query_root: &str, mutation_root: &str) -> Self {
        let mut fields = HashMap::new();
        let mut leaves: HashSet<String> = ["String", "Int", "Float", "Boolean", "ID"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let doc = async_graphql::parser::parse_schema(sdl).expect("the schema's SDL parses");
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let name = t.node.name.node.to_string();
            match t.node.kind {
                TypeKind::Scalar | TypeKind::Enum(_) => {
                    leaves.insert(name);
                }
                TypeKind::Object(o) => {
                    let map = o
                        .fields
                        .into_iter()
                        .map(|f| {
                            let mut ty = &f.node.ty.node;
                            let mut list = false;
                            while let BaseType::List(inner) = &ty.base {
                                list = true;
                                ty = inner;
                            }
                            let BaseType::Named(named) = &ty.base else {
                                unreachable!("lists were unwrapped")
                            };
                            let ft = FieldType {
                                named: named.to_string(),
                                list,
                            };
                            (f.node.name.node.to_string(), ft)
                        })
                        .collect();
                    fields.insert(name, map);
                }
                _ => {}
            }
        }
        Self {
            fields,
            leaves,
            query_root: query_root.to_owned(),
            mutation_root: mutation_root.to_owned(),
        }
    }

    fn field(&self, parent: Option<&str>, name: &str) -> Option<&FieldType> {
        self.fields.get(parent?)?.get(name)
    }

    /// The cost of the operation the request runs, or why it is refused: a cost
    /// over `max`, then the structural limits. Every operation and fragment of the
    /// document is checked against the limits (the executor validates them all);
    /// the cost is the chosen operation's.
    pub(super) fn assess(
        &self,
        doc: &ExecutableDocument,
        operation: Option<&str>,
        variables: &Variables,
        max: f64,
    ) -> Result<u64, Refusal> {
        let chosen = match &doc.operations {
            DocumentOperations::Single(op) => Some(&op.node),
            DocumentOperations::Multiple(ops) => match operation {
                Some(name) => ops
                    .iter()
                    .find(|(n, _)| n.as_str() == name)
                    .map(|(_, o)| &o.node),
                None if ops.len() == 1 => ops.values().next().map(|o| &o.node),
                None => None,
            },
        };
        let defaults = chosen
            .map(|op| {
                op.variable_definitions
                    .iter()
                    .filter_map(|v| {
                        let d = v.node.default_value.as_ref()?;
                        Some((v.node.name.node.as_str(), &d.node))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut walk = Walk {
            model: self,
            doc,
            variables,
            defaults,
            memo: HashMap::new(),
            active: HashSet::new(),
            variable_sizes: HashMap::new(),
        };
        let root = |ty: OperationType| match ty {
            OperationType::Query => Some(self.query_root.as_str()),
            OperationType::Mutation => Some(self.mutation_root.as_str()),
            OperationType::Subscription => None,
        };
        let mut selections = 0u64;
        let mut values = 0u64;
        let mut cost = 0u64;
        if let Some(op) = chosen {
            let t = walk.set(root(op.ty), &op.selection_set.node, 0, 0)?;
            selections = t.selections;
            values = t.values;
            cost = t.cost;
        }
        for (_, op) in doc.operations.iter() {
            if chosen.is_some_and(|c| std::ptr::eq(c, &op.node)) {
                continue;
            }
            let t = walk.set(root(op.node.ty), &op.node.selection_set.node, 0, 0)?;
            selections = selections.saturating_add(t.selections);
        }
        // A fragment no operation spreads (the executor refuses it, after its
        // validation walked it) counts on its own.
        let unused: Vec<&str> = doc
            .fragments
            .keys()
            .map(|n| n.as_str())
            .filter(|n| !walk.memo.contains_key(n))
            .collect();
        for name in unused {
            let t = walk.spread(name, 0, 0)?;
            selections = selections.saturating_add(t.selections);
        }
        let cost = cost.max(1);
        if cost as f64 > max {
            return Err(Refusal::MaxCost { cost, max });
        }
        if selections > MAX_SELECTIONS {
            return Err(Refusal::TooLarge { selections, cost });
        }
        if values > MAX_VALUES {
            return Err(Refusal::TooManyValues { values, cost });
        }
        Ok(cost)
    }
}

// ----- refusals ------------------------------------------------------------------

/// Why a query is refused before it runs.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Refusal {
    /// Its cost is over the single query max cost.
    MaxCost { cost: u64, max: f64 },
    /// More selections than [`MAX_SELECTIONS`] once fragments are expanded.
    TooLarge { selections: u64, cost: u64 },
    /// An answer that could hold more than [`MAX_VALUES`] values.
    TooManyValues { values: u64, cost: u64 },
    /// A query text of more than [`MAX_TOKENS`] tokens.
    TooManyTokens { tokens: u64 },
    /// Fields nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Fields and fragments nested deeper than [`MAX_NESTING`], or brackets deeper
    /// than [`MAX_BRACKETS`].
    TooNested,
    /// A fragment that spreads itself.
    Cycle(String),
}

impl Refusal {
    /// The requested cost `extensions.cost` reports, when it is known.
    pub(super) fn cost(&self) -> Option<u64> {
        match self {
            Self::MaxCost { cost, .. }
            | Self::TooLarge { cost, .. }
            | Self::TooManyValues { cost, .. } => Some(*cost),
            Self::TooDeep | Self::TooNested | Self::TooManyTokens { .. } | Self::Cycle(_) => None,
        }
    }

    /// The answer: one error, no data.
    pub(super) fn response(&self) -> async_graphql::Response {
        let mut x = ErrorExtensionValues::default();
        let message = match self {
            Self::MaxCost { cost, max } => {
                x.set("code", "MAX_COST_EXCEEDED");
                x.set("cost", *cost);
                // Shopify's limits are whole numbers: sent as integers.
                if max.fract() == 0.0 && *max >= 0.0 {
                    x.set("maxCost", *max as u64);
                } else {
                    x.set("maxCost", *max);
                }
                x.set("documentation", DOCUMENTATION);
                format!(
                    "Query cost is {cost}, which exceeds the single query max cost limit ({max}).\n\n\
                     See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n\
                     cost of a query is calculated.\n\n\
                     To query larger amounts of data with fewer limits, bulk operations should be used instead.\n\
                     See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
                )
            }
            Self::TooLarge { selections, .. } => {
                x.set("code", "MAX_COST_EXCEEDED");
                x.set("selections", *selections);
                x.set("maxSelections", MAX_SELECTIONS);
                x.set("documentation", DOCUMENTATION);
                format!(
                    "Query has {selections} selections once fragments are expanded, which exceeds \
                     the max of {MAX_SELECTIONS}."
                )
            }
            Self::TooManyValues { values, .. } => {
                x.set("code", "MAX_COST_EXCEEDED");
                x.set("values", *values);
                x.set("maxValues", MAX_VALUES);
                x.set("documentation", DOCUMENTATION);
                format!(
                    "Query could return {values} values (each field times the first or last of \
                     the connections around it), which exceeds the max of {MAX_VALUES}."
                )
            }
            Self::TooManyTokens { tokens } => {
                x.set("code", "MAX_COST_EXCEEDED");
                x.set("tokens", *tokens);
                x.set("maxTokens", MAX_TOKENS);
                x.set("documentation", DOCUMENTATION);
                format!("Query has {tokens} tokens, which exceeds the max of {MAX_TOKENS}.")
            }
            Self::TooDeep => {
                x.set("code", "MAX_COST_EXCEEDED");
                x.set("maxDepth", MAX_DEPTH);
                x.set("documentation", DOCUMENTATION);
                format!(
                    "Query has depth of more than {MAX_DEPTH}, which exceeds max depth of {MAX_DEPTH}."
                )
            }
            Self::TooNested => {
                x.set("code", "MAX_COST_EXCEEDED");
                x.set("maxNesting", MAX_NESTING);
                x.set("documentation", DOCUMENTATION);
                format!(
                    "Query nests fields, fragments or brackets more than {MAX_NESTING} deep, which \
                     exceeds the max nesting."
                )
            }
            Self::Cycle(name) => {
                x.set("code", "infiniteLoop");
                x.set("fragmentName", name.as_str());
                format!("Fragment {name} contains an infinite loop")
            }
        };
        let mut e = ServerError::new(message, None);
        e.extensions = Some(x);
        async_graphql::Response::from_errors(vec![e])
    }
}

/// The lexical check run before the parser: brackets (`{`, `[`, `(`) nested
/// deeper than [`MAX_BRACKETS`] (the parser's grammar recurses once per bracket),
/// or more than [`MAX_TOKENS`] tokens (it spends about a microsecond on each).
/// Strings and comments are skipped; linear, and far cheaper than parsing.
pub(super) fn scan(query: &str) -> Result<(), Refusal> {
    match tokens(query) {
        None => Err(Refusal::TooNested),
        Some(tokens) if tokens > MAX_TOKENS => Err(Refusal::TooManyTokens { tokens }),
        Some(_) => Ok(()),
    }
}

/// The number of tokens of a query; `None` when its brackets nest deeper than
/// [`MAX_BRACKETS`].
fn tokens(query: &str) -> Option<u64> {
    let b = query.as_bytes();
    let mut depth = 0usize;
    let mut tokens = 0u64;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {}
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                tokens += 1;
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                tokens += 1;
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.' => {
                // A name, a number or `...`: one token.
                tokens += 1;
                while i + 1 < b.len()
                    && (b[i + 1].is_ascii_alphanumeric()
                        || matches!(b[i + 1], b'_' | b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            c => {
                tokens += 1;
                match c {
                    b'{' | b'[' | b'(' => {
                        depth += 1;
                        if depth > MAX_BRACKETS {
                            return None;
                        }
                    }
                    b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        i += 1;
    }
    Some(tokens)
}

// ----- the walk ------------------------------------------------------------------

/// What a selection set adds up to, relative to where it sits.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    cost: u64,
    selections: u64,
    /// The values an answer could hold (see [`MAX_VALUES`]).
    values: u64,
    /// Fields nested below (a set of leaves: 1).
    depth: u32,
    /// Fields, spreads and inline fragments nested below.
    nesting: u32,
}

struct Walk<'a> {
    model: &'a CostModel,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    /// The chosen operation's variable defaults.
    defaults: HashMap<&'a str, &'a ConstValue>,
    /// Each named fragment's tally, walked once.
    memo: HashMap<&'a str, Tally>,
    /// The fragments being walked (a spread of one of them is a cycle).
    active: HashSet<&'a str>,
    /// The size of each variable's value, counted once.
    variable_sizes: HashMap<Name, u64>,
}

fn const_size(v: &ConstValue) -> u64 {
    match v {
        ConstValue::List(items) => items
            .iter()
            .fold(1u64, |n, i| n.saturating_add(const_size(i))),
        ConstValue::Object(map) => map
            .values()
            .fold(1u64, |n, i| n.saturating_add(const_size(i))),
        _ => 1,
    }
}

impl<'a> Walk<'a> {
    /// The number of values in a variable's value, counted once per variable.
    fn variable_size(&mut self, name: Name) -> u64 {
        if let Some(n) = self.variable_sizes.get(&name) {
            return *n;
        }
        let n = self.variables.get(&name).map_or(1, const_size);
        self.variable_sizes.insert(name, n);
        n
    }

    /// A variable's value when it is a number (else its default's).
    fn number_variable(&self, name: &Name) -> Result<ConstValue, ()> {
        match self
            .variables
            .get(name)
            .or_else(|| self.defaults.get(name.as_str()).copied())
        {
            Some(v @ ConstValue::Number(_)) => Ok(v.clone()),
            _ => Err(()),
        }
    }

    /// A named fragment's tally, walked the first time it is met.
    fn spread(&mut self, name: &'a str, depth: u32, nesting: u32) -> Result<Tally, Refusal> {
        if let Some(t) = self.memo.get(name) {
            if depth + t.depth > MAX_DEPTH {
                return Err(Refusal::TooDeep);
            }
            if nesting + t.nesting > MAX_NESTING {
                return Err(Refusal::TooNested);
            }
            return Ok(*t);
        }
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            // An unknown fragment: the executor reports it.
            return Ok(Tally::default());
        };
        let key = key.as_str();
        if !self.active.insert(key) {
            return Err(Refusal::Cycle(key.to_owned()));
        }
        let on = Some(fragment.node.type_condition.node.on.node.as_str());
        let t = self.set(on, &fragment.node.selection_set.node, depth, nesting)?;
        self.active.remove(key);
        self.memo.insert(key, t);
        Ok(t)
    }

    /// A selection set's tally. `depth` and `nesting` are where the set sits: the
    /// walk stops as soon as either passes its limit, so it never recurses deeper
    /// than the limits allow.
    fn set(
        &mut self,
        parent: Option<&'a str>,
        set: &'a SelectionSet,
        depth: u32,
        nesting: u32,
    ) -> Result<Tally, Refusal> {
        let mut total = Tally::default();
        let nested = nesting + 1;
        if nested > MAX_NESTING {
            return Err(Refusal::TooNested);
        }
        for item in &set.items {
            let (cost, selections, values, below_depth, below) = match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let deeper = depth + 1;
                    if deeper > MAX_DEPTH {
                        return Err(Refusal::TooDeep);
                    }
                    let name = f.name.node.as_str();
                    let ty = self.model.field(parent, name);
                    let has_set = !f.selection_set.node.items.is_empty();
                    let child = if has_set {
                        let child_type = ty.map(|t| t.named.as_str());
                        self.set(child_type, &f.selection_set.node, deeper, nested)?
                    } else {
                        Tally::default()
                    };
                    let mut selections =
                        (1 + f.directives.len() as u64).saturating_add(child.selections);
                    // Argument values (the parser's type cannot be named here: each
                    // is made constant, a variable standing in as `null` and counted
                    // as its value's size).
                    for (_, v) in &f.arguments {
                        let mut variables = 0u64;
                        let c = v.node.clone().into_const_with(|name| {
                            variables = variables.saturating_add(self.variable_size(name));
                            Ok::<_, std::convert::Infallible>(ConstValue::Null)
                        });
                        let size = c.map_or(1, |c| const_size(&c));
                        selections = selections.saturating_add(size).saturating_add(variables);
                    }
                    let int = |arg: &str| {
                        let v = f.get_argument(arg)?;
                        let c = v
                            .node
                            .clone()
                            .into_const_with(|name| self.number_variable(&name))
                            .ok()?;
                        match c {
                            ConstValue::Number(n) => number(&n),
                            _ => None,
                        }
                    };
                    let page = match (int("first"), int("last")) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
                    };
                    let connection = ty.is_some_and(|t| t.named.ends_with("Connection"));
                    let times = match page {
                        Some(n) if connection || ty.is_some_and(|t| t.list) => n,
                        None if connection => DEFAULT_PAGE,
                        _ => 1,
                    };
                    let values = times.saturating_mul(child.values).saturating_add(1);
                    let object = child.cost.saturating_add(1);
                    let cost = if parent == Some(self.model.mutation_root.as_str())
                        && !name.starts_with("__")
                    {
                        MUTATION_COST
                    } else if !has_set || ty.is_some_and(|t| self.model.leaves.contains(&t.named)) {
                        0
                    } else if connection {
                        times
                            .saturating_mul(child.cost.max(1))
                            .saturating_add(CONNECTION_COST)
                    } else if parent.is_some_and(|p| p.ends_with("Connection"))
                        && (name == "pageInfo" || name == "edges")
                    {
                        child.cost
                    } else if ty.is_some_and(|t| t.list) {
                        times.saturating_mul(object)
                    } else {
                        object
                    };
                    (cost, selections, values, 1 + child.depth, 1 + child.nesting)
                }
                Selection::InlineFragment(i) => {
                    let i = &i.node;
                    let on = match &i.type_condition {
                        Some(c) => Some(c.node.on.node.as_str()),
                        None => parent,
                    };
                    let child = self.set(on, &i.selection_set.node, depth, nested)?;
                    let selections =
                        (1 + i.directives.len() as u64).saturating_add(child.selections);
                    (
                        child.cost,
                        selections,
                        child.values,
                        child.depth,
                        1 + child.nesting,
                    )
                }
                Selection::FragmentSpread(s) => {
                    let s = &s.node;
                    let t = self.spread(s.fragment_name.node.as_str(), depth, nested)?;
                    let selections = (1 + s.directives.len() as u64).saturating_add(t.selections);
                    (t.cost, selections, t.values, t.depth, 1 + t.nesting)
                }
            };
            total.cost = total.cost.saturating_add(cost);
            total.selections = total.selections.saturating_add(selections);
            total.values = total.values.saturating_add(values);
            total.depth = total.depth.max(below_depth);
            total.nesting = total.nesting.max(below);
        }
        Ok(total)
    }
}

/// A non-negative integer (a negative `first` sizes nothing).
fn number(n: &serde_json::Number) -> Option<u64> {
    n.as_u64()
        .or_else(|| n.as_i64().map(|_| 0))
        .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
}

// ----- the bucket ------------------------------------------------------------------

/// The single query max cost: the configured max, and never more than the bucket
/// holds (a query the full bucket cannot take is refused, not throttled forever).
pub(super) fn max_cost(core: &Core) -> f64 {
    let bucket = core.lock().graphql_bucket.config().size;
    core.config.graphql_max_cost.min(bucket)
}

/// Takes `cost` points from the cost bucket; false when they do not fit.
pub(super) fn admit(core: &Core, cost: u64, now: Timestamp) -> bool {
    core.lock().graphql_bucket.try_add(cost as f64, now).is_ok()
}

/// The answer to a query the bucket cannot take now: Shopify's `THROTTLED`.
pub(super) fn throttled() -> async_graphql::Response {
    let mut e = ServerError::new("Throttled", None);
    e.extensions = Some({
        let mut x = ErrorExtensionValues::default();
        x.set("code", "THROTTLED");
        x.set("documentation", DOCUMENTATION);
        x
    });
    async_graphql::Response::from_errors(vec![e])
}

/// `extensions.cost`: the requested cost (`null` when the walk stopped before
/// knowing it), the actual cost (`null` when the query did not run) and the
/// bucket's state after the query.
pub(super) fn extension(core: &Core, requested: Option<u64>, ran: bool, now: Timestamp) -> Value {
    let (size, rate, available) = {
        let mut s = core.lock();
        let cfg = s.graphql_bucket.config();
        (
            cfg.size,
            cfg.leak_per_second,
            s.graphql_bucket.available(now),
        )
    };
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": if ran { json!(requested) } else { Value::Null },
        "throttleStatus": {
            "maximumAvailable": size,
            "currentlyAvailable": available,
            "restoreRate": rate,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type QueryRoot { order(id: ID!): Order }
        type MutationRoot { orderClose(input: ID!): Payload }
        type Payload { order: Order }
        type Order {
            id: ID!
            name: String!
            lineItems(first: Int, after: String): LineItemConnection!
            refunds(first: Int): [Refund!]!
        }
        type Refund { id: ID! refundLineItems(first: Int): RefundLineItemConnection! }
        type RefundLineItemConnection { nodes: [RefundLineItem!]! }
        type RefundLineItem { quantity: Int! lineItem: LineItem! }
        type LineItemConnection { nodes: [LineItem!]! edges: [LineItemEdge!]! pageInfo: PageInfo! }
        type LineItemEdge { cursor: String! node: LineItem! }
        type LineItem { id: ID! variant: Variant }
        type Variant { id: ID! }
        type PageInfo { hasNextPage: Boolean! }
    "#;

    fn model() -> CostModel {
        CostModel::new(SDL, "QueryRoot", "MutationRoot")
    }

    fn assess(query: &str, vars: Value) -> Result<u64, Refusal> {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let vars = Variables::from_json(vars);
        model().assess(&doc, None, &vars, 1000.0)
    }

    #[test]
    fn objects_connections_lists_and_mutations() {
        assert_eq!(assess("{ order(id: 1) { id name } }", json!({})), Ok(1));
        // 1 + (2 + 5 × 1)
        assert_eq!(
            assess(
                "{ order(id: 1) { lineItems(first: 5) { nodes { id } } } }",
                json!({})
            ),
            Ok(8)
        );
        // edges { node } is the node; pageInfo is free: 1 + (2 + 10 × (1 + 1)).
        assert_eq!(
            assess(
                "query($n: Int) { order(id: 1) { lineItems(first: $n) { edges { cursor node { variant { id } } } pageInfo { hasNextPage } } } }",
                json!({"n": 10})
            ),
            Ok(23)
        );
        // No first: Shopify's largest page.
        assert_eq!(
            assess("{ order(id: 1) { lineItems { nodes { id } } } }", json!({})),
            Ok(253)
        );
        // A list: 1 + its selection, × first when given.
        assert_eq!(
            assess(
                "{ order(id: 1) { refunds { refundLineItems(first: 2) { nodes { quantity } } } } }",
                json!({})
            ),
            Ok(1 + 1 + 2 + 2)
        );
        assert_eq!(
            assess("{ order(id: 1) { refunds(first: 3) { id } } }", json!({})),
            Ok(1 + 3)
        );
        // Mutations: 10 each, aliases counted, payloads free.
        assert_eq!(
            assess(
                "mutation { a: orderClose(input: 1) { order { id } } b: orderClose(input: 2) { order { id } } }",
                json!({})
            ),
            Ok(20)
        );
        // Scalars only: the minimum, 1.
        assert_eq!(assess("{ __typename }", json!({})), Ok(1));
    }

    #[test]
    fn fragments_are_expanded_and_walked_once() {
        let q = "{ ...F ...F } fragment F on QueryRoot { a: order(id: 1) { id } b: order(id: 2) { ...G } } fragment G on Order { lineItems(first: 3) { nodes { id } } }";
        assert_eq!(assess(q, json!({})), Ok(2 * (1 + 1 + 5)));
        let mut bomb = String::from("{ order(id: 1) { ...f18 } } fragment f0 on Order { id name }");
        for i in 1..=18 {
            bomb.push_str(&format!(
                " fragment f{i} on Order {{ ...f{0} ...f{0} }}",
                i - 1
            ));
        }
        let t = std::time::Instant::now();
        let r = assess(&bomb, json!({}));
        assert!(t.elapsed() < std::time::Duration::from_millis(50));
        assert!(matches!(r, Err(Refusal::TooLarge { cost: 1, .. })), "{r:?}");
    }

    #[test]
    fn many_scalars_on_each_node_of_a_large_page_are_refused() {
        let fields: String = (0..50).map(|i| format!(" a{i}: id")).collect();
        let q =
            format!("{{ order(id: 1) {{ lineItems(first: 250) {{ nodes {{ {fields} }} }} }} }}");
        // 1 + (2 + 250 × 1), but 250 × 50 values.
        let r = assess(&q, json!({}));
        assert!(
            matches!(r, Err(Refusal::TooManyValues { cost: 253, values }) if values > 12_500),
            "{r:?}"
        );
        let q = format!("{{ order(id: 1) {{ lineItems(first: 90) {{ nodes {{ {fields} }} }} }} }}");
        assert_eq!(assess(&q, json!({})), Ok(93));
    }

    #[test]
    fn cycles_depth_and_nesting_are_refused() {
        let r = assess(
            "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }",
            json!({}),
        );
        assert!(matches!(r, Err(Refusal::Cycle(_))), "{r:?}");
        let deep = format!("{{ {} id {} }}", "a {".repeat(15), "}".repeat(15));
        assert_eq!(assess(&deep, json!({})), Err(Refusal::TooDeep));
        let ok = format!("{{ {} id {} }}", "a {".repeat(14), "}".repeat(14));
        assert!(assess(&ok, json!({})).is_ok());
        let nested = format!(
            "{{ {} id {} }}",
            "... on QueryRoot {".repeat(40),
            "}".repeat(40)
        );
        assert_eq!(assess(&nested, json!({})), Err(Refusal::TooNested));
    }

    #[test]
    fn the_scan_skips_strings_and_comments() {
        let deep = "{".repeat(MAX_BRACKETS + 1);
        assert_eq!(scan(&deep), Err(Refusal::TooNested));
        assert_eq!(scan(&"{".repeat(MAX_BRACKETS)), Ok(()));
        let in_string = format!("{{ a(s: \"{}\\\"\") }}", "{".repeat(100));
        assert_eq!(scan(&in_string), Ok(()));
        let in_block = format!("{{ a(s: \"\"\"{}\\\"\"\"\"\"\") }}", "[".repeat(100));
        assert_eq!(scan(&in_block), Ok(()));
        let in_comment = format!("# {}\n{{ a }}", "(".repeat(100));
        assert_eq!(scan(&in_comment), Ok(()));
    }

    #[test]
    fn the_scan_counts_tokens() {
        // { ... F } fragment F on Q { a : b ( n : -1.5e+3 s : "x y" ) }: `...F` and
        // the number are one token each, commas and comments none.
        let q = "{ ...F } fragment F on Q { a: b(n: -1.5e+3, s: \"x y\") } # c d e";
        assert_eq!(tokens(q), Some(20));
        let fields = "a ".repeat(MAX_TOKENS as usize - 2);
        assert_eq!(scan(&format!("{{ {fields} }}")), Ok(()));
        let fields = "a ".repeat(MAX_TOKENS as usize - 1);
        assert_eq!(
            scan(&format!("{{ {fields} }}")),
            Err(Refusal::TooManyTokens {
                tokens: MAX_TOKENS + 1
            })
        );
    }
}
