//! The GraphQL Admin API: a real executor (async-graphql) over the shared store,
//! with Shopify's shapes for the parts the integration uses: `order(id)`, the
//! order-edit flow, cancel/close/open/delete, `refundCreate`, `userErrors`, and
//! `extensions.cost` with a cost-based leaky bucket.

use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, OperationType, Selection, SelectionSet};
use async_graphql::{
    Context, EmptySubscription, Enum, ID, InputObject, Object, Schema, SimpleObject,
};
use jiff::Timestamp;
use serde_json::json;
use shopify_model::{
    CancelReason, FinancialStatus, FulfillmentStatus, LineItem, Order, Refund, RefundLineRequest,
    RestockType, ShopifyError, Store,
};

use crate::rest::Reply;
use crate::state::{AddedLine, Core, EditSession};

/// The schema the mock serves.
pub(crate) type MockSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema.
pub(crate) fn schema() -> MockSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription).finish()
}

/// Cost of a root mutation field (Shopify: 10).
const MUTATION_COST: f64 = 10.0;

/// Answers `POST graphql.json`.
pub(crate) fn handle(core: &Arc<Core>, body: &[u8], now: Timestamp) -> Reply {
    let missing = || {
        Reply::json(
            400,
            &json!({"errors": {"query": "Required parameter missing or invalid"}}),
        )
    };
    let request: async_graphql::Request = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) if v.get("query").is_some_and(serde_json::Value::is_string) => {
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
    let cost = query_cost(&request.query, request.operation_name.as_deref());
    let admitted = core.lock().graphql_bucket.try_add(cost, now);
    let throttled = admitted.is_err();
    let mut response = if throttled {
        let mut e = async_graphql::ServerError::new("Throttled", None);
        e.extensions = Some({
            let mut x = async_graphql::ErrorExtensionValues::default();
            x.set("code", "THROTTLED");
            x.set("documentation", "https://shopify.dev/api/usage/rate-limits");
            x
        });
        async_graphql::Response::from_errors(vec![e])
    } else {
        let request = request.data(core.clone());
        futures::executor::block_on(core.graphql.execute(request))
    };
    let (size, rate, available) = {
        let mut s = core.lock();
        let cfg = s.graphql_bucket.config();
        (
            cfg.size,
            cfg.leak_per_second,
            s.graphql_bucket.available(now),
        )
    };
    let cost_json = json!({
        "requestedQueryCost": cost,
        "actualQueryCost": if throttled { serde_json::Value::Null } else { json!(cost) },
        "throttleStatus": {
            "maximumAvailable": size,
            "currentlyAvailable": available,
            "restoreRate": rate,
        }
    });
    response.extensions.insert(
        "cost".to_owned(),
        async_graphql::Value::from_json(cost_json).expect("JSON converts"),
    );
    let body = serde_json::to_value(&response).expect("a GraphQL response serialises");
    Reply::json(200, &body)
}

/// A simplified version of Shopify's calculated query cost: 10 per mutation field,
/// and for queries 1 per object (each field with a selection set). Unparsable
/// queries cost 1 (the executor reports the syntax error).
fn query_cost(query: &str, operation: Option<&str>) -> f64 {
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

// ----- ids ---------------------------------------------------------------------

/// `gid://shopify/{kind}/{id}`.
fn gid(kind: &str, id: impl std::fmt::Display) -> ID {
    ID(format!("gid://shopify/{kind}/{id}"))
}

/// The top-level error for a malformed global id.
fn invalid_gid(id: &ID) -> async_graphql::Error {
    async_graphql::Error::new(format!("Invalid global id '{}'", id.as_str()))
}

/// The id in `gid://shopify/{kind}/{id}` as a string.
fn gid_part<'a>(id: &'a ID, kind: &str) -> async_graphql::Result<&'a str> {
    id.as_str()
        .strip_prefix("gid://shopify/")
        .and_then(|r| r.strip_prefix(kind))
        .and_then(|r| r.strip_prefix('/'))
        .filter(|r| !r.is_empty())
        .ok_or_else(|| invalid_gid(id))
}

