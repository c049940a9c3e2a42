//! The test-control API under `/__mock/`: not Shopify's, the mock's own, as WireMock,
//! moto and LocalStack have one. Tests and tools drive the mock over HTTP with it:
//! reset, seed or replace orders, read the webhook delivery log, redeliver, wait
//! until every webhook is settled, arm a fault plan, read and move the clock.
//!
//! Every call needs the store's `X-Shopify-Access-Token`, like the Admin API (the
//! control API can empty the store, so it is no more open than the store itself).
//! Answers are JSON; mistakes are a 400 `{"error": "…", "hint": "…"}` that names
//! the field and the fix, an unknown path a 404 that lists the endpoints.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use shopify_model::{NewOrder, OrderId, ShopifyError};
use wiremock::Request;
use wiremock::http::Method;

use crate::faults::{FAULT_KINDS, Fault, ReadFault, WebhookOrder};
use crate::reply::Reply;
use crate::seed::parse_orders;
use crate::state::Core;

/// The endpoints, for the index and for a 404.
const ENDPOINTS: &[(&str, &str)] = &[
    ("GET /__mock", "this list"),
    (
        "POST /__mock/reset",
        "empty the store; forget edit sessions, the delivery log, the fault plan and the injected faults; fill the buckets' room again (subscriptions and the clock stay)",
    ),
    ("GET /__mock/orders", "every order, as the store holds it"),
    (
        "GET /__mock/orders/{id}",
        "one order, as the store holds it",
    ),
    (
        "POST /__mock/orders",
        "add orders (a seed list, JSON or YAML), all or nothing, without webhooks",
    ),
    (
        "PUT /__mock/orders",
        "replace every order with the list given, all or nothing, without webhooks",
    ),
    (
        "DELETE /__mock/orders",
        "remove every order, without webhooks",
    ),
    (
        "GET /__mock/webhooks?since=N",
        "subscriptions, how many deliveries are pending, and every delivery (after the first N)",
    ),
    (
        "GET /__mock/webhooks/attempts?at_least=N&timeout_ms=T",
        "every delivery attempt: topic, ids, status, latency, next retry; with at_least, answers once there are N (or 504 after T ms, default 30000)",
    ),
    (
        "POST /__mock/webhooks/settle?timeout_ms=N&since=M",
        "send the fault plan's held batch, then answer once no delivery is pending (or 504 after N ms, default 30000); with since, list the deliveries after the first M",
    ),
    (
        "POST /__mock/webhooks/{webhook_id}/redeliver",
        "send that delivery again now",
    ),
    (
        "GET /__mock/faults",
        "the faults injected so far, one line each",
    ),
    (
        "POST /__mock/faults",
        "arm a fault plan (`faults:` as in a scenario, without `step`), replacing the armed one",
    ),
    (
        "DELETE /__mock/faults",
        "end the armed plan (its held webhooks go out as it says)",
    ),
    (
        "GET /__mock/variants",
        "the catalogue: every SKU and its product variant id",
    ),
    (
        "POST /__mock/variants",
        "the variant of a SKU, added on first sight: {\"sku\": \"CHAIR\"}",
    ),
    (
        "POST /__mock/next_line_id",
        "the id the next line added by an order edit gets: {\"id\": 31}",
    ),
    ("GET /__mock/clock", "the mock's time"),
    (
        "POST /__mock/clock",
        "set the mock's time: {\"now\": \"2026-01-01T00:00:00Z\"}",
    ),
    (
        "POST /__mock/clock/advance",
        "move the mock's time forward: {\"by\": \"10m\"} or {\"seconds\": 600}",
    ),
];

/// The longest a settle call waits.
const MAX_SETTLE: Duration = Duration::from_secs(600);
/// How long a settle call waits when not told.
const DEFAULT_SETTLE: Duration = Duration::from_secs(30);

