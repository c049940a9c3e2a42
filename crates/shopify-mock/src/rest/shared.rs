//! What the REST handlers and the GraphQL API share beyond the store: webhook
//! subscriptions as the Admin API shows them (one topic each, with an id and
//! timestamps), fulfilment orders, and the fulfilment ids handed out.
//!
//! # Webhook subscriptions
//!
//! The delivery side (`webhooks.rs`) keeps subscriptions as address, topics and
//! secret. The Admin API shows one row per topic: a subscription made over the API
//! has one topic; one made through the library for several topics (or every topic,
//! [`crate::WebhookSubscription::all_topics`]) is listed once per topic it covers,
//! each row with an id of its own, given when the row is first seen. Updating or
//! deleting one row of such a subscription splits it: the other rows keep their ids.
//! Row ids count up from 1; `created_at`/`updated_at` come from the mock's clock.
//!
//! # Fulfilment orders
//!
//! The mock has one fulfilment order per order, with deterministic ids: the
//! fulfilment order of order `n` is `FULFILLMENT_ORDER_BASE + n`, and its line item
//! for line item `l` is `FULFILLMENT_ORDER_BASE + l` (so that an app mixing up the
//! kinds of id is refused, as Shopify refuses it).
//!
//! The records live in the mock's core (`Core::api`), one set per running mock.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{LineId, Order, OrderId, ShopifyError};

use crate::state::Core;
use crate::webhooks::{SubscriptionId, Topic, WebhookSubscription};

/// The fulfilment order of order `n` has id `FULFILLMENT_ORDER_BASE + n`; its line
/// item for line item `l`, `FULFILLMENT_ORDER_BASE + l`.
pub(crate) const FULFILLMENT_ORDER_BASE: u64 = 1_000_000_000_000;

// ----- the records of one mock ---------------------------------------------------

/// The Admin API's records of one mock: webhook rows and the last fulfilment id.
#[derive(Default)]
pub(crate) struct ApiRecords {
    inner: Mutex<Records>,
}

#[derive(Default)]
struct Records {
    /// Webhook rows by id.
    rows: BTreeMap<u64, Row>,
    /// The last row id handed out.
    last_row: u64,
    /// The last fulfilment id handed out.
    last_fulfillment: u64,
}

