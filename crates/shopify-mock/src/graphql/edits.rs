//! The order-edit mutations: `orderEditBegin`, `orderEditSetQuantity`,
//! `orderEditAddVariant`, `orderEditCommit`, and the `CalculatedOrder` they show.
//!
//! The sessions themselves live in `state.rs`; this module reads GraphQL ids and
//! arguments, calls them, and shows the result. Every refusal is shopify-model's,
//! its message word for word; the only others are about sessions (`The calculated
//! order does not exist`, `The calculated line item does not exist`).

use async_graphql::{Context, ID, Object, SimpleObject};
use shopify_model::{Order, ShopifyError};

use super::types::{
    GOrder, GVariant, UserError, connection, core, count, gid, gid_num, gid_part, invalid_gid,
    variant,
};
use crate::state::{Calculated, CalculatedLine, SessionError};

#[derive(SimpleObject, Clone)]
#[graphql(name = "CalculatedLineItem")]
pub(super) struct GCalculatedLineItem {
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
        GOrder::new(self.original.clone())
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

connection!(
    CalculatedLineItemConnection,
    CalculatedLineItemEdge,
    GCalculatedLineItem,
    "CalculatedLineItemConnection",
    "CalculatedLineItemEdge"
);

/// The calculated line id of an added line.
fn added_line_id(key: u64) -> ID {
    gid("CalculatedLineItem", format!("added-{key}"))
}

impl GCalculatedOrder {
    /// A session's calculated order as GraphQL shows it.
    fn new(c: Calculated) -> Self {
        let mut lines = Vec::new();
        let mut added = Vec::new();
        for l in &c.edited.line_items {
            let before = c.original.line(l.id);
            let key = c.added.iter().find(|(id, _)| *id == l.id).map(|(_, k)| *k);
            let item = GCalculatedLineItem {
                id: match key {
                    Some(k) => added_line_id(k),
                    None => gid("CalculatedLineItem", l.id),
                },
                quantity: count(l.current_quantity),
                editable_quantity: count(l.unfulfilled_quantity()),
                editable_quantity_before_changes: count(
                    before.map_or(0, |b| b.unfulfilled_quantity()),
                ),
                restockable: key.is_none(),
                sku: Some(l.sku.clone()),
                title: l.title.clone(),
                variant: Some(variant(l.variant_id, &l.sku)),
            };
            if key.is_some() {
                added.push(item.clone());
            }
            lines.push(item);
        }
        Self {
            session: c.session,
            original: c.original,
            lines,
            added,
        }
    }

    /// The calculated line with this id.
    fn line(&self, id: &ID) -> Option<GCalculatedLineItem> {
        self.lines.iter().find(|l| l.id == *id).cloned()
    }
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

/// A refused session step as `userErrors`.
fn user_error(e: &SessionError) -> UserError {
    match e {
        SessionError::NoSession => UserError::new(&["id"], "The calculated order does not exist"),
        SessionError::NoAddedLine => {
            UserError::new(&["lineItemId"], "The calculated line item does not exist")
        }
        SessionError::Refused(e) => UserError::from_model(&[edit_field(e)], e),
    }
}

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

/// The order-edit mutations.
#[derive(Default)]
pub(super) struct EditMutations;

#[Object]
impl EditMutations {
    /// Starts an order edit: a calculated order to change and then commit.
    async fn order_edit_begin(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OrderEditBeginPayload> {
        let order = gid_num(&id, "Order")?;
        let core = core(ctx);
        let now = core.now();
        let begun = core.lock().begin_edit(order, now);
        Ok(match begun {
            Ok(c) => OrderEditBeginPayload {
                calculated_order: Some(GCalculatedOrder::new(c)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderEditBeginPayload {
                calculated_order: None,
                user_errors: vec![UserError::from_model(&["id"], &e)],
            },
        })
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
        let session = gid_num(&id, "CalculatedOrder")?;
        let line = match gid_part(&line_item_id, "CalculatedLineItem")?.strip_prefix("added-") {
            Some(key) => {
                CalculatedLine::Added(key.parse().map_err(|_| invalid_gid(&line_item_id))?)
            }
            None => CalculatedLine::Existing(gid_num(&line_item_id, "CalculatedLineItem")?),
        };
        let core = core(ctx);
        let now = core.now();
        let staged = core
            .lock()
            .stage_quantity(session, line, i64::from(quantity), now);
        Ok(match staged {
            Ok(c) => {
                let calculated = GCalculatedOrder::new(c);
                OrderEditSetQuantityPayload {
                    calculated_line_item: calculated.line(&line_item_id),
                    calculated_order: Some(calculated),
                    user_errors: Vec::new(),
                }
            }
            Err(e) => OrderEditSetQuantityPayload {
                calculated_line_item: None,
                calculated_order: None,
                user_errors: vec![user_error(&e)],
            },
        })
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
        let session = gid_num(&id, "CalculatedOrder")?;
        let variant = gid_num(&variant_id, "ProductVariant")?;
        let core = core(ctx);
        let now = core.now();
        let staged = core
            .lock()
            .stage_variant(session, variant, i64::from(quantity), now);
        Ok(match staged {
            Ok((c, key)) => {
                let calculated = GCalculatedOrder::new(c);
                OrderEditAddVariantPayload {
                    calculated_line_item: calculated.line(&added_line_id(key)),
                    calculated_order: Some(calculated),
                    user_errors: Vec::new(),
                }
            }
            Err(e) => OrderEditAddVariantPayload {
                calculated_line_item: None,
                calculated_order: None,
                user_errors: vec![user_error(&e)],
            },
        })
    }

    /// Commits an edit: the order changes and `orders/edited` is sent.
    async fn order_edit_commit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        notify_customer: Option<bool>,
        staff_note: Option<String>,
    ) -> async_graphql::Result<OrderEditCommitPayload> {
        let session = gid_num(&id, "CalculatedOrder")?;
        let committed = core(ctx).commit_edit(
            session,
            notify_customer.unwrap_or(false),
            staff_note.as_deref(),
        );
        Ok(match committed {
            Ok(order) => OrderEditCommitPayload {
                order: Some(GOrder::new(order)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderEditCommitPayload {
                order: None,
                user_errors: vec![user_error(&e)],
            },
        })
    }
}
