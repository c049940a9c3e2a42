//! REST handlers only: the order and refund endpoints, filters, `fields`, and
//! cursor pagination with `Link` headers. The front door (`http.rs`) has already
//! checked the token, the bucket and injected faults; every refusal is
//! shopify-model's, answered as Shopify does (404 for the path's order, else 422).

pub(crate) mod shared;

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use shopify_model::{
    CancelReason, FinancialStatus, FulfillmentStatus, LineId, NewLine, NewOrder, Order, OrderId,
    RefundLineRequest, RestockType, ShopifyError, Store, quantity_from_json,
};
use wiremock::Request;

use crate::reply::Reply;
use crate::state::{Core, to_bytes};

const PAGINATION_DOC: &str =
    "See https://shopify.dev/api/usage/pagination-rest for more information.";

/// shopify-model's refusal as REST answers it: 404 `{"errors":"Not Found"}` when
/// the resource the path names (the order, or a refund of it) does not exist, else
/// 422 `{"errors":{"base":[message]}}` with the refusal's message exactly as
/// shopify-model words it (a refund naming an unknown line item included).
impl From<ShopifyError> for Reply {
    fn from(e: ShopifyError) -> Self {
        match e {
            // A REST request names exactly one order, in its path; refunds are
            // looked up only by `GET orders/{id}/refunds/{rid}.json`.
            ShopifyError::OrderNotFound { .. } | ShopifyError::RefundNotFound { .. } => {
                Reply::not_found()
            }
            e => Reply::unprocessable("base", e.to_string()),
        }
    }
}

/// Answers a REST Admin API call; `path` is what follows `/admin/api/{version}/`.
pub(crate) fn route(core: &Arc<Core>, req: &Request, rest: &str) -> Reply {
    use wiremock::http::Method;
    // Up to four segments on the stack (no route has more): the hot path
    // allocates nothing here. A longer path matches no route.
    let mut buf = [""; 4];
    let mut parts = rest.split('/');
    let n = buf
        .iter_mut()
        .zip(&mut parts)
        .map(|(slot, seg)| *slot = seg)
        .count();
    let segs: &[&str] = if parts.next().is_some() {
        &[]
    } else {
        &buf[..n]
    };
    // HEAD is served wherever GET is: the same status and headers; the server
    // sends no body for it.
    let m = if req.method == Method::HEAD {
        &Method::GET
    } else {
        &req.method
    };
    let result = match (m, segs) {
        (&Method::GET, ["orders.json"]) => list_orders(core, req),
        (&Method::POST, ["orders.json"]) => create_order(core, req),
        (&Method::GET, ["orders", id, "fulfillment_orders.json"]) => with_id(core, id, |id| {
            let s = core.lock();
            let order = s.store().order(id)?;
            Ok(Reply::json(
                200,
                &json!({"fulfillment_orders": [shared::fulfillment_order_json(order)]}),
            ))
        }),
        (&Method::POST, ["fulfillments.json"]) => create_fulfillment(core, req),
        (&Method::GET, ["webhooks.json"]) => list_webhooks(core, req),
        (&Method::GET, ["webhooks", "count.json"]) => count_webhooks(core, req),
        (&Method::POST, ["webhooks.json"]) => create_webhook(core, req),
        (_, ["webhooks", file]) => match order_id(file) {
            Some(id) if m == Method::GET => shared::get_webhook(core, id, core.now())
                .map(|w| webhook_reply(core, 200, &w))
                .map_err(Reply::from),
            Some(id) if m == Method::PUT => update_webhook(core, req, id),
            Some(id) if m == Method::DELETE => shared::delete_webhook(core, id, core.now())
                .map(|()| Reply::json(200, &json!({})))
                .map_err(Reply::from),
            _ => Err(Reply::not_found()),
        },
        (&Method::GET, ["orders", "count.json"]) => count_orders(core, req),
        (_, ["orders", file]) => match order_id(file) {
            Some(id) if m == Method::GET => get_order(core, req, id),
            Some(id) if m == Method::DELETE => core
                .delete(id)
                .map(|_| Reply::json(200, &json!({})))
                .map_err(Reply::from),
            _ => Err(Reply::not_found()),
        },
        (&Method::POST, ["orders", id, "close.json"]) => with_id(core, id, |id| {
            core.close(id)
                .map(|o| order_reply(&o, None))
                .map_err(Reply::from)
        }),
        (&Method::POST, ["orders", id, "open.json"]) => with_id(core, id, |id| {
            core.open(id)
                .map(|o| order_reply(&o, None))
                .map_err(Reply::from)
        }),
        (&Method::POST, ["orders", id, "cancel.json"]) => {
            with_id(core, id, |id| cancel(core, req, id))
        }
        (&Method::GET, ["orders", id, "refunds.json"]) => with_id(core, id, |id| {
            let s = core.lock();
            let order = s.store().order(id)?;
            let refunds: Vec<Value> = order
                .refunds
                .iter()
                .map(|r| r.to_rest_json(order))
                .collect();
            Ok(Reply::json(200, &json!({"refunds": refunds})))
        }),
        (&Method::POST, ["orders", id, "refunds.json"]) => {
            with_id(core, id, |id| create_refund(core, req, id))
        }
        (&Method::POST, ["orders", id, "transactions.json"]) => {
            with_id(core, id, |id| create_transaction(core, req, id))
        }
        (&Method::GET, ["orders", id, "refunds", file]) => with_id(core, id, |id| {
            let Some(rid) = file.strip_suffix(".json").and_then(|r| r.parse().ok()) else {
                return Err(Reply::not_found());
            };
            let s = core.lock();
            let order = s.store().order(id)?;
            let refund = s.store().get_refund(id, rid)?;
            Ok(Reply::json(
                200,
                &json!({"refund": refund.to_rest_json(order)}),
            ))
        }),
        _ => Err(Reply::not_found()),
    };
    result.unwrap_or_else(|e| e)
}