/// One topic of one delivery subscription, as the Admin API lists it.
#[derive(Debug, Clone)]
struct Row {
    sub: SubscriptionId,
    topic: Topic,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl ApiRecords {
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new fulfilment id (1, 2, …).
    pub(crate) fn next_fulfillment(&self) -> u64 {
        let mut r = self.lock();
        r.last_fulfillment += 1;
        r.last_fulfillment
    }
}

// ----- webhook subscriptions ----------------------------------------------------------

/// A webhook subscription as the Admin API shows it: one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebhookRow {
    pub id: u64,
    pub topic: Topic,
    pub address: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookRow {
    /// The REST JSON (`{"webhook": …}` wraps it).
    pub(crate) fn to_rest_json(&self, api_version: &str) -> Value {
        json!({
            "id": self.id,
            "admin_graphql_api_id": format!("gid://shopify/WebhookSubscription/{}", self.id),
            "address": self.address,
            "topic": self.topic.as_str(),
            "format": "json",
            "fields": [],
            "metafield_namespaces": [],
            "private_metafield_namespaces": [],
            "api_version": api_version,
            "created_at": self.created_at.to_string(),
            "updated_at": self.updated_at.to_string(),
        })
    }
}

/// Why a webhook subscription change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WebhookError {
    /// No subscription with this id.
    NotFound,
    /// A field is invalid: REST answers 422 `{"errors":{field:[message]}}`.
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// The topics a delivery subscription covers, in [`Topic::ALL`]'s order.
fn covered(sub: &WebhookSubscription) -> Vec<Topic> {
    Topic::ALL
        .into_iter()
        .filter(|t| sub.topics.is_empty() || sub.topics.contains(t))
        .collect()
}

/// Shopify's refusal of a topic it does not know.
pub(crate) fn invalid_topic(given: &str) -> WebhookError {
    let allowed: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
    WebhookError::Invalid {
        field: "topic",
        message: format!(
            "Invalid topic specified: {given:?}. Topics allowed: {}",
            allowed.join(", ")
        ),
    }
}

/// Checks an address: an `http://` URL with a host (the mock delivers over plain
/// HTTP only).
fn check_address(address: &str) -> Result<(), WebhookError> {
    let host = address
        .strip_prefix("http://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(()),
        _ => Err(WebhookError::Invalid {
            field: "address",
            message: format!(
                "{address:?} is invalid: the mock delivers webhooks over plain HTTP only; \
                 give an http:// URL with a host, e.g. http://127.0.0.1:9000/webhooks"
            ),
        }),
    }
}

impl Records {
    /// Brings the rows in line with the delivery subscriptions: rows of
    /// subscriptions that are gone are dropped, and every topic of a subscription
    /// without a row gets one (in subscription order, then topic order).
    fn reconcile(
        &mut self,
        core: &Core,
        now: Timestamp,
    ) -> BTreeMap<SubscriptionId, WebhookSubscription> {
        let live: BTreeMap<SubscriptionId, WebhookSubscription> =
            core.webhooks.subscriptions().into_iter().collect();
        self.rows.retain(|_, r| live.contains_key(&r.sub));
        for (sid, sub) in &live {
            for topic in covered(sub) {
                if !self
                    .rows
                    .values()
                    .any(|r| r.sub == *sid && r.topic == topic)
                {
                    self.last_row += 1;
                    self.rows.insert(
                        self.last_row,
                        Row {
                            sub: *sid,
                            topic,
                            created_at: now,
                            updated_at: now,
                        },
                    );
                }
            }
        }
        live
    }

