//! The store: every order, deterministic id allocation, and the changes a merchant
//! can make, each checked against Shopify's rules before anything changes.
//!
//! Every operation works on a copy of the order and swaps it in only when every
//! check has passed, so a refused change (or a refused batch of edits) leaves the
//! store exactly as it was.
//!
//! # Validation order
//!
//! Every operation checks in the same order and reports the first refusal:
//!
//! 1. **the order exists** ([`OrderNotFound`](ShopifyError::OrderNotFound); for
//!    `create_order`, that its id is free: [`DuplicateOrder`](ShopifyError::DuplicateOrder));
//! 2. **the order's state**: cancelled, then archived, then its payment
//!    ([`EditCancelled`](ShopifyError::EditCancelled),
//!    [`EditArchived`](ShopifyError::EditArchived),
//!    [`FulfillCancelled`](ShopifyError::FulfillCancelled),
//!    [`PayCancelled`](ShopifyError::PayCancelled),
//!    [`AlreadyCancelled`](ShopifyError::AlreadyCancelled),
//!    [`DeleteOpen`](ShopifyError::DeleteOpen),
//!    [`NotPending`](ShopifyError::NotPending));
//! 3. **what the change names exists, and new ids are unique**: the order has lines
//!    to create ([`EmptyOrder`](ShopifyError::EmptyOrder)), the line item
//!    ([`LineNotFound`](ShopifyError::LineNotFound)), the variant
//!    ([`VariantNotFound`](ShopifyError::VariantNotFound)), a new line's id
//!    ([`DuplicateLine`](ShopifyError::DuplicateLine));
//! 4. **values**: SKU ([`EmptySku`](ShopifyError::EmptySku),
//!    [`SkuTooLong`](ShopifyError::SkuTooLong)), quantities
//!    ([`ZeroQuantity`](ShopifyError::ZeroQuantity),
//!    [`QuantityTooLarge`](ShopifyError::QuantityTooLarge)), then the counts they are
//!    checked against ([`FulfilledExceedsQuantity`](ShopifyError::FulfilledExceedsQuantity),
//!    [`EditBelowFulfilled`](ShopifyError::EditBelowFulfilled),
//!    [`RefundExceedsUnfulfilled`](ShopifyError::RefundExceedsUnfulfilled),
//!    [`ReturnExceedsFulfilled`](ShopifyError::ReturnExceedsFulfilled),
//!    [`FulfillExceedsUnfulfilled`](ShopifyError::FulfillExceedsUnfulfilled),
//!    [`CancelFulfilled`](ShopifyError::CancelFulfilled), which a new order to be
//!    created cancelled meets after all its lines have passed).
//!
//! A change made of several items (the lines of a new order, the ops of an edit
//! batch, the lines of a refund) checks steps 1 and 2 once, then its items in the
//! order given, each through steps 3 and 4. So a change refused for two reasons
//! reports the same first reason whichever API made it: an edit of an archived
//! order is `order_archived` whatever else is wrong with it, and a GraphQL edit
//! session, which checks each staged op as it comes, meets the same first refusal as
//! the one batch [`Store::edit`] applies.

use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::error::{MAX_LINE_QUANTITY, MAX_SKU_LEN, ShopifyError};
use crate::order::{LineItem, Order, Refund, RefundLineItem};
use crate::types::{
    CancelReason, FinancialStatus, LineId, NewOrder, OrderEditId, OrderId, RefundId,
    RefundLineItemId, RestockType, VariantId,
};

/// What a line added by an edit orders: a SKU (its variant is created on first
/// sight) or an existing variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef {
    /// The variant with this SKU, created if the store has never seen the SKU.
    Sku(String),
    /// An existing variant (GraphQL `orderEditAddVariant`).
    Variant(VariantId),
}

/// One change of an order edit (GraphQL `orderEditSetQuantity` / `orderEditAddVariant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOp {
    /// Set a line's quantity; 0 removes the line (it stays, with `current_quantity` 0).
    SetQuantity {
        /// The line item.
        line: LineId,
        /// The new quantity: a whole number from 0 to [`MAX_LINE_QUANTITY`], not
        /// below the line's fulfilled units not returned. Signed, as GraphQL's `Int` is, so that
        /// a negative quantity is refused in its place in the validation order.
        quantity: i64,
    },
    /// Add a new line item.
    AddLine {
        /// The id to give the line (a scenario's choice), or `None` to allocate one.
        line: Option<LineId>,
        /// What the line orders.
        item: ItemRef,
        /// Units, from 1 to [`MAX_LINE_QUANTITY`] (signed, as in `SetQuantity`).
        quantity: i64,
    },
}

