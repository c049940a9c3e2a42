//! `explore`'s throughput, generation, pinning and invariant checks included
//! (issue: at least 100,000 steps per second in process on one core; 1,500 over
//! HTTP with the light fault plan, two worlds at a time), and the cost of one step as the store grows
//! (10 vs 10,000 orders: within 1.5×).

#![allow(missing_docs)]

use divan::Bencher;
use divan::counter::ItemsCount;
use katana_sim::explore::case::FaultPlan;
use katana_sim::explore::coverage::Coverage;
use katana_sim::explore::{self, Config, Transports};
use katana_sim::runner::{DEFAULT_START, InProcess, Transport};
use katana_sim::steps::edit::Edit;
use katana_sync::Settings;
use shopify_model::{FinancialStatus, NewLine, NewOrder};

/// The allocator of the `katana-sim` binary, so the figures are the CLI's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

fn config(cases: u64, transports: Transports, faults: FaultPlan) -> Config {
    Config {
        transports,
        faults,
        ..Config::new(20261128, cases)
    }
}

/// Steps of the cases of a run (what a run's throughput is counted in).
fn steps_of(config: &Config) -> usize {
    let mut coverage = Coverage::default();
    explore::case_numbers(config)
        .into_iter()
        .map(|k| explore::run_case(config, k, &mut coverage).1)
        .sum()
}

#[divan::bench(sample_count = 10)]
fn explore_in_process(bencher: Bencher) {
    let config = config(200, Transports::InProcess, FaultPlan::None);
    let steps = steps_of(&config);
    bencher.counter(ItemsCount::new(steps)).bench_local(|| {
        let mut coverage = Coverage::default();
        for k in explore::case_numbers(&config) {
            divan::black_box(explore::run_case(&config, k, &mut coverage));
        }
    });
}

/// Over HTTP, two worlds at a time (this machine has two cores).
#[divan::bench(sample_count = 5)]
fn explore_over_http_light_faults(bencher: Bencher) {
    let config = config(40, Transports::Http, FaultPlan::Light);
    let steps = steps_of(&config);
    bencher.counter(ItemsCount::new(steps)).bench_local(|| {
        let never = || false;
        let outcomes = explore::run_cases(&config, 2, &never, |r| {
            divan::black_box(r);
            Ok::<(), ()>(())
        });
        divan::black_box(outcomes)
    });
}

/// One edit step in process, with `orders` orders in the store.
#[divan::bench(args = [10, 10_000], sample_count = 50)]
fn one_step_with_orders(bencher: Bencher, orders: u64) {
    let store: Vec<NewOrder> = (0..orders)
        .map(|i| NewOrder {
            id: 1000 + i,
            name: None,
            financial_status: FinancialStatus::Paid,
            archived: false,
            cancelled: false,
            lines: vec![NewLine {
                id: 100_000 + i,
                sku: "OAK".into(),
                quantity: 5,
                fulfilled: 0,
            }],
        })
        .collect();
    let mut world = InProcess::new();
    world
        .setup_orders(&store, Settings::default(), DEFAULT_START)
        .expect("set-up");
    let mut at = DEFAULT_START;
    let mut quantity = 5;
    bencher.bench_local(|| {
        at = at
            .checked_add(jiff::SignedDuration::from_mins(1))
            .expect("in range");
        quantity = if quantity == 5 { 6 } else { 5 };
        let step = Edit {
            order: 1000,
            line: 100_000,
            quantity,
        };
        divan::black_box(world.shopify_step(&step, at).expect("applied"))
    });
}