    fn view(
        live: &BTreeMap<SubscriptionId, WebhookSubscription>,
        id: u64,
        row: &Row,
    ) -> WebhookRow {
        WebhookRow {
            id,
            topic: row.topic,
            address: live
                .get(&row.sub)
                .map(|s| s.address.clone())
                .unwrap_or_default(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    /// Takes one topic out of a delivery subscription: the subscription is replaced
    /// by one for its other topics (their rows move to it), or removed when it had
    /// no other. Returns the secret it was signed with.
    fn detach(
        &mut self,
        core: &Core,
        live: &BTreeMap<SubscriptionId, WebhookSubscription>,
        row_id: u64,
    ) -> String {
        let row = self.rows[&row_id].clone();
        let Some(sub) = live.get(&row.sub) else {
            return core.config.webhook_secret.clone();
        };
        core.webhooks.unsubscribe(row.sub);
        let rest: Vec<Topic> = covered(sub)
            .into_iter()
            .filter(|t| *t != row.topic)
            .collect();
        if !rest.is_empty() {
            let moved = core.webhooks.subscribe(WebhookSubscription {
                address: sub.address.clone(),
                topics: rest,
                secret: sub.secret.clone(),
            });
            for r in self.rows.values_mut() {
                if r.sub == row.sub {
                    r.sub = moved;
                }
            }
        }
        sub.secret.clone()
    }
}

/// Every webhook subscription, by id; `topic` and `address` filter.
pub(crate) fn list_webhooks(
    core: &Core,
    topic: Option<Topic>,
    address: Option<&str>,
    now: Timestamp,
) -> Vec<WebhookRow> {
    let mut r = core.api.lock();
    let live = r.reconcile(core, now);
    r.rows
        .iter()
        .map(|(id, row)| Records::view(&live, *id, row))
        .filter(|w| topic.is_none_or(|t| w.topic == t))
        .filter(|w| address.is_none_or(|a| w.address == a))
        .collect()
}

/// One webhook subscription.
pub(crate) fn get_webhook(
    core: &Core,
    id: u64,
    now: Timestamp,
) -> Result<WebhookRow, WebhookError> {
    let mut r = core.api.lock();
    let live = r.reconcile(core, now);
    r.rows
        .get(&id)
        .map(|row| Records::view(&live, id, row))
        .ok_or(WebhookError::NotFound)
}

/// The refusal of a second subscription of a topic to the same address.
fn taken() -> WebhookError {
    WebhookError::Invalid {
        field: "address",
        message: "for this topic has already been taken".to_owned(),
    }
}

/// Subscribes `address` to `topic`, signed with the app's secret
/// ([`crate::MockConfig::webhook_secret`]).
pub(crate) fn create_webhook(
    core: &Core,
    topic: Topic,
    address: &str,
    now: Timestamp,
) -> Result<WebhookRow, WebhookError> {
    check_address(address)?;
    let mut r = core.api.lock();
    let live = r.reconcile(core, now);
    let dup = r
        .rows
        .iter()
        .any(|(id, row)| row.topic == topic && Records::view(&live, *id, row).address == address);
    if dup {
        return Err(taken());
    }
    let sub = core.webhooks.subscribe(WebhookSubscription {
        address: address.to_owned(),
        topics: vec![topic],
        secret: core.config.webhook_secret.clone(),
    });
    r.last_row += 1;
    let id = r.last_row;
    r.rows.insert(
        id,
        Row {
            sub,
            topic,
            created_at: now,
            updated_at: now,
        },
    );
    Ok(WebhookRow {
        id,
        topic,
        address: address.to_owned(),
        created_at: now,
        updated_at: now,
    })
}

/// Sends a subscription's topic to a new address, keeping its id and secret.
pub(crate) fn update_webhook(
    core: &Core,
    id: u64,
    address: &str,
    now: Timestamp,
) -> Result<WebhookRow, WebhookError> {
    let mut r = core.api.lock();
    let live = r.reconcile(core, now);
    let Some(row) = r.rows.get(&id).cloned() else {
        return Err(WebhookError::NotFound);
    };
    check_address(address)?;
    if Records::view(&live, id, &row).address == address {
        return Ok(Records::view(&live, id, &row));
    }
    let dup = r.rows.iter().any(|(other, o)| {
        *other != id && o.topic == row.topic && Records::view(&live, *other, o).address == address
    });
    if dup {
        return Err(taken());
    }
    let secret = r.detach(core, &live, id);
    let sub = core.webhooks.subscribe(WebhookSubscription {
        address: address.to_owned(),
        topics: vec![row.topic],
        secret,
    });
    let entry = r.rows.get_mut(&id).expect("checked above");
    entry.sub = sub;
    entry.updated_at = now;
    Ok(WebhookRow {
        id,
        topic: row.topic,
        address: address.to_owned(),
        created_at: row.created_at,
        updated_at: now,
    })
}

/// Deletes a subscription (one topic; a library subscription keeps its other topics).
pub(crate) fn delete_webhook(core: &Core, id: u64, now: Timestamp) -> Result<(), WebhookError> {
    let mut r = core.api.lock();
    let live = r.reconcile(core, now);
    if !r.rows.contains_key(&id) {
        return Err(WebhookError::NotFound);
    }
    r.detach(core, &live, id);
    r.rows.remove(&id);
    Ok(())
}

// ----- fulfilment orders --------------------------------------------------------------

/// The fulfilment order id of an order.
pub(crate) fn fulfillment_order_id(order: OrderId) -> u64 {
    FULFILLMENT_ORDER_BASE.saturating_add(order)
}

/// The fulfilment order line item id of a line item.
pub(crate) fn fulfillment_line_id(line: LineId) -> u64 {
    FULFILLMENT_ORDER_BASE.saturating_add(line)
}

/// The order of a fulfilment order id, if it names one that exists.
pub(crate) fn order_of_fulfillment_order(core: &Core, id: u64) -> Option<Order> {
    let order = id.checked_sub(FULFILLMENT_ORDER_BASE)?;
    core.lock().store().order(order).ok().cloned()
}

/// The lines a fulfilment order shows: every line not removed (by an edit or a
/// refund) or with units fulfilled.
pub(crate) fn fulfillment_lines(order: &Order) -> impl Iterator<Item = &shopify_model::LineItem> {
    order
        .line_items
        .iter()
        .filter(|l| l.current_quantity > 0 || l.fulfilled_quantity > 0)
}

/// A fulfilment order's status: `closed` when the order is cancelled or nothing
/// remains to fulfil, `in_progress` when some units are fulfilled, else `open`.
pub(crate) fn fulfillment_status(order: &Order) -> &'static str {
    let remaining: u32 = order
        .line_items
        .iter()
        .map(|l| order.fulfillable_quantity(l))
        .sum();
    if order.is_cancelled() || remaining == 0 {
        "closed"
    } else if order.fulfilled_units() > 0 {
        "in_progress"
    } else {
        "open"
    }
}

/// The fulfilment order of an order as REST shows it.
pub(crate) fn fulfillment_order_json(order: &Order) -> Value {
    let fo = fulfillment_order_id(order.id);
    let status = fulfillment_status(order);
    let line_items: Vec<Value> = fulfillment_lines(order)
        .map(|l| {
            json!({
                "id": fulfillment_line_id(l.id),
                "fulfillment_order_id": fo,
                "line_item_id": l.id,
                "variant_id": l.variant_id,
                "inventory_item_id": Value::Null,
                "quantity": l.current_quantity,
                "fulfillable_quantity": order.fulfillable_quantity(l),
            })
        })
        .collect();
    let actions: Vec<&str> = if status == "closed" {
        Vec::new()
    } else {
        vec!["create_fulfillment"]
    };
    json!({
        "id": fo,
        "admin_graphql_api_id": format!("gid://shopify/FulfillmentOrder/{fo}"),
        "order_id": order.id,
        "status": status,
        "request_status": "unsubmitted",
        "supported_actions": actions,
        "assigned_location_id": Value::Null,
        "destination": Value::Null,
        "delivery_method": Value::Null,
        "fulfill_at": Value::Null,
        "fulfill_by": Value::Null,
        "international_duties": Value::Null,
        "fulfillment_holds": [],
        "merchant_requests": [],
        "created_at": order.created_at.to_string(),
        "updated_at": order.updated_at.to_string(),
        "line_items": line_items,
    })
}

/// One `line_items_by_fulfillment_order` entry: a fulfilment order and the units
/// of its line items to fulfil (`None`: everything that remains).
#[derive(Debug, Clone)]
pub(crate) struct FulfillmentRequest {
    pub fulfillment_order: u64,
    pub lines: Option<Vec<(u64, u32)>>,
}

/// Why a fulfilment was refused before the store saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FulfillError {
    /// No fulfilment order was named.
    NoneGiven,
    /// A fulfilment order that does not exist.
    UnknownFulfillmentOrder(u64),
    /// Fulfilment orders of different orders in one fulfilment.
    MixedOrders,
    /// A line item id that is not one of the fulfilment order's.
    UnknownLine { fulfillment_order: u64, line: u64 },
    /// The store's refusal, in its words.
    Refused(ShopifyError),
}

impl std::fmt::Display for FulfillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoneGiven => f.write_str(
                "line_items_by_fulfillment_order must name at least one fulfillment order",
            ),
            Self::UnknownFulfillmentOrder(id) => write!(
                f,
                "fulfillment order {id} does not exist (read an order's fulfillment orders for their ids)"
            ),
            Self::MixedOrders => f.write_str(
                "all fulfillment orders of one fulfillment must belong to the same order",
            ),
            Self::UnknownLine {
                fulfillment_order,
                line,
            } => write!(
                f,
                "fulfillment order line item {line} is not in fulfillment order {fulfillment_order} \
                 (use the fulfillment order's line item ids, not the order's line item ids)"
            ),
            Self::Refused(e) => write!(f, "{e}"),
        }
    }
}

