//! A mock Shopify that behaves like Shopify: a stateful REST and GraphQL Admin API
//! over [`shopify_model::Store`], signed webhooks for every change delivered on
//! Shopify's retry schedule, Shopify's rate limits, a test-control API under
//! `/__mock/`, and a standalone binary (`shopify-mock serve`).
//!
//! It runs on [`wiremock`]: one catch-all mock whose responder routes every request
//! to the shared store, so REST, GraphQL, webhooks, the control API and the library
//! API all see the same orders. A client written against the real Admin API (the
//! official Python library included, see `conformance/`) works against it
//! unchanged.
//!
//! # Starting it
//!
//! ```no_run
//! # async fn demo() -> Result<(), shopify_mock::MockError> {
//! use shopify_mock::{ShopifyMock, MockConfig, WebhookSubscription};
//! let mock = ShopifyMock::start(MockConfig::default()).await?;
//! mock.seed_orders(&shopify_mock::load_orders("orders.yaml".as_ref())?)?;
//! mock.subscribe(WebhookSubscription::all_topics("http://127.0.0.1:9000/hooks", "secret"));
//! // … drive it over HTTP at mock.admin_url() with mock.access_token() …
//! mock.settle_webhooks().await; // every webhook sent so far delivered or given up
//! # Ok(()) }
//! ```
//!
//! From a shell: `cargo run -p shopify-mock -- serve --orders orders.yaml` (see the
//! crate's README).
//!
//! # Module map
//!
//! Layers call down only: `lib.rs` → `http.rs` → `rest.rs` / `graphql/` /
//! `http/control.rs` → `state.rs`; `rest/shared.rs` serves both APIs;
//! `reply.rs`, `config.rs`, `bucket.rs`, `clock.rs`, `faults.rs` and `webhooks.rs`
//! are leaves any layer may use.
//!
//! | module | what it holds |
//! |---|---|
//! | `lib.rs`, `catalogue.rs` | the library API: [`ShopifyMock`] (start, seed, create, fulfil, pay, webhooks, the clock, faults, the store) and its test hooks (`catalogue_variant`, `reserve_line_id`, `fail_next_requests`) |
//! | `http.rs` | the front door: request ids, the access token, injected faults, the REST leaky bucket and call-limit header, routing to REST, GraphQL or the control API, the request log, turning a reply into wiremock's response (or a deferred one, for a long poll); the reset gate |
//! | `http/control.rs` | the test-control API under `/__mock/` (its `ENDPOINTS` list is the definitive one): reset, orders as the store holds them, webhooks and attempts, settle and `at_least` long polls, redeliver, fault plans, the catalogue, the next line id, the clock |
//! | `rest.rs` | REST handlers only: orders (list, read, create, close/open/cancel/delete), refunds, transactions, fulfilment orders and fulfilments, `webhooks.json`; filters, `fields`, pagination; refusals as 400/404/422 |
//! | `rest/shared.rs` | what REST and GraphQL share beyond the store: webhook subscriptions as the Admin API lists them (one topic per row, ids, timestamps), fulfilment orders (deterministic ids), fulfilments and their ids |
//! | `graphql/mod.rs` | the schema and `POST graphql.json` |
//! | `graphql/cost.rs` | the query cost, the structural limits, the cost bucket's answer and `extensions.cost` |
//! | `graphql/orders.rs` | the `order` query, `orderCancel`, `orderClose`, `orderOpen`, `orderDelete`, `orderMarkAsPaid` |
//! | `graphql/listing.rs`, `graphql/search.rs` | the `orders` connection (cursors, `pageInfo`, `sortKey`, `reverse`) and its `query` in Shopify's search syntax |
//! | `graphql/edits.rs` | the order-edit mutations and `CalculatedOrder` |
//! | `graphql/refunds.rs` | `refundCreate` and its input and payload types |
//! | `graphql/fulfillments.rs` | `Order.fulfillmentOrders`, `FulfillmentOrder`, `fulfillmentCreate` |
//! | `graphql/webhooks.rs` | `webhookSubscriptions`, `webhookSubscription`, `webhookSubscriptionCreate` / `Update` / `Delete` |
//! | `graphql/types.rs` | GraphQL types shared by the above: gids, `UserError`, enums, connections, `Order`, `LineItem`, `Refund` |
//! | `state.rs` | the store, every change and the webhooks it queues, the order-edit sessions (their one place), and the Admin API's records (webhook rows, fulfilment ids) |
//! | `reply.rs` | the answer a handler gives (status, headers, body) |
//! | `config.rs` | [`MockConfig`] and the request log types |
//! | `webhooks.rs` | subscriptions, signing, delivery lanes per receiver address, the retry schedules, the delivery log, redelivery, the graceful stop, fault batches |
//! | `faults.rs` | fault plans: [`Fault`], the planning of a webhook batch, the armed call faults, [`InjectedFault`] |
//! | `clock.rs` | [`Clock`], [`SystemClock`], [`ManualClock`], and the mock's clock (the configured clock plus an offset; its moves wake the retries waiting for it) |
//! | `bucket.rs`, `seed.rs` | the leaky bucket, seed files |
//!
//! # REST Admin API (`/admin/api/{version}/…`, any `YYYY-MM` or `unstable`)
//!
//! | method and path | answer |
//! |---|---|
//! | `GET orders.json` | `{"orders": […]}`; filters `status` (`open` default, `closed`, `cancelled`, `any`), `ids`, `since_id`, `created_at_min/max`, `updated_at_min/max`, `financial_status` (a status, `unpaid`, `any`), `fulfillment_status` (`shipped`, `partial`, `unshipped`, `unfulfilled`, `any`); `fields`; `limit` (1–250, default 50); cursor pagination |
//! | `GET orders/count.json` | `{"count": n}`, same filters |
//! | `GET orders/{id}.json` | `{"order": {…}}`; `fields` |
//! | `POST orders.json` | body `{"order": {"line_items": [{"sku" or "variant_id", "quantity", "id"?, "fulfilled"?, "fulfillment_status"?}], "financial_status"?, "fulfillment_status"?, "name"?, "id"?, "closed_at"?, "cancelled_at"?, "test"?}}`; 201 `{"order": {…}}`; sends `orders/create` (below) |
//! | `POST orders/{id}/close.json`, `open.json` | `{"order": {…}}` |
//! | `POST orders/{id}/cancel.json` | `reason`, `restock`, `email` in the body or the query; `{"order": {…}, "notice": "Order has been canceled"}` |
//! | `DELETE orders/{id}.json` | `{}` (archived or cancelled orders only) |
//! | `GET orders/{id}/refunds.json` | `{"refunds": […]}` |
//! | `GET orders/{id}/refunds/{rid}.json` | `{"refund": {…}}` |
//! | `POST orders/{id}/refunds.json` | body `{"refund": {"note", "refund_line_items": [{line_item_id, quantity, restock_type}]}}`; 201 `{"refund": {…}}` |
//! | `POST orders/{id}/transactions.json` | `{"transaction": {"kind": "capture"}}`: 201, the order becomes `paid`, `orders/paid` |
//! | `GET orders/{id}/fulfillment_orders.json` | `{"fulfillment_orders": [{id, order_id, status (open, in_progress, closed), line_items: [{id, line_item_id, quantity, fulfillable_quantity, …}], …}]}`: one fulfilment order per order |
//! | `POST fulfillments.json` | body `{"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id", "fulfillment_order_line_items"?: [{"id", "quantity"}]}], "tracking_info"?, "notify_customer"?}}` (no line items: everything that remains of that fulfilment order); 201 `{"fulfillment": {…}}`; all or nothing; one `orders/fulfilled` or `orders/partially_fulfilled`, and `orders/updated` |
//! | `GET webhooks.json`, `GET webhooks/count.json`, `GET webhooks/{id}.json` | `{"webhooks": [{id, address, topic, format, api_version, created_at, updated_at, …}]}` (filters `topic`, `address`, `since_id`; `limit`; `fields`), `{"count": n}`, `{"webhook": {…}}` |
//! | `POST webhooks.json`, `PUT webhooks/{id}.json`, `DELETE webhooks/{id}.json` | `{"webhook": {"topic", "address", "format"?}}` → 201 (signed with [`MockConfig::webhook_secret`]); `{"webhook": {"address"}}`; 200 `{}` |
//! | `POST graphql.json` | the GraphQL Admin API, below |
//!
//! `HEAD` is served wherever `GET` is (same status and headers, no body).
//!
//! **`POST orders.json`** gives out the ids: the next order id (above every order
//! id, at least 1001) and line item ids above every one in the store and the body.
//! `financial_status` is any of Shopify's (default `paid`); `fulfillment_status:
//! "fulfilled"` creates every unit fulfilled. Mock extensions, so that test data
//! makes an order in any state with one `orders/create`: an `id` on the order or a
//! line item is used when free (one in use is refused in the store's words); a
//! line's `fulfilled` (units fulfilled at creation) or `fulfillment_status:
//! "fulfilled"`; `closed_at` / `cancelled_at` (any ISO 8601 time) create it archived
//! / cancelled, at the mock's now. The store checks the result as it checks a seed.
//!
//! **Pagination**: orders are listed by id, ascending. When more pages exist the
//! answer has `Link: <…orders.json?limit=N&page_info=X>; rel="next"` (and
//! `rel="previous"`), absolute URLs built from the request's `Host`. With
//! `page_info` only `limit` and `fields` may be given; anything else is a 400
//! `{"errors":{"status":"status cannot be passed when page_info is present. …"}}`.
//!
//! **Errors**: 401 `{"errors":"[API] Invalid API key or access token (…)"}` without the
//! right `X-Shopify-Access-Token`; 404 `{"errors":"Not Found"}` when the order (or
//! refund, or fulfilment order) the request names does not exist, or for an unknown
//! path; 422 `{"errors":{"base":["…"]}}` for every refusal of the store, the message
//! exactly shopify-model's `ShopifyError` (a refund naming an unknown line item
//! included), which `ShopifyError::from_message` reads back; 422 on the key
//! (`{"errors":{"line_items":["…"]}}`, `topic`, `address`, …) for a request the
//! store never sees (a line without a SKU, an unknown webhook topic, a subscription
//! already taken); 400 `{"errors":{"<param>":"…"}}` for a bad parameter or body; 429
//! with `Retry-After` when the bucket is full. Every answer carries
//! `X-Shopify-Shop-Api-Call-Limit: n/size` and an `X-Request-Id`. A fulfilment line
//! item id of the documented numbering for a line the fulfilment order does not
//! show (removed, or never the order's) is refused by the store in its own words,
//! as the same fulfilment in process.
//!
//! **Rate limit**: a leaky bucket per store ([`BucketConfig::REST`]: 40 calls,
//! leaking 2 per second; configurable). A call that does not fit gets 429,
//! `{"errors":"Exceeded 2 calls per second for api client. …"}` and `Retry-After`
//! (`2.0` as Shopify sends it, or longer when a slow custom leak rate needs it).
//! Time comes from the [`Clock`], so tests fill and drain the bucket without sleeping.
//!
//! # GraphQL Admin API
//!
//! A real executor (async-graphql). Queries `order(id)` (with
//! `fulfillmentOrders`) and `orders(first, after, last, before, query, sortKey,
//! reverse)`: a connection with cursors and `pageInfo`, sorted by `ID`,
//! `CREATED_AT`, `PROCESSED_AT`, `UPDATED_AT` or `ORDER_NUMBER`, filtered by
//! `query` in Shopify's search syntax (terms joined by AND, `-`/`NOT`; fields
//! `financial_status`, `fulfillment_status`, `status`, `id`, `created_at`,
//! `updated_at`, `processed_at`, `name`, `sku`; a term the mock cannot read is
//! ignored and reported in `extensions.search`, `OR` and parentheses are a
//! top-level error). Mutations `orderEditBegin`, `orderEditSetQuantity`,
//! `orderEditAddVariant`, `orderEditCommit`, `orderCancel`, `orderClose`,
//! `orderOpen`, `orderDelete`, `orderMarkAsPaid(input: {id})` (a `pending` or
//! `authorized` order becomes `paid`; payload `{order, userErrors}`),
//! `refundCreate`, `fulfillmentCreate` (REST's checks and words, all or nothing);
//! webhook subscriptions: `webhookSubscriptions`, `webhookSubscription`,
//! `webhookSubscriptionCreate`, `webhookSubscriptionUpdate`,
//! `webhookSubscriptionDelete` (`callbackUrl` is Shopify's `URL` scalar). Ids are
//! `gid://shopify/Order/…`, `…/LineItem/…`, `…/ProductVariant/…`,
//! `…/CalculatedOrder/…`, `…/CalculatedLineItem/…` (existing lines keep their line
//! item id; added lines get `added-N`), `…/FulfillmentOrder/…`,
//! `…/FulfillmentOrderLineItem/…`, `…/Fulfillment/…`, `…/WebhookSubscription/…`.
//! Refusals come back as HTTP 200 with
//! `userErrors: [{field, message}]`, the message exactly shopify-model's
//! `ShopifyError` (the same words REST and the in-process store give); the GraphQL
//! layer adds no checks of its own beyond the protocol: a malformed gid is a
//! top-level error, and a calculated order that names no open session is `The
//! calculated order does not exist` (an added line it does not have, `The
//! calculated line item does not exist`). An edit session
//! checks each staged op with the store as it comes and again at commit, so it
//! meets the same first refusal as `Store::set_quantity` / `Store::add_line` for
//! the same change (an archived order is `order_archived` at whichever step).
//! Every answer carries `extensions.cost` (`requestedQueryCost`, `actualQueryCost`,
//! `throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}`). A query's
//! cost is Shopify's requested cost over the query as executed (fragments and
//! aliases expanded; objects 1, connections such as `orders`, `lineItems`,
//! `fulfillmentOrders` and `webhookSubscriptions` 2 + `first` × a node, mutation
//! fields 10): above the single-query maximum (1,000) it is refused whole with
//! `MAX_COST_EXCEEDED`, as are queries past the depth, nesting, size and
//! fragment-expansion limits; a query that fits but finds the cost bucket
//! ([`BucketConfig::GRAPHQL`]: 1,000 points, restoring 100 per second) too empty
//! is answered `errors: [{message: "Throttled", extensions: {code: "THROTTLED"}}]`.
//! See the README's "GraphQL cost and limits".
//!
//! # Webhooks
//!
//! Every change sends the topics Shopify would: create (REST `POST orders.json`,
//! library `create_order`) → `orders/create`; close and open → `orders/updated`
//! (only when something changed); cancel → `orders/cancelled`, `orders/updated`;
//! edit commit → `orders/edited` (`{"order_edit": …}`), `orders/updated`; refund →
//! `refunds/create` (the refund), `orders/updated`; payment captured
//! (`orderMarkAsPaid`, REST capture, library `pay`) → `orders/paid`,
//! `orders/updated`; delete → `orders/delete` (`{"id": …}`); fulfil (REST `POST
//! fulfillments.json`, GraphQL `fulfillmentCreate`, library `fulfill`) →
//! `orders/fulfilled` or `orders/partially_fulfilled` (one per fulfilment, whatever
//! its number of lines), `orders/updated`. Order topics carry the order as REST
//! shows it. Headers: `X-Shopify-Topic`, `X-Shopify-Hmac-Sha256` ([`sign`]),
//! `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`, `X-Shopify-Webhook-Id`,
//! `X-Shopify-Event-Id`, `X-Shopify-Triggered-At`.
//!
//! Subscriptions are made over the API as a real app does (REST `webhooks.json`,
//! GraphQL `webhookSubscriptionCreate`: one topic each, signed with
//! [`MockConfig::webhook_secret`]) or through the library
//! ([`ShopifyMock::subscribe`]: any topics, a secret of its own). The Admin API
//! lists a library subscription once per topic it covers, each row with an id of
//! its own; updating or deleting one row splits it, the other rows keeping their
//! ids and the secret.
//!
//! Delivery is at least once, as Shopify's: a non-2xx answer or none within the
//! timeout (5 s, 1 s of it to connect) is retried 8 times, with the same body,
//! ids, trigger time and signature. By default ([`WebhookSchedule::Shopify`])
//! the retries follow Shopify's exponential backoff over 4 hours *on the mock's
//! clock*: retry `k` is due 4 h × 2^(k−1) / 255 after the attempt before it
//! (56.5 s, 1 min 53 s, … 2 h 0 min 28 s; on time, the 9th attempt is exactly 4 h after
//! the first), [`WebhookSchedule::shopify_wait`]. The mock's clock is the
//! configured [`Clock`] plus an offset ([`ShopifyMock::now`],
//! [`ShopifyMock::set_clock`], [`ShopifyMock::advance_clock`]): the standalone mock
//! follows real time (a receiver down for ten minutes gets every delivery when it
//! is back), a test on a [`ManualClock`] moves the clock instead of waiting.
//! [`WebhookSchedule::Fast`] retries in real time (10 ms, 20 ms, …) for tests and
//! simulations that do not move the clock. Attempts to one receiver address run
//! concurrently up to [`WebhookConfig::max_in_flight`] (10), started in the order
//! of the changes; 1 sends them one at a time, in order.
//! [`ShopifyMock::delivery_log`] lists every attempt (when, on the mock's clock; its
//! latency; its outcome; the next retry); [`ShopifyMock::deliveries`] each webhook
//! and its status; [`ShopifyMock::settle_webhooks`] waits until everything sent so
//! far is delivered or given up (on Shopify's schedule, a failing receiver needs
//! the clock moved); [`ShopifyMock::wait_for_delivery_log`] waits for a number of
//! attempts; [`ShopifyMock::redeliver`] sends one again now;
//! [`ShopifyMock::stop_webhooks`] is the graceful stop `serve` makes on Ctrl-C.
//!
//! # Test-control API (`/__mock/`)
//!
//! Not Shopify's: the mock's own, as WireMock, moto and LocalStack have one, so a
//! test in any language drives the mock over HTTP, with the store's access token:
//! `POST /__mock/reset`; `GET`, `POST`, `PUT`, `DELETE /__mock/orders` (orders as
//! the store holds them; seeding and replacing are all or nothing, without
//! webhooks) and `GET /__mock/orders/{id}`; `GET /__mock/webhooks?since=N` (the
//! deliveries after the first `N`); `GET /__mock/webhooks/attempts` (with
//! `at_least=N`, a long poll); `POST /__mock/webhooks/settle` (a long poll);
//! `POST /__mock/webhooks/{id}/redeliver`; `GET`, `POST`, `DELETE /__mock/faults`
//! (a plan in a scenario's `faults:` form); `GET`, `POST /__mock/variants`;
//! `POST /__mock/next_line_id`; `GET`, `POST /__mock/clock` and `POST
//! /__mock/clock/advance`. Mistakes are a 400 with the field and the fix; calls
//! are never rate-limited or faulted. The long polls use the vendored wiremock's
//! deferred responses, so they hold up no other request. The README has every
//! field and curl examples.
//!
//! # What is simplified
//!
//! - Everything shopify-model simplifies (no money, no inventory, one variant per
//!   SKU, fulfilment as a number per line, returned units that stay fulfilled,
//!   only `pending` or `authorized` payments captured); see its docs.
//! - REST serves orders, refunds, capture transactions, fulfilment orders,
//!   fulfilments (create only) and webhooks; no products, customers or other
//!   endpoints. `POST orders.json` keeps no prices, customer, addresses or `test`;
//!   a line's `title` is its SKU.
//! - One fulfilment order per order, with deterministic ids (order `n`'s is
//!   `1000000000000 + n`, its line item for line item `l` is `1000000000000 + l`).
//!   Fulfilments are not kept: created, not read back or cancelled.
//! - Webhook subscriptions are JSON over plain HTTP only; `fields`,
//!   `metafield_namespaces` and filters are accepted and ignored.
//! - `status=open` means neither archived nor cancelled; lists are sorted by id.
//! - Refund `transactions`, `shipping`, `notify`, cancel's `email` and `refund`,
//!   and `orderCancel`'s `notifyCustomer` and `staffNote` are accepted and ignored.
//!   GraphQL's `STAFF` cancel reason is stored as `other`.
//! - GraphQL covers the fields listed above, not Shopify's whole schema;
//!   `actualQueryCost` equals the requested cost, and the structural limits are
//!   the mock's own. The orders `query` has no `OR` or parentheses.
//! - `orderCancel` completes at once (its job is `done: true`).
//! - Webhook ids are deterministic (`00000000-0000-4000-8000-…`), not random.
//!   Attempts to a receiver start in the order of the changes, up to
//!   `max_in_flight` at once; after a failure, order is not kept. Plain HTTP only.
//! - No HTTPS. Server faults come only when asked for:
//!   [`ShopifyMock::fail_next_requests`] makes the next calls answer 5xx (with
//!   `X-Request-Id`), changing nothing.
//!
//! # Faults
//!
//! [`ShopifyMock::arm_faults`] (or `POST /__mock/faults`) arms a deterministic
//! fault plan (see [`Fault`]) for what happens next: the next batch of webhooks to
//! a receiver address (from every subscription to it, named by its first)
//! duplicated, reordered, delayed, dropped or failed by the receiver (and
//! retried); the next REST reads answered 429, 5xx, reset or slowly; the next
//! GraphQL calls `THROTTLED`. [`ShopifyMock::injected_faults`] (`GET
//! /__mock/faults`) lists what was injected, as trace lines. A reset closes the
//! connection without an answer (wiremock's `respond_with_err`, not a TCP RST). The
//! crate's README has the details.

