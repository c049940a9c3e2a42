//! `GET orders/{id}.json` requests per second: the mock against a bare wiremock
//! stub that returns the same body, in the same run.
//!
//! Each iteration sends `IN_FLIGHT` requests at once over keep-alive connections
//! from a client runtime on its own thread; divan reports items (requests) per
//! second. Both servers have request recording off; the mock's rate limit is
//! raised so every call is answered 200 (the bucket is still checked on every call).

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
}

struct Servers {
    runtime: tokio::runtime::Runtime,
    client: Client<HttpConnector, Empty<Bytes>>,
    mock: ShopifyMock,
    stub: MockServer,
}

static SERVERS: LazyLock<Servers> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (mock, stub) = runtime.block_on(async {
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
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let stub = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("GET"))
            .and(path(ORDER_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&stub)
            .await;
        (mock, stub)
    });
    let client = Client::builder(TokioExecutor::new()).build_http();
    Servers {
        runtime,
        client,
        mock,
        stub,
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