fn order_id(file: &str) -> Option<OrderId> {
    file.strip_suffix(".json")?.parse().ok()
}

/// Runs a handler for the order the path names: 404 first when there is no such
/// order, before the body is read.
fn with_id(
    core: &Core,
    id: &str,
    f: impl FnOnce(OrderId) -> Result<Reply, Reply>,
) -> Result<Reply, Reply> {
    let Ok(id) = id.parse() else {
        return Err(Reply::not_found());
    };
    core.lock().store().order(id)?;
    f(id)
}

/// `{"order": …}`, plus `notice` for cancel.
fn order_reply(order: &Order, notice: Option<&str>) -> Reply {
    let mut body = json!({"order": order.to_rest_json()});
    if let Some(n) = notice {
        body["notice"] = json!(n);
    }
    Reply::json(200, &body)
}

// ----- query parameters ------------------------------------------------------

/// The query string as (name, value) pairs, in order.
fn query(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'q>(q: &'q [(String, String)], name: &str) -> Option<&'q str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Which orders `status` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Closed,
    Cancelled,
    Any,
}

/// `fulfillment_status` as Shopify's REST filter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FulfillmentFilter {
    Shipped,
    Partial,
    Unshipped,
    Unfulfilled,
    Any,
}

/// `financial_status` filter values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FinancialFilter {
    Is(FinancialStatus),
    Unpaid,
    Any,
}

/// The filters of `orders.json` and `orders/count.json`.
#[derive(Debug, Clone)]
struct Filters {
    status: Status,
    ids: Option<BTreeSet<OrderId>>,
    since_id: Option<OrderId>,
    created_min: Option<Timestamp>,
    created_max: Option<Timestamp>,
    updated_min: Option<Timestamp>,
    updated_max: Option<Timestamp>,
    financial: FinancialFilter,
    fulfillment: FulfillmentFilter,
}

/// The parameters the list endpoints know besides the filters.
const PAGING_PARAMS: [&str; 3] = ["limit", "fields", "page_info"];

fn invalid(key: &str, value: &str) -> Reply {
    Reply::bad_request(key, format!("{value:?} is not a valid value for {key}"))
}

fn parse_time(q: &[(String, String)], key: &str) -> Result<Option<Timestamp>, Reply> {
    match param(q, key) {
        None => Ok(None),
        Some(v) => v.parse::<Timestamp>().map(Some).map_err(|_| {
            Reply::bad_request(
                key,
                format!("{v:?} is not a valid time; use ISO 8601 with an offset, e.g. 2026-01-01T09:00:00-05:00"),
            )
        }),
    }
}