mod bucket;
mod catalogue;
mod clock;
mod config;
mod faults;
mod graphql;
mod http;
mod reply;
mod rest;
mod seed;
mod state;
mod webhooks;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use shopify_model::{LineId, NewOrder, Order, OrderId, ShopifyError, Store};
use wiremock::{Mock, MockServer};

pub use bucket::{BucketConfig, LeakyBucket};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{MockConfig, RequestLogLine, RequestLogger};
pub use faults::{FAULT_KINDS, Fault, FaultTarget, InjectedFault, ReadFault, WebhookOrder};
pub use seed::{SeedError, load_orders, parse_orders};
pub use shopify_model;
pub use webhooks::{
    AttemptOutcome, Delivery, DeliveryAttempt, DeliveryStatus, SubscriptionId, Topic, UnknownTopic,
    UnknownWebhook, WebhookConfig, WebhookSchedule, WebhookSubscription, sign,
};

use state::Core;

/// Why the mock could not start or be seeded.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The address could not be bound.
    #[error(
        "cannot listen on {addr}: {source} (is another server on that port? use port 0 for a free one)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The webhook delivery thread could not start.
    #[error("cannot start the webhook delivery thread: {0}")]
    Webhooks(std::io::Error),
    /// Shopify refused a seeded order.
    #[error("cannot seed orders: {0}")]
    Seed(ShopifyError),
    /// A seed file is unreadable or malformed.
    #[error(transparent)]
    SeedFile(#[from] SeedError),
}