/// The number in `gid://shopify/{kind}/{n}`.
fn gid_num(id: &ID, kind: &str) -> async_graphql::Result<u64> {
    gid_part(id, kind)?.parse().map_err(|_| invalid_gid(id))
}

fn core<'c>(ctx: &Context<'c>) -> &'c Arc<Core> {
    ctx.data_unchecked::<Arc<Core>>()
}

// ----- errors ------------------------------------------------------------------

/// A business error (`userErrors`).
#[derive(SimpleObject, Clone)]
struct UserError {
    /// The path to the input field that caused the error.
    field: Option<Vec<String>>,
    /// The error message.
    message: String,
}

impl UserError {
    fn new(field: &[impl AsRef<str>], message: impl Into<String>) -> Self {
        Self {
            field: Some(field.iter().map(|s| s.as_ref().to_owned()).collect()),
            message: message.into(),
        }
    }

    /// shopify-model's refusal, its message exactly as `Display` gives it.
    fn from_model(field: &[impl AsRef<str>], e: &ShopifyError) -> Self {
        Self::new(field, e.to_string())
    }
}

// ----- enums -------------------------------------------------------------------

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderCancelReason")]
enum GCancelReason {
    Customer,
    Declined,
    Fraud,
    Inventory,
    Other,
    Staff,
}

impl GCancelReason {
    fn from_model(r: CancelReason) -> Self {
        match r {
            CancelReason::Customer => Self::Customer,
            CancelReason::Declined => Self::Declined,
            CancelReason::Fraud => Self::Fraud,
            CancelReason::Inventory => Self::Inventory,
            CancelReason::Other => Self::Other,
        }
    }

