//! The bottom layer: the one store shared by REST, GraphQL and the library API,
//! every change to it, the webhooks each change sends (queued on the outbox of
//! `webhooks.rs`), and the GraphQL order-edit sessions (the one place they live).
//!
//! Each change runs under the store's lock and queues its webhooks before the
//! lock is released, so webhooks are queued in the order the changes happened.
//! Every refusal is shopify-model's [`ShopifyError`]; the only refusals of this
//! module's own are about edit sessions that do not exist ([`SessionError`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use serde_json::{Value, json};
use shopify_model::{
    CancelReason, EditOp, ItemRef, LineId, NewOrder, Order, OrderId, RefundLineRequest,
    ShopifyError, Store, VariantId,
};

use crate::bucket::LeakyBucket;
use crate::clock::{Clock as _, MockClock};
use crate::config::MockConfig;
use crate::faults::{ArmedCalls, Fault, FaultLog};
use crate::webhooks::{Topic, Webhooks};

// ----- edit sessions -------------------------------------------------------------

/// An open order-edit session (`orderEditBegin` … `orderEditCommit`): the ops
/// staged so far, which shopify-model checks as each is staged and again at commit.
#[derive(Debug, Clone)]
struct EditSession {
    /// The order being edited.
    order: OrderId,
    /// New quantities of the order's existing lines.
    set: BTreeMap<LineId, i64>,
    /// Lines added in this session, in the order they were staged.
    added: Vec<AddedLine>,
}

/// A line added in an edit session, not yet committed.
#[derive(Debug, Clone)]
struct AddedLine {
    /// Its key in the session (`gid://shopify/CalculatedLineItem/added-{key}`).
    key: u64,
    /// The variant added.
    variant: VariantId,
    /// The line item id it will get, when one was reserved for it.
    line: Option<LineId>,
    /// Its quantity; 0 drops it from the edit.
    quantity: i64,
}

impl AddedLine {
    /// The op that adds this line.
    fn op(&self) -> EditOp {
        EditOp::AddLine {
            line: self.line,
            item: ItemRef::Variant(self.variant),
            quantity: self.quantity,
        }
    }
}

impl EditSession {
    /// The session as the batch of ops `Store::edit` applies.
    fn ops(&self) -> Vec<EditOp> {
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

/// The open edit sessions and the ids they hand out.
#[derive(Debug, Default)]
pub(crate) struct EditSessions {
    /// Open sessions by id.
    open: BTreeMap<u64, EditSession>,
    /// The last session id handed out.
    last_session: u64,
    /// The last added-line key handed out.
    last_added_line: u64,
    /// The line item id the next line an `orderEditAddVariant` stages gets.
    reserved_line: Option<LineId>,
}

/// Which line of a calculated order a staged quantity is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CalculatedLine {
    /// A line the order already has.
    Existing(LineId),
    /// A line added in the session, by its key.
    Added(u64),
}

/// Why a step of an edit session was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionError {
    /// No open session has this id (a protocol error, not the store's).
    NoSession,
    /// The session added no line with this key (a protocol error).
    NoAddedLine,
    /// shopify-model refused the session's edit.
    Refused(ShopifyError),
}

impl From<ShopifyError> for SessionError {
    fn from(e: ShopifyError) -> Self {
        Self::Refused(e)
    }
}

/// A session as it would commit now.
#[derive(Debug, Clone)]
pub(crate) struct Calculated {
    /// The session id.
    pub session: u64,
    /// The order as it is.
    pub original: Order,
    /// The order as it would be after the commit.
    pub edited: Order,
    /// The key of each line the session adds, by the line item id it would get.
    pub added: Vec<(LineId, u64)>,
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
    /// The open order-edit sessions.
    edits: EditSessions,
    /// The last `X-Request-Id` handed out.
    pub last_request: u64,
    /// Injected faults: how many more Admin API requests fail, and with which status.
    pub faults: Option<(u32, u16)>,
    /// The armed call faults of the fault plan (REST reads, GraphQL throttles).
    pub armed: ArmedCalls,
    /// The last transaction id handed out (`POST orders/{id}/transactions.json`).
    pub last_transaction: u64,
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

    // ----- edit sessions ---------------------------------------------------------

    /// Makes `line` the id of the next line an `orderEditAddVariant` stages (as if
    /// it were named in process); a later reservation replaces it. Never refuses:
    /// an id in use is refused by the edit, in its place.
    pub(crate) fn reserve_line(&mut self, line: LineId) {
        self.edits.reserved_line = Some(line);
    }