/// A control answer: now, or computed by a future (a long poll) that the server
/// awaits without holding up other requests.
pub(crate) enum Answer {
    /// Answered at once.
    Now(Reply),
    /// Answered when the future is done.
    Later(Pin<Box<dyn Future<Output = Reply> + Send + 'static>>),
}

impl From<Reply> for Answer {
    fn from(r: Reply) -> Self {
        Self::Now(r)
    }
}

/// A mistake in a control call: 400 with the fix.
fn bad(error: impl Into<String>, hint: impl Into<String>) -> Reply {
    Reply::json(400, &json!({"error": error.into(), "hint": hint.into()}))
}

fn ok(body: &Value) -> Reply {
    Reply::json(200, body)
}

fn not_found(what: String) -> Reply {
    let endpoints: Vec<Value> = ENDPOINTS
        .iter()
        .map(|(e, what)| json!({"endpoint": e, "does": what}))
        .collect();
    Reply::json(404, &json!({"error": what, "endpoints": endpoints}))
}

/// The control API's answer to `req`, whose path starts with `/__mock`.
pub(crate) fn handle(core: &Arc<Core>, req: &Request, token_ok: bool) -> Answer {
    if !token_ok {
        return Reply::json(
            401,
            &json!({
                "error": "the control API needs the store's access token",
                "hint": "send the header X-Shopify-Access-Token, as for the Admin API",
            }),
        )
        .into();
    }
    let path = req.url.path().trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').skip(2).collect();
    let m = &req.method;
    match (m, parts.as_slice()) {
        (&Method::GET, []) => index().into(),
        (&Method::POST, ["reset"]) => {
            core.reset();
            ok(&json!({"reset": true})).into()
        }
        (&Method::GET, ["orders"]) => {
            let orders: Vec<Value> = core.with_store(|s| s.orders().map(order_json).collect());
            ok(&json!({"orders": orders})).into()
        }
        (&Method::GET, ["orders", id]) => match id.parse::<OrderId>() {
            Ok(id) => match core.with_store(|s| s.order(id).map(order_json)) {
                Ok(order) => ok(&json!({"order": order})).into(),
                Err(_) => not_found(format!("no order {id}")).into(),
            },
            Err(_) => bad(
                format!("`{id}` is not an order id"),
                "write the order's number, e.g. /__mock/orders/1001",
            )
            .into(),
        },
        (&Method::POST, ["orders"]) => seed(core, req, false).into(),
        (&Method::PUT, ["orders"]) => seed(core, req, true).into(),
        (&Method::DELETE, ["orders"]) => {
            let n = core.replace_orders(&[]).unwrap_or(0);
            ok(&json!({"removed": n})).into()
        }
        (&Method::GET, ["webhooks"]) => webhooks(core, req).into(),
        (&Method::GET, ["webhooks", "attempts"]) => attempts_when(core, req),
        (&Method::POST, ["webhooks", "settle"]) => settle(core, req),
        (&Method::POST, ["webhooks", id, "redeliver"]) => redeliver(core, id).into(),
        (&Method::GET, ["faults"]) => {
            let lines: Vec<String> = core
                .faults
                .snapshot()
                .iter()
                .map(ToString::to_string)
                .collect();
            ok(&json!({"injected": lines})).into()
        }
        (&Method::POST, ["faults"]) => match parse_fault_plan(&body_text(req)) {
            Ok(faults) => {
                let n = faults.len();
                core.arm_faults(faults);
                ok(&json!({"armed": n})).into()
            }
            Err((error, hint)) => bad(error, hint).into(),
        },
        (&Method::DELETE, ["faults"]) => {
            core.arm_faults(Vec::new());
            ok(&json!({"armed": 0})).into()
        }
        (&Method::GET, ["variants"]) => {
            let variants: Vec<Value> = core.with_store(|s| {
                s.variants()
                    .map(|(id, sku)| json!({"sku": sku, "variant_id": id}))
                    .collect()
            });
            ok(&json!({"variants": variants})).into()
        }
        (&Method::POST, ["variants"]) => variant(core, req).into(),
        (&Method::POST, ["next_line_id"]) => next_line_id(core, req).into(),
        (&Method::GET, ["clock"]) => clock(core).into(),
        (&Method::POST, ["clock"]) => set_clock(core, req).into(),
        (&Method::POST, ["clock", "advance"]) => advance_clock(core, req).into(),
        _ => not_found(format!("no control endpoint {m} {path}")).into(),
    }
}

fn index() -> Reply {
    let endpoints: Vec<Value> = ENDPOINTS
        .iter()
        .map(|(e, what)| json!({"endpoint": e, "does": what}))
        .collect();
    ok(&json!({"endpoints": endpoints}))
}

/// An order as the store holds it (shopify-model's `Order`), plus its REST view.
fn order_json(o: &shopify_model::Order) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

fn body_text(req: &Request) -> String {
    String::from_utf8_lossy(&req.body).into_owned()
}

/// True when the body is JSON (by its content type, or its first character).
fn is_json(req: &Request) -> bool {
    let by_type = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"));
    let first = req.body.iter().find(|b| !b.is_ascii_whitespace());
    by_type || matches!(first, Some(b'[' | b'{'))
}

/// `POST /__mock/orders` (add) or `PUT` (replace): a seed list, or `{"orders": […]}`.
fn seed(core: &Core, req: &Request, replace: bool) -> Reply {
    let text = body_text(req);
    let hint = "send a list of orders like [{\"id\": 1001, \"lines\": [{\"id\": 1, \"sku\": \"CHAIR\", \"quantity\": 2}]}] (JSON or YAML), or {\"orders\": [...]}";
    let orders = match parse_seed(&text, is_json(req)) {
        Ok(o) => o,
        Err(message) => return bad(format!("the orders cannot be read: {message}"), hint),
    };
    let result = if replace {
        core.replace_orders(&orders).map(|_| ())
    } else {
        core.seed(&orders)
    };
    match result {
        Ok(()) => {
            let count = core.with_store(|s| s.orders().count());
            let key = if replace { "replaced" } else { "seeded" };
            Reply::json(201, &json!({key: orders.len(), "orders": count}))
        }
        Err(e) => refused(&e),
    }
}

/// A seed body: a list, or `{"orders": list}`.
fn parse_seed(text: &str, is_json: bool) -> Result<Vec<NewOrder>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapped {
        orders: Vec<NewOrder>,
    }
    let trimmed = text.trim_start();
    let wrapped = if is_json {
        trimmed.starts_with('{')
    } else {
        trimmed.starts_with("orders:") || trimmed.starts_with('{')
    };
    if wrapped {
        let parsed: Result<Wrapped, String> = if is_json {
            serde_json::from_str(text).map_err(|e| e.to_string())
        } else {
            serde_saphyr::from_str(text).map_err(|e| e.to_string())
        };
        parsed.map(|w| w.orders)
    } else {
        parse_orders(text, is_json)
    }
}