/// How much one line's `current_quantity` went up (addition) or down (removal) in an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineDelta {
    /// The line item.
    pub id: LineId,
    /// Units added or removed, always > 0.
    pub delta: u32,
}

/// A committed order edit: what an `orders/edited` webhook reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEdit {
    /// The edit id.
    pub id: OrderEditId,
    /// The order edited.
    pub order_id: OrderId,
    /// When it was committed.
    pub created_at: Timestamp,
    /// Lines whose quantity went up, new lines included, in the order's line order.
    pub additions: Vec<LineDelta>,
    /// Lines whose quantity went down, in the order's line order.
    pub removals: Vec<LineDelta>,
    /// Ids of the lines this edit added, in the order the batch added them.
    pub added_lines: Vec<LineId>,
    /// Whether the customer was notified (`orderEditCommit(notifyCustomer)`); `false` unless set.
    pub notify_customer: bool,
    /// The staff note (`orderEditCommit(staffNote)`); empty unless set.
    pub staff_note: String,
}

impl OrderEdit {
    /// True when the edit changes no quantity and adds no line: it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.additions.is_empty() && self.removals.is_empty() && self.added_lines.is_empty()
    }

    /// The body of an `orders/edited` webhook: `{"order_edit": {…}}`.
    pub fn to_webhook_json(&self) -> Value {
        let deltas = |ds: &[LineDelta]| -> Vec<Value> {
            ds.iter()
                .map(|d| json!({"id": d.id, "delta": d.delta}))
                .collect()
        };
        json!({
            "order_edit": {
                "id": self.id,
                "app_id": null,
                "created_at": self.created_at.to_string(),
                "committed_at": self.created_at.to_string(),
                "notify_customer": self.notify_customer,
                "order_id": self.order_id,
                "staff_note": self.staff_note,
                "user_id": null,
                "line_items": {
                    "additions": deltas(&self.additions),
                    "removals": deltas(&self.removals),
                },
                "discounts": {"additions": [], "removals": []},
                "shipping_lines": {"additions": [], "removals": []},
            }
        })
    }
}

/// One line of a refund request (`refund_line_items[]` of `POST refunds.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLineRequest {
    /// The line item.
    pub line: LineId,
    /// Units, at least 1.
    pub quantity: u32,
    /// `return` takes fulfilled units; the others take unfulfilled units.
    pub restock_type: RestockType,
}

/// The next id of each kind. Every counter only goes up, so no id is ever reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NextIds {
    /// Above every line item id the store has seen, explicit ones included.
    line: LineId,
    variant: VariantId,
    refund: RefundId,
    refund_line: RefundLineItemId,
    order_edit: OrderEditId,
}

impl Default for NextIds {
    fn default() -> Self {
        Self {
            line: 1,
            variant: 1,
            refund: 1,
            refund_line: 1,
            order_edit: 1,
        }
    }
}

fn take(counter: &mut u64) -> u64 {
    let id = *counter;
    *counter += 1;
    id
}

/// Every Shopify order of one store, and the changes a merchant can make to them.
///
/// Deterministic: orders are kept by id, and ids the store hands out (line items
/// added by edits, variants, refunds, refund line items, order edits) count up from
/// 1 per kind, line items from above the highest line item id seen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Store {
    orders: BTreeMap<OrderId, Order>,
    /// The order of every line item of every order in the store.
    line_owner: BTreeMap<LineId, OrderId>,
    variants_by_sku: BTreeMap<String, VariantId>,
    skus_by_variant: BTreeMap<VariantId, String>,
    next: NextIds,
}

/// Ids and variants a change would create, kept aside until the change is committed.
struct Pending<'s> {
    store: &'s Store,
    next: NextIds,
    new_variants: Vec<(String, VariantId)>,
    new_lines: Vec<LineId>,
}

impl<'s> Pending<'s> {
    fn new(store: &'s Store) -> Self {
        Self {
            store,
            next: store.next,
            new_variants: Vec::new(),
            new_lines: Vec::new(),
        }
    }

    /// The variant of a SKU, allocating one on first sight.
    fn variant_for(&mut self, sku: &str) -> VariantId {
        if let Some(v) = self.store.variant_for_sku(sku) {
            return v;
        }
        if let Some((_, v)) = self.new_variants.iter().find(|(s, _)| s == sku) {
            return *v;
        }
        let v = take(&mut self.next.variant);
        self.new_variants.push((sku.to_owned(), v));
        v
    }

