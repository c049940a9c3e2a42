//! The `order` query, and the order mutations other than edits and refunds:
//! `orderCancel`, `orderClose`, `orderOpen`, `orderDelete`, `orderMarkAsPaid`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::types::{GCancelReason, GOrder, OrderCache, UserError, core, gid, gid_num};

/// The `order` query.
#[derive(Default)]
pub(super) struct OrderQuery;

#[Object]
impl OrderQuery {
    /// An order by its `gid://shopify/Order/…` id; `null` when there is none.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<GOrder>> {
        let n = gid_num(&id, "Order")?;
        let read = || core(ctx).lock().store().order(n).ok().cloned();
        Ok(match ctx.data_opt::<OrderCache>() {
            Some(cache) => cache.get(n, read),
            None => read().map(GOrder::new),
        })
    }
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
struct OrderMarkAsPaidPayload {
    order: Option<GOrder>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
struct OrderMarkAsPaidInput {
    id: ID,
}

#[derive(InputObject)]
struct OrderCloseInput {
    id: ID,
}

#[derive(InputObject)]
struct OrderOpenInput {
    id: ID,
}

/// `orderCancel`, `orderClose`, `orderOpen`, `orderDelete`, `orderMarkAsPaid`.
#[derive(Default)]
pub(super) struct OrderMutations;

#[Object]
impl OrderMutations {
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
                order: Some(GOrder::new(o)),
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
                order: Some(GOrder::new(o)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderOpenPayload {
                order: None,
                user_errors: vec![UserError::from_model(&["id"], &e)],
            },
        })
    }

    /// Captures a pending payment: `pending` or `authorized` becomes `paid`
    /// (shopify-model's `Store::pay`).
    async fn order_mark_as_paid(
        &self,
        ctx: &Context<'_>,
        input: OrderMarkAsPaidInput,
    ) -> async_graphql::Result<OrderMarkAsPaidPayload> {
        let id = gid_num(&input.id, "Order")?;
        Ok(match core(ctx).pay(id) {
            Ok(o) => OrderMarkAsPaidPayload {
                order: Some(GOrder::new(o)),
                user_errors: Vec::new(),
            },
            Err(e) => OrderMarkAsPaidPayload {
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
}
