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
use shopify_model::{Order, Store};

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
        let want = Want {
            sort,
            reverse,
            after,
            before,
            first,
            last,
        };
        let found = page(s.store(), |o| search.matches(o), &want);
        let page: Vec<(String, GOrder)> = found
            .orders
            .iter()
            .map(|o| (encode(sort, sort.key(o)), GOrder::new((*o).clone())))
            .collect();
        let info = PageInfo::new(
            found.has_next,
            found.has_previous,
            page.first().map(|(c, _)| c.clone()),
            page.last().map(|(c, _)| c.clone()),
        );
        Ok(OrderConnection::from_page(page, info))
    }
}

/// The page a connection asks for: its sort, direction, cursors and size.
#[derive(Debug, Clone, Copy)]
struct Want {
    sort: OrderSortKeys,
    reverse: bool,
    after: Option<(i128, u64)>,
    before: Option<(i128, u64)>,
    first: Option<usize>,
    last: Option<usize>,
}

/// A page of orders in the list's order, and whether the list goes on past
/// either end of it.
#[derive(Debug, PartialEq)]
struct Page<'s> {
    orders: Vec<&'s Order>,
    has_next: bool,
    has_previous: bool,
}

/// The page `want` names of the orders that `matches`. By id (the default sort)
/// with `first` (and `after`) or `last` (and `before`), the usual ways to page,
/// it walks from the cursor and reads about a page of orders, so a page costs the
/// same whatever the store holds; any other sort or mix sorts every match.
fn page<'s>(store: &'s Store, matches: impl Fn(&Order) -> bool, want: &Want) -> Page<'s> {
    match (want.sort, want.first, want.last) {
        (OrderSortKeys::Id, Some(n), None) if want.before.is_none() => {
            walk_page(store, matches, want.reverse, want.after, n, true)
        }
        (OrderSortKeys::Id, None, Some(n)) if want.after.is_none() => {
            walk_page(store, matches, want.reverse, want.before, n, false)
        }
        _ => sorted_page(store, matches, want),
    }
}

/// `first: n` after `cursor` (`forward`), or `last: n` before it, of a list
/// sorted by id (descending when `reverse`): the matches walked from the cursor
/// through the store's id index, n + 1 of them at most, and one more look at the
/// cursor's other side for `hasPreviousPage` (or `hasNextPage`).
fn walk_page<'s>(
    store: &'s Store,
    matches: impl Fn(&Order) -> bool,
    reverse: bool,
    cursor: Option<(i128, u64)>,
    n: usize,
    forward: bool,
) -> Page<'s> {
    let key = |o: &Order| OrderSortKeys::Id.key(o);
    // The walk goes up the ids for `first` of an ascending list and for `last` of
    // a descending one.
    let ascending = forward != reverse;
    // The cursor, and the id its place starts from; the exact comparison of keys
    // below settles the order at that id (and any cursor made up by hand).
    let from = cursor.map(|c| (c, u64::try_from(c.0.max(0)).unwrap_or(u64::MAX)));
    let walked: Box<dyn Iterator<Item = &Order>> = match (from, ascending) {
        (Some((c, at)), true) => Box::new(store.orders_in(at..).filter(move |o| key(o) > c)),
        (Some((c, at)), false) => {
            Box::new(store.orders_in(..=at).rev().filter(move |o| key(o) < c))
        }
        (None, true) => Box::new(store.orders()),
        (None, false) => Box::new(store.orders().rev()),
    };
    let mut orders: Vec<&Order> = walked.filter(|o| matches(o)).take(n + 1).collect();
    let more = orders.len() > n;
    orders.truncate(n);
    // Matches on the cursor's other side (the cursor's own order included).
    let behind = match (from, ascending) {
        (Some((c, at)), true) => store
            .orders_in(..=at)
            .rev()
            .any(|o| key(o) <= c && matches(o)),
        (Some((c, at)), false) => store.orders_in(at..).any(|o| key(o) >= c && matches(o)),
        (None, _) => false,
    };
    if forward {
        Page {
            orders,
            has_next: more,
            has_previous: behind,
        }
    } else {
        orders.reverse();
        Page {
            orders,
            has_next: behind,
            has_previous: more,
        }
    }
}