impl From<ShopifyError> for MockError {
    fn from(e: ShopifyError) -> Self {
        Self::Seed(e)
    }
}

/// A running mock Shopify store. Dropping it stops the server and the webhook
/// deliveries still pending.
pub struct ShopifyMock {
    server: MockServer,
    core: Arc<Core>,
}

impl std::fmt::Debug for ShopifyMock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyMock")
            .field("address", self.server.address())
            .finish_non_exhaustive()
    }
}

impl ShopifyMock {
    /// Starts the mock with an empty store.
    pub async fn start(config: MockConfig) -> Result<Self, MockError> {
        let listener = TcpListener::bind(config.bind).map_err(|source| MockError::Bind {
            addr: config.bind,
            source,
        })?;
        let fault_log = faults::FaultLog::default();
        let clock = Arc::new(clock::MockClock::new(config.clock.clone()));
        let webhooks = webhooks::Webhooks::start(
            config.webhooks.clone(),
            config.shop_domain.clone(),
            config.api_version.clone(),
            clock.clone(),
            fault_log.clone(),
        )
        .map_err(MockError::Webhooks)?;
        let core = Arc::new(Core::new(config, clock, webhooks, fault_log));
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        // A reset (a `ReadFault::Reset`) is an error instead of an answer, which
        // only a mock of its own can give: it is tried first and matches only the
        // request the plan resets.
        Mock::given(http::ResetGate::new(core.clone()))
            .respond_with_err(http::reset_error)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(http::FrontDoor::new(core.clone()))
            .with_priority(2)
            .mount(&server)
            .await;
        Ok(Self { server, core })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// `http://127.0.0.1:{port}/admin/api/{version}`, the REST base.
    pub fn admin_url(&self) -> String {
        format!(
            "{}/admin/api/{}",
            self.base_url(),
            self.core.config.api_version
        )
    }

    /// `…/admin/api/{version}/graphql.json`.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql.json", self.admin_url())
    }

