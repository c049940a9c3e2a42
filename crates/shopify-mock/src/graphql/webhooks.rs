//! Webhook subscriptions over GraphQL: `webhookSubscriptions`,
//! `webhookSubscription(id)`, `webhookSubscriptionCreate`,
//! `webhookSubscriptionUpdate`, `webhookSubscriptionDelete`. The same rows as REST
//! `webhooks.json` (see `rest/shared.rs`): one topic each, signed with the app's
//! secret.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Union};

use super::types::{UserError, connection, core, gid, gid_num, window};
use crate::rest::shared::{self, WebhookError, WebhookRow};
use crate::webhooks::Topic;

/// The topics the mock sends: [`Topic`] as GraphQL names them (async-graphql
/// derives the conversions both ways).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "WebhookSubscriptionTopic", remote = "crate::webhooks::Topic")]
pub(super) enum GTopic {
    OrdersCreate,
    OrdersUpdated,
    OrdersEdited,
    OrdersCancelled,
    OrdersFulfilled,
    OrdersPartiallyFulfilled,
    OrdersPaid,
    OrdersDelete,
    RefundsCreate,
}

/// The payload format: the mock sends JSON only.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "WebhookSubscriptionFormat")]
enum GFormat {
    Json,
    Xml,
}

/// Shopify's `URL` scalar (an absolute URL as a string), which `callbackUrl` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Url(pub String);

#[async_graphql::Scalar(name = "URL")]
impl async_graphql::ScalarType for Url {
    fn parse(value: async_graphql::Value) -> async_graphql::InputValueResult<Self> {
        match value {
            async_graphql::Value::String(s) => Ok(Url(s)),
            other => Err(async_graphql::InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        async_graphql::Value::String(self.0.clone())
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "WebhookHttpEndpoint")]
struct HttpEndpoint {
    callback_url: Url,
}

#[derive(Union, Clone)]
#[graphql(name = "WebhookSubscriptionEndpoint")]
enum Endpoint {
    Http(HttpEndpoint),
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "ApiVersion")]
struct ApiVersion {
    handle: String,
    display_name: String,
    supported: bool,
}

/// A webhook subscription.
#[derive(Clone)]
pub(super) struct GWebhookSubscription {
    row: WebhookRow,
    api_version: String,
}

#[Object(name = "WebhookSubscription")]
impl GWebhookSubscription {
    async fn id(&self) -> ID {
        gid("WebhookSubscription", self.row.id)
    }
    async fn legacy_resource_id(&self) -> String {
        self.row.id.to_string()
    }
    async fn topic(&self) -> GTopic {
        GTopic::from(self.row.topic)
    }
    async fn format(&self) -> GFormat {
        GFormat::Json
    }
    async fn callback_url(&self) -> Url {
        Url(self.row.address.clone())
    }
    async fn endpoint(&self) -> Endpoint {
        Endpoint::Http(HttpEndpoint {
            callback_url: Url(self.row.address.clone()),
        })
    }
    async fn include_fields(&self) -> Vec<String> {
        Vec::new()
    }
    async fn api_version(&self) -> ApiVersion {
        ApiVersion {
            handle: self.api_version.clone(),
            display_name: self.api_version.clone(),
            supported: true,
        }
    }
    async fn created_at(&self) -> String {
        self.row.created_at.to_string()
    }
    async fn updated_at(&self) -> String {
        self.row.updated_at.to_string()
    }
}

connection!(
    WebhookSubscriptionConnection,
    WebhookSubscriptionEdge,
    GWebhookSubscription,
    "WebhookSubscriptionConnection",
    "WebhookSubscriptionEdge"
);

fn view(ctx: &Context<'_>, row: WebhookRow) -> GWebhookSubscription {
    GWebhookSubscription {
        row,
        api_version: core(ctx).config.api_version.clone(),
    }
}

/// `webhookSubscriptions` and `webhookSubscription(id)`.
#[derive(Default)]
pub(super) struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The webhook subscriptions, oldest first; `topics` and `callbackUrl` filter.
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        topics: Option<Vec<GTopic>>,
        callback_url: Option<Url>,
    ) -> async_graphql::Result<WebhookSubscriptionConnection> {
        if first.is_some_and(|n| !(0..=super::listing::MAX_PAGE).contains(&n)) {
            return Err(async_graphql::Error::new(format!(
                "The 'first' argument must be between 0 and {}",
                super::listing::MAX_PAGE
            )));
        }
        let core = core(ctx);
        let rows: Vec<GWebhookSubscription> = shared::list_webhooks(
            core,
            None,
            callback_url.as_ref().map(|u| u.0.as_str()),
            core.now(),
        )
        .into_iter()
        .filter(|w| {
            topics
                .as_ref()
                .is_none_or(|ts| ts.iter().any(|&t| Topic::from(t) == w.topic))
        })
        .map(|w| view(ctx, w))
        .collect();
        let (page, info) = window(&rows, first, after.as_deref());
        Ok(WebhookSubscriptionConnection::from_page(page, info))
    }

    /// One webhook subscription; `null` when there is none.
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<GWebhookSubscription>> {
        let n = gid_num(&id, "WebhookSubscription")?;
        let core = core(ctx);
        Ok(shared::get_webhook(core, n, core.now())
            .ok()
            .map(|w| view(ctx, w)))
    }
}