    /// The session as shopify-model would apply it now, or its refusal.
    fn calculate(
        &self,
        id: u64,
        session: &EditSession,
        now: Timestamp,
    ) -> Result<Calculated, ShopifyError> {
        let (edited, edit) = self
            .store
            .preview_edit(session.order, &session.ops(), now)?;
        let original = self.store.order(session.order)?.clone();
        let live = session.added.iter().filter(|a| a.quantity != 0);
        let added = edit
            .added_lines
            .iter()
            .zip(live)
            .map(|(line, a)| (*line, a.key))
            .collect();
        Ok(Calculated {
            session: id,
            original,
            edited,
            added,
        })
    }

    /// `orderEditBegin`: a session for the order, refused as the store refuses an
    /// edit of it (unknown, cancelled, archived).
    pub(crate) fn begin_edit(
        &mut self,
        order: OrderId,
        now: Timestamp,
    ) -> Result<Calculated, ShopifyError> {
        let session = EditSession {
            order,
            set: BTreeMap::new(),
            added: Vec::new(),
        };
        let id = self.edits.last_session + 1;
        let calculated = self.calculate(id, &session, now)?;
        self.edits.last_session = id;
        self.edits.open.insert(id, session);
        Ok(calculated)
    }

    /// The open session with this id, to change on a copy.
    fn session(&self, id: u64) -> Result<EditSession, SessionError> {
        self.edits
            .open
            .get(&id)
            .cloned()
            .ok_or(SessionError::NoSession)
    }

    /// `orderEditSetQuantity`: stages a line's quantity (0 removes the line; an
    /// added line set to 0 leaves the edit). Refused as the store would refuse the
    /// session's edit with it; a refused step leaves the session as it was.
    pub(crate) fn stage_quantity(
        &mut self,
        id: u64,
        line: CalculatedLine,
        quantity: i64,
        now: Timestamp,
    ) -> Result<Calculated, SessionError> {
        let mut session = self.session(id)?;
        match line {
            CalculatedLine::Existing(line) => {
                session.set.insert(line, quantity);
            }
            CalculatedLine::Added(key) => {
                let added = session
                    .added
                    .iter_mut()
                    .find(|a| a.key == key)
                    .ok_or(SessionError::NoAddedLine)?;
                added.quantity = quantity;
            }
        }
        let calculated = self.calculate(id, &session, now)?;
        self.edits.open.insert(id, session);
        Ok(calculated)
    }

    /// `orderEditAddVariant`: stages a new line of a variant, with the reserved line
    /// item id if there is one. Refused as the store would refuse the session's
    /// edit with it (a quantity of 0 included); the calculated order and the new
    /// line's key.
    pub(crate) fn stage_variant(
        &mut self,
        id: u64,
        variant: VariantId,
        quantity: i64,
        now: Timestamp,
    ) -> Result<(Calculated, u64), SessionError> {
        let mut session = self.session(id)?;
        let new = AddedLine {
            key: self.edits.last_added_line + 1,
            variant,
            line: self.edits.reserved_line,
            quantity,
        };
        // The store checks the new line as it stands, a quantity of 0 included
        // (which `ops` leaves out as a line removed from the edit).
        let mut ops = session.ops();
        ops.push(new.op());
        self.store.preview_edit(session.order, &ops, now)?;
        let key = new.key;
        session.added.push(new);
        let calculated = self.calculate(id, &session, now)?;
        self.edits.last_added_line = key;
        self.edits.reserved_line = None;
        self.edits.open.insert(id, session);
        Ok((calculated, key))
    }
}

/// The mock's shared core: configuration, clock, store and webhooks.
pub(crate) struct Core {
    pub config: MockConfig,
    /// The mock's clock: the configured one plus the offset the mock sets.
    pub clock: Arc<MockClock>,
    pub state: Mutex<State>,
    pub webhooks: Webhooks,
    /// What the fault plan injected so far.
    pub faults: FaultLog,
    /// False when no REST read fault is armed (true may be stale: the lock has
    /// the truth), so that the reset gate skips the lock on the hot path.
    pub reads_armed: std::sync::atomic::AtomicBool,
    /// The Admin API's own records: webhook subscriptions as it lists them, the
    /// last fulfilment id.
    pub api: crate::rest::shared::ApiRecords,
}

/// The JSON bytes of a value (serialising a `Value` cannot fail).
pub(crate) fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value serialises")
}