/// Shopify's refusal of a seeded order, as a 422 with the store's words.
fn refused(e: &ShopifyError) -> Reply {
    Reply::json(
        422,
        &json!({"error": e.to_string(), "hint": "nothing was changed: fix that order and send the whole list again"}),
    )
}

fn webhooks(core: &Core, req: &Request) -> Reply {
    let since = match since(req) {
        Ok(n) => n.unwrap_or(0),
        Err(reply) => return reply,
    };
    let subscriptions: Vec<Value> = core
        .webhooks
        .subscriptions()
        .into_iter()
        .map(|(id, s)| {
            json!({
                "id": id.0,
                "address": s.address,
                "topics": s.topics.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let total = core.webhooks.delivery_count();
    let deliveries = deliveries_since(core, since);
    ok(&json!({
        "pending": core.webhooks.pending(),
        "subscriptions": subscriptions,
        "total": total,
        "since": since,
        "deliveries": deliveries,
    }))
}

/// The deliveries after the first `since`, as the control API writes them.
fn deliveries_since(core: &Core, since: usize) -> Vec<Value> {
    core.webhooks
        .deliveries_since(since)
        .into_iter()
        .map(|d| {
            json!({
                "webhook_id": d.webhook_id,
                "event_id": d.event_id,
                "topic": d.topic.as_str(),
                "address": d.address,
                "status": status_name(d.status),
                "attempts": d.attempts,
                "next_attempt": d.next_attempt.map(|t| t.to_string()),
                "body": d.body,
            })
        })
        .collect()
}

/// A `since` query parameter, if given.
fn since(req: &Request) -> Result<Option<usize>, Reply> {
    match query(req, "since").map(|v| v.parse::<usize>().map_err(|_| v)) {
        None => Ok(None),
        Some(Ok(n)) => Ok(Some(n)),
        Some(Err(v)) => Err(bad(
            format!("since `{v}` is not a number of deliveries"),
            "write e.g. ?since=12 to list the deliveries after the first 12",
        )),
    }
}

/// A delivery's status as the control API writes it.
fn status_name(s: crate::DeliveryStatus) -> &'static str {
    use crate::DeliveryStatus as S;
    match s {
        S::Pending => "pending",
        S::Delivered => "delivered",
        S::GaveUp => "gave_up",
        S::Dropped => "dropped",
    }
}

/// A `timeout_ms` query parameter: the default when absent, at most [`MAX_SETTLE`].
fn timeout_ms(req: &Request) -> Result<Duration, Reply> {
    match query(req, "timeout_ms") {
        None => Ok(DEFAULT_SETTLE),
        Some(v) => match v.parse::<u64>() {
            Ok(ms) => Ok(Duration::from_millis(ms).min(MAX_SETTLE)),
            Err(_) => Err(bad(
                format!("timeout_ms `{v}` is not a number of milliseconds"),
                "write e.g. ?timeout_ms=5000 (at most 600000)",
            )),
        },
    }
}

/// `GET /__mock/webhooks/attempts`, at once or (with `at_least=N`) a long poll
/// until the log holds `N` attempts.
fn attempts_when(core: &Arc<Core>, req: &Request) -> Answer {
    let Some(n) = query(req, "at_least") else {
        return attempts(core).into();
    };
    let Ok(n) = n.parse::<usize>() else {
        return bad(
            format!("at_least `{n}` is not a number of attempts"),
            "write e.g. ?at_least=3: the answer comes once the log holds 3 attempts",
        )
        .into();
    };
    let timeout = match timeout_ms(req) {
        Ok(t) => t,
        Err(reply) => return reply.into(),
    };
    let core = core.clone();
    Answer::Later(Box::pin(async move {
        let reached = tokio::time::timeout(timeout, core.webhooks.logged(n))
            .await
            .is_ok();
        let mut reply = attempts(&core);
        if !reached {
            reply.status = 504;
        }
        reply
    }))
}

fn attempts(core: &Core) -> Reply {
    let attempts: Vec<Value> = core
        .webhooks
        .log()
        .into_iter()
        .map(|a| {
            json!({
                "webhook_id": a.webhook_id,
                "event_id": a.event_id,
                "topic": a.topic.as_str(),
                "address": a.address,
                "attempt": a.attempt,
                "at": a.at.to_string(),
                "outcome": outcome_json(&a.outcome),
                "latency_ms": a.latency.as_secs_f64() * 1000.0,
                "next_retry": a.next_retry.map(|t| t.to_string()),
            })
        })
        .collect();
    ok(&json!({"attempts": attempts}))
}

fn outcome_json(o: &crate::AttemptOutcome) -> Value {
    use crate::AttemptOutcome as O;
    match o {
        O::Delivered { status } => json!({"result": "delivered", "status": status}),
        O::Rejected { status } => json!({"result": "rejected", "status": status}),
        O::TimedOut => json!({"result": "timed_out"}),
        O::Unreachable { error } => json!({"result": "unreachable", "error": error}),
        O::FailedByFault { answered, timeout } => {
            json!({"result": "failed_by_fault", "status": answered, "timeout": timeout})
        }
        O::Dropped => json!({"result": "dropped"}),
    }
}

/// `POST /__mock/webhooks/settle`: a long poll.
fn settle(core: &Arc<Core>, req: &Request) -> Answer {
    let timeout = match timeout_ms(req) {
        Ok(t) => t,
        Err(reply) => return reply.into(),
    };
    // With `since`, the answer lists the deliveries after the first `since`, so a
    // caller that settles after each change reads only the new ones.
    let list = match since(req) {
        Ok(n) => n,
        Err(reply) => return reply.into(),
    };
    core.webhooks.flush();
    let core = core.clone();
    Answer::Later(Box::pin(async move {
        let settled = tokio::time::timeout(timeout, core.webhooks.settled())
            .await
            .is_ok();
        let pending = core.webhooks.pending();
        let mut body = json!({
            "settled": settled,
            "pending": pending,
            "deliveries": core.webhooks.delivery_count(),
        });
        if let Some(n) = list {
            body["since"] = json!(n);
            body["list"] = Value::Array(deliveries_since(&core, n));
        }
        Reply::json(if settled { 200 } else { 504 }, &body)
    }))
}

fn redeliver(core: &Core, id: &str) -> Reply {
    match core.redeliver(id) {
        Ok(()) => Reply::json(202, &json!({"redelivering": id})),
        Err(e) => not_found(e),
    }
}

fn variant(core: &Core, req: &Request) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sku {
        sku: String,
    }
    let hint = "send {\"sku\": \"CHAIR\"}";
    match serde_json::from_slice::<Sku>(&req.body) {
        Ok(Sku { sku }) if !sku.trim().is_empty() => {
            let id = core.ensure_variant(&sku);
            ok(&json!({"sku": sku, "variant_id": id}))
        }
        Ok(_) => bad("`sku` is empty", hint),
        Err(e) => bad(format!("the body cannot be read: {e}"), hint),
    }
}

fn next_line_id(core: &Core, req: &Request) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        id: u64,
    }
    match serde_json::from_slice::<Line>(&req.body) {
        Ok(Line { id }) => {
            core.lock().reserve_line(id);
            ok(&json!({"next_line_id": id}))
        }
        Err(e) => bad(
            format!("the body cannot be read: {e}"),
            "send {\"id\": 31}: the line item id the next orderEditAddVariant gives its line (an id in use is refused by the edit)",
        ),
    }
}

