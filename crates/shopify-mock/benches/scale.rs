//! The cost of one request against the size of the store: `GET orders/{id}.json`,
//! an order edit over GraphQL (`orderEditBegin`, `orderEditSetQuantity`,
//! `orderEditCommit`) and a REST refund (`POST orders/{id}/refunds.json` of one
//! unit), each against stores of 100, 10,000 and 100,000 orders. The goal: the
//! medians of one operation stay within 1.5× of each other across the sizes.
//!
//! Each store is seeded once, lazily, through [`ShopifyMock::seed_orders`] (the
//! seeding time and the process's resident memory after it go to stderr). Requests
//! go one at a time (one iteration = one operation; an edit is three requests) over
//! a keep-alive hyper-util client on a runtime of its own; both rate-limit buckets
//! are raised so nothing is throttled (they are still checked on every call).
//!
//! Webhooks are really delivered: each mock is subscribed (all topics) to a bare
//! axum receiver on its own thread that answers 200 at once, so every edit and
//! refund builds, signs, queues and sends its `orders/edited` / `refunds/create` and
//! `orders/updated` bodies, as a store with a subscribed app does.
//!
//! Edits and refunds rotate over the same number of orders (`ROTATION`) spread
//! evenly over the store, so that an order's history (its refunds) grows the same
//! way whatever the size; an edit alternates a line between two quantities so that
//! every commit changes the order.
//!
//! Beyond the three operations, the requests whose cost once grew with the store
//! are measured too: one page of `GET orders.json` (`list_page_since_middle`), one
//! page of GraphQL's `orders` connection (`graphql_orders_page_after_middle`), and
//! `POST orders.json` (`create_order`, which once looked at every line of every
//! order for a free line id). `create_order` adds to its store: at most a few
//! thousand orders over a run, so its store stays about the size named.
//!
//! Two references, in the same run, give the floor for a single GET: a bare
//! wiremock stub and a bare axum handler, each answering the bytes the mock
//! answers for the same order.
//!
//! Run: `cargo bench -p shopify-mock --bench scale`.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use shopify_mock::shopify_model::{FinancialStatus, NewLine, NewOrder, OrderId};
use shopify_mock::{BucketConfig, DeliveryStatus, MockConfig, ShopifyMock, WebhookSubscription};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The store sizes, in orders.
const SIZES: [u64; 3] = [100, 10_000, 100_000];
/// How many orders edits and refunds rotate over, at every size.
const ROTATION: u64 = 100;
/// Units of the refunded line: far more than a run refunds.
const REFUNDABLE: u32 = 1_000_000;
const API: &str = "/admin/api/2025-01";

const BEGIN: &str = "mutation($id: ID!) { orderEditBegin(id: $id) { calculatedOrder { id } userErrors { message } } }";
const SET: &str = "mutation($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q, restock: true) { calculatedLineItem { quantity } userErrors { message } } }";
const COMMIT: &str =
    "mutation($id: ID!) { orderEditCommit(id: $id) { order { id } userErrors { message } } }";

fn main() {
    divan::main();
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The client side: a runtime of its own and a keep-alive client.
struct Driver {
    runtime: tokio::runtime::Runtime,
    client: HttpClient,
}

static DRIVER: LazyLock<Driver> = LazyLock::new(|| Driver {
    runtime: tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime"),
    client: Client::builder(TokioExecutor::new()).build_http(),
});

/// A bare axum server on a thread of its own (as wiremock runs its servers),
/// answering every request with `app`.
fn spawn_axum(app: axum::Router) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let addr = listener.local_addr().expect("a local address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            axum::serve(listener, app).await.expect("axum serves");
        });
    });
    addr
}

/// The webhook receiver every store is subscribed to: 200 for anything, at once.
static RECEIVER: LazyLock<SocketAddr> =
    LazyLock::new(|| spawn_axum(axum::Router::new().fallback(|| async { "" })));