impl Filters {
    fn parse(q: &[(String, String)]) -> Result<Self, Reply> {
        let status = match param(q, "status").unwrap_or("open") {
            "open" => Status::Open,
            "closed" => Status::Closed,
            "cancelled" => Status::Cancelled,
            "any" => Status::Any,
            v => return Err(invalid("status", v)),
        };
        let ids = match param(q, "ids") {
            None => None,
            Some(v) => Some(
                v.split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().parse::<OrderId>())
                    .collect::<Result<BTreeSet<_>, _>>()
                    .map_err(|_| invalid("ids", v))?,
            ),
        };
        let since_id = match param(q, "since_id") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| invalid("since_id", v))?),
        };
        let financial = match param(q, "financial_status").unwrap_or("any") {
            "any" => FinancialFilter::Any,
            "unpaid" => FinancialFilter::Unpaid,
            v => FinancialFilter::Is(
                FinancialStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str() == v)
                    .ok_or_else(|| invalid("financial_status", v))?,
            ),
        };
        let fulfillment = match param(q, "fulfillment_status").unwrap_or("any") {
            "any" => FulfillmentFilter::Any,
            "shipped" => FulfillmentFilter::Shipped,
            "partial" => FulfillmentFilter::Partial,
            "unshipped" => FulfillmentFilter::Unshipped,
            "unfulfilled" => FulfillmentFilter::Unfulfilled,
            v => return Err(invalid("fulfillment_status", v)),
        };
        Ok(Self {
            status,
            ids,
            since_id,
            created_min: parse_time(q, "created_at_min")?,
            created_max: parse_time(q, "created_at_max")?,
            updated_min: parse_time(q, "updated_at_min")?,
            updated_max: parse_time(q, "updated_at_max")?,
            financial,
            fulfillment,
        })
    }

    fn matches(&self, o: &Order) -> bool {
        let status = match self.status {
            Status::Open => !o.is_closed() && !o.is_cancelled(),
            Status::Closed => o.is_closed(),
            Status::Cancelled => o.is_cancelled(),
            Status::Any => true,
        };
        let financial = match self.financial {
            FinancialFilter::Any => true,
            FinancialFilter::Is(s) => o.financial_status == s,
            FinancialFilter::Unpaid => matches!(
                o.financial_status,
                FinancialStatus::Pending | FinancialStatus::Authorized
            ),
        };
        let fs = o.fulfillment_status();
        let fulfillment = match self.fulfillment {
            FulfillmentFilter::Any => true,
            FulfillmentFilter::Shipped => fs == Some(FulfillmentStatus::Fulfilled),
            FulfillmentFilter::Partial => fs == Some(FulfillmentStatus::Partial),
            FulfillmentFilter::Unshipped => fs.is_none(),
            FulfillmentFilter::Unfulfilled => fs != Some(FulfillmentStatus::Fulfilled),
        };
        status
            && financial
            && fulfillment
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&o.id))
            && self.since_id.is_none_or(|s| o.id > s)
            && self.created_min.is_none_or(|t| o.created_at >= t)
            && self.created_max.is_none_or(|t| o.created_at <= t)
            && self.updated_min.is_none_or(|t| o.updated_at >= t)
            && self.updated_max.is_none_or(|t| o.updated_at <= t)
    }
}

/// `fields=a,b`: the keys to keep, or `None` for all.
fn fields(q: &[(String, String)]) -> Option<Vec<String>> {
    param(q, "fields").map(|f| {
        f.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn pick(v: Value, fields: Option<&[String]>) -> Value {
    match (v, fields) {
        (Value::Object(m), Some(keep)) => {
            let picked: Map<String, Value> = m
                .into_iter()
                .filter(|(k, _)| keep.iter().any(|f| f == k))
                .collect();
            Value::Object(picked)
        }
        (v, _) => v,
    }
}

fn limit(q: &[(String, String)]) -> Result<usize, Reply> {
    match param(q, "limit") {
        None => Ok(50),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=250).contains(&n) => Ok(n),
            _ => Err(Reply::bad_request(
                "limit",
                format!("{v:?} is not a valid limit; use a whole number from 1 to 250"),
            )),
        },
    }
}

// ----- cursor pagination -------------------------------------------------------

/// Which side of the boundary id a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Next,
    Previous,
}

/// A `page_info` cursor: direction, boundary id, and the filters of the first page
/// (which a `page_info` request cannot repeat).
#[derive(Debug, Clone)]
struct Cursor {
    direction: Direction,
    boundary: OrderId,
    filters: Vec<(String, String)>,
}