#[derive(InputObject)]
struct WebhookSubscriptionInput {
    callback_url: Option<Url>,
    format: Option<GFormat>,
    include_fields: Option<Vec<String>>,
    metafield_namespaces: Option<Vec<String>>,
}

#[derive(SimpleObject)]
struct WebhookSubscriptionCreatePayload {
    webhook_subscription: Option<GWebhookSubscription>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct WebhookSubscriptionUpdatePayload {
    webhook_subscription: Option<GWebhookSubscription>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
struct WebhookSubscriptionDeletePayload {
    deleted_webhook_subscription_id: Option<ID>,
    user_errors: Vec<UserError>,
}

/// A refusal as `userErrors`: REST's words, the field named as GraphQL names it.
fn user_error(e: WebhookError) -> UserError {
    match e {
        WebhookError::NotFound => UserError::new(&["id"], "Webhook subscription does not exist"),
        WebhookError::Invalid { field, message } => {
            let (path, message): (&[&str], String) = match field {
                "address" => (
                    &["webhookSubscription", "callbackUrl"],
                    format!("Address {message}"),
                ),
                "format" => (&["webhookSubscription", "format"], message),
                _ => (&["topic"], message),
            };
            UserError::new(path, message)
        }
    }
}

/// The input's format: JSON only.
fn check_format(input: &WebhookSubscriptionInput) -> Result<(), UserError> {
    let _ = (&input.include_fields, &input.metafield_namespaces);
    match input.format {
        None | Some(GFormat::Json) => Ok(()),
        Some(GFormat::Xml) => Err(UserError::new(
            &["webhookSubscription", "format"],
            "The mock sends JSON only; use format: JSON",
        )),
    }
}

/// `webhookSubscriptionCreate`, `webhookSubscriptionUpdate`, `webhookSubscriptionDelete`.
#[derive(Default)]
pub(super) struct WebhookMutations;

#[Object]
impl WebhookMutations {
    /// Subscribes `callbackUrl` to `topic`, signed with the app's secret.
    async fn webhook_subscription_create(
        &self,
        ctx: &Context<'_>,
        topic: GTopic,
        webhook_subscription: WebhookSubscriptionInput,
    ) -> WebhookSubscriptionCreatePayload {
        let refused = |u: UserError| WebhookSubscriptionCreatePayload {
            webhook_subscription: None,
            user_errors: vec![u],
        };
        if let Err(u) = check_format(&webhook_subscription) {
            return refused(u);
        }
        let Some(address) = webhook_subscription
            .callback_url
            .as_ref()
            .map(|u| u.0.as_str())
        else {
            return refused(UserError::new(
                &["webhookSubscription", "callbackUrl"],
                "Address can't be blank",
            ));
        };
        let core = core(ctx);
        match shared::create_webhook(core, Topic::from(topic), address, core.now()) {
            Ok(row) => WebhookSubscriptionCreatePayload {
                webhook_subscription: Some(view(ctx, row)),
                user_errors: Vec::new(),
            },
            Err(e) => refused(user_error(e)),
        }
    }

    /// Sends a subscription's topic to a new `callbackUrl`, keeping its id.
    async fn webhook_subscription_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        webhook_subscription: WebhookSubscriptionInput,
    ) -> async_graphql::Result<WebhookSubscriptionUpdatePayload> {
        let n = gid_num(&id, "WebhookSubscription")?;
        let refused = |u: UserError| WebhookSubscriptionUpdatePayload {
            webhook_subscription: None,
            user_errors: vec![u],
        };
        if let Err(u) = check_format(&webhook_subscription) {
            return Ok(refused(u));
        }
        let core = core(ctx);
        let now = core.now();
        let result = match webhook_subscription
            .callback_url
            .as_ref()
            .map(|u| u.0.as_str())
        {
            Some(address) => shared::update_webhook(core, n, address, now),
            None => shared::get_webhook(core, n, now),
        };
        Ok(match result {
            Ok(row) => WebhookSubscriptionUpdatePayload {
                webhook_subscription: Some(view(ctx, row)),
                user_errors: Vec::new(),
            },
            Err(e) => refused(user_error(e)),
        })
    }

    /// Deletes a subscription.
    async fn webhook_subscription_delete(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookSubscriptionDeletePayload> {
        let n = gid_num(&id, "WebhookSubscription")?;
        let core = core(ctx);
        Ok(match shared::delete_webhook(core, n, core.now()) {
            Ok(()) => WebhookSubscriptionDeletePayload {
                deleted_webhook_subscription_id: Some(gid("WebhookSubscription", n)),
                user_errors: Vec::new(),
            },
            Err(e) => WebhookSubscriptionDeletePayload {
                deleted_webhook_subscription_id: None,
                user_errors: vec![user_error(e)],
            },
        })
    }
}