/// The result of a fulfilment: its id, the order after it, and the units of each
/// line it fulfilled.
#[derive(Debug, Clone)]
pub(crate) struct Fulfilled {
    pub id: u64,
    pub order: Order,
    pub lines: Vec<(LineId, u32)>,
    pub at: Timestamp,
}

/// Creates one fulfilment over fulfilment orders of one order: every named line's
/// units, or everything that remains of a fulfilment order given without lines.
/// All or nothing ([`Core::fulfill_lines`]).
pub(crate) fn fulfill(
    core: &Core,
    requests: &[FulfillmentRequest],
) -> Result<Fulfilled, FulfillError> {
    let mut order: Option<Order> = None;
    let mut lines: Vec<(LineId, u32)> = Vec::new();
    if requests.is_empty() {
        return Err(FulfillError::NoneGiven);
    }
    for req in requests {
        let o = order_of_fulfillment_order(core, req.fulfillment_order)
            .ok_or(FulfillError::UnknownFulfillmentOrder(req.fulfillment_order))?;
        if order.as_ref().is_some_and(|prev| prev.id != o.id) {
            return Err(FulfillError::MixedOrders);
        }
        match &req.lines {
            None => {
                let remaining: Vec<(LineId, u32)> = o
                    .line_items
                    .iter()
                    .map(|l| (l.id, o.fulfillable_quantity(l)))
                    .filter(|(_, q)| *q > 0)
                    .collect();
                if remaining.is_empty() {
                    // Nothing remains: the store refuses one more unit of the first
                    // line in its words (cancelled, or more than unfulfilled).
                    let first = o.line_items.first().map_or(0, |l| l.id);
                    lines.push((first, 1));
                } else {
                    lines.extend(remaining);
                }
            }
            Some(given) => {
                for (fo_line, quantity) in given {
                    // An id of the fulfilment order's numbering names a line item;
                    // one the order does not have, or a line it no longer shows
                    // (removed by an edit or a refund), is refused by the store in
                    // its own words (line not found, nothing left to fulfil), as
                    // the same fulfilment in process would be.
                    let line = fo_line.checked_sub(FULFILLMENT_ORDER_BASE).ok_or(
                        FulfillError::UnknownLine {
                            fulfillment_order: req.fulfillment_order,
                            line: *fo_line,
                        },
                    )?;
                    lines.push((line, *quantity));
                }
            }
        }
        order = Some(o);
    }
    let order = order.expect("at least one request");
    let after = core
        .fulfill_lines(order.id, &lines)
        .map_err(FulfillError::Refused)?;
    let mut merged: Vec<(LineId, u32)> = Vec::new();
    for (line, q) in lines {
        match merged.iter_mut().find(|(l, _)| *l == line) {
            Some((_, n)) => *n = n.saturating_add(q),
            None => merged.push((line, q)),
        }
    }
    Ok(Fulfilled {
        id: core.api.next_fulfillment(),
        at: after.updated_at,
        order: after,
        lines: merged,
    })
}

impl Fulfilled {
    /// The fulfilment as REST shows it; `tracking` is `(company, number, url)`.
    pub(crate) fn to_rest_json(
        &self,
        tracking: (Option<String>, Option<String>, Option<String>),
    ) -> Value {
        let (company, number, url) = tracking;
        let line_items: Vec<Value> = self
            .lines
            .iter()
            .filter_map(|(line, q)| {
                let l = self.order.line(*line)?;
                let mut v = self.order.line_to_rest_json(l);
                v["quantity"] = json!(q);
                Some(v)
            })
            .collect();
        json!({
            "id": self.id,
            "admin_graphql_api_id": format!("gid://shopify/Fulfillment/{}", self.id),
            "order_id": self.order.id,
            "status": "success",
            "service": "manual",
            "shipment_status": Value::Null,
            "location_id": Value::Null,
            "created_at": self.at.to_string(),
            "updated_at": self.at.to_string(),
            "tracking_company": company,
            "tracking_number": number,
            "tracking_numbers": number.iter().collect::<Vec<_>>(),
            "tracking_url": url,
            "tracking_urls": url.iter().collect::<Vec<_>>(),
            "line_items": line_items,
        })
    }
}
