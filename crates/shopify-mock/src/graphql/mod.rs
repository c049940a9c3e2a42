//! The GraphQL Admin API: a real executor (async-graphql) over the shared store,
//! with Shopify's shapes for the parts the integration uses: `order(id)`, the
//! order-edit flow, cancel/close/open/delete, `orderMarkAsPaid`, `refundCreate`,
//! `userErrors`, and `extensions.cost` with a cost-based leaky bucket.
//!
//! Every refusal in `userErrors` is shopify-model's `ShopifyError`, its message
//! word for word; this layer checks only the protocol (gid syntax, JSON types, an
//! open edit session).
//!
//! - `types.rs`: global ids, `UserError`, enums, connections, and the objects
//!   read back (`Order`, `LineItem`, `Refund`, …).
//! - `orders.rs`: the `order` query; `orderCancel`, `orderClose`, `orderOpen`,
//!   `orderDelete`, `orderMarkAsPaid`.
//! - `listing.rs`: the `orders` connection (cursors, `pageInfo`, `sortKey`,
//!   `reverse`) and `search.rs`, its `query` in Shopify's search syntax (terms the
//!   mock ignores are reported in `extensions.search`).
//! - `fulfillments.rs`: `Order.fulfillmentOrders` (one per order) and
//!   `fulfillmentCreate`.
//! - `webhooks.rs`: `webhookSubscriptions`, `webhookSubscription`,
//!   `webhookSubscriptionCreate` / `Update` / `Delete` (the rows REST
//!   `webhooks.json` shows; `rest/shared.rs` keeps them).
//! - `edits.rs`: `orderEditBegin`, `orderEditSetQuantity`, `orderEditAddVariant`,
//!   `orderEditCommit` over the edit sessions of `state.rs`; `CalculatedOrder`.
//! - `refunds.rs`: `refundCreate`, its input and payload types.
//! - `cost.rs`: the query cost (Shopify's requested cost, fragments and aliases
//!   expanded), the limits that refuse a query before it runs
//!   (`MAX_COST_EXCEEDED`), and the cost bucket's answer (`THROTTLED`).

mod cost;
mod edits;
mod fulfillments;
mod listing;
mod orders;
mod refunds;
mod search;
mod types;
mod webhooks;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, OutputType, Schema};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::faults::InjectedFault;
use crate::reply::Reply;
use crate::state::Core;

/// Every query the mock serves.
#[derive(MergedObject, Default)]
struct QueryRoot(
    orders::OrderQuery,
    listing::ListingQuery,
    webhooks::WebhookQuery,
);

/// Every mutation the mock serves.
#[derive(MergedObject, Default)]
struct MutationRoot(
    edits::EditMutations,
    orders::OrderMutations,
    refunds::RefundMutations,
    fulfillments::FulfillmentMutations,
    webhooks::WebhookMutations,
);

/// The schema the mock serves.
type MockSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The GraphQL Admin API: its schema, built once per mock.
pub(crate) struct Api {
    schema: MockSchema,
    cost: cost::CostModel,
}

impl Api {
    /// Builds the schema.
    pub(crate) fn new() -> Self {
        // async-graphql's own limits are the second line: `cost.rs` refuses first,
        // in Shopify's shape, and before async-graphql's validation (whose
        // complexity and depth visitors expand every fragment spread) runs.
        let schema = Schema::build(
            QueryRoot::default(),
            MutationRoot::default(),
            EmptySubscription,
        )
        .limit_depth(cost::MAX_DEPTH as usize)
        .limit_recursive_depth(cost::MAX_NESTING as usize + 2)
        .limit_complexity(cost::MAX_SELECTIONS as usize)
        .limit_directives(cost::MAX_DIRECTIVES)
        .finish();
        let cost = cost::CostModel::new(
            &schema.sdl(),
            &QueryRoot::type_name(),
            &MutationRoot::type_name(),
        );
        Self { schema, cost }
    }

    /// Answers `POST graphql.json` (a JSON body with `query`, or the query itself
    /// as `application/graphql`).
    pub(crate) fn handle(&self, core: &Arc<Core>, body: &[u8], now: Timestamp) -> Reply {
        let missing = || {
            Reply::json(
                400,
                &json!({"errors": {"query": "Required parameter missing or invalid"}}),
            )
        };
        let mut request: async_graphql::Request = match serde_json::from_slice::<Value>(body) {
            Ok(v) if v.get("query").is_some_and(Value::is_string) => {
                match serde_json::from_value(v) {
                    Ok(r) => r,
                    Err(_) => return missing(),
                }
            }
            Ok(_) => return missing(),
            // `Content-Type: application/graphql`: the body is the query itself.
            Err(_) => match std::str::from_utf8(body) {
                Ok(q) if !q.trim().is_empty() => async_graphql::Request::new(q),
                _ => return missing(),
            },
        };
        // The query's cost, or why it is refused before it runs: a refusal takes
        // nothing from the bucket and leaves an armed fault for the next query.
        let assessed = if let Err(refusal) = cost::scan(&request.query) {
            Err(refusal)
        } else {
            match async_graphql::parser::parse_query(&request.query) {
                Ok(doc) => {
                    let operation = request.operation_name.as_deref();
                    let max = cost::max_cost(core);
                    let assessed = self.cost.assess(&doc, operation, &request.variables, max);
                    // Parsed once: the executor takes this document.
                    request.set_parsed_query(doc);
                    assessed
                }
                // The executor reports the syntax error.
                Err(_) => Ok(1),
            }
        };
        let warnings = Arc::new(listing::SearchWarnings::default());
        let (mut response, requested, ran) = match assessed {
            Err(refusal) => (refusal.response(), refusal.cost(), false),
            Ok(cost) => {
                // A `GraphqlThrottled` fault answers THROTTLED without touching the bucket.
                let forced = core.lock().armed.take_graphql();
                if forced {
                    core.faults.push(InjectedFault::GraphqlThrottled);
                }
                if forced || !cost::admit(core, cost, now) {
                    (cost::throttled(), Some(cost), false)
                } else {
                    let request = request
                        .data(core.clone())
                        .data(types::OrderCache::default())
                        .data(warnings.clone());
                    let response = futures::executor::block_on(self.schema.execute(request));
                    (response, Some(cost), true)
                }
            }
        };
        response.extensions.insert(
            "cost".to_owned(),
            async_graphql::Value::from_json(cost::extension(core, requested, ran, now))
                .expect("JSON converts"),
        );
        if let Some(search) = warnings.take() {
            response.extensions.insert(
                "search".to_owned(),
                async_graphql::Value::from_json(search).expect("JSON converts"),
            );
        }
        let body = serde_json::to_value(&response).expect("a GraphQL response serialises");
        Reply::json(200, &body)
    }
}