impl Cursor {
    fn encode(&self) -> String {
        let dir = match self.direction {
            Direction::Next => "n",
            Direction::Previous => "p",
        };
        let filters = serde_json::to_string(&self.filters).expect("pairs serialise");
        let raw = format!("{dir}:{}:{filters}", self.boundary);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(s: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (dir, rest) = raw.split_once(':')?;
        let (boundary, filters) = rest.split_once(':')?;
        Some(Self {
            direction: match dir {
                "n" => Direction::Next,
                "p" => Direction::Previous,
                _ => return None,
            },
            boundary: boundary.parse().ok()?,
            filters: serde_json::from_str(filters).ok()?,
        })
    }
}

/// The filters of a list request (from its query, or from its cursor), the cursor,
/// and the paging parameters.
struct ListRequest {
    filters: Filters,
    filter_params: Vec<(String, String)>,
    cursor: Option<Cursor>,
    limit: usize,
    fields: Option<Vec<String>>,
}

fn list_request(req: &Request) -> Result<ListRequest, Reply> {
    let q = query(req);
    let limit = limit(&q)?;
    let fields = fields(&q);
    let (filter_params, cursor) = match param(&q, "page_info") {
        Some(token) => {
            if let Some((k, _)) = q.iter().find(|(k, _)| !PAGING_PARAMS.contains(&k.as_str())) {
                return Err(Reply::bad_request(
                    k,
                    format!("{k} cannot be passed when page_info is present. {PAGINATION_DOC}"),
                ));
            }
            let cursor = Cursor::decode(token)
                .ok_or_else(|| Reply::bad_request("page_info", "Invalid value.".to_owned()))?;
            (cursor.filters.clone(), Some(cursor))
        }
        None => (
            q.iter()
                .filter(|(k, _)| !PAGING_PARAMS.contains(&k.as_str()))
                .cloned()
                .collect(),
            None,
        ),
    };
    let filters = Filters::parse(&filter_params)?;
    Ok(ListRequest {
        filters,
        filter_params,
        cursor,
        limit,
        fields,
    })
}

fn list_orders(core: &Core, req: &Request) -> Result<Reply, Reply> {
    use std::ops::Bound::{Excluded, Unbounded};
    let lr = list_request(req)?;
    let s = core.lock();
    let store = s.store();
    let matches = |o: &&Order| lr.filters.matches(o);
    // Orders are listed by id, ascending. A page walks the store only from its
    // boundary on (and from `since_id`, at or below which nothing matches), so its
    // cost does not grow with the orders before it.
    let from = |after: Option<OrderId>| after.max(lr.filters.since_id).map_or(Unbounded, Excluded);
    let page: Vec<&Order> = match &lr.cursor {
        Some(c) if c.direction == Direction::Previous => {
            let mut page: Vec<&Order> = store
                .orders_in((from(None), Excluded(c.boundary)))
                .rev()
                .filter(matches)
                .take(lr.limit)
                .collect();
            page.reverse();
            page
        }
        cursor => store
            .orders_in((from(cursor.as_ref().map(|c| c.boundary)), Unbounded))
            .filter(matches)
            .take(lr.limit)
            .collect(),
    };
    let orders: Vec<Value> = page
        .iter()
        .map(|o| pick(o.to_rest_json(), lr.fields.as_deref()))
        .collect();
    let mut links = Vec::new();
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        let base = link_base(req);
        let link = |direction, boundary, rel| {
            let cursor = Cursor {
                direction,
                boundary,
                filters: lr.filter_params.clone(),
            };
            let mut url = format!("<{base}?limit={}", lr.limit);
            if let Some(f) = &lr.fields {
                url.push_str("&fields=");
                url.push_str(&f.join(","));
            }
            format!("{url}&page_info={}>; rel=\"{rel}\"", cursor.encode())
        };
        let before = store.orders_in((from(None), Excluded(first.id)));
        if before.rev().any(|o| lr.filters.matches(o)) {
            links.push(link(Direction::Previous, first.id, "previous"));
        }
        let mut after = store.orders_in((Excluded(last.id), Unbounded));
        if after.any(|o| lr.filters.matches(o)) {
            links.push(link(Direction::Next, last.id, "next"));
        }
    }
    let mut reply = Reply::json(200, &json!({"orders": orders}));
    if !links.is_empty() {
        reply = reply.header("link", links.join(", "));
    }
    Ok(reply)
}

/// `http://{Host}{path}` of the request, for `Link` headers.
fn link_base(req: &Request) -> String {
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let port = req.url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}{port}", req.url.host_str().unwrap_or("127.0.0.1"))
        });
    format!("http://{host}{}", req.url.path())
}

fn count_orders(core: &Core, req: &Request) -> Result<Reply, Reply> {
    let q = query(req);
    let filters = Filters::parse(&q)?;
    let s = core.lock();
    let n = s.store().orders().filter(|o| filters.matches(o)).count();
    Ok(Reply::json(200, &json!({"count": n})))
}

fn get_order(core: &Core, req: &Request, id: OrderId) -> Result<Reply, Reply> {
    let fields = match req.url.query() {
        None => None,
        Some(_) => fields(&query(req)),
    };
    let mut s = core.lock();
    let body = match fields {
        // The hot path: the cached body.
        None => s.order_body(id)?.to_vec(),
        Some(f) => {
            let order = s.store().order(id)?;
            to_bytes(&json!({"order": pick(order.to_rest_json(), Some(&f))}))
        }
    };
    Ok(Reply::bytes(200, body))
}