    /// The SKU of a variant, pending ones included.
    fn sku_for(&self, variant: VariantId) -> Option<String> {
        self.store
            .sku_for_variant(variant)
            .map(str::to_owned)
            .or_else(|| {
                self.new_variants
                    .iter()
                    .find(|(_, v)| *v == variant)
                    .map(|(s, _)| s.clone())
            })
    }

    /// Claims an explicit line item id, refusing one already in use.
    fn claim_line(&mut self, line: LineId, this_order: &str) -> Result<(), ShopifyError> {
        if let Some(owner) = self.store.line_owner.get(&line) {
            return Err(ShopifyError::DuplicateLine {
                line,
                owner: self.store.orders[owner].name.clone(),
            });
        }
        if self.new_lines.contains(&line) {
            return Err(ShopifyError::DuplicateLine {
                line,
                owner: this_order.to_owned(),
            });
        }
        self.next.line = self.next.line.max(line.saturating_add(1));
        self.new_lines.push(line);
        Ok(())
    }

    /// Allocates a fresh line item id.
    fn alloc_line(&mut self) -> LineId {
        let line = take(&mut self.next.line);
        self.new_lines.push(line);
        line
    }

    /// What to commit: counters, new variants, new line ids.
    fn finish(self) -> Staged {
        Staged {
            next: self.next,
            variants: self.new_variants,
            lines: self.new_lines,
        }
    }
}

/// Counters, new variants and new line ids of a checked change, ready to commit.
#[derive(Debug)]
struct Staged {
    next: NextIds,
    variants: Vec<(String, VariantId)>,
    lines: Vec<LineId>,
}

/// An edit checked against the store, ready to commit.
#[derive(Debug)]
struct PlannedEdit {
    staged: Staged,
    order: Order,
    edit: OrderEdit,
}

/// Step 4 for a SKU of a new line: not empty, at most [`MAX_SKU_LEN`] characters.
fn check_sku(sku: &str, order: &str) -> Result<(), ShopifyError> {
    if sku.is_empty() {
        return Err(ShopifyError::EmptySku {
            order: order.to_owned(),
        });
    }
    let length = sku.chars().count();
    if length > MAX_SKU_LEN {
        return Err(ShopifyError::SkuTooLong {
            order: order.to_owned(),
            length,
        });
    }
    Ok(())
}

/// Step 4 for a line quantity: at most [`MAX_LINE_QUANTITY`].
fn check_max_quantity(quantity: u32, order: &str) -> Result<(), ShopifyError> {
    if quantity > MAX_LINE_QUANTITY {
        return Err(ShopifyError::QuantityTooLarge {
            order: order.to_owned(),
            value: u64::from(quantity),
        });
    }
    Ok(())
}

/// Step 4 for an edited quantity: a whole number from 0 to [`MAX_LINE_QUANTITY`].
fn check_quantity(quantity: i64, order: &str) -> Result<u32, ShopifyError> {
    if quantity < 0 {
        return Err(ShopifyError::invalid_quantity(quantity));
    }
    let value = quantity.unsigned_abs();
    match u32::try_from(value) {
        Ok(q) if q <= MAX_LINE_QUANTITY => Ok(q),
        _ => Err(ShopifyError::QuantityTooLarge {
            order: order.to_owned(),
            value,
        }),
    }
}

/// Step 4 for a new line's quantity: at least 1, at most [`MAX_LINE_QUANTITY`].
fn check_new_quantity(
    quantity: u32,
    line: LineId,
    action: &'static str,
    order: &str,
) -> Result<(), ShopifyError> {
    if quantity == 0 {
        return Err(ShopifyError::ZeroQuantity {
            order: order.to_owned(),
            line,
            action,
        });
    }
    check_max_quantity(quantity, order)
}