fn clock(core: &Core) -> Reply {
    ok(&json!({"now": core.now().to_string()}))
}

fn set_clock(core: &Core, req: &Request) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Set {
        now: String,
    }
    let hint = "send {\"now\": \"2026-01-01T00:00:00Z\"} (an RFC 3339 instant)";
    let set: Set = match serde_json::from_slice(&req.body) {
        Ok(s) => s,
        Err(e) => return bad(format!("the body cannot be read: {e}"), hint),
    };
    match set.now.parse::<Timestamp>() {
        Ok(t) => {
            core.set_clock(t);
            clock(core)
        }
        Err(e) => bad(format!("`now` {:?} is not an instant: {e}", set.now), hint),
    }
}

fn advance_clock(core: &Core, req: &Request) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        by: Option<String>,
        seconds: Option<f64>,
    }
    let hint = "send {\"by\": \"10m\"} (e.g. \"90s\", \"1h 30m\") or {\"seconds\": 600}";
    let a: Advance = match serde_json::from_slice(&req.body) {
        Ok(a) => a,
        Err(e) => return bad(format!("the body cannot be read: {e}"), hint),
    };
    let d = match (a.by, a.seconds) {
        (Some(by), None) => match by.parse::<SignedDuration>() {
            Ok(d) => d,
            Err(e) => return bad(format!("`by` {by:?} is not a duration: {e}"), hint),
        },
        (None, Some(s)) if s.is_finite() => match SignedDuration::try_from_secs_f64(s) {
            Ok(d) => d,
            Err(e) => return bad(format!("`seconds` {s} is out of range: {e}"), hint),
        },
        (None, Some(s)) => return bad(format!("`seconds` {s} is not a number"), hint),
        _ => return bad("give exactly one of `by` and `seconds`", hint),
    };
    let Ok(d) = Duration::try_from(d) else {
        return bad(
            "the clock only moves forward here",
            "to go back, set it: POST /__mock/clock {\"now\": …}",
        );
    };
    core.advance_clock(d);
    clock(core)
}