// ----- request bodies ----------------------------------------------------------

/// The JSON body, `{}` when empty.
fn body_json(req: &Request, root: &str) -> Result<Value, Reply> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(Reply::bad_request(
            root,
            "Required parameter missing or invalid".to_owned(),
        )),
    }
}

fn cancel(core: &Core, req: &Request, id: OrderId) -> Result<Reply, Reply> {
    let body = body_json(req, "order")?;
    let q = query(req);
    // The body wins over the query string (official clients send either).
    let text = |key: &str| -> Option<String> {
        match body.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(Value::Null) | None => param(&q, key).map(str::to_owned),
            Some(other) => Some(other.to_string()),
        }
    };
    let reason = match text("reason").as_deref() {
        None => CancelReason::Other,
        Some(r) => CancelReason::ALL
            .into_iter()
            .find(|c| c.as_str() == r)
            .ok_or_else(|| {
                Reply::unprocessable(
                    "reason",
                    format!("{r:?} is not a cancel reason; use customer, inventory, fraud, declined or other"),
                )
            })?,
    };
    let restock = matches!(text("restock").as_deref(), Some("true" | "1"));
    let order = core.cancel(id, reason, restock)?;
    Ok(order_reply(&order, Some("Order has been canceled")))
}

/// `POST orders/{id}/transactions.json` with `{"transaction": {"kind": "capture"}}`:
/// captures the pending payment (the order becomes paid; `orders/paid`). The mock
/// keeps no amounts: a capture takes the whole payment, and other kinds are refused.
fn create_transaction(core: &Core, req: &Request, id: OrderId) -> Result<Reply, Reply> {
    let body = body_json(req, "transaction")?;
    let Some(t) = body.get("transaction").filter(|t| t.is_object()) else {
        return Err(Reply::bad_request(
            "transaction",
            "Required parameter missing or invalid".to_owned(),
        ));
    };
    match t.get("kind").and_then(Value::as_str) {
        Some("capture") => {}
        Some(kind) => {
            return Err(Reply::unprocessable(
                "kind",
                format!("{kind:?} is not a kind the mock records; use capture"),
            ));
        }
        None => {
            return Err(Reply::unprocessable("kind", "can't be blank".to_owned()));
        }
    }
    let (order, tid) = core.capture(id)?;
    let at = order.updated_at.to_string();
    Ok(Reply::json(
        201,
        &json!({"transaction": {
            "id": tid,
            "admin_graphql_api_id": format!("gid://shopify/OrderTransaction/{tid}"),
            "order_id": order.id,
            "kind": "capture",
            "status": "success",
            "gateway": "manual",
            "created_at": at,
            "processed_at": at,
        }}),
    ))
}

fn create_refund(core: &Core, req: &Request, id: OrderId) -> Result<Reply, Reply> {
    let body = body_json(req, "refund")?;
    let missing =
        || Reply::bad_request("refund", "Required parameter missing or invalid".to_owned());
    let refund = body
        .get("refund")
        .filter(|r| r.is_object())
        .ok_or_else(missing)?;
    let note = refund.get("note").and_then(Value::as_str);
    let mut lines = Vec::new();
    match refund.get("refund_line_items") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                lines.push(refund_line(item)?);
            }
        }
        Some(_) => return Err(missing()),
    }
    let (refund_json, _order) = core.refund(id, &lines, note)?;
    Ok(Reply::json(201, &json!({"refund": refund_json})))
}

fn refund_line(item: &Value) -> Result<RefundLineRequest, Reply> {
    let line: LineId = match item.get("line_item_id") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        Reply::unprocessable(
            "line_item_id",
            format!("a refund line item needs a line_item_id; got {item}"),
        )
    })?;
    let quantity = quantity_from_json(item.get("quantity").unwrap_or(&Value::Null))?;
    let restock_type = match item.get("restock_type") {
        None | Some(Value::Null) => RestockType::NoRestock,
        Some(v) => RestockType::ALL
            .into_iter()
            .find(|r| Some(r.as_str()) == v.as_str())
            .ok_or_else(|| {
                Reply::unprocessable(
                    "restock_type",
                    format!("{v} is not a restock type; use no_restock, cancel, return or legacy_restock"),
                )
            })?,
    };
    Ok(RefundLineRequest {
        line,
        quantity,
        restock_type,
    })
}

// ----- the body of a create: `{"<root>": {…}}` ---------------------------------------

