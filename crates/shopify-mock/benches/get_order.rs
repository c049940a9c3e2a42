//! `GET orders/{id}.json` requests per second: the mock against two references
//! that return the same bytes (body and headers: content type, call limit, a
//! request id), in the same run: a bare wiremock stub and a bare axum handler.
//!
//! Each iteration sends `IN_FLIGHT` requests at once over keep-alive connections
//! from a client runtime on its own thread; divan reports items (requests) per
//! second. Every server runs on a thread of its own (wiremock's way; the axum
//! handler gets a current-thread runtime on its own thread likewise). Both wiremock
//! servers have request recording off; the mock's rate limit is raised so every
//! call is answered 200 (the bucket is still checked on every call).
//!
//! The goal: the mock ahead of the bare wiremock stub, and within 1.5× of axum.
//!
//! divan measures the three one after the other, so a change in the machine's
//! load between them (it is shared) moves one against the others by more than
//! their difference. After divan's table, `interleaved` therefore measures the
//! three again under the same conditions: rounds of one batch each, the order
//! rotating every round, and prints the medians and the ratios.

use std::sync::LazyLock;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use shopify_mock::shopify_model::{NewLine, NewOrder};
use shopify_mock::{BucketConfig, MockConfig, ShopifyMock};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Requests in flight per iteration.
const IN_FLIGHT: usize = 32;
const ORDER_PATH: &str = "/admin/api/2025-01/orders/1001.json";

fn main() {
    divan::main();
    interleaved(300);
}

/// `rounds` rounds of one batch per server, in an order that rotates every
/// round; prints each server's median batch and the mock's ratios to the two
/// references.
fn interleaved(rounds: usize) {
    let s = &*SERVERS;
    let token = s.mock.access_token().to_owned();
    let servers = [
        ("mock", s.mock.base_url(), token.as_str()),
        ("bare wiremock stub", s.stub.uri(), "unused"),
        ("bare axum handler", format!("http://{}", s.axum), "unused"),
    ];
    let mut times: [Vec<std::time::Duration>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..3 {
            let i = (round + k) % 3;
            let started = std::time::Instant::now();
            batch(&servers[i].1, servers[i].2);
            times[i].push(started.elapsed());
        }
    }
    let medians = times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    });
    println!(
        "\ninterleaved: {rounds} rounds of one batch of {IN_FLIGHT} GETs per server, order rotating"
    );
    for ((name, _, _), median) in servers.iter().zip(medians) {
        println!("  {name:<20} median {median:>10.1?} per batch");
    }
    let ratio = |i: usize| medians[0].as_secs_f64() / medians[i].as_secs_f64();
    println!(
        "  mock / bare wiremock stub = {:.3}, mock / bare axum handler = {:.3}",
        ratio(1),
        ratio(2)
    );
}

struct Servers {
    runtime: tokio::runtime::Runtime,
    client: Client<HttpConnector, Empty<Bytes>>,
    mock: ShopifyMock,
    stub: MockServer,
    axum: std::net::SocketAddr,
}

/// The headers the mock sends with an order, which the references send too.
type Headers = Vec<(String, String)>;

/// Serves `body` and `headers` at `ORDER_PATH` from a bare axum handler on a
/// thread of its own.
fn spawn_axum(body: Bytes, headers: Headers) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        ORDER_PATH,
        axum::routing::get(move || {
            let body = body.clone();
            let mut map = axum::http::HeaderMap::new();
            for (k, v) in &headers {
                map.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    axum::http::HeaderValue::from_str(v).unwrap(),
                );
            }
            async move { (map, body) }
        }),
    );
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

static SERVERS: LazyLock<Servers> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (mock, stub, axum) = runtime.block_on(async {
        let mock = ShopifyMock::start(MockConfig {
            rest_bucket: BucketConfig {
                size: 1e15,
                leak_per_second: 2.0,
            },
            ..MockConfig::default()
        })
        .await
        .unwrap();
        let lines = (0..5)
            .map(|i| NewLine {
                id: 100 + i,
                sku: format!("SKU-{i}"),
                quantity: 3,
                fulfilled: 0,
            })
            .collect();
        mock.seed_orders(&[NewOrder {
            id: 1001,
            name: None,
            financial_status: shopify_mock::shopify_model::FinancialStatus::Paid,
            lines,
            archived: false,
            cancelled: false,
        }])
        .unwrap();
        // The stub answers with exactly the body the mock gives.
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let req = hyper::Request::get(format!("{}{ORDER_PATH}", mock.base_url()))
            .header("X-Shopify-Access-Token", mock.access_token())
            .body(Empty::new())
            .unwrap();
        let resp = client.request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let headers: Headers = resp
            .headers()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "content-length" | "date" | "connection"))
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let axum = spawn_axum(body.clone(), headers.clone());
        let stub = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let mut template = ResponseTemplate::new(200);
        for (k, v) in &headers {
            template = template.insert_header(k.as_str(), v.as_str());
        }
        Mock::given(method("GET"))
            .and(path(ORDER_PATH))
            .respond_with(template.set_body_bytes(body.to_vec()))
            .mount(&stub)
            .await;
        (mock, stub, axum)
    });
    let client = Client::builder(TokioExecutor::new()).build_http();
    Servers {
        runtime,
        client,
        mock,
        stub,
        axum,
    }
});

/// Sends `IN_FLIGHT` GETs at once and reads every answer to the end.
fn batch(base: &str, token: &str) {
    let s = &*SERVERS;
    let url: hyper::Uri = format!("{base}{ORDER_PATH}").parse().unwrap();
    s.runtime.block_on(async {
        let calls = (0..IN_FLIGHT).map(|_| {
            let req = hyper::Request::get(url.clone())
                .header("X-Shopify-Access-Token", token)
                .body(Empty::new())
                .unwrap();
            let client = s.client.clone();
            async move {
                let resp = client.request(req).await.unwrap();
                assert_eq!(resp.status(), 200);
                resp.into_body().collect().await.unwrap();
            }
        });
        futures::future::join_all(calls).await;
    });
}

#[divan::bench(sample_count = 60, sample_size = 4)]
fn mock_get_order(bencher: divan::Bencher) {
    let s = &*SERVERS;
    let (base, token) = (s.mock.base_url(), s.mock.access_token().to_owned());
    bencher
        .counter(divan::counter::ItemsCount::new(IN_FLIGHT))
        .bench(|| batch(&base, &token));
}

#[divan::bench(sample_count = 60, sample_size = 4)]
fn bare_wiremock_stub(bencher: divan::Bencher) {
    let s = &*SERVERS;
    let base = s.stub.uri();
    bencher
        .counter(divan::counter::ItemsCount::new(IN_FLIGHT))
        .bench(|| batch(&base, "unused"));
}

#[divan::bench(sample_count = 60, sample_size = 4)]
fn bare_axum_handler(bencher: divan::Bencher) {
    let s = &*SERVERS;
    let base = format!("http://{}", s.axum);
    bencher
        .counter(divan::counter::ItemsCount::new(IN_FLIGHT))
        .bench(|| batch(&base, "unused"));
}
