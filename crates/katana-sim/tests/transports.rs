//! Every scenario gives a byte-identical snapshot over both transports: in process,
//! and over HTTP through the mock Shopify server and the webhook-driven sync. One
//! test per scenario, named `<path>` like the snapshot tests; a difference fails
//! with the scenario's name and a unified diff (in process → HTTP).

use std::path::Path;

use katana_sim::http::Http;
use katana_sim::runner::{self, DEFAULT_START};
use katana_sim::scenario::load_scenario;
use katana_sim::snapshot::snapshot_name;
use katana_sim::suite;
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let scenarios = suite::repo_root().join("scenarios");
    let files = match suite::discover(std::slice::from_ref(&scenarios)) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("cannot read {}: {e}", scenarios.display());
            std::process::exit(101);
        }
    };
    let trials = files
        .into_iter()
        .map(|file| {
            let name = snapshot_name(&scenarios, &file).replace("__", "/");
            Trial::test(name.clone(), move || same_over_both(&name, &file))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn same_over_both(name: &str, file: &Path) -> Result<(), Failed> {
    let scenario = load_scenario(file).map_err(|d| d.to_string())?;
    let in_process = runner::run(&scenario)
        .map_err(|f| format!("in process: {f}"))?
        .outcome_yaml();
    let mut http = Http::start(scenario.start.unwrap_or(DEFAULT_START))
        .map_err(|e| format!("{name}: the HTTP transport did not start: {e:?}"))?;
    let over_http = runner::run_with(&scenario, &mut http)
        .map_err(|f| format!("over HTTP: {f}"))?
        .outcome_yaml();
    if in_process == over_http {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(&in_process, &over_http)
        .unified_diff()
        .context_radius(3)
        .header("in-process", "http")
        .to_string();
    Err(format!("{name}: the snapshot differs between transports:\n{diff}").into())
}