    /// The access token requests must carry in `X-Shopify-Access-Token`.
    pub fn access_token(&self) -> &str {
        &self.core.config.access_token
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &MockConfig {
        &self.core.config
    }

    /// Adds orders without sending webhooks (the store as it was before the test).
    /// All or nothing: on a refusal no order is added.
    pub fn seed_orders(&self, orders: &[NewOrder]) -> Result<(), MockError> {
        Ok(self.core.seed(orders)?)
    }

    /// Creates an order as a customer's checkout would, sending `orders/create`.
    pub fn create_order(&self, order: &NewOrder) -> Result<Order, ShopifyError> {
        self.core.create_order(order)
    }

    /// Fulfils units of a line, sending `orders/fulfilled` or
    /// `orders/partially_fulfilled`, and `orders/updated`.
    pub fn fulfill(
        &self,
        order: OrderId,
        line: LineId,
        quantity: u32,
    ) -> Result<Order, ShopifyError> {
        self.core.fulfill(order, line, quantity)
    }

    /// Captures an order's pending payment (`pending` or `authorized` → `paid`), as
    /// GraphQL's `orderMarkAsPaid` does, sending `orders/paid` and `orders/updated`.
    pub fn pay(&self, order: OrderId) -> Result<Order, ShopifyError> {
        self.core.pay(order)
    }

    /// A copy of the store as it is now.
    pub fn store(&self) -> Store {
        self.core.lock().store().clone()
    }

    /// Reads the store without copying it.
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        self.core.with_store(f)
    }