/// One seeded store.
struct Fixture {
    size: u64,
    mock: ShopifyMock,
    /// Operations done so far (edits, refunds), to rotate and alternate.
    edits: AtomicU64,
    refunds: AtomicU64,
}

/// The order's id; orders are `1..=size`.
fn line_of(order: OrderId, k: u64) -> u64 {
    order * 10 + k
}

/// Order `i` (from 1): line 0 is edited (10 units), line 1 refunded, line 2 filler.
fn new_order(i: u64) -> NewOrder {
    let quantities = [10, REFUNDABLE, 3];
    NewOrder {
        id: i,
        name: None,
        financial_status: FinancialStatus::Paid,
        lines: quantities
            .into_iter()
            .enumerate()
            .map(|(k, quantity)| NewLine {
                id: line_of(i, k as u64),
                sku: format!("SKU-{k}"),
                quantity,
                fulfilled: 0,
            })
            .collect(),
        archived: false,
        cancelled: false,
    }
}

/// The process's resident memory, as `/proc/self/status` tells it.
fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l["VmRSS:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

impl Fixture {
    fn start(size: u64) -> Self {
        let mock = DRIVER.runtime.block_on(async {
            let unlimited = BucketConfig {
                size: 1e15,
                leak_per_second: 1e15,
            };
            ShopifyMock::start(MockConfig {
                rest_bucket: unlimited,
                graphql_bucket: unlimited,
                ..MockConfig::default()
            })
            .await
            .expect("the mock starts")
        });
        let orders: Vec<NewOrder> = (1..=size).map(new_order).collect();
        let before = rss();
        let started = Instant::now();
        mock.seed_orders(&orders).expect("the orders seed");
        let took = started.elapsed();
        drop(orders);
        eprintln!(
            "seeded {size} orders in {took:.2?} in one seed_orders call; resident memory {before} before, {} after",
            rss(),
        );
        mock.subscribe(WebhookSubscription::all_topics(
            format!("http://{}/webhooks", *RECEIVER),
            "bench-secret",
        ));
        let f = Self {
            size,
            mock,
            edits: AtomicU64::new(0),
            refunds: AtomicU64::new(0),
        };
        // A warm-up edit and refund: their webhooks reach the receiver, so the
        // measured operations send real deliveries.
        DRIVER.runtime.block_on(async {
            edit(&f).await;
            refund(&f).await;
            f.mock.settle_webhooks().await;
        });
        let deliveries = f.mock.deliveries();
        assert_eq!(
            deliveries.len(),
            4,
            "edited, updated, refunds/create, updated"
        );
        assert!(
            deliveries
                .iter()
                .all(|d| d.status == DeliveryStatus::Delivered),
            "every warm-up webhook is delivered: {deliveries:?}"
        );
        f
    }

    /// The `k`-th order of the rotation (`ROTATION` orders spread over the store).
    fn rotated(&self, k: u64) -> OrderId {
        let stride = (self.size / ROTATION).max(1);
        1 + (k % ROTATION) * stride
    }

    /// The order in the middle of the store.
    fn middle(&self) -> OrderId {
        self.size / 2
    }

    fn url(&self, rest: &str) -> hyper::Uri {
        format!("{}{API}/{rest}", self.mock.base_url())
            .parse()
            .expect("a URL")
    }
}

static FIXTURES: [OnceLock<Fixture>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

fn fixture(size: u64) -> &'static Fixture {
    let i = SIZES
        .iter()
        .position(|s| *s == size)
        .expect("a size of SIZES");
    FIXTURES[i].get_or_init(|| Fixture::start(size))
}

/// Sends a request and reads the answer to the end: its status and body.
async fn send(req: hyper::Request<Full<Bytes>>) -> (u16, Bytes) {
    let resp = DRIVER.client.request(req).await.expect("an answer");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("a body").to_bytes();
    (status, body)
}

fn get(uri: hyper::Uri, token: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::get(uri)
        .header("X-Shopify-Access-Token", token)
        .body(Full::default())
        .expect("a request")
}

fn post(uri: hyper::Uri, token: &str, body: &Value) -> hyper::Request<Full<Bytes>> {
    hyper::Request::post(uri)
        .header("X-Shopify-Access-Token", token)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a request")
}

/// A GraphQL call, checked: HTTP 200, no top-level errors, no `userErrors` (when
/// the field has them).
async fn graphql(f: &Fixture, query: &str, variables: Value, field: &str) -> Value {
    let req = post(
        f.url("graphql.json"),
        f.mock.access_token(),
        &json!({"query": query, "variables": variables}),
    );
    let (status, body) = send(req).await;
    let body: Value = serde_json::from_slice(&body).expect("a JSON answer");
    assert_eq!(status, 200, "{body}");
    let data = &body["data"][field];
    assert!(
        body.get("errors").is_none()
            && data
                .get("userErrors")
                .is_none_or(|e| e.as_array().is_some_and(Vec::is_empty)),
        "{field} refused: {body}"
    );
    data.clone()
}

/// One edit: begin, set line 0 of a rotated order to 4 or 5 (alternating per
/// round, so each commit changes something), commit.
async fn edit(f: &Fixture) {
    let n = f.edits.fetch_add(1, Ordering::Relaxed);
    let order = f.rotated(n);
    let quantity = if (n / ROTATION).is_multiple_of(2) {
        4
    } else {
        5
    };
    let begun = graphql(
        f,
        BEGIN,
        json!({"id": format!("gid://shopify/Order/{order}")}),
        "orderEditBegin",
    )
    .await;
    let calculated = begun["calculatedOrder"]["id"].clone();
    let set = graphql(
        f,
        SET,
        json!({
            "id": calculated,
            "line": format!("gid://shopify/CalculatedLineItem/{}", line_of(order, 0)),
            "q": quantity,
        }),
        "orderEditSetQuantity",
    )
    .await;
    assert_eq!(set["calculatedLineItem"]["quantity"], quantity);
    graphql(f, COMMIT, json!({"id": calculated}), "orderEditCommit").await;
}

/// One refund of one unit of line 1 of a rotated order.
async fn refund(f: &Fixture) {
    let n = f.refunds.fetch_add(1, Ordering::Relaxed);
    let order = f.rotated(n);
    let body = json!({"refund": {"refund_line_items": [
        {"line_item_id": line_of(order, 1), "quantity": 1, "restock_type": "no_restock"}
    ]}});
    let req = post(
        f.url(&format!("orders/{order}/refunds.json")),
        f.mock.access_token(),
        &body,
    );
    let (status, body) = send(req).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
}

#[divan::bench(args = SIZES, sample_count = 100, sample_size = 20)]
fn get_order(bencher: divan::Bencher, size: u64) {
    let f = fixture(size);
    let uri = f.url(&format!("orders/{}.json", f.middle()));
    let token = f.mock.access_token();
    bencher.bench(|| {
        DRIVER.runtime.block_on(async {
            let (status, _) = send(get(uri.clone(), token)).await;
            assert_eq!(status, 200);
        })
    });
}

#[divan::bench(args = SIZES, sample_count = 100, sample_size = 5)]
fn edit_begin_set_commit(bencher: divan::Bencher, size: u64) {
    let f = fixture(size);
    bencher.bench(|| DRIVER.runtime.block_on(edit(f)));
}

#[divan::bench(args = SIZES, sample_count = 100, sample_size = 10)]
fn refund_one_unit(bencher: divan::Bencher, size: u64) {
    let f = fixture(size);
    bencher.bench(|| DRIVER.runtime.block_on(refund(f)));
}

/// Beyond the three operations: one page of `GET orders.json` (50 orders after the
/// middle one, `since_id`), which walks from the middle order.
#[divan::bench(args = SIZES, sample_count = 50, sample_size = 5)]
fn list_page_since_middle(bencher: divan::Bencher, size: u64) {
    let f = fixture(size);
    let uri = f.url(&format!(
        "orders.json?status=any&limit=50&since_id={}",
        f.middle()
    ));
    let token = f.mock.access_token();
    bencher.bench(|| {
        DRIVER.runtime.block_on(async {
            let (status, _) = send(get(uri.clone(), token)).await;
            assert_eq!(status, 200);
        })
    });
}

/// `POST orders.json`: a new order of two lines, ids given out by the store (the
/// next order id, line ids above every line id in the store).
#[divan::bench(args = SIZES, sample_count = 50, sample_size = 10)]
fn create_order(bencher: divan::Bencher, size: u64) {
    let f = fixture(size);
    let uri = f.url("orders.json");
    let token = f.mock.access_token();
    let body = json!({"order": {"line_items": [
        {"sku": "SKU-0", "quantity": 2},
        {"sku": "SKU-2", "quantity": 1},
    ]}});
    bencher.bench(|| {
        DRIVER.runtime.block_on(async {
            let (status, answer) = send(post(uri.clone(), token, &body)).await;
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
        })
    });
}

/// One page of GraphQL's `orders` connection: the 50 orders after the middle one
/// (`first: 50, after:` its cursor), with their cursors and `pageInfo`.
#[divan::bench(args = SIZES, sample_count = 50, sample_size = 5)]
fn graphql_orders_page_after_middle(bencher: divan::Bencher, size: u64) {
    use base64::Engine as _;
    let f = fixture(size);
    let middle = f.middle();
    // The connection's cursor for the middle order under sortKey ID.
    let cursor =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("ID|{middle}|{middle}"));
    let query = "query($after: String) { orders(first: 50, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage hasPreviousPage } } }";
    bencher.bench(|| {
        DRIVER.runtime.block_on(async {
            let page = graphql(f, query, json!({"after": cursor}), "orders").await;
            let edges = page["edges"].as_array().expect("edges");
            assert_eq!(edges.len(), 50);
            assert_eq!(
                edges[0]["node"]["id"],
                json!(format!("gid://shopify/Order/{}", middle + 1))
            );
        })
    });
}

