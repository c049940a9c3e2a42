//! The two transports are exact twins: for every file `check` accepts in
//! `scenarios/` and in the edge corpus `tests/edges/`, running it in process and
//! over HTTP gives the same outcome — the same `show` document when it passes, the
//! same failure report (what `run` prints) when it fails. One test per file; a
//! difference fails with a unified diff (in process → HTTP).

use std::path::{Path, PathBuf};

use katana_sim::http::Http;
use katana_sim::runner::{self, DEFAULT_START};
use katana_sim::scenario::{Scenario, load_scenario};
use katana_sim::suite::{self, repo_root};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = repo_root();
    let folders = [
        root.join("scenarios"),
        root.join("crates/katana-sim/tests/edges"),
    ];
    let mut trials = Vec::new();
    for folder in &folders {
        let files = suite::discover(std::slice::from_ref(folder)).unwrap_or_else(|e| {
            eprintln!("cannot read {}: {e}", folder.display());
            std::process::exit(101);
        });
        for file in files {
            let name = file
                .strip_prefix(&root)
                .unwrap_or(&file)
                .display()
                .to_string();
            trials.push(Trial::test(name.clone(), move || twins(&name, &file)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn over_http(scenario: &Scenario) -> Result<String, Failed> {
    let mut http = Http::start(scenario.start.unwrap_or(DEFAULT_START))
        .map_err(|e| format!("the HTTP transport did not start: {e:?}"))?;
    Ok(runner::outcome_text(&runner::run_with(scenario, &mut http)))
}

fn twins(name: &str, file: &PathBuf) -> Result<(), Failed> {
    // Only files `check` accepts are promised to be twins.
    let Ok(scenario) = load_scenario(Path::new(file)) else {
        return Ok(());
    };
    // What `show` prints, without the faults injected on the wire (only HTTP has any).
    let in_process = runner::outcome_text(&runner::run(&scenario));
    let http = over_http(&scenario)?;
    if in_process == http {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(&in_process, &http)
        .unified_diff()
        .context_radius(3)
        .header("in-process", "http")
        .to_string();
    Err(format!("{name}: the transports differ:\n{diff}").into())
}