impl Core {
    pub(crate) fn new(
        config: MockConfig,
        clock: Arc<MockClock>,
        webhooks: Webhooks,
        faults: FaultLog,
    ) -> Self {
        let state = State {
            store: Store::new(),
            order_bodies: BTreeMap::new(),
            rest_bucket: LeakyBucket::new(config.rest_bucket),
            graphql_bucket: LeakyBucket::new(config.graphql_bucket),
            edits: EditSessions::default(),
            last_request: 0,
            faults: None,
            armed: ArmedCalls::default(),
            last_transaction: 0,
        };
        Self {
            clock,
            config,
            state: Mutex::new(state),
            webhooks,
            faults,
            reads_armed: std::sync::atomic::AtomicBool::new(false),
            api: Default::default(),
        }
    }

    /// Ends the plan armed (its webhook batch sent as it says, what it left unused
    /// logged) and arms `faults`.
    pub(crate) fn arm_faults(&self, faults: Vec<Fault>) {
        let calls = ArmedCalls::new(&faults);
        self.webhooks.arm(faults);
        let mut s = self.lock();
        self.reads_armed
            .store(calls.has_reads(), std::sync::atomic::Ordering::SeqCst);
        let old = std::mem::replace(&mut s.armed, calls);
        drop(s);
        self.faults.extend(old.leftovers());
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
        // All or nothing, without a copy of the store: a refused batch is undone.
        self.lock().store_mut().create_orders(orders, now)
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

    /// Captures an order's pending payment (`orderMarkAsPaid`); `orders/paid` and
    /// `orders/updated`, as Shopify sends them on a payment.
    pub(crate) fn pay(&self, id: OrderId) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let order = s.store_mut().pay(id, now)?.clone();
        self.emit_order(Topic::OrdersPaid, &order, now);
        self.emit_order(Topic::OrdersUpdated, &order, now);
        Ok(order)
    }

