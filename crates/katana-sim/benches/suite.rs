//! Replay of the whole scenario suite in process. Target (issue 2): at least 20,000
//! scenario steps per second on one core. Files are parsed once, outside the
//! measurement; `parse_and_replay` includes parsing too.

#![allow(missing_docs)]

use divan::Bencher;
use divan::counter::ItemsCount;
use katana_sim::scenario::{Scenario, load_scenario, parse_scenario};
use katana_sim::{runner, suite};

fn main() {
    divan::main();
}

fn suite_files() -> Vec<std::path::PathBuf> {
    let dir = suite::repo_root().join("scenarios");
    suite::discover(&[dir]).expect("the scenarios folder")
}

fn scenarios() -> Vec<Scenario> {
    suite_files()
        .iter()
        .map(|f| load_scenario(f).expect("valid scenario"))
        .collect()
}

fn steps(scenarios: &[Scenario]) -> usize {
    scenarios.iter().map(|s| s.steps.len()).sum()
}

/// Every scenario replayed once; throughput is counted in scenario steps.
#[divan::bench]
fn replay_suite(bencher: Bencher) {
    let all = scenarios();
    bencher
        .counter(ItemsCount::new(steps(&all)))
        .bench_local(|| {
            for s in &all {
                divan::black_box(runner::run(s).expect("scenario passes"));
            }
        });
}

/// Every scenario parsed, validated and replayed, snapshot document rendered.
#[divan::bench]
fn parse_replay_render_suite(bencher: Bencher) {
    let texts: Vec<_> = suite_files()
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("readable");
            (f, text)
        })
        .collect();
    let total = steps(&scenarios());
    bencher.counter(ItemsCount::new(total)).bench_local(|| {
        for (path, text) in &texts {
            let s = parse_scenario(path, text).expect("valid");
            divan::black_box(runner::run(&s).expect("passes").to_yaml());
        }
    });
}