/// The references: the bytes the mock answers for the middle order of the
/// smallest store, from a bare wiremock stub and a bare axum handler.
struct References {
    wiremock: MockServer,
    axum: SocketAddr,
    path: String,
}

static REFERENCES: LazyLock<References> = LazyLock::new(|| {
    let f = fixture(SIZES[0]);
    let order_path = format!("{API}/orders/{}.json", f.middle());
    let (status, body) = DRIVER.runtime.block_on(send(get(
        f.url(&format!("orders/{}.json", f.middle())),
        f.mock.access_token(),
    )));
    assert_eq!(status, 200);
    let wiremock = DRIVER.runtime.block_on(async {
        let stub = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("GET"))
            .and(path(order_path.as_str()))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.to_vec(), "application/json"),
            )
            .mount(&stub)
            .await;
        stub
    });
    let route_body = body.clone();
    let axum = spawn_axum(axum::Router::new().route(
        &order_path,
        axum::routing::get(move || {
            let body = route_body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    ));
    References {
        wiremock,
        axum,
        path: order_path,
    }
});

fn bench_get(bencher: divan::Bencher, base: &str) {
    let uri: hyper::Uri = format!("{base}{}", REFERENCES.path).parse().expect("a URL");
    bencher.bench(|| {
        DRIVER.runtime.block_on(async {
            let (status, _) = send(get(uri.clone(), "unused")).await;
            assert_eq!(status, 200);
        })
    });
}

/// A single GET from a bare wiremock stub (the same bytes as the mock's GET).
#[divan::bench(sample_count = 100, sample_size = 20)]
fn reference_get_bare_wiremock(bencher: divan::Bencher) {
    bench_get(bencher, &REFERENCES.wiremock.uri());
}

/// A single GET from a bare axum handler (the same bytes as the mock's GET).
#[divan::bench(sample_count = 100, sample_size = 20)]
fn reference_get_bare_axum(bencher: divan::Bencher) {
    bench_get(bencher, &format!("http://{}", REFERENCES.axum));
}
