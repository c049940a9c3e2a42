//! The one store shared by REST, GraphQL and the library API, and every change to
//! it. Each change runs under the store's lock and queues its webhooks before the
//! lock is released, so webhooks are queued in the order the changes happened.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{
    CancelReason, EditOp, LineId, NewOrder, Order, OrderEdit, OrderId, RefundLineRequest,
    ShopifyError, Store,
};

use crate::bucket::LeakyBucket;
use crate::clock::Clock;
use crate::webhooks::{Topic, Webhooks};
use crate::{MockConfig, RequestLogger};

/// An open order-edit session (`orderEditBegin` … `orderEditCommit`).
#[derive(Debug, Clone)]
pub(crate) struct EditSession {
    /// The order being edited.
    pub order: OrderId,
    /// New quantities of the order's existing lines.
    pub set: BTreeMap<LineId, i64>,
    /// Lines added in this session, in the order they were staged.
    pub added: Vec<AddedLine>,
}

/// A line added in an edit session, not yet committed.
#[derive(Debug, Clone)]
pub(crate) struct AddedLine {
    /// The number in its `gid://shopify/CalculatedLineItem/added-…` id.
    pub key: u64,
    /// The variant added.
    pub variant: u64,
    /// The line item id it will get, when one was reserved for it.
    pub line: Option<LineId>,
    /// Its quantity; 0 drops it from the edit.
    pub quantity: i64,
}

impl AddedLine {
    /// The op that adds this line.
    pub(crate) fn op(&self) -> EditOp {
        EditOp::AddLine {
            line: self.line,
            item: shopify_model::ItemRef::Variant(self.variant),
            quantity: self.quantity,
        }
    }
}

impl EditSession {
    /// The session as the batch of ops `Store::edit` applies.
    pub(crate) fn ops(&self) -> Vec<EditOp> {
        let mut ops: Vec<EditOp> = self
            .set
            .iter()
            .map(|(line, quantity)| EditOp::SetQuantity {
                line: *line,
                quantity: *quantity,
            })
            .collect();
        ops.extend(
            self.added
                .iter()
                .filter(|a| a.quantity != 0)
                .map(AddedLine::op),
        );
        ops
    }
}

/// Everything behind the store's lock.
pub(crate) struct State {
    /// The orders. Private so that every change goes through [`State::store_mut`],
    /// which drops the cached JSON.
    store: Store,
    /// `{"order": …}` bytes of orders read since the last change (GET is the hot path).
    order_bodies: BTreeMap<OrderId, Arc<[u8]>>,
    /// The REST leaky bucket (calls).
    pub rest_bucket: LeakyBucket,
    /// The GraphQL leaky bucket (cost points).
    pub graphql_bucket: LeakyBucket,
    /// Open order-edit sessions by id.
    pub edits: BTreeMap<u64, EditSession>,
    /// The last edit session id handed out.
    pub last_edit: u64,
    /// The last calculated-line key handed out for an added line.
    pub last_added_line: u64,
    /// The last `X-Request-Id` handed out.
    pub last_request: u64,
    /// Injected faults: how many more Admin API requests fail, and with which status.
    pub faults: Option<(u32, u16)>,
    /// The line item id the next line an `orderEditAddVariant` stages gets.
    pub reserved_line: Option<LineId>,
}

impl State {
    /// The orders, to read.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The orders, to change: forgets every cached body first.
    pub(crate) fn store_mut(&mut self) -> &mut Store {
        self.order_bodies.clear();
        &mut self.store
    }

    /// The body of `GET orders/{id}.json` without `fields`, cached until the next change.
    pub(crate) fn order_body(&mut self, id: OrderId) -> Result<Arc<[u8]>, ShopifyError> {
        if let Some(b) = self.order_bodies.get(&id) {
            return Ok(b.clone());
        }
        let order = self.store.order(id)?;
        let body: Arc<[u8]> = to_bytes(&json!({"order": order.to_rest_json()})).into();
        self.order_bodies.insert(id, body.clone());
        Ok(body)
    }
}

/// The mock's shared core: configuration, clock, store and webhooks.
pub(crate) struct Core {
    pub config: MockConfig,
    pub clock: Arc<dyn Clock>,
    pub state: Mutex<State>,
    pub webhooks: Webhooks,
    pub request_log: Option<RequestLogger>,
    pub graphql: crate::graphql::MockSchema,
}

/// The JSON bytes of a value (serialising a `Value` cannot fail).
pub(crate) fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value serialises")
}