    /// Captures an order's pending payment as a REST `capture` transaction
    /// ([`Core::pay`]), with the new transaction's id.
    pub(crate) fn capture(&self, id: OrderId) -> Result<(Order, u64), ShopifyError> {
        let order = self.pay(id)?;
        let mut s = self.lock();
        s.last_transaction += 1;
        Ok((order, s.last_transaction))
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

    /// `orderEditCommit`: applies the session's edit; `orders/edited` and
    /// `orders/updated`. The session ends when the edit is applied; a refused
    /// commit leaves it open.
    pub(crate) fn commit_edit(
        &self,
        id: u64,
        notify_customer: bool,
        staff_note: Option<&str>,
    ) -> Result<Order, SessionError> {
        let now = self.now();
        let mut s = self.lock();
        let session = s.session(id)?;
        let mut edit = s.store_mut().edit(session.order, &session.ops(), now)?;
        s.edits.open.remove(&id);
        edit.notify_customer = notify_customer;
        edit.staff_note = staff_note.unwrap_or_default().to_owned();
        let order = s.store().order(session.order)?.clone();
        // An edit that changes nothing is no change: Shopify sends nothing.
        if !edit.is_empty() {
            self.webhooks
                .emit(Topic::OrdersEdited, to_bytes(&edit.to_webhook_json()), now);
            self.emit_order(Topic::OrdersUpdated, &order, now);
        }
        Ok(order)
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

// ----- the test-control API (`http/control.rs`) ------------------------------------

impl Core {
    /// Reads the store without copying it.
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(self.lock().store())
    }

    /// Replaces every order with `orders`, without webhooks; all or nothing.
    /// Returns how many orders there were. Open edit sessions end (their orders
    /// may be gone).
    pub(crate) fn replace_orders(&self, orders: &[NewOrder]) -> Result<usize, ShopifyError> {
        let now = self.now();
        let store = Store::with_orders(orders, now)?;
        let mut s = self.lock();
        let before = s.store().orders().count();
        *s.store_mut() = store;
        s.edits = EditSessions::default();
        Ok(before)
    }

    /// Back to an empty store as at start: no orders, no edit sessions, no fault
    /// plan (its held webhooks are not sent), no injected faults or delivery log,
    /// empty buckets. Subscriptions and the clock stay.
    pub(crate) fn reset(&self) {
        self.webhooks.reset();
        self.faults.clear();
        let mut s = self.lock();
        *s.store_mut() = Store::new();
        s.edits = EditSessions::default();
        s.rest_bucket = LeakyBucket::new(self.config.rest_bucket);
        s.graphql_bucket = LeakyBucket::new(self.config.graphql_bucket);
        s.faults = None;
        s.armed = ArmedCalls::default();
        self.reads_armed
            .store(false, std::sync::atomic::Ordering::SeqCst);
        s.last_transaction = 0;
    }
}

impl Core {
    /// The product variant of a SKU, added to the catalogue on first sight.
    pub(crate) fn ensure_variant(&self, sku: &str) -> shopify_model::VariantId {
        self.lock().store_mut().ensure_variant(sku)
    }

    /// Sets the mock's time (the control API's `POST /__mock/clock`).
    pub(crate) fn set_clock(&self, t: Timestamp) {
        self.clock.set(t);
    }

    /// Moves the mock's time forward (`POST /__mock/clock/advance`): webhook
    /// retries that come due are sent.
    pub(crate) fn advance_clock(&self, d: std::time::Duration) {
        self.clock.advance(d);
    }

    /// Sends a delivery again (`POST /__mock/webhooks/{id}/redeliver`); the error
    /// says which id is unknown.
    pub(crate) fn redeliver(&self, webhook_id: &str) -> Result<(), String> {
        self.webhooks
            .redeliver(webhook_id)
            .map_err(|e| e.to_string())
    }
}

// ----- orders and fulfilments over the API (REST `POST orders.json`, fulfilments) ----

impl Core {
    /// The ids an order created over the API gets when it names none: the next
    /// free order id (above every order id in the store, at least 1001) and the
    /// first line item id above every line item id in the store (and above a line
    /// id reserved for an `orderEditAddVariant`), so that ids never collide. Both
    /// are O(log n) lookups, so creating orders does not slow down as the store
    /// grows.
    fn free_ids(s: &State) -> (OrderId, LineId) {
        let store = s.store();
        let order = store
            .orders()
            .next_back()
            .map_or(1001, |o| o.id.saturating_add(1))
            .max(1001);
        let line = store
            .highest_line_id()
            .into_iter()
            .chain(s.edits.reserved_line)
            .max()
            .map_or(1, |l| l.saturating_add(1));
        (order, line)
    }

    /// Creates an order built under the store's lock from the store as it is and
    /// its free ids (the next order id, the first free line item id; see
    /// [`Core::free_ids`]), and sends `orders/create`. `build` refuses with its own
    /// error; the store's refusal becomes one too.
    pub(crate) fn create_order_with<E: From<ShopifyError>>(
        &self,
        build: impl FnOnce(&Store, OrderId, LineId) -> Result<NewOrder, E>,
    ) -> Result<Order, E> {
        let now = self.now();
        let mut s = self.lock();
        let (order_id, line_id) = Self::free_ids(&s);
        let new = build(s.store(), order_id, line_id)?;
        let order = s.store_mut().create_order(&new, now)?.clone();
        self.emit_order(Topic::OrdersCreate, &order, now);
        Ok(order)
    }

    /// Fulfils units of several lines of one order at once (one fulfilment):
    /// all or nothing. Quantities of the same line are added up; every line is
    /// checked first, in the order given, and the first refusal is shopify-model's
    /// for that line, exactly as [`Store::fulfill`] words it; then every line is
    /// fulfilled, and one `orders/fulfilled` or `orders/partially_fulfilled` and one
    /// `orders/updated` are sent. An empty list is `Store::fulfill`'s refusal of 0
    /// units of the order's first line.
    pub(crate) fn fulfill_lines(
        &self,
        id: OrderId,
        lines: &[(LineId, u32)],
    ) -> Result<Order, ShopifyError> {
        let now = self.now();
        let mut s = self.lock();
        let mut merged: Vec<(LineId, u32)> = Vec::new();
        for (line, quantity) in lines {
            match merged.iter_mut().find(|(l, _)| l == line) {
                Some((_, q)) => *q = q.saturating_add(*quantity),
                None => merged.push((*line, *quantity)),
            }
        }
        let current = s.store().order(id)?;
        if merged.is_empty() {
            let first = current.line_items.first().map_or(0, |l| l.id);
            merged.push((first, 0));
        }
        // The store's checks of one line, on the order as it is: lines are
        // distinct, so fulfilling one never changes another's check. A line the
        // store would refuse goes first, so that it is refused (in the store's own
        // words) before anything changes.
        let refused = merged.iter().position(|(line, quantity)| {
            current.is_cancelled()
                || current
                    .line(*line)
                    .is_none_or(|l| *quantity == 0 || *quantity > l.unfulfilled_quantity())
        });
        if let Some(i) = refused {
            let first = merged.remove(i);
            merged.insert(0, first);
        }
        let mut order = None;
        for (line, quantity) in &merged {
            order = Some(s.store_mut().fulfill(id, *line, *quantity, now)?.clone());
        }
        let order = order.expect("at least one line");
        let topic = match order.fulfillment_status() {
            Some(shopify_model::FulfillmentStatus::Fulfilled) => Topic::OrdersFulfilled,
            _ => Topic::OrdersPartiallyFulfilled,
        };
        self.emit_order(topic, &order, now);
        self.emit_order(Topic::OrdersUpdated, &order, now);
        Ok(order)
    }
}