/// A query parameter's value.
fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

// ----- fault plans ---------------------------------------------------------------

/// One fault as written: a scenario's `faults:` entry without `step`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    fault: String,
    step: Option<serde_json::Value>,
    index: Option<usize>,
    order: Option<OrderSpec>,
    attempts: Option<u32>,
    timeout: Option<bool>,
    count: Option<u32>,
    retry_after_ms: Option<u64>,
    status: Option<u16>,
    delay_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OrderSpec {
    Word(String),
    Indexes(Vec<usize>),
}

/// A fault plan: `{"faults": [...]}` or the list alone, JSON or YAML, each entry as
/// a scenario's `faults:` entry without `step` (the plan acts from now on). The
/// error is the problem and its fix.
pub(crate) fn parse_fault_plan(text: &str) -> Result<Vec<Fault>, (String, String)> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Plan {
        faults: Vec<FaultSpec>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Plan(Plan),
        List(Vec<FaultSpec>),
    }
    let hint = "send {\"faults\": [{\"fault\": \"drop_webhook\", \"index\": 0}, {\"fault\": \"rest_429\", \"count\": 2}]} (JSON or YAML)";
    // serde-saphyr reads JSON too (JSON is YAML).
    let body: Body = serde_saphyr::from_str(text).map_err(|e| {
        (
            format!("the fault plan cannot be read: {e}"),
            hint.to_owned(),
        )
    })?;
    let specs = match body {
        Body::Plan(p) => p.faults,
        Body::List(l) => l,
    };
    specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| fault(s).map_err(|(e, h)| (format!("faults[{i}]: {e}"), h)))
        .collect()
}

