//! Issue 4's targets, measured in one run:
//! - the whole suite over HTTP vs in process (target: the suite over HTTP in under
//!   5 seconds on this machine);
//! - one `edit` step over HTTP vs a bare loopback HTTP round trip (target: a step
//!   costs no more than 5× the round trips it needs). An edit needs 7 round trips:
//!   3 GraphQL calls (orderEditBegin, orderEditSetQuantity, orderEditCommit), 2
//!   webhooks (orders/edited, orders/updated), and the sync's 2 REST reads of the
//!   order, one per webhook.

#![allow(missing_docs)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use divan::Bencher;
use divan::counter::ItemsCount;
use jiff::SignedDuration;
use katana_sim::http::Http;
use katana_sim::runner::{self, DEFAULT_START, Transport};
use katana_sim::scenario::{Scenario, load_scenario, parse_scenario};
use katana_sim::steps::edit::Edit;
use katana_sim::suite;

fn main() {
    divan::main();
}

fn scenarios() -> Vec<Scenario> {
    let dir = suite::repo_root().join("scenarios");
    suite::discover(&[dir])
        .expect("the scenarios folder")
        .iter()
        .map(|f| load_scenario(f).expect("valid scenario"))
        .collect()
}

/// The whole suite over HTTP: a mock Shopify server and a sync per scenario.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn suite_over_http(bencher: Bencher) {
    let all = scenarios();
    let steps: usize = all.iter().map(|s| s.steps.len()).sum();
    bencher.counter(ItemsCount::new(steps)).bench_local(|| {
        for s in &all {
            let mut http = Http::start(s.start.unwrap_or(DEFAULT_START)).expect("transport starts");
            divan::black_box(runner::run_with(s, &mut http).expect("scenario passes"));
        }
    });
}

/// The whole suite in process, for comparison in the same run.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn suite_in_process(bencher: Bencher) {
    let all = scenarios();
    let steps: usize = all.iter().map(|s| s.steps.len()).sum();
    bencher.counter(ItemsCount::new(steps)).bench_local(|| {
        for s in &all {
            divan::black_box(runner::run(s).expect("scenario passes"));
        }
    });
}

const ONE_ORDER: &str = "\
description: one order, one not-started MTO MO
shopify:
  orders:
    - { id: 1001, lines: [ { id: 11, sku: OAK, quantity: 5 } ] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 } }
steps: []
";

/// One `edit` step over HTTP, alternating 5 → 6 → 5, in steady state.
#[divan::bench(sample_count = 200)]
fn edit_step_over_http(bencher: Bencher) {
    let scenario = parse_scenario(Path::new("bench.yaml"), ONE_ORDER).unwrap();
    let mut http = Http::start(DEFAULT_START).unwrap();
    runner::run_with(&scenario, &mut http).unwrap();
    let mut at = DEFAULT_START;
    let mut quantity = 5;
    bencher.bench_local(|| {
        at = at.checked_add(SignedDuration::from_mins(1)).unwrap();
        quantity = if quantity == 5 { 6 } else { 5 };
        let step = Edit {
            order: 1001,
            line: 11,
            quantity,
        };
        http.shopify_step(&step, at).unwrap()
    });
}

/// A bare loopback HTTP round trip: an axum server answering a small body, and the
/// same reqwest client kind the transport uses.
#[divan::bench(sample_count = 200)]
fn bare_loopback_round_trip(bencher: Bencher) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
            Ipv4Addr::LOCALHOST,
            0,
        ))))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "{\"ok\":true}" }));
    rt.spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/");
    bencher.bench_local(|| {
        rt.block_on(async {
            client
                .get(&url)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        })
    });
}
