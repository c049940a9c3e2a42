//! What a GraphQL query costs, and the cost bucket's answer: admission, the
//! `THROTTLED` refusal, and `extensions.cost` on every answer.

use async_graphql::parser::types::{DocumentOperations, OperationType, Selection, SelectionSet};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::state::Core;

/// Cost of a root mutation field (Shopify: 10).
const MUTATION_COST: f64 = 10.0;

/// A simplified version of Shopify's calculated query cost: 10 per mutation field,
/// and for queries 1 per object (each field with a selection set). Unparsable
/// queries cost 1 (the executor reports the syntax error).
pub(super) fn query_cost(query: &str, operation: Option<&str>) -> f64 {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return 1.0;
    };
    let op = match &doc.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(ops) => match operation {
            Some(name) => ops
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, o)| &o.node),
            None => ops.values().next().map(|o| &o.node),
        },
    };
    let Some(op) = op else { return 1.0 };
    fn objects(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) if !f.node.selection_set.node.items.is_empty() => {
                    1 + objects(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => objects(&f.node.selection_set.node),
                _ => 0,
            })
            .sum()
    }
    let cost = match op.ty {
        OperationType::Mutation => op.selection_set.node.items.len() as f64 * MUTATION_COST,
        _ => objects(&op.selection_set.node) as f64,
    };
    cost.max(1.0)
}

/// Takes `cost` points from the cost bucket; false when they do not fit.
pub(super) fn admit(core: &Core, cost: f64, now: Timestamp) -> bool {
    core.lock().graphql_bucket.try_add(cost, now).is_ok()
}

/// The answer to a query the bucket cannot take: Shopify's `THROTTLED`.
pub(super) fn throttled() -> async_graphql::Response {
    let mut e = async_graphql::ServerError::new("Throttled", None);
    e.extensions = Some({
        let mut x = async_graphql::ErrorExtensionValues::default();
        x.set("code", "THROTTLED");
        x.set("documentation", "https://shopify.dev/api/usage/rate-limits");
        x
    });
    async_graphql::Response::from_errors(vec![e])
}

/// `extensions.cost`: the requested and actual cost (none when throttled) and the
/// bucket's state after the query.
pub(super) fn extension(core: &Core, cost: f64, throttled: bool, now: Timestamp) -> Value {
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
        "requestedQueryCost": cost,
        "actualQueryCost": if throttled { Value::Null } else { json!(cost) },
        "throttleStatus": {
            "maximumAvailable": size,
            "currentlyAvailable": available,
            "restoreRate": rate,
        }
    })
}