    /// The store has no `staff` reason: it becomes `other`.
    fn to_model(self) -> CancelReason {
        match self {
            Self::Customer => CancelReason::Customer,
            Self::Declined => CancelReason::Declined,
            Self::Fraud => CancelReason::Fraud,
            Self::Inventory => CancelReason::Inventory,
            Self::Other | Self::Staff => CancelReason::Other,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderDisplayFinancialStatus")]
enum GFinancialStatus {
    Pending,
    Authorized,
    PartiallyPaid,
    PartiallyRefunded,
    Voided,
    Paid,
    Refunded,
    Expired,
}

impl GFinancialStatus {
    fn from_model(s: FinancialStatus) -> Self {
        match s {
            FinancialStatus::Pending => Self::Pending,
            FinancialStatus::Authorized => Self::Authorized,
            FinancialStatus::Paid => Self::Paid,
            FinancialStatus::PartiallyPaid => Self::PartiallyPaid,
            FinancialStatus::PartiallyRefunded => Self::PartiallyRefunded,
            FinancialStatus::Refunded => Self::Refunded,
            FinancialStatus::Voided => Self::Voided,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderDisplayFulfillmentStatus")]
enum GFulfillmentStatus {
    Unfulfilled,
    PartiallyFulfilled,
    Fulfilled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "RefundLineItemRestockType")]
enum GRestockType {
    Return,
    Cancel,
    LegacyRestock,
    NoRestock,
}

impl GRestockType {
    fn from_model(r: RestockType) -> Self {
        match r {
            RestockType::Return => Self::Return,
            RestockType::Cancel => Self::Cancel,
            RestockType::LegacyRestock => Self::LegacyRestock,
            RestockType::NoRestock => Self::NoRestock,
        }
    }

    fn to_model(self) -> RestockType {
        match self {
            Self::Return => RestockType::Return,
            Self::Cancel => RestockType::Cancel,
            Self::LegacyRestock => RestockType::LegacyRestock,
            Self::NoRestock => RestockType::NoRestock,
        }
    }
}

// ----- connections -------------------------------------------------------------

#[derive(SimpleObject, Clone)]
struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// `first`/`after` over a list; cursors are positions.
fn window<T: Clone>(
    items: &[T],
    first: Option<i32>,
    after: Option<&str>,
) -> (Vec<(String, T)>, PageInfo) {
    let start = after
        .and_then(|a| a.parse::<usize>().ok())
        .map_or(0, |a| a + 1);
    let start = start.min(items.len());
    let n = first.map_or(items.len(), |f| f.max(0) as usize);
    let end = start.saturating_add(n).min(items.len());
    let page: Vec<(String, T)> = (start..end)
        .map(|i| (i.to_string(), items[i].clone()))
        .collect();
    let info = PageInfo {
        has_next_page: end < items.len(),
        has_previous_page: start > 0,
        start_cursor: page.first().map(|(c, _)| c.clone()),
        end_cursor: page.last().map(|(c, _)| c.clone()),
    };
    (page, info)
}

macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $name:literal, $edge_name:literal) => {
        #[derive(SimpleObject, Clone)]
        #[graphql(name = $edge_name)]
        struct $edge {
            cursor: String,
            node: $node,
        }

        #[derive(SimpleObject, Clone)]
        #[graphql(name = $name)]
        struct $conn {
            nodes: Vec<$node>,
            edges: Vec<$edge>,
            page_info: PageInfo,
        }

        impl $conn {
            fn new(items: &[$node], first: Option<i32>, after: Option<&str>) -> Self {
                let (page, page_info) = window(items, first, after);
                Self {
                    nodes: page.iter().map(|(_, n)| n.clone()).collect(),
                    edges: page
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    page_info,
                }
            }
        }
    };
}

connection!(
    LineItemConnection,
    LineItemEdge,
    GLineItem,
    "LineItemConnection",
    "LineItemEdge"
);
connection!(
    CalculatedLineItemConnection,
    CalculatedLineItemEdge,
    GCalculatedLineItem,
    "CalculatedLineItemConnection",
    "CalculatedLineItemEdge"
);
connection!(
    RefundLineItemConnection,
    RefundLineItemEdge,
    GRefundLineItem,
    "RefundLineItemConnection",
    "RefundLineItemEdge"
);

// ----- objects -----------------------------------------------------------------

#[derive(SimpleObject, Clone)]
#[graphql(name = "ProductVariant")]
struct GVariant {
    id: ID,
    legacy_resource_id: String,
    sku: Option<String>,
    title: String,
}

fn variant(id: u64, sku: &str) -> GVariant {
    GVariant {
        id: gid("ProductVariant", id),
        legacy_resource_id: id.to_string(),
        sku: Some(sku.to_owned()),
        title: sku.to_owned(),
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "LineItem")]
struct GLineItem {
    id: ID,
    sku: Option<String>,
    title: String,
    name: String,
    quantity: i32,
    current_quantity: i32,
    unfulfilled_quantity: i32,
    refundable_quantity: i32,
    variant: Option<GVariant>,
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn line_item(order: &Order, l: &LineItem) -> GLineItem {
    GLineItem {
        id: gid("LineItem", l.id),
        sku: Some(l.sku.clone()),
        title: l.title.clone(),
        name: l.title.clone(),
        quantity: count(l.quantity),
        current_quantity: count(l.current_quantity),
        unfulfilled_quantity: count(order.fulfillable_quantity(l)),
        refundable_quantity: count(l.current_quantity),
        variant: Some(variant(l.variant_id, &l.sku)),
    }
}

/// An order as GraphQL shows it (a copy taken when it was read).
#[derive(Clone)]
struct GOrder(Order);

#[Object(name = "Order")]
impl GOrder {
    async fn id(&self) -> ID {
        gid("Order", self.0.id)
    }
    async fn legacy_resource_id(&self) -> String {
        self.0.id.to_string()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> String {
        self.0.created_at.to_string()
    }
    async fn updated_at(&self) -> String {
        self.0.updated_at.to_string()
    }
    async fn cancelled_at(&self) -> Option<String> {
        self.0.cancelled_at.map(|t| t.to_string())
    }
    async fn cancel_reason(&self) -> Option<GCancelReason> {
        self.0.cancel_reason.map(GCancelReason::from_model)
    }
    async fn closed(&self) -> bool {
        self.0.is_closed()
    }
    async fn closed_at(&self) -> Option<String> {
        self.0.closed_at.map(|t| t.to_string())
    }
    async fn display_financial_status(&self) -> Option<GFinancialStatus> {
        Some(GFinancialStatus::from_model(self.0.financial_status))
    }
    async fn display_fulfillment_status(&self) -> GFulfillmentStatus {
        match self.0.fulfillment_status() {
            None => GFulfillmentStatus::Unfulfilled,
            Some(FulfillmentStatus::Partial) => GFulfillmentStatus::PartiallyFulfilled,
            Some(FulfillmentStatus::Fulfilled) => GFulfillmentStatus::Fulfilled,
        }
    }
    async fn line_items(&self, first: Option<i32>, after: Option<String>) -> LineItemConnection {
        let items: Vec<GLineItem> = self
            .0
            .line_items
            .iter()
            .map(|l| line_item(&self.0, l))
            .collect();
        LineItemConnection::new(&items, first, after.as_deref())
    }
    async fn refunds(&self, first: Option<i32>) -> Vec<GRefund> {
        let n = first.map_or(usize::MAX, |f| f.max(0) as usize);
        self.0
            .refunds
            .iter()
            .take(n)
            .map(|r| GRefund {
                refund: r.clone(),
                order: self.0.clone(),
            })
            .collect()
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "RefundLineItem")]
struct GRefundLineItem {
    line_item: GLineItem,
    quantity: i32,
    restock_type: GRestockType,
    restocked: bool,
}

/// A refund and its order (its lines show the order's lines).
#[derive(Clone)]
struct GRefund {
    refund: Refund,
    order: Order,
}

#[Object(name = "Refund")]
impl GRefund {
    async fn id(&self) -> ID {
        gid("Refund", self.refund.id)
    }
    async fn legacy_resource_id(&self) -> String {
        self.refund.id.to_string()
    }
    async fn created_at(&self) -> String {
        self.refund.created_at.to_string()
    }
    async fn note(&self) -> Option<&str> {
        self.refund.note.as_deref()
    }
    async fn refund_line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> RefundLineItemConnection {
        let items: Vec<GRefundLineItem> = self
            .refund
            .refund_line_items
            .iter()
            .filter_map(|r| {
                let l = self.order.line(r.line_item_id)?;
                Some(GRefundLineItem {
                    line_item: line_item(&self.order, l),
                    quantity: count(r.quantity),
                    restock_type: GRestockType::from_model(r.restock_type),
                    restocked: r.restock_type != RestockType::NoRestock,
                })
            })
            .collect();
        RefundLineItemConnection::new(&items, first, after.as_deref())
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "CalculatedLineItem")]
struct GCalculatedLineItem {
    id: ID,
    quantity: i32,
    editable_quantity: i32,
    editable_quantity_before_changes: i32,
    restockable: bool,
    sku: Option<String>,
    title: String,
    variant: Option<GVariant>,
}

/// An order edit in progress: the order as it would be if committed now.
#[derive(Clone)]
struct GCalculatedOrder {
    session: u64,
    original: Order,
    lines: Vec<GCalculatedLineItem>,
    added: Vec<GCalculatedLineItem>,
}

#[Object(name = "CalculatedOrder")]
impl GCalculatedOrder {
    async fn id(&self) -> ID {
        gid("CalculatedOrder", self.session)
    }
    async fn original_order(&self) -> GOrder {
        GOrder(self.original.clone())
    }
    async fn line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> CalculatedLineItemConnection {
        CalculatedLineItemConnection::new(&self.lines, first, after.as_deref())
    }
    async fn added_line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> CalculatedLineItemConnection {
        CalculatedLineItemConnection::new(&self.added, first, after.as_deref())
    }
}

/// The calculated line id of an added line.
fn added_line_id(key: u64) -> ID {
    gid("CalculatedLineItem", format!("added-{key}"))
}

/// The session as shopify-model would apply it now: the calculated order, or the
/// refusal `Store::edit` would give.
fn calculate(
    store: &Store,
    id: u64,
    session: &EditSession,
    now: Timestamp,
) -> Result<GCalculatedOrder, ShopifyError> {
    let (edited, edit) = store.preview_edit(session.order, &session.ops(), now)?;
    let original = store.order(session.order)?.clone();
    let live: Vec<&AddedLine> = session.added.iter().filter(|a| a.quantity != 0).collect();
    let mut lines = Vec::new();
    let mut added = Vec::new();
    for l in &edited.line_items {
        let before = original.line(l.id);
        let new_key = edit
            .added_lines
            .iter()
            .position(|a| *a == l.id)
            .map(|i| live[i].key);
        let fulfilled = l.fulfilled_quantity;
        let item = GCalculatedLineItem {
            id: match new_key {
                Some(k) => added_line_id(k),
                None => gid("CalculatedLineItem", l.id),
            },
            quantity: count(l.current_quantity),
            editable_quantity: count(l.current_quantity.saturating_sub(fulfilled)),
            editable_quantity_before_changes: count(before.map_or(0, |b| {
                b.current_quantity.saturating_sub(b.fulfilled_quantity)
            })),
            restockable: new_key.is_none(),
            sku: Some(l.sku.clone()),
            title: l.title.clone(),
            variant: Some(variant(l.variant_id, &l.sku)),
        };
        if new_key.is_some() {
            added.push(item.clone());
        }
        lines.push(item);
    }
    Ok(GCalculatedOrder {
        session: id,
        original,
        lines,
        added,
    })
}

/// The input field a refusal of an edit mutation is about.
fn edit_field(e: &ShopifyError) -> &'static str {
    match e {
        ShopifyError::LineNotFound { .. } => "lineItemId",
        ShopifyError::VariantNotFound { .. }
        | ShopifyError::DuplicateLine { .. }
        | ShopifyError::EmptySku { .. }
        | ShopifyError::SkuTooLong { .. } => "variantId",
        ShopifyError::InvalidQuantity { .. }
        | ShopifyError::ZeroQuantity { .. }
        | ShopifyError::QuantityTooLarge { .. }
        | ShopifyError::EditBelowFulfilled { .. } => "quantity",
        _ => "id",
    }
}

/// The answer to a calculated order id that names no open session (a protocol
/// error: sessions are the API's, not the store's).
fn no_session() -> UserError {
    UserError::new(&["id"], "The calculated order does not exist")
}

// ----- queries -----------------------------------------------------------------

/// The query root.
pub(crate) struct QueryRoot;

#[Object]
impl QueryRoot {
    /// An order by its `gid://shopify/Order/…` id; `null` when there is none.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<GOrder>> {
        let n = gid_num(&id, "Order")?;
        let s = core(ctx).lock();
        Ok(s.store().order(n).ok().cloned().map(GOrder))
    }
}

// ----- mutations ---------------------------------------------------------------

#[derive(SimpleObject)]
struct OrderEditBeginPayload {
    calculated_order: Option<GCalculatedOrder>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct OrderEditSetQuantityPayload {
    calculated_line_item: Option<GCalculatedLineItem>,
    calculated_order: Option<GCalculatedOrder>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct OrderEditAddVariantPayload {
    calculated_line_item: Option<GCalculatedLineItem>,
    calculated_order: Option<GCalculatedOrder>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct OrderEditCommitPayload {
    order: Option<GOrder>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct Job {
    id: ID,
    done: bool,
}

#[derive(SimpleObject)]
struct OrderCancelUserError {
    field: Option<Vec<String>>,
    message: String,
    code: Option<String>,
}

#[derive(SimpleObject)]
struct OrderCancelPayload {
    job: Option<Job>,
    order_cancel_user_errors: Vec<OrderCancelUserError>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct OrderClosePayload {
    order: Option<GOrder>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct OrderOpenPayload {
    order: Option<GOrder>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct OrderDeletePayload {
    deleted_id: Option<ID>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct RefundCreatePayload {
    refund: Option<GRefund>,
    order: Option<GOrder>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
struct OrderCloseInput {
    id: ID,
}

#[derive(InputObject)]
struct OrderOpenInput {
    id: ID,
}

#[derive(InputObject)]
struct RefundLineItemInput {
    line_item_id: ID,
    quantity: i32,
    restock_type: Option<GRestockType>,
    location_id: Option<ID>,
}

#[derive(InputObject)]
struct RefundInput {
    order_id: ID,
    note: Option<String>,
    notify: Option<bool>,
    currency: Option<String>,
    refund_line_items: Option<Vec<RefundLineItemInput>>,
    /// Money is not modelled: transactions are accepted and ignored.
    transactions: Option<Vec<async_graphql::Json<serde_json::Value>>>,
    /// Money is not modelled: shipping is accepted and ignored.
    shipping: Option<async_graphql::Json<serde_json::Value>>,
}

/// The input field a refusal of `refundCreate` is about: the refund line it names,
/// else the order.
fn refund_field(e: &ShopifyError, lines: &[RefundLineRequest]) -> Vec<String> {
    let (line, field) = match e {
        ShopifyError::LineNotFound { line, .. } => (*line, "lineItemId"),
        ShopifyError::ZeroQuantity { line, .. }
        | ShopifyError::RefundExceedsUnfulfilled { line, .. }
        | ShopifyError::ReturnExceedsFulfilled { line, .. } => (*line, "quantity"),
        _ => return vec!["orderId".to_owned()],
    };
    match lines.iter().position(|l| l.line == line) {
        Some(i) => vec![
            "refundLineItems".to_owned(),
            i.to_string(),
            field.to_owned(),
        ],
        None => vec!["orderId".to_owned()],
    }
}

/// The mutation root.
pub(crate) struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Starts an order edit: a calculated order to change and then commit.
    async fn order_edit_begin(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OrderEditBeginPayload> {
        let order = gid_num(&id, "Order")?;
        let core = core(ctx);
        let now = core.now();
        let mut s = core.lock();
        let session = EditSession {
            order,
            set: Default::default(),
            added: Vec::new(),
        };
        let next = s.last_edit + 1;
        match calculate(s.store(), next, &session, now) {
            Err(e) => Ok(OrderEditBeginPayload {
                calculated_order: None,
                user_errors: vec![UserError::from_model(&["id"], &e)],
            }),
            Ok(calc) => {
                s.last_edit = next;
                s.edits.insert(next, session);
                Ok(OrderEditBeginPayload {
                    calculated_order: Some(calc),
                    user_errors: Vec::new(),
                })
            }
        }
    }

    /// Sets a line's quantity in an edit; 0 removes the line.
    async fn order_edit_set_quantity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        line_item_id: ID,
        quantity: i32,
        restock: Option<bool>,
    ) -> async_graphql::Result<OrderEditSetQuantityPayload> {
        let _ = restock;
        let session_id = gid_num(&id, "CalculatedOrder")?;
        let line = gid_part(&line_item_id, "CalculatedLineItem")?.to_owned();
        let added_key = line
            .strip_prefix("added-")
            .map(|k| k.parse::<u64>())
            .transpose()
            .map_err(|_| invalid_gid(&line_item_id))?;
        let existing = match added_key {
            Some(_) => None,
            None => Some(gid_num(&line_item_id, "CalculatedLineItem")?),
        };
        let core = core(ctx);
        let now = core.now();
        let mut s = core.lock();
        let fail = |e: UserError| OrderEditSetQuantityPayload {
            calculated_line_item: None,
            calculated_order: None,
            user_errors: vec![e],
        };
        let Some(mut session) = s.edits.get(&session_id).cloned() else {
            return Ok(fail(no_session()));
        };
        let target_id = match (added_key, existing) {
            (Some(key), _) => {
                let Some(a) = session.added.iter_mut().find(|a| a.key == key) else {
                    return Ok(fail(UserError::new(
                        &["lineItemId"],
                        "The calculated line item does not exist",
                    )));
                };
                a.quantity = i64::from(quantity);
                added_line_id(key)
            }
            (None, Some(n)) => {
                session.set.insert(n, i64::from(quantity));
                gid("CalculatedLineItem", n)
            }
            (None, None) => unreachable!("one of the two is read above"),
        };
        match calculate(s.store(), session_id, &session, now) {
            Err(e) => Ok(fail(UserError::from_model(&[edit_field(&e)], &e))),
            Ok(calc) => {
                s.edits.insert(session_id, session);
                let item = calc.lines.iter().find(|l| l.id == target_id).cloned();
                Ok(OrderEditSetQuantityPayload {
                    calculated_line_item: item,
                    calculated_order: Some(calc),
                    user_errors: Vec::new(),
                })
            }
        }
    }

    /// Adds a variant as a new line in an edit.
    async fn order_edit_add_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        variant_id: ID,
        quantity: i32,
        location_id: Option<ID>,
        allow_duplicates: Option<bool>,
    ) -> async_graphql::Result<OrderEditAddVariantPayload> {
        let _ = (location_id, allow_duplicates);
        let session_id = gid_num(&id, "CalculatedOrder")?;
        let variant = gid_num(&variant_id, "ProductVariant")?;
        let core = core(ctx);
        let now = core.now();
        let mut s = core.lock();
        let fail = |e: UserError| OrderEditAddVariantPayload {
            calculated_line_item: None,
            calculated_order: None,
            user_errors: vec![e],
        };
        let Some(mut session) = s.edits.get(&session_id).cloned() else {
            return Ok(fail(no_session()));
        };
        let new = AddedLine {
            key: s.last_added_line + 1,
            variant,
            line: s.reserved_line,
            quantity: i64::from(quantity),
        };
        // The store checks the new line as it stands, a quantity of 0 included
        // (which `ops` would leave out as a removed line).
        let mut ops = session.ops();
        ops.push(new.op());
        if let Err(e) = s.store().preview_edit(session.order, &ops, now) {
            return Ok(fail(UserError::from_model(&[edit_field(&e)], &e)));
        }
        let key = new.key;
        session.added.push(new);
        match calculate(s.store(), session_id, &session, now) {
            Err(e) => Ok(fail(UserError::from_model(&[edit_field(&e)], &e))),
            Ok(calc) => {
                s.last_added_line = key;
                s.reserved_line = None;
                s.edits.insert(session_id, session);
                let item = calc
                    .added
                    .iter()
                    .find(|l| l.id == added_line_id(key))
                    .cloned();
                Ok(OrderEditAddVariantPayload {
                    calculated_line_item: item,
                    calculated_order: Some(calc),
                    user_errors: Vec::new(),
                })
            }
        }
    }

    /// Commits an edit: the order changes and `orders/edited` is sent.
    async fn order_edit_commit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        notify_customer: Option<bool>,
        staff_note: Option<String>,
    ) -> async_graphql::Result<OrderEditCommitPayload> {
        let session_id = gid_num(&id, "CalculatedOrder")?;
        let core = core(ctx);
        let mut s = core.lock();
        let Some(session) = s.edits.get(&session_id).cloned() else {
            return Ok(OrderEditCommitPayload {
                order: None,
                user_errors: vec![no_session()],
            });
        };
        let ops = session.ops();
        match core.commit_edit(
            &mut s,
            session.order,
            &ops,
            notify_customer.unwrap_or(false),
            staff_note.as_deref(),
        ) {
            Err(e) => Ok(OrderEditCommitPayload {
                order: None,
                user_errors: vec![UserError::from_model(&[edit_field(&e)], &e)],
            }),
            Ok((_, order)) => {
                s.edits.remove(&session_id);
                Ok(OrderEditCommitPayload {
                    order: Some(GOrder(order)),
                    user_errors: Vec::new(),
                })
            }
        }
    }

    /// Cancels an order. The mock cancels at once: the job is already done.
    #[allow(clippy::too_many_arguments)]
    async fn order_cancel(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        reason: GCancelReason,
        refund: Option<bool>,
        restock: bool,
        notify_customer: Option<bool>,
        staff_note: Option<String>,
    ) -> async_graphql::Result<OrderCancelPayload> {
        let _ = (refund, notify_customer, staff_note);
        let id = gid_num(&order_id, "Order")?;
        let core = core(ctx);
        match core.cancel(id, reason.to_model(), restock) {
            Err(e) => {
                let u = UserError::from_model(&["orderId"], &e);
                let code = match e.kind() {
                    shopify_model::ErrorKind::NotFound => "NOT_FOUND",
                    _ => "INVALID",
                };
                Ok(OrderCancelPayload {
                    job: None,
                    order_cancel_user_errors: vec![OrderCancelUserError {
                        field: u.field.clone(),
                        message: u.message.clone(),
                        code: Some(code.to_owned()),
                    }],
                    user_errors: vec![u],
                })
            }
            Ok(_) => {
                let job = {
                    let mut s = core.lock();
                    s.last_request += 1;
                    s.last_request
                };
                Ok(OrderCancelPayload {
                    job: Some(Job {
                        id: gid("Job", format!("00000000-0000-4000-a000-{job:012x}")),
                        done: true,
                    }),
                    order_cancel_user_errors: Vec::new(),
                    user_errors: Vec::new(),
                })
            }
        }
    }

    /// Archives (closes) an order.
    async fn order_close(
        &self,
        ctx: &Context<'_>,
        input: OrderCloseInput,
    ) -> async_graphql::Result<OrderClosePayload> {
        let id = gid_num(&input.id, "Order")?;
        Ok(match core(ctx).close(id) {
            Ok(o) => OrderClosePayload {
                order: Some(GOrder(o)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderClosePayload {
                order: None,
                user_errors: vec![UserError::from_model(&["id"], &e)],
            },
        })
    }

    /// Unarchives (opens) an order.
    async fn order_open(
        &self,
        ctx: &Context<'_>,
        input: OrderOpenInput,
    ) -> async_graphql::Result<OrderOpenPayload> {
        let id = gid_num(&input.id, "Order")?;
        Ok(match core(ctx).open(id) {
            Ok(o) => OrderOpenPayload {
                order: Some(GOrder(o)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderOpenPayload {
                order: None,
                user_errors: vec![UserError::from_model(&["id"], &e)],
            },
        })
    }

    /// Deletes an archived or cancelled order.
    async fn order_delete(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<OrderDeletePayload> {
        let id = gid_num(&order_id, "Order")?;
        Ok(match core(ctx).delete(id) {
            Ok(_) => OrderDeletePayload {
                deleted_id: Some(gid("Order", id)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderDeletePayload {
                deleted_id: None,
                user_errors: vec![UserError::from_model(&["orderId"], &e)],
            },
        })
    }

    /// Creates a refund.
    async fn refund_create(
        &self,
        ctx: &Context<'_>,
        input: RefundInput,
    ) -> async_graphql::Result<RefundCreatePayload> {
        let _ = (
            &input.notify,
            &input.currency,
            &input.transactions,
            &input.shipping,
        );
        let id = gid_num(&input.order_id, "Order")?;
        let fail = |e: UserError| RefundCreatePayload {
            refund: None,
            order: None,
            user_errors: vec![e],
        };
        let core = core(ctx);
        let mut lines = Vec::new();
        for (i, l) in input.refund_line_items.iter().flatten().enumerate() {
            let line = gid_num(&l.line_item_id, "LineItem")?;
            let _ = &l.location_id;
            let Ok(quantity) = u32::try_from(l.quantity) else {
                // The order is looked up first (step 1 of shopify-model's order);
                // a quantity below 0 is then refused as the store words it.
                let e = match core.lock().store().order(id) {
                    Err(e) => UserError::from_model(&["orderId"], &e),
                    Ok(_) => {
                        let e = ShopifyError::invalid_quantity(l.quantity);
                        let field = ["refundLineItems", &i.to_string(), "quantity"];
                        UserError::from_model(&field, &e)
                    }
                };
                return Ok(fail(e));
            };
            lines.push(RefundLineRequest {
                line,
                quantity,
                restock_type: l.restock_type.unwrap_or(GRestockType::NoRestock).to_model(),
            });
        }
        match core.refund(id, &lines, input.note.as_deref()) {
            Err(e) => Ok(fail(UserError::from_model(&refund_field(&e, &lines), &e))),
            Ok((refund_json, order)) => {
                let rid = refund_json["id"].as_u64().unwrap_or_default();
                let refund = order.refund(rid).cloned();
                Ok(RefundCreatePayload {
                    refund: refund.map(|refund| GRefund {
                        refund,
                        order: order.clone(),
                    }),
                    order: Some(GOrder(order)),
                    user_errors: Vec::new(),
                })
            }
        }
    }
}