/// The object under `root` in the JSON body, or a 400 naming what is wrong.
fn root_object(req: &Request, root: &str) -> Result<Map<String, Value>, Reply> {
    let problem = |what: String| {
        Reply::bad_request(
            root,
            format!("Required parameter missing or invalid: {what}"),
        )
    };
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(problem(format!(
            "the body is empty; send {{\"{root}\": {{…}}}}"
        )));
    }
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| problem(format!("the body is not valid JSON ({e})")))?;
    match body.get(root) {
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(other) => Err(problem(format!(
            "\"{root}\" must be an object, not {other}"
        ))),
        None => Err(problem(format!(
            "the body has no \"{root}\" object; send {{\"{root}\": {{…}}}}"
        ))),
    }
}

/// An id given as a number or a string of digits.
fn id_value(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A 422 `{"errors": {key: [message]}}`.
fn refuse(key: &str, message: impl Into<String>) -> Reply {
    Reply::unprocessable(key, message.into())
}

// ----- POST orders.json ----------------------------------------------------------------

/// One line of the body, before ids are given out.
struct LineDraft {
    id: Option<LineId>,
    sku: String,
    quantity: u32,
    /// Units already fulfilled (`fulfillment_status: "fulfilled"` on the line: all).
    fulfilled: Option<u32>,
}

/// A flag of `POST orders.json` given as a timestamp (`closed_at`, `cancelled_at`):
/// set when present and not `null` (the mock uses the creation instant).
fn flag_at(o: &Map<String, Value>, key: &str) -> Result<bool, Reply> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(s)) if s.parse::<Timestamp>().is_ok() => Ok(true),
        Some(v) => Err(refuse(
            key,
            format!(
                "{v} is not a time; give an ISO 8601 time such as \"2026-01-01T09:00:00Z\" (the order is created at the mock's now either way), or leave it out"
            ),
        )),
    }
}

/// `POST orders.json`: creates an order as an app (or a checkout) would, sending
/// `orders/create`. Shopify gives the ids; as a mock extension an `id` on the
/// order or on a line item is used when it is free (the store refuses one in use).
fn create_order(core: &Core, req: &Request) -> Result<Reply, Reply> {
    let o = root_object(req, "order")?;
    let explicit_id = match o.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(id_value(v).ok_or_else(|| {
            refuse("id", format!("{v} is not an order id; give a whole number, or leave it out for the next free id"))
        })?),
    };
    let name = match o.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(v) => {
            return Err(refuse(
                "name",
                format!("{v} is not a name; give a string such as \"#1001\""),
            ));
        }
    };
    let financial_status = match o.get("financial_status") {
        None | Some(Value::Null) => FinancialStatus::Paid,
        Some(v) => match serde_json::from_value::<FinancialStatus>(v.clone()) {
            Ok(status) => status,
            Err(_) => {
                return Err(refuse(
                    "financial_status",
                    format!(
                        "{v} is not a financial status; use pending, authorized, partially_paid, paid, partially_refunded, refunded or voided"
                    ),
                ));
            }
        },
    };
    // Shopify's order-level `fulfillment_status: "fulfilled"`: every unit fulfilled.
    let all_fulfilled = match o.get("fulfillment_status") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "fulfilled" => true,
        Some(v) => {
            return Err(refuse(
                "fulfillment_status",
                format!(
                    "{v} is not a fulfillment status an order is created with; use \"fulfilled\" or null (or `fulfilled` per line item)"
                ),
            ));
        }
    };
    let archived = flag_at(&o, "closed_at")?;
    let cancelled = flag_at(&o, "cancelled_at")?;
    let items = match o.get("line_items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(v) => {
            return Err(Reply::bad_request(
                "line_items",
                format!(
                    "Required parameter missing or invalid: line_items must be a list, not {v}"
                ),
            ));
        }
    };
    let order = core.create_order_with(|store: &Store, free_order, free_line| {
        let mut drafts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            drafts.push(line_draft(store, i, item)?);
        }
        // Fresh line ids start above every id the store or this body holds.
        let mut next = drafts
            .iter()
            .filter_map(|d| d.id)
            .map(|id| id.saturating_add(1))
            .fold(free_line, u64::max);
        let lines = drafts
            .into_iter()
            .map(|d| NewLine {
                id: d.id.unwrap_or_else(|| {
                    let id = next;
                    next = next.saturating_add(1);
                    id
                }),
                sku: d.sku,
                quantity: d.quantity,
                fulfilled: if all_fulfilled {
                    d.quantity
                } else {
                    d.fulfilled.unwrap_or(0)
                },
            })
            .collect();
        Ok::<_, Reply>(NewOrder {
            id: explicit_id.unwrap_or(free_order),
            name: name.clone(),
            financial_status,
            lines,
            archived,
            cancelled,
        })
    })?;
    Ok(Reply::json(201, &json!({"order": order.to_rest_json()})))
}