impl Core {
    pub(crate) fn new(config: MockConfig, webhooks: Webhooks) -> Self {
        let state = State {
            store: Store::new(),
            order_bodies: BTreeMap::new(),
            rest_bucket: LeakyBucket::new(config.rest_bucket),
            graphql_bucket: LeakyBucket::new(config.graphql_bucket),
            edits: BTreeMap::new(),
            last_edit: 0,
            last_added_line: 0,
            last_request: 0,
            faults: None,
            reserved_line: None,
        };
        Self {
            clock: config.clock.clone(),
            request_log: config.request_log.clone(),
            config,
            state: Mutex::new(state),
            webhooks,
            graphql: crate::graphql::schema(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn emit_order(&self, topic: Topic, order: &Order, now: Timestamp) {
        self.webhooks
            .emit(topic, to_bytes(&order.to_rest_json()), now);
    }

    /// Creates orders without webhooks (seeding).
    pub(crate) fn seed(&self, orders: &[NewOrder]) -> Result<(), ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        // All or nothing: build on a copy.
        let mut store = s.store().clone();
        for o in orders {
            store.create_order(o, now)?;
        }
        *s.store_mut() = store;
        Ok(())
    }

    /// Creates an order and sends `orders/create`.
    pub(crate) fn create_order(&self, new: &NewOrder) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let order = s.store_mut().create_order(new, now)?.clone();
        self.emit_order(Topic::OrdersCreate, &order, now);
        Ok(order)
    }

    /// Archives an order; `orders/updated` when it changed.
    pub(crate) fn close(&self, id: OrderId) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let was_closed = s.store().order(id)?.is_closed();
        let order = s.store_mut().close(id, now)?.clone();
        if !was_closed {
            self.emit_order(Topic::OrdersUpdated, &order, now);
        }
        Ok(order)
    }

    /// Unarchives an order; `orders/updated` when it changed.
    pub(crate) fn open(&self, id: OrderId) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let was_closed = s.store().order(id)?.is_closed();
        let order = s.store_mut().open(id, now)?.clone();
        if was_closed {
            self.emit_order(Topic::OrdersUpdated, &order, now);
        }
        Ok(order)
    }

    /// Cancels an order; `orders/cancelled` and `orders/updated`.
    pub(crate) fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        restock: bool,
    ) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let order = s.store_mut().cancel(id, reason, restock, now)?.clone();
        self.emit_order(Topic::OrdersCancelled, &order, now);
        self.emit_order(Topic::OrdersUpdated, &order, now);
        Ok(order)
    }

    /// Deletes an order; `orders/delete` with `{"id": …}`.
    pub(crate) fn delete(&self, id: OrderId) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        // Edit sessions of the order stay: their next step is refused by the
        // store as `order_not_found`, in its words.
        let order = s.store_mut().delete(id)?;
        self.webhooks
            .emit(Topic::OrdersDelete, to_bytes(&json!({"id": id})), now);
        Ok(order)
    }

    /// Creates a refund; `refunds/create` (the refund) and `orders/updated`.
    /// Returns the refund's REST JSON and the order after it.
    pub(crate) fn refund(
        &self,
        id: OrderId,
        lines: &[RefundLineRequest],
        note: Option<&str>,
    ) -> Result<(Value, Order), ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let refund = s.store_mut().refund(id, lines, note, now)?.clone();
        let order = s.store().order(id)?.clone();
        let refund_json = refund.to_rest_json(&order);
        self.webhooks
            .emit(Topic::RefundsCreate, to_bytes(&refund_json), now);
        self.emit_order(Topic::OrdersUpdated, &order, now);
        Ok((refund_json, order))
    }

    /// Commits a batch of edits; `orders/edited` and `orders/updated`.
    pub(crate) fn commit_edit(
        &self,
        s: &mut State,
        id: OrderId,
        ops: &[EditOp],
        notify_customer: bool,
        staff_note: Option<&str>,
    ) -> Result<(OrderEdit, Order), ShopifyError> {
        let now = self.now();
        let mut edit = s.store_mut().edit(id, ops, now)?;
        edit.notify_customer = notify_customer;
        edit.staff_note = staff_note.unwrap_or_default().to_owned();
        let order = s.store().order(id)?.clone();
        self.webhooks
            .emit(Topic::OrdersEdited, to_bytes(&edit.to_webhook_json()), now);
        self.emit_order(Topic::OrdersUpdated, &order, now);
        Ok((edit, order))
    }

    /// Fulfils units of a line; `orders/updated` and `orders/fulfilled` or
    /// `orders/partially_fulfilled`.
    pub(crate) fn fulfill(
        &self,
        id: OrderId,
        line: LineId,
        quantity: u32,
    ) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let order = s.store_mut().fulfill(id, line, quantity, now)?.clone();
        let topic = match order.fulfillment_status() {
            Some(shopify_model::FulfillmentStatus::Fulfilled) => Topic::OrdersFulfilled,
            _ => Topic::OrdersPartiallyFulfilled,
        };
        self.emit_order(topic, &order, now);
        self.emit_order(Topic::OrdersUpdated, &order, now);
        Ok(order)
    }
}
