//! Every scenario file under `scenarios/` is its own test, named after its path
//! (e.g. `edit/edit-down`), so one scenario can be run by name
//! (`cargo test -p katana-sim --test scenarios -- edit/edit-down`) and nextest can
//! shard the suite. Each test replays its scenario in process and asserts its insta
//! snapshot in `snapshots/`. One more test fails on a snapshot whose scenario is gone.

use std::path::{Path, PathBuf};

use katana_sim::scenario::load_scenario;
use katana_sim::snapshot::snapshot_name;
use katana_sim::{runner, suite};
use libtest_mimic::{Arguments, Failed, Trial};

fn workspace() -> PathBuf {
    suite::repo_root()
}

fn main() {
    let args = Arguments::from_args();
    let root = workspace();
    let scenarios = root.join("scenarios");
    let snapshots = root.join("snapshots");
    let files = match suite::discover(std::slice::from_ref(&scenarios)) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("cannot read {}: {e}", scenarios.display());
            std::process::exit(101);
        }
    };
    let mut trials: Vec<Trial> = files
        .iter()
        .map(|file| {
            let name = snapshot_name(&scenarios, file).replace("__", "/");
            let (file, snapshots, scenarios) = (file.clone(), snapshots.clone(), scenarios.clone());
            Trial::test(name, move || check_scenario(&file, &scenarios, &snapshots))
        })
        .collect();
    let names: Vec<String> = files.iter().map(|f| snapshot_name(&scenarios, f)).collect();
    trials.push(Trial::test("snapshots_have_scenarios", move || {
        orphans(&snapshots, &names)
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn check_scenario(file: &Path, scenarios: &Path, snapshots: &Path) -> Result<(), Failed> {
    let scenario = load_scenario(file).map_err(|d| d.to_string())?;
    let snapshot = runner::run(&scenario).map_err(|f| f.to_string())?;
    let name = snapshot_name(scenarios, file);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshots);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(file);
    settings.bind(|| insta::assert_snapshot!(name, snapshot.to_yaml()));
    Ok(())
}

/// CI fails on a snapshot whose scenario is gone (scenarios.md, "Snapshot").
fn orphans(snapshots: &Path, names: &[String]) -> Result<(), Failed> {
    let mut orphans = Vec::new();
    for entry in
        std::fs::read_dir(snapshots).map_err(|e| format!("{}: {e}", snapshots.display()))?
    {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        if let Some(stem) = file.strip_suffix(".snap")
            && !names.iter().any(|n| n == stem)
        {
            orphans.push(file.to_string());
        }
    }
    orphans.sort();
    if orphans.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "snapshots without a scenario (delete them, or restore their scenario): {}",
            orphans.join(", ")
        )
        .into())
    }
}