fn fault(s: FaultSpec) -> Result<Fault, (String, String)> {
    if s.step.is_some() {
        return Err((
            "`step` has no meaning here: a plan armed over the control API acts from now on".into(),
            "leave `step` out, and arm the next plan when the next step comes".into(),
        ));
    }
    let kind = s.fault.as_str();
    if !FAULT_KINDS.contains(&kind) {
        return Err((
            format!("unknown fault `{kind}`"),
            format!("one of: {}", FAULT_KINDS.join(", ")),
        ));
    }
    let index = s.index.unwrap_or(0);
    let count = s.count.unwrap_or(1);
    if count == 0 {
        return Err((
            "`count` must be at least 1".into(),
            "leave it out for 1".into(),
        ));
    }
    let ms = |v: Option<u64>, default: u64| Duration::from_millis(v.unwrap_or(default));
    Ok(match kind {
        "duplicate_webhook" => Fault::DuplicateWebhook { index },
        "delay_webhook" => Fault::DelayWebhook { index },
        "drop_webhook" => Fault::DropWebhook { index },
        "reorder_webhooks" => Fault::ReorderWebhooks {
            order: match s.order {
                None => WebhookOrder::Reverse,
                Some(OrderSpec::Word(w)) if w == "reverse" => WebhookOrder::Reverse,
                Some(OrderSpec::Word(w)) => {
                    return Err((
                        format!("unknown order `{w}`"),
                        "write `reverse` or a list of indexes, e.g. [1, 0]".into(),
                    ));
                }
                Some(OrderSpec::Indexes(p)) => WebhookOrder::Permutation(p),
            },
        },
        "fail_delivery" => Fault::FailDelivery {
            index,
            attempts: s.attempts.unwrap_or(1).max(1),
            timeout: s.timeout.unwrap_or(false),
        },
        "rest_429" => Fault::RestRead {
            kind: ReadFault::TooManyRequests {
                retry_after: ms(s.retry_after_ms, 10),
            },
            count,
        },
        "rest_5xx" => {
            let status = s.status.unwrap_or(503);
            if !(500..=599).contains(&status) {
                return Err((
                    format!("`status` {status} is not a 5xx"),
                    "write a status from 500 to 599 (default 503)".into(),
                ));
            }
            Fault::RestRead {
                kind: ReadFault::ServerError { status },
                count,
            }
        }
        "rest_reset" => Fault::RestRead {
            kind: ReadFault::Reset,
            count,
        },
        "rest_slow" => Fault::RestRead {
            kind: ReadFault::Slow {
                delay: ms(s.delay_ms, 20),
            },
            count,
        },
        _ => Fault::GraphqlThrottled { count },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_plan_reads_as_a_scenario_writes_it() {
        let yaml = "faults:\n  - { fault: duplicate_webhook, index: 1 }\n  - { fault: reorder_webhooks, order: [1, 0] }\n  - { fault: fail_delivery, attempts: 2, timeout: true }\n  - { fault: rest_429, count: 2, retry_after_ms: 50 }\n  - { fault: rest_5xx, status: 502 }\n  - { fault: rest_slow, delay_ms: 30 }\n  - { fault: graphql_throttled, count: 3 }\n";
        let plan = parse_fault_plan(yaml).unwrap();
        assert_eq!(
            plan,
            vec![
                Fault::DuplicateWebhook { index: 1 },
                Fault::ReorderWebhooks {
                    order: WebhookOrder::Permutation(vec![1, 0])
                },
                Fault::FailDelivery {
                    index: 0,
                    attempts: 2,
                    timeout: true
                },
                Fault::RestRead {
                    kind: ReadFault::TooManyRequests {
                        retry_after: Duration::from_millis(50)
                    },
                    count: 2
                },
                Fault::RestRead {
                    kind: ReadFault::ServerError { status: 502 },
                    count: 1
                },
                Fault::RestRead {
                    kind: ReadFault::Slow {
                        delay: Duration::from_millis(30)
                    },
                    count: 1
                },
                Fault::GraphqlThrottled { count: 3 },
            ]
        );
        let json = r#"[{"fault": "drop_webhook", "index": 2}, {"fault": "reorder_webhooks"}]"#;
        assert_eq!(
            parse_fault_plan(json).unwrap(),
            vec![
                Fault::DropWebhook { index: 2 },
                Fault::ReorderWebhooks {
                    order: WebhookOrder::Reverse
                }
            ]
        );
    }

    #[test]
    fn every_fault_reads_back_from_its_plan_entry() {
        let faults = vec![
            Fault::DuplicateWebhook { index: 3 },
            Fault::DelayWebhook { index: 1 },
            Fault::DropWebhook { index: 0 },
            Fault::ReorderWebhooks {
                order: WebhookOrder::Reverse,
            },
            Fault::ReorderWebhooks {
                order: WebhookOrder::Permutation(vec![2, 0, 1]),
            },
            Fault::FailDelivery {
                index: 2,
                attempts: 3,
                timeout: true,
            },
            Fault::RestRead {
                kind: ReadFault::TooManyRequests {
                    retry_after: Duration::from_millis(2000),
                },
                count: 4,
            },
            Fault::RestRead {
                kind: ReadFault::ServerError { status: 500 },
                count: 1,
            },
            Fault::RestRead {
                kind: ReadFault::Reset,
                count: 2,
            },
            Fault::RestRead {
                kind: ReadFault::Slow {
                    delay: Duration::from_millis(25),
                },
                count: 1,
            },
            Fault::GraphqlThrottled { count: 2 },
        ];
        let entries: Vec<Value> = faults.iter().map(Fault::plan_entry).collect();
        let text = json!({ "faults": entries }).to_string();
        assert_eq!(parse_fault_plan(&text).unwrap(), faults);
    }

    #[test]
    fn a_wrong_fault_plan_names_the_entry_and_the_fix() {
        let (e, h) =
            parse_fault_plan(r#"{"faults": [{"fault": "drop_webhook"}, {"fault": "rest_418"}]}"#)
                .unwrap_err();
        assert_eq!(e, "faults[1]: unknown fault `rest_418`");
        assert!(h.contains("rest_429"), "{h}");
        let (e, _) = parse_fault_plan("[{fault: drop_webhook, step: 2}]").unwrap_err();
        assert!(e.starts_with("faults[0]: `step` has no meaning"), "{e}");
        let (e, _) = parse_fault_plan("[{fault: rest_5xx, status: 404}]").unwrap_err();
        assert!(e.contains("not a 5xx"), "{e}");
        let (e, _) = parse_fault_plan("[{fault: rest_429, count: 0}]").unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        let (e, h) = parse_fault_plan("[{fault: drop_webhook, idx: 2}]").unwrap_err();
        assert!(e.contains("cannot be read"), "{e}");
        assert!(h.contains("drop_webhook"), "{h}");
    }
}