    /// One order as it is now.
    pub fn order(&self, id: OrderId) -> Result<Order, ShopifyError> {
        self.core.lock().store().order(id).cloned()
    }

    /// Sends webhooks for the subscription's topics to its address from now on.
    pub fn subscribe(&self, subscription: WebhookSubscription) -> SubscriptionId {
        self.core.webhooks.subscribe(subscription)
    }

    /// Stops a subscription; false when there was none with this id.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.core.webhooks.unsubscribe(id)
    }

    /// The subscriptions, oldest first.
    pub fn subscriptions(&self) -> Vec<(SubscriptionId, WebhookSubscription)> {
        self.core.webhooks.subscriptions()
    }

    /// Waits until every webhook sent so far has been delivered, given up on (after
    /// its retries) or dropped by a fault. The explicit signal tests wait on: no
    /// sleeping. It first ends the batch of an armed fault plan: the webhooks held
    /// since [`Self::arm_faults`] go out as the plan says (see [`Fault`]).
    ///
    /// With Shopify's schedule ([`WebhookSchedule::Shopify`], the default) retries
    /// are due on the mock's clock: for a receiver that keeps failing this returns
    /// only once the clock has passed its last retry (4 hours after the first
    /// attempt), so a test on a [`ManualClock`] moves the clock
    /// ([`Self::advance_clock`]) meanwhile, or uses [`WebhookSchedule::Fast`].
    pub async fn settle_webhooks(&self) {
        self.core.webhooks.flush();
        self.core.webhooks.settled().await;
    }

    /// Waits until the delivery log ([`Self::delivery_log`]) holds at least `len`
    /// lines: the signal a test waits on for an attempt it has made due (after
    /// [`Self::advance_clock`], say), without sleeping.
    pub async fn wait_for_delivery_log(&self, len: usize) {
        self.core.webhooks.logged(len).await;
    }

    /// Sends a delivery again now, whatever its status: one attempt with the same
    /// body and the same headers (`X-Shopify-Webhook-Id`, `X-Shopify-Event-Id`,
    /// `X-Shopify-Triggered-At`, the signature), numbered after its last attempt,
    /// through the receiver's lane like any attempt (so within
    /// [`WebhookConfig::max_in_flight`]). The delivery counts as pending until the
    /// attempt ends. A success ends the retries it may have been waiting for; a
    /// failure leaves it as it was (its retries still due, or delivered, given up
    /// or dropped). Of a duplicated webhook's deliveries (same id), the original is
    /// sent. Sent at once even while a fault plan holds a batch.
    pub fn redeliver(&self, webhook_id: &str) -> Result<(), UnknownWebhook> {
        self.core.webhooks.redeliver(webhook_id)
    }

    /// Stops webhook delivery gracefully, as `serve` does on Ctrl-C: sends the batch
    /// an armed fault plan holds, waits at most `grace` for the attempts queued or
    /// in flight (not for retries waiting for their time), then starts no attempt
    /// any more, and returns the deliveries still pending (with their attempts so
    /// far and [`Delivery::next_attempt`]). The API keeps serving; webhooks sent
    /// afterwards stay pending.
    pub async fn stop_webhooks(&self, grace: std::time::Duration) -> Vec<Delivery> {
        self.core.webhooks.stop(grace).await
    }

    /// The mock's time now: the configured [`Clock`] plus whatever
    /// [`Self::set_clock`] and [`Self::advance_clock`] added. Orders, webhooks'
    /// `X-Shopify-Triggered-At`, the buckets and the webhook retry schedule read it.
    pub fn now(&self) -> jiff::Timestamp {
        self.core.now()
    }

    /// Sets the mock's time to `t` (backwards too). Over the wall clock
    /// ([`SystemClock`]) the mock's time then goes on from `t` at real speed; over a
    /// [`ManualClock`] it stays at `t` until moved, and a later move of the
    /// `ManualClock` moves it by as much. Webhook retries that come due are sent.
    pub fn set_clock(&self, t: jiff::Timestamp) {
        self.core.clock.set(t);
    }

    /// Moves the mock's time forward by `d`. Webhook retries that come due (on
    /// Shopify's schedule) are sent; [`Self::wait_for_delivery_log`] or
    /// [`Self::settle_webhooks`] waits for them.
    pub fn advance_clock(&self, d: std::time::Duration) {
        self.core.clock.advance(d);
    }

    /// Arms a fault plan for what happens from now on, replacing the plan armed
    /// before (whose held webhooks are first sent as it says, and whose unused
    /// faults are logged as [`InjectedFault::Unused`]). Changes no store state.
    ///
    /// - Webhook faults act on the *batch*: the webhooks sent from now until the
    ///   next [`Self::settle_webhooks`] (or `arm_faults`, [`Self::disarm_faults`]).
    ///   While a plan with webhook faults is armed, webhooks are held and go out
    ///   when the batch ends, in the plan's order; the plan's webhook faults are
    ///   then spent, and later webhooks go out at once as usual.
    /// - Call faults ([`Fault::RestRead`], [`Fault::GraphqlThrottled`]) hit the next
    ///   calls of their kind, in the order armed, until used up or disarmed.
    ///
    /// Nothing is random: the caller names every index and count.
    pub fn arm_faults(&self, faults: Vec<Fault>) {
        self.core.arm_faults(faults);
    }

    /// Ends the armed plan, as `arm_faults(vec![])`: its held webhooks go out as
    /// it says, its unused faults are logged, and nothing more is injected.
    pub fn disarm_faults(&self) {
        self.core.arm_faults(Vec::new());
    }

    /// What the fault plans injected so far, in the order it happened (and the
    /// faults that found nothing to act on, when their plan ended). Each line's
    /// `Display` is deterministic text for a trace.
    pub fn injected_faults(&self) -> Vec<InjectedFault> {
        self.core.faults.snapshot()
    }

    /// How many webhook deliveries are still pending (held in a fault plan's batch
    /// included).
    pub fn pending_webhooks(&self) -> usize {
        self.core.webhooks.pending()
    }

    /// Every delivery attempt so far, in the order they finished: when each started
    /// (mock time), how long it took (real time), how it went, and when the next
    /// retry is due.
    pub fn delivery_log(&self) -> Vec<DeliveryAttempt> {
        self.core.webhooks.log()
    }

    /// Every webhook sent so far (one per event and subscription), oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.core.webhooks.deliveries()
    }

    /// The REST bucket's level now (calls in the bucket).
    pub fn rest_bucket_level(&self) -> f64 {
        let now = self.core.now();
        self.core.lock().rest_bucket.level(now)
    }
}