/// A line of `POST orders.json`: its SKU from `sku`, or from the catalogue by
/// `variant_id` (the variant's SKU wins when both are given).
fn line_draft(store: &Store, i: usize, item: &Value) -> Result<LineDraft, Reply> {
    let n = i + 1;
    let Value::Object(item) = item else {
        return Err(refuse(
            "line_items",
            format!(
                "line item {n} must be an object such as {{\"sku\": \"CHAIR\", \"quantity\": 1}}, not {item}"
            ),
        ));
    };
    let id = match item.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(id_value(v).ok_or_else(|| {
            refuse(
                "line_items",
                format!(
                    "line item {n}: {v} is not a line item id; give a whole number or leave it out"
                ),
            )
        })?),
    };
    let sku = match item.get("variant_id") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let variant = id_value(v).ok_or_else(|| {
                refuse(
                    "line_items",
                    format!("line item {n}: {v} is not a variant id"),
                )
            })?;
            Some(store.sku_for_variant(variant).map(str::to_owned).ok_or_else(|| {
                refuse(
                    "line_items",
                    format!("line item {n}: variant {variant} does not exist; give a sku, or a variant_id the store has (variants exist for the SKUs it has seen)"),
                )
            })?)
        }
    };
    let sku = match (sku, item.get("sku")) {
        (Some(sku), _) => sku,
        (None, Some(Value::String(s))) => s.clone(),
        (None, None | Some(Value::Null)) => {
            return Err(refuse(
                "line_items",
                format!("line item {n} needs a sku or a variant_id"),
            ));
        }
        (None, Some(v)) => {
            return Err(refuse(
                "line_items",
                format!("line item {n}: {v} is not a sku; give a string"),
            ));
        }
    };
    let quantity = quantity_from_json(item.get("quantity").unwrap_or(&Value::Null))?;
    let fulfilled = match (item.get("fulfilled"), item.get("fulfillment_status")) {
        (Some(v), _) if !v.is_null() => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    refuse(
                        "line_items",
                        format!("line item {n}: fulfilled {v} is not a number of units"),
                    )
                })?,
        ),
        (_, Some(Value::String(s))) if s == "fulfilled" => Some(quantity),
        (_, None | Some(Value::Null)) => None,
        (_, Some(v)) => {
            return Err(refuse(
                "line_items",
                format!(
                    "line item {n}: fulfillment_status {v} is not one a line is created with; use \"fulfilled\" or null"
                ),
            ));
        }
    };
    Ok(LineDraft {
        id,
        sku,
        quantity,
        fulfilled,
    })
}

// ----- POST fulfillments.json ------------------------------------------------------------

impl From<shared::FulfillError> for Reply {
    fn from(e: shared::FulfillError) -> Self {
        use shared::FulfillError as F;
        match e {
            F::UnknownFulfillmentOrder(_) => Reply::not_found(),
            F::Refused(e) => Reply::from(e),
            e => refuse("line_items_by_fulfillment_order", e.to_string()),
        }
    }
}

/// `POST fulfillments.json`: fulfils the units named per fulfilment order (or all
/// that remain of a fulfilment order named without line items), all or nothing.
fn create_fulfillment(core: &Arc<Core>, req: &Request) -> Result<Reply, Reply> {
    let f = root_object(req, "fulfillment")?;
    let bad = |what: String| {
        Reply::bad_request(
            "line_items_by_fulfillment_order",
            format!("Required parameter missing or invalid: {what}"),
        )
    };
    let Some(Value::Array(groups)) = f.get("line_items_by_fulfillment_order") else {
        return Err(bad(
            "give a list of {\"fulfillment_order_id\", \"fulfillment_order_line_items\": [{\"id\", \"quantity\"}]}".to_owned(),
        ));
    };
    let mut requests = Vec::with_capacity(groups.len());
    for g in groups {
        let fo = g
            .get("fulfillment_order_id")
            .and_then(id_value)
            .ok_or_else(|| bad(format!("{g} has no fulfillment_order_id")))?;
        let lines = match g.get("fulfillment_order_line_items") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut lines = Vec::with_capacity(items.len());
                for item in items {
                    let id = item.get("id").and_then(id_value).ok_or_else(|| {
                        bad(format!("{item} has no fulfillment order line item id"))
                    })?;
                    let quantity =
                        quantity_from_json(item.get("quantity").unwrap_or(&Value::Null))?;
                    lines.push((id, quantity));
                }
                Some(lines)
            }
            Some(v) => {
                return Err(bad(format!(
                    "fulfillment_order_line_items must be a list, not {v}"
                )));
            }
        };
        requests.push(shared::FulfillmentRequest {
            fulfillment_order: fo,
            lines,
        });
    }
    let text = |key: &str| -> Option<String> {
        let v = f.get("tracking_info")?.get(key)?;
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    let tracking = (text("company"), text("number"), text("url"));
    let done = shared::fulfill(core, &requests)?;
    Ok(Reply::json(
        201,
        &json!({"fulfillment": done.to_rest_json(tracking)}),
    ))
}