/// Any page of any sort: every match sorted, then cut by the cursors and sizes
/// (Shopify's connection rules: `after` and `before` bound the list, then `first`
/// keeps its start and `last` its end).
fn sorted_page<'s>(store: &'s Store, matches: impl Fn(&Order) -> bool, want: &Want) -> Page<'s> {
    let sort = want.sort;
    let mut matched: Vec<((i128, u64), &Order)> = store
        .orders()
        .filter(|o| matches(o))
        .map(|o| (sort.key(o), o))
        .collect();
    matched.sort_by_key(|(k, _)| *k);
    if want.reverse {
        matched.reverse();
    }
    // "Beyond" a place is after it in the list's own order.
    let reverse = want.reverse;
    let beyond = |k: &(i128, u64), c: &(i128, u64)| if reverse { k < c } else { k > c };
    let start = want
        .after
        .map_or(0, |c| matched.partition_point(|(k, _)| !beyond(k, &c)));
    let end = want.before.map_or(matched.len(), |c| {
        matched.partition_point(|(k, _)| beyond(&c, k))
    });
    let (mut a, mut b) = (start, end.max(start));
    if let Some(n) = want.first {
        b = b.min(a.saturating_add(n));
    }
    if let Some(n) = want.last {
        a = a.max(b.saturating_sub(n));
    }
    Page {
        orders: matched[a..b].iter().map(|(_, o)| *o).collect(),
        has_next: b < matched.len(),
        has_previous: a > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopify_model::{FinancialStatus, NewLine, NewOrder};

    /// Orders with gaps between their ids.
    fn store() -> Store {
        let orders: Vec<NewOrder> = [1001, 1002, 1004, 1007, 1008, 1010, 1013, 1014, 1020, 1021]
            .into_iter()
            .map(|id| NewOrder {
                id,
                name: None,
                financial_status: FinancialStatus::Paid,
                lines: vec![NewLine {
                    id: id * 10,
                    sku: "A".into(),
                    quantity: 1,
                    fulfilled: 0,
                }],
                archived: false,
                cancelled: false,
            })
            .collect();
        Store::with_orders(&orders, "2026-01-01T09:00:00Z".parse().unwrap()).unwrap()
    }

    /// The walk through the id index gives exactly the page sorting every order
    /// gives: every size, both directions, with and without a filter, and cursors
    /// at every order, between orders, past both ends, and made up by hand.
    #[test]
    fn walking_by_id_gives_the_sorted_page() {
        let store = store();
        type Filter = fn(&Order) -> bool;
        let filters: [(&str, Filter); 3] = [
            ("all", |_| true),
            ("some", |o| o.id % 3 != 0),
            ("none", |_| false),
        ];
        let mut cursors: Vec<Option<(i128, u64)>> = vec![None];
        for id in 995..=1026u64 {
            cursors.push(Some((i128::from(id), id)));
            cursors.push(Some((i128::from(id), id + 1)));
            cursors.push(Some((i128::from(id), id.saturating_sub(1))));
        }
        cursors.extend([
            Some((-5, 0)),
            Some((i128::from(u64::MAX) + 7, 3)),
            Some((i128::from(u64::MAX), u64::MAX)),
        ]);
        let mut checked = 0;
        for (name, matches) in filters {
            for reverse in [false, true] {
                for &cursor in &cursors {
                    for n in 0..=12 {
                        for forward in [true, false] {
                            let want = Want {
                                sort: OrderSortKeys::Id,
                                reverse,
                                after: if forward { cursor } else { None },
                                before: if forward { None } else { cursor },
                                first: forward.then_some(n),
                                last: (!forward).then_some(n),
                            };
                            let walked = page(&store, matches, &want);
                            let sorted = sorted_page(&store, matches, &want);
                            let ids = |p: &Page| p.orders.iter().map(|o| o.id).collect::<Vec<_>>();
                            assert_eq!(
                                (ids(&walked), walked.has_next, walked.has_previous),
                                (ids(&sorted), sorted.has_next, sorted.has_previous),
                                "filter {name}, {want:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 3 * 2 * cursors.len() * 13 * 2);
    }
}
