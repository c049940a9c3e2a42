//! The `orders` query: a connection with cursors and `pageInfo`, Shopify's search
//! syntax in `query` (see `search.rs`), `sortKey` and `reverse`.
//!
//! Cursors name a place in the sorted list (the sort key, its value and the order
//! id), not a position: a page read after a change goes on from where the last one
//! ended. A cursor read under another `sortKey` is refused.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::{Context, Enum, Object};
use base64::Engine as _;
use serde_json::{Value, json};
use shopify_model::Order;

use super::search;
use super::types::{GOrder, PageInfo, connection, core};

/// The largest page Shopify serves.
pub(super) const MAX_PAGE: i32 = 250;

/// `extensions.search`: the terms of `query` arguments the mock ignored, as
/// Shopify reports them. Shared by the request's resolvers and the answer.
#[derive(Default)]
pub(super) struct SearchWarnings(Mutex<Vec<Value>>);

impl SearchWarnings {
    fn push(&self, v: Value) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(v);
    }

    /// What was reported, for `extensions.search`; `None` when nothing was.
    pub(super) fn take(&self) -> Option<Value> {
        let all = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        (!all.is_empty()).then_some(Value::Array(all))
    }
}

/// The keys `orders` sorts by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "OrderSortKeys")]
pub(super) enum OrderSortKeys {
    /// By id (the default).
    Id,
    /// By creation time.
    CreatedAt,
    /// By processing time (the mock processes an order when it is created).
    ProcessedAt,
    /// By last change.
    UpdatedAt,
    /// By order number.
    OrderNumber,
}

impl OrderSortKeys {
    fn name(self) -> &'static str {
        match self {
            Self::Id => "ID",
            Self::CreatedAt => "CREATED_AT",
            Self::ProcessedAt => "PROCESSED_AT",
            Self::UpdatedAt => "UPDATED_AT",
            Self::OrderNumber => "ORDER_NUMBER",
        }
    }

    /// The order's place in the sort: the key's value, then its id.
    fn key(self, o: &Order) -> (i128, u64) {
        let v = match self {
            Self::Id => i128::from(o.id),
            Self::CreatedAt | Self::ProcessedAt => o.created_at.as_nanosecond(),
            Self::UpdatedAt => o.updated_at.as_nanosecond(),
            Self::OrderNumber => i128::from(o.order_number),
        };
        (v, o.id)
    }
}

/// A cursor: the sort key and a place in its order.
fn encode(sort: OrderSortKeys, place: (i128, u64)) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}|{}|{}",
        sort.name(),
        place.0,
        place.1
    ))
}

fn decode(sort: OrderSortKeys, cursor: &str) -> async_graphql::Result<(i128, u64)> {
    let bad = || {
        async_graphql::Error::new(format!(
            "Invalid cursor {cursor:?}: use a cursor this connection gave, with the same sortKey ({})",
            sort.name()
        ))
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.split('|');
    let (Some(name), Some(v), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if name != sort.name() {
        return Err(bad());
    }
    Ok((
        v.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

/// A page size: 0 to [`MAX_PAGE`].
fn page_size(name: &str, n: Option<i32>) -> async_graphql::Result<Option<usize>> {
    match n {
        None => Ok(None),
        Some(n) if (0..=MAX_PAGE).contains(&n) => Ok(Some(n as usize)),
        Some(n) => Err(async_graphql::Error::new(format!(
            "The '{name}' argument must be between 0 and {MAX_PAGE} (Shopify's largest page); got {n}"
        ))),
    }
}

connection!(
    OrderConnection,
    OrderEdge,
    GOrder,
    "OrderConnection",
    "OrderEdge"
);

/// The `orders` query.
#[derive(Default)]
pub(super) struct ListingQuery;

#[Object]
impl ListingQuery {
    /// Orders, sorted by `sortKey` (id by default; `reverse` for descending), one
    /// page at a time: `first` (with `after`) or `last` (with `before`), at most
    /// 250; `query` in Shopify's search syntax.
    #[allow(clippy::too_many_arguments)]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        query: Option<String>,
        sort_key: Option<OrderSortKeys>,
        reverse: Option<bool>,
    ) -> async_graphql::Result<OrderConnection> {
        let first = page_size("first", first)?;
        let last = page_size("last", last)?;
        if first.is_none() && last.is_none() {
            return Err(async_graphql::Error::new(
                "you must provide one of first or last",
            ));
        }
        let sort = sort_key.unwrap_or(OrderSortKeys::Id);
        let reverse = reverse.unwrap_or(false);
        let after = after.map(|c| decode(sort, &c)).transpose()?;
        let before = before.map(|c| decode(sort, &c)).transpose()?;
        let search = match &query {
            None => search::Search::default(),
            Some(q) => search::parse(q).map_err(async_graphql::Error::new)?,
        };
        if let (Some(q), false, Some(w)) = (
            &query,
            search.warnings.is_empty(),
            ctx.data_opt::<Arc<SearchWarnings>>(),
        ) {
            let warnings: Vec<Value> = search
                .warnings
                .iter()
                .map(|w| json!({"field": w.field, "message": w.message}))
                .collect();
            w.push(json!({
                "path": ctx.path_node.map(|p| p.to_string_vec()).unwrap_or_default(),
                "query": q,
                "warnings": warnings,
            }));
        }
        let core = core(ctx);
        let s = core.lock();
        let mut matched: Vec<((i128, u64), &Order)> = s
            .store()
            .orders()
            .filter(|o| search.matches(o))
            .map(|o| (sort.key(o), o))
            .collect();
        matched.sort_by_key(|(k, _)| *k);
        if reverse {
            matched.reverse();
        }
        // "Beyond" a place is after it in the list's own order.
        let beyond = |k: &(i128, u64), c: &(i128, u64)| if reverse { k < c } else { k > c };
        let start = after.map_or(0, |c| matched.partition_point(|(k, _)| !beyond(k, &c)));
        let end = before.map_or(matched.len(), |c| {
            matched.partition_point(|(k, _)| beyond(&c, k))
        });
        let (mut a, mut b) = (start, end.max(start));
        if let Some(n) = first {
            b = b.min(a.saturating_add(n));
        }
        if let Some(n) = last {
            a = a.max(b.saturating_sub(n));
        }
        let page: Vec<(String, GOrder)> = matched[a..b]
            .iter()
            .map(|(k, o)| (encode(sort, *k), GOrder::new((*o).clone())))
            .collect();
        let info = PageInfo::new(
            b < matched.len(),
            a > 0,
            page.first().map(|(c, _)| c.clone()),
            page.last().map(|(c, _)| c.clone()),
        );
        Ok(OrderConnection::from_page(page, info))
    }
}