fn find_line(order: &mut Order, line: LineId) -> Result<&mut LineItem, ShopifyError> {
    let name = order.name.clone();
    order
        .line_items
        .iter_mut()
        .find(|l| l.id == line)
        .ok_or(ShopifyError::LineNotFound { order: name, line })
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding these orders, all created at `now`; the first refusal wins.
    pub fn with_orders(orders: &[NewOrder], now: Timestamp) -> Result<Self, ShopifyError> {
        let mut store = Self::new();
        store.create_orders(orders, now)?;
        Ok(store)
    }

    // ----- reads -------------------------------------------------------------

    /// The order with this id.
    pub fn order(&self, id: OrderId) -> Result<&Order, ShopifyError> {
        self.orders
            .get(&id)
            .ok_or(ShopifyError::OrderNotFound { order: id })
    }

    /// Every order, by id.
    pub fn orders(&self) -> impl DoubleEndedIterator<Item = &Order> + '_ {
        self.orders.values()
    }

    /// The orders whose ids are in `ids`, by id: `orders_in((Bound::Excluded(id),
    /// Bound::Unbounded))` are the orders after `id`, `orders_in(..id).rev()` the
    /// ones before it, nearest first. Finding the first order costs O(log n) in the
    /// size of the store, so a page of a list need not walk the orders before it. A
    /// range that holds no id (its start after its end, or `(Excluded(a),
    /// Excluded(a))`) yields nothing.
    pub fn orders_in(
        &self,
        ids: impl RangeBounds<OrderId>,
    ) -> impl DoubleEndedIterator<Item = &Order> + '_ {
        let (start, end) = (ids.start_bound().cloned(), ids.end_bound().cloned());
        // `BTreeMap::range` panics on these; they hold no id.
        let empty = match (start, end) {
            (Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
                a > b
            }
            _ => false,
        };
        (!empty)
            .then(|| self.orders.range((start, end)))
            .into_iter()
            .flatten()
            .map(|(_, order)| order)
    }

    /// How many orders the store holds.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// True when the store holds no order.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The refunds of an order, oldest first.
    pub fn refunds(&self, order: OrderId) -> Result<&[Refund], ShopifyError> {
        Ok(&self.order(order)?.refunds)
    }

    /// One refund of an order (`GET orders/{id}/refunds/{rid}.json`).
    pub fn get_refund(&self, order: OrderId, refund: RefundId) -> Result<&Refund, ShopifyError> {
        let o = self.order(order)?;
        o.refund(refund)
            .ok_or_else(|| ShopifyError::RefundNotFound {
                order: o.name.clone(),
                refund,
            })
    }

    /// The order holding a line item (line item ids are unique in the store).
    pub fn order_of_line(&self, line: LineId) -> Option<OrderId> {
        self.line_owner.get(&line).copied()
    }

    /// The highest line item id of the orders in the store (lines of a deleted
    /// order gone, lines removed by an edit still there), in O(log n): what an
    /// order created without ids numbers its lines above.
    pub fn highest_line_id(&self) -> Option<LineId> {
        self.line_owner.keys().next_back().copied()
    }

    /// The variant of a SKU, if the store has seen the SKU.
    pub fn variant_for_sku(&self, sku: &str) -> Option<VariantId> {
        self.variants_by_sku.get(sku).copied()
    }

    /// The SKU of a variant.
    pub fn sku_for_variant(&self, variant: VariantId) -> Option<&str> {
        self.skus_by_variant.get(&variant).map(String::as_str)
    }

    /// The variant of a SKU, adding it to the catalogue on first sight (the merchant
    /// creates the product before adding it to an order).
    pub fn ensure_variant(&mut self, sku: &str) -> VariantId {
        if let Some(v) = self.variant_for_sku(sku) {
            return v;
        }
        let v = take(&mut self.next.variant);
        self.skus_by_variant.insert(v, sku.to_owned());
        self.variants_by_sku.insert(sku.to_owned(), v);
        v
    }

    /// Every variant and its SKU, by variant id (the order SKUs were first seen in).
    pub fn variants(&self) -> impl DoubleEndedIterator<Item = (VariantId, &str)> + '_ {
        self.skus_by_variant.iter().map(|(v, s)| (*v, s.as_str()))
    }

    // ----- changes -----------------------------------------------------------

    /// Commits the pending ids and variants of a change and swaps the order in.
    fn commit(&mut self, staged: Staged, order: Order) {
        let Staged {
            next,
            variants,
            lines,
        } = staged;
        self.next = next;
        for (sku, v) in variants {
            self.skus_by_variant.insert(v, sku.clone());
            self.variants_by_sku.insert(sku, v);
        }
        for line in lines {
            self.line_owner.insert(line, order.id);
        }
        self.orders.insert(order.id, order);
    }

    /// Creates an order at `now` (`created_at` = `updated_at` = `now`).
    ///
    /// A [`NewOrder`] marked `archived` is created closed (`closed_at` = `now`), one
    /// marked `cancelled` is created cancelled (`cancelled_at` = `now`, reason
    /// `other`); nothing else differs. Its financial status may be any, and its
    /// lines may have fulfilled units.
    ///
    /// Refused (in this order, see the module docs) when the order id exists, the
    /// order has no lines, or for a line (in order): its id is already in use in the
    /// store (or twice in this order), its SKU is empty or over [`MAX_SKU_LEN`]
    /// characters, its quantity is 0 or above [`MAX_LINE_QUANTITY`], or more units
    /// are fulfilled than ordered; then, once every line has passed, when the order
    /// is to be created cancelled while units are fulfilled
    /// ([`CancelFulfilled`](ShopifyError::CancelFulfilled), as [`cancel`](Self::cancel)
    /// refuses it).
    pub fn create_order(&mut self, new: &NewOrder, now: Timestamp) -> Result<&Order, ShopifyError> {
        if self.orders.contains_key(&new.id) {
            return Err(ShopifyError::DuplicateOrder { order: new.id });
        }
        let name = new.display_name();
        if new.lines.is_empty() {
            return Err(ShopifyError::EmptyOrder { order: name });
        }
        let mut pending = Pending::new(self);
        let mut line_items = Vec::with_capacity(new.lines.len());
        for l in &new.lines {
            pending.claim_line(l.id, &name)?;
            check_sku(&l.sku, &name)?;
            check_new_quantity(l.quantity, l.id, "a line item", &name)?;
            if l.fulfilled > l.quantity {
                return Err(ShopifyError::FulfilledExceedsQuantity {
                    order: name,
                    line: l.id,
                    fulfilled: l.fulfilled,
                    quantity: l.quantity,
                });
            }
            line_items.push(LineItem {
                id: l.id,
                variant_id: pending.variant_for(&l.sku),
                sku: l.sku.clone(),
                title: l.sku.clone(),
                quantity: l.quantity,
                current_quantity: l.quantity,
                fulfilled_quantity: l.fulfilled,
                returned_quantity: 0,
            });
        }
        let mut order = Order {
            id: new.id,
            order_number: Order::order_number_for(new.id, &name),
            name,
            financial_status: new.financial_status,
            created_at: now,
            updated_at: now,
            cancelled_at: None,
            cancel_reason: None,
            closed_at: None,
            line_items,
            refunds: Vec::new(),
        };
        if new.cancelled {
            let fulfilled = order.fulfilled_units();
            if fulfilled > 0 {
                return Err(ShopifyError::CancelFulfilled {
                    order: order.name,
                    fulfilled,
                });
            }
            order.cancelled_at = Some(now);
            order.cancel_reason = Some(CancelReason::Other);
        }
        if new.archived {
            order.closed_at = Some(now);
        }
        let pending = pending.finish();
        self.commit(pending, order);
        Ok(&self.orders[&new.id])
    }

    /// Creates orders at `now`, in the order given, all or nothing: on the first
    /// refusal (the one [`create_order`](Self::create_order) gives for that order,
    /// an id used earlier in the batch included) the store is left exactly as it was
    /// and the refusal returned.
    ///
    /// Costs what the orders cost, not what the store holds: a refused batch is
    /// undone order by order, without a copy of the store (seeding 100,000 orders
    /// into a large store stays linear in the orders seeded).
    pub fn create_orders(
        &mut self,
        orders: &[NewOrder],
        now: Timestamp,
    ) -> Result<(), ShopifyError> {
        let next = self.next;
        for (done, new) in orders.iter().enumerate() {
            if let Err(e) = self.create_order(new, now) {
                self.undo_create(&orders[..done], next);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Removes the orders `created` (all created since the counters were `next`),
    /// their line item ids and the variants created since, and puts the counters
    /// back: the store as it was before them.
    fn undo_create(&mut self, created: &[NewOrder], next: NextIds) {
        for new in created {
            if let Some(order) = self.orders.remove(&new.id) {
                for l in &order.line_items {
                    self.line_owner.remove(&l.id);
                }
            }
        }
        // Variant ids only count up: those from `next.variant` on are the batch's.
        for (_, sku) in self.skus_by_variant.split_off(&next.variant) {
            self.variants_by_sku.remove(&sku);
        }
        self.next = next;
    }

    /// Applies a batch of edits atomically (GraphQL `orderEditCommit`): either every
    /// op applies or none does.
    ///
    /// Ops apply in order, each seeing the ones before it. Refused (in this order,
    /// see the module docs) on a cancelled, then an archived order; then for each op
    /// in turn: an unknown line or variant, a new line id in use; an empty SKU or
    /// one over [`MAX_SKU_LEN`] characters (a variant's SKU included), a quantity
    /// below 0, a new line of 0 units, a quantity above [`MAX_LINE_QUANTITY`], a
    /// quantity below the line's fulfilled units the customer kept
    /// ([`LineItem::kept_quantity`]: fulfilled minus returned).
    pub fn edit(
        &mut self,
        order: OrderId,
        ops: &[EditOp],
        now: Timestamp,
    ) -> Result<OrderEdit, ShopifyError> {
        let PlannedEdit {
            staged,
            order,
            edit,
        } = self.plan_edit(order, ops, now)?;
        if !edit.is_empty() {
            self.commit(staged, order);
        }
        Ok(edit)
    }

    /// What [`edit`](Self::edit) would do, without doing it: the order as it would
    /// be after the batch, and the edit, or the same refusal `edit` would give. A
    /// GraphQL edit session shows its calculated order with this.
    pub fn preview_edit(
        &self,
        order: OrderId,
        ops: &[EditOp],
        now: Timestamp,
    ) -> Result<(Order, OrderEdit), ShopifyError> {
        let planned = self.plan_edit(order, ops, now)?;
        Ok((planned.order, planned.edit))
    }

    /// Checks a batch of edits and works out its result.
    fn plan_edit(
        &self,
        order: OrderId,
        ops: &[EditOp],
        now: Timestamp,
    ) -> Result<PlannedEdit, ShopifyError> {
        let current = self.order(order)?;
        if current.is_cancelled() {
            return Err(ShopifyError::EditCancelled {
                order: current.name.clone(),
            });
        }
        if current.is_closed() {
            return Err(ShopifyError::EditArchived {
                order: current.name.clone(),
            });
        }
        let before: BTreeMap<LineId, u32> = current
            .line_items
            .iter()
            .map(|l| (l.id, l.current_quantity))
            .collect();
        let mut draft = current.clone();
        let name = draft.name.clone();
        let mut pending = Pending::new(self);
        let mut added_lines = Vec::new();
        for op in ops {
            match op {
                EditOp::SetQuantity { line, quantity } => {
                    let l = find_line(&mut draft, *line)?;
                    let quantity = check_quantity(*quantity, &name)?;
                    // The floor is the fulfilled units the customer kept: returned
                    // units stay fulfilled but are no longer in the quantity.
                    if quantity < l.kept_quantity() {
                        return Err(ShopifyError::EditBelowFulfilled {
                            order: name,
                            line: *line,
                            requested: quantity,
                            fulfilled: l.fulfilled_quantity,
                            returned: l.returned_quantity,
                            unfulfilled: l.unfulfilled_quantity(),
                        });
                    }
                    l.current_quantity = quantity;
                }
                EditOp::AddLine {
                    line,
                    item,
                    quantity,
                } => {
                    // Step 3: the variant exists, the line id is free.
                    let sku = match item {
                        ItemRef::Sku(sku) => sku.clone(),
                        ItemRef::Variant(v) => pending
                            .sku_for(*v)
                            .ok_or(ShopifyError::VariantNotFound { variant: *v })?,
                    };
                    let id = match line {
                        Some(id) => {
                            pending.claim_line(*id, &name)?;
                            *id
                        }
                        None => pending.alloc_line(),
                    };
                    // Step 4: values.
                    check_sku(&sku, &name)?;
                    let quantity = check_quantity(*quantity, &name)?;
                    check_new_quantity(quantity, id, "a new line item", &name)?;
                    let variant_id = match item {
                        ItemRef::Sku(_) => pending.variant_for(&sku),
                        ItemRef::Variant(v) => *v,
                    };
                    added_lines.push(id);
                    draft.line_items.push(LineItem {
                        id,
                        variant_id,
                        title: sku.clone(),
                        sku,
                        quantity,
                        current_quantity: quantity,
                        fulfilled_quantity: 0,
                        returned_quantity: 0,
                    });
                }
            }
        }
        let mut additions = Vec::new();
        let mut removals = Vec::new();
        for l in &draft.line_items {
            let was = before.get(&l.id).copied().unwrap_or(0);
            let now_q = l.current_quantity;
            if now_q > was {
                additions.push(LineDelta {
                    id: l.id,
                    delta: now_q - was,
                });
            } else if now_q < was {
                removals.push(LineDelta {
                    id: l.id,
                    delta: was - now_q,
                });
            }
        }
        let edit = OrderEdit {
            id: take(&mut pending.next.order_edit),
            order_id: order,
            created_at: now,
            additions,
            removals,
            added_lines,
            notify_customer: false,
            staff_note: String::new(),
        };
        // An edit that changes nothing (a quantity set to what it is) is no change:
        // the order is not touched, and Shopify sends no webhook.
        if !edit.is_empty() {
            draft.updated_at = now;
        }
        Ok(PlannedEdit {
            staged: pending.finish(),
            order: draft,
            edit,
        })
    }

    /// Sets one line's quantity: an [`edit`](Self::edit) of one op.
    pub fn set_quantity(
        &mut self,
        order: OrderId,
        line: LineId,
        quantity: u32,
        now: Timestamp,
    ) -> Result<OrderEdit, ShopifyError> {
        let op = EditOp::SetQuantity {
            line,
            quantity: i64::from(quantity),
        };
        self.edit(order, &[op], now)
    }

    /// Adds one line for a SKU: an [`edit`](Self::edit) of one op. The new line's id
    /// is `added_lines[0]` of the result.
    pub fn add_line(
        &mut self,
        order: OrderId,
        line: Option<LineId>,
        sku: &str,
        quantity: u32,
        now: Timestamp,
    ) -> Result<OrderEdit, ShopifyError> {
        let op = EditOp::AddLine {
            line,
            item: ItemRef::Sku(sku.to_owned()),
            quantity: i64::from(quantity),
        };
        self.edit(order, &[op], now)
    }

    /// Creates a refund. `return` takes fulfilled units not returned yet: they leave
    /// `current_quantity` and join `returned_quantity`, and stay fulfilled
    /// (`fulfilled_quantity` does not change); `cancel`, `no_restock` and
    /// `legacy_restock` take unfulfilled units (reducing `current_quantity`); no
    /// lines refunds money only.
    ///
    /// The financial status becomes `refunded` when no line has units left, else
    /// `partially_refunded` (the store keeps no money amounts).
    pub fn refund(
        &mut self,
        order: OrderId,
        lines: &[RefundLineRequest],
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<&Refund, ShopifyError> {
        let mut draft = self.order(order)?.clone();
        let name = draft.name.clone();
        let mut next = self.next;
        let mut refund_line_items = Vec::with_capacity(lines.len());
        for req in lines {
            let l = find_line(&mut draft, req.line)?;
            if req.quantity == 0 {
                return Err(ShopifyError::ZeroQuantity {
                    order: name,
                    line: req.line,
                    action: "a refund",
                });
            }
            match req.restock_type {
                RestockType::Return => {
                    // Only fulfilled units not returned yet can be returned.
                    if req.quantity > l.kept_quantity() {
                        return Err(ShopifyError::ReturnExceedsFulfilled {
                            order: name,
                            line: req.line,
                            requested: req.quantity,
                            fulfilled: l.fulfilled_quantity,
                            returned: l.returned_quantity,
                        });
                    }
                    // They stay fulfilled: out of the quantity, into the returns.
                    l.current_quantity -= req.quantity;
                    l.returned_quantity += req.quantity;
                }
                RestockType::Cancel | RestockType::NoRestock | RestockType::LegacyRestock => {
                    if req.quantity > l.unfulfilled_quantity() {
                        return Err(ShopifyError::RefundExceedsUnfulfilled {
                            order: name,
                            line: req.line,
                            restock_type: req.restock_type,
                            requested: req.quantity,
                            unfulfilled: l.unfulfilled_quantity(),
                            fulfilled: l.kept_quantity(),
                        });
                    }
                    l.current_quantity -= req.quantity;
                }
            }
            refund_line_items.push(RefundLineItem {
                id: take(&mut next.refund_line),
                line_item_id: req.line,
                quantity: req.quantity,
                restock_type: req.restock_type,
            });
        }
        draft.financial_status = if draft.line_items.iter().all(|l| l.current_quantity == 0) {
            FinancialStatus::Refunded
        } else {
            FinancialStatus::PartiallyRefunded
        };
        draft.refunds.push(Refund {
            id: take(&mut next.refund),
            order_id: order,
            created_at: now,
            note: note.map(str::to_owned),
            refund_line_items,
        });
        draft.updated_at = now;
        let staged = Staged {
            next,
            variants: Vec::new(),
            lines: Vec::new(),
        };
        self.commit(staged, draft);
        let refunds = &self.orders[&order].refunds;
        Ok(&refunds[refunds.len() - 1])
    }

    /// Cancels an order: sets `cancelled_at` and `cancel_reason`. Line quantities do
    /// not change (clients read a cancelled order's lines as 0), and neither does the
    /// financial status; `restock` is accepted and has no effect here.
    ///
    /// Refused when the order is already cancelled or has fulfilled units, returned
    /// ones included (they stay fulfilled).
    pub fn cancel(
        &mut self,
        order: OrderId,
        reason: CancelReason,
        restock: bool,
        now: Timestamp,
    ) -> Result<&Order, ShopifyError> {
        // The store keeps no inventory, so restocking changes nothing it models.
        let _ = restock;
        let current = self.order(order)?;
        if current.is_cancelled() {
            return Err(ShopifyError::AlreadyCancelled {
                order: current.name.clone(),
            });
        }
        let fulfilled = current.fulfilled_units();
        if fulfilled > 0 {
            return Err(ShopifyError::CancelFulfilled {
                order: current.name.clone(),
                fulfilled,
            });
        }
        let o = self.orders.get_mut(&order).expect("checked above");
        o.cancelled_at = Some(now);
        o.cancel_reason = Some(reason);
        o.updated_at = now;
        Ok(o)
    }

    /// Archives (closes) an order. Closing a closed order changes nothing, not even
    /// `updated_at` (Shopify answers it with the order as it is).
    pub fn close(&mut self, order: OrderId, now: Timestamp) -> Result<&Order, ShopifyError> {
        self.order(order)?;
        let o = self.orders.get_mut(&order).expect("checked above");
        if o.closed_at.is_none() {
            o.closed_at = Some(now);
            o.updated_at = now;
        }
        Ok(o)
    }

    /// Unarchives (opens) an order. Opening an open order changes nothing.
    pub fn open(&mut self, order: OrderId, now: Timestamp) -> Result<&Order, ShopifyError> {
        self.order(order)?;
        let o = self.orders.get_mut(&order).expect("checked above");
        if o.closed_at.is_some() {
            o.closed_at = None;
            o.updated_at = now;
        }
        Ok(o)
    }

    /// Deletes an order and returns it. Refused unless it is archived or cancelled.
    ///
    /// Its line item ids become free again; ids the store allocated are never reused.
    pub fn delete(&mut self, order: OrderId) -> Result<Order, ShopifyError> {
        let current = self.order(order)?;
        if !current.is_closed() && !current.is_cancelled() {
            return Err(ShopifyError::DeleteOpen {
                order: current.name.clone(),
            });
        }
        let removed = self.orders.remove(&order).expect("checked above");
        for l in &removed.line_items {
            self.line_owner.remove(&l.id);
        }
        Ok(removed)
    }

    /// Captures a pending payment (GraphQL `orderMarkAsPaid`): the financial status goes from `pending` or `authorized` to
    /// `paid`, and `updated_at` to `now`. Nothing else changes; archived orders can
    /// be paid.
    ///
    /// Refused (in this order) when the order does not exist, is cancelled
    /// ([`PayCancelled`](ShopifyError::PayCancelled)), or its financial status is
    /// neither `pending` nor `authorized` ([`NotPending`](ShopifyError::NotPending)).
    pub fn pay(&mut self, order: OrderId, now: Timestamp) -> Result<&Order, ShopifyError> {
        let current = self.order(order)?;
        if current.is_cancelled() {
            return Err(ShopifyError::PayCancelled {
                order: current.name.clone(),
            });
        }
        match current.financial_status {
            FinancialStatus::Pending | FinancialStatus::Authorized => {}
            status => {
                return Err(ShopifyError::NotPending {
                    order: current.name.clone(),
                    status,
                });
            }
        }
        let o = self.orders.get_mut(&order).expect("checked above");
        o.financial_status = FinancialStatus::Paid;
        o.updated_at = now;
        Ok(o)
    }

    /// Fulfils `quantity` units of a line. Refused on a cancelled order, for 0 units,
    /// and for more units than are unfulfilled. Archived orders can be fulfilled.
    pub fn fulfill(
        &mut self,
        order: OrderId,
        line: LineId,
        quantity: u32,
        now: Timestamp,
    ) -> Result<&Order, ShopifyError> {
        let current = self.order(order)?;
        if current.is_cancelled() {
            return Err(ShopifyError::FulfillCancelled {
                order: current.name.clone(),
            });
        }
        let mut draft = current.clone();
        let name = draft.name.clone();
        let l = find_line(&mut draft, line)?;
        if quantity == 0 {
            return Err(ShopifyError::ZeroQuantity {
                order: name,
                line,
                action: "a fulfilment",
            });
        }
        if quantity > l.unfulfilled_quantity() {
            return Err(ShopifyError::FulfillExceedsUnfulfilled {
                order: name,
                line,
                requested: quantity,
                unfulfilled: l.unfulfilled_quantity(),
            });
        }
        l.fulfilled_quantity += quantity;
        draft.updated_at = now;
        self.orders.insert(order, draft);
        Ok(&self.orders[&order])
    }
}