// ----- webhooks.json ---------------------------------------------------------------------

impl From<shared::WebhookError> for Reply {
    fn from(e: shared::WebhookError) -> Self {
        match e {
            shared::WebhookError::NotFound => Reply::not_found(),
            shared::WebhookError::Invalid { field, message } => refuse(field, message),
        }
    }
}

fn webhook_reply(core: &Core, status: u16, w: &shared::WebhookRow) -> Reply {
    Reply::json(
        status,
        &json!({"webhook": w.to_rest_json(&core.config.api_version)}),
    )
}

/// The `topic` and `address` filters of `webhooks.json` and `webhooks/count.json`.
fn webhook_filters(
    q: &[(String, String)],
) -> Result<(Option<crate::webhooks::Topic>, Option<String>), Reply> {
    let topic = match param(q, "topic") {
        None | Some("") => None,
        Some(t) => Some(t.parse().map_err(|_| invalid("topic", t))?),
    };
    Ok((topic, param(q, "address").map(str::to_owned)))
}

fn list_webhooks(core: &Arc<Core>, req: &Request) -> Result<Reply, Reply> {
    let q = query(req);
    let (topic, address) = webhook_filters(&q)?;
    let limit = limit(&q)?;
    let since_id = match param(&q, "since_id") {
        None => 0,
        Some(v) => v.parse().map_err(|_| invalid("since_id", v))?,
    };
    let fields = fields(&q);
    let rows: Vec<Value> = shared::list_webhooks(core, topic, address.as_deref(), core.now())
        .into_iter()
        .filter(|w| w.id > since_id)
        .take(limit)
        .map(|w| pick(w.to_rest_json(&core.config.api_version), fields.as_deref()))
        .collect();
    Ok(Reply::json(200, &json!({"webhooks": rows})))
}

fn count_webhooks(core: &Arc<Core>, req: &Request) -> Result<Reply, Reply> {
    let q = query(req);
    let (topic, address) = webhook_filters(&q)?;
    let n = shared::list_webhooks(core, topic, address.as_deref(), core.now()).len();
    Ok(Reply::json(200, &json!({"count": n})))
}

/// The `format` of a subscription: `json` only.
fn check_format(w: &Map<String, Value>) -> Result<(), Reply> {
    match w.get("format") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(f)) if f == "json" => Ok(()),
        Some(v) => Err(refuse(
            "format",
            format!("{v} is not a format the mock sends; use json"),
        )),
    }
}

/// A string field of a body, `None` when absent or blank.
fn text_field<'a>(w: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Reply> {
    match w.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(refuse(key, format!("{v} is not a string"))),
    }
}

fn create_webhook(core: &Arc<Core>, req: &Request) -> Result<Reply, Reply> {
    let w = root_object(req, "webhook")?;
    check_format(&w)?;
    let topic = match text_field(&w, "topic")? {
        None => {
            let e = shared::invalid_topic("");
            let shared::WebhookError::Invalid { message, .. } = e else {
                unreachable!("invalid_topic is Invalid")
            };
            return Err(Reply::json(
                422,
                &json!({"errors": {"topic": ["can't be blank", message]}}),
            ));
        }
        Some(t) => t
            .parse()
            .map_err(|_| Reply::from(shared::invalid_topic(t)))?,
    };
    let Some(address) = text_field(&w, "address")? else {
        return Err(refuse("address", "can't be blank"));
    };
    let row = shared::create_webhook(core, topic, address, core.now())?;
    Ok(webhook_reply(core, 201, &row))
}

fn update_webhook(core: &Arc<Core>, req: &Request, id: u64) -> Result<Reply, Reply> {
    let current = shared::get_webhook(core, id, core.now())?;
    let w = root_object(req, "webhook")?;
    check_format(&w)?;
    if let Some(t) = text_field(&w, "topic")?
        && t != current.topic.as_str()
    {
        return Err(refuse(
            "topic",
            format!(
                "cannot be changed (from {} to {t:?}); delete this subscription and create one for the other topic",
                current.topic
            ),
        ));
    }
    let row = match text_field(&w, "address")? {
        Some(address) => shared::update_webhook(core, id, address, core.now())?,
        None => current,
    };
    Ok(webhook_reply(core, 200, &row))
}
