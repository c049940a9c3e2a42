//! The `katana-sim` binary as QA uses it: exit codes, one line per scenario, the
//! summary, `check`, `list`, `show` and `--help`.

use std::path::PathBuf;

mod common;

use common::{PASSING, bin, text};

/// A fresh folder for this file's tests.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::folder("cli", name, files)
}

const FAILING: &str = "\
description: A wrong expectation.
shopify:
  orders:
    - { id: 1001, lines: [ { id: 11, sku: OAK, quantity: 5 } ] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 } }
steps:
  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect: { MO-1: { quantity: 5 } }
";

const INVALID: &str = "description: typo\nstpes: []\n";

#[test]
fn run_passes_a_passing_folder_with_one_line_per_scenario_and_a_summary() {
    let dir = folder(
        "pass",
        &[
            ("a/one.yaml", PASSING),
            ("b/two.yml", PASSING),
            ("notes.txt", "x"),
        ],
    );
    let out = bin().arg("run").arg(&dir).output().unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert_eq!(t.lines().filter(|l| l.starts_with("ok ")).count(), 2, "{t}");
    assert!(t.contains("one.yaml (2 steps)"), "{t}");
    assert!(t.trim_end().ends_with("2 passed, 0 failed"), "{t}");
}

#[test]
fn run_fails_with_the_step_and_the_difference() {
    let dir = folder("fail", &[("ok.yaml", PASSING), ("wrong.yaml", FAILING)]);
    let out = bin().arg("run").arg(&dir).output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("FAIL    "), "{t}");
    assert!(
        t.contains("wrong.yaml:10:5: step 2 failed: expect: { MO-1: { quantity: 5 } }"),
        "{t}"
    );
    assert!(t.contains("MO-1.quantity: expected 5, actual 3"), "{t}");
    assert!(t.trim_end().ends_with("1 passed, 1 failed"), "{t}");
}

#[test]
fn run_and_check_report_invalid_files_with_their_location() {
    let dir = folder("invalid", &[("bad.yaml", INVALID)]);
    for cmd in ["run", "check"] {
        let out = bin().arg(cmd).arg(&dir).output().unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {t}");
        assert!(t.contains("bad.yaml:2:1: "), "{cmd}: {t}");
        assert!(
            t.contains("steps"),
            "{cmd}: the hint names the closest key: {t}"
        );
    }
}

#[test]
fn check_validates_without_running() {
    let dir = folder("check", &[("wrong.yaml", FAILING)]);
    let out = bin().arg("check").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 valid, 0 invalid"));
}

#[test]
fn list_shows_descriptions() {
    let dir = folder("list", &[("one.yaml", PASSING)]);
    let out = bin().arg("list").arg(&dir).output().unwrap();
    assert!(text(&out).contains("    A not-started MTO MO follows the new quantity."));
}

#[test]
fn show_prints_the_snapshot_document() {
    let dir = folder("show", &[("one.yaml", PASSING)]);
    let out = bin()
        .arg("show")
        .arg(dir.join("one.yaml"))
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    for part in [
        "sales_orders:",
        "manufacturing_orders:",
        "schedule:",
        "unlinked_filter:",
        "trace:",
    ] {
        assert!(t.contains(part), "{part} missing: {t}");
    }
    assert!(t.contains("MO-1: quantity 5 → 3"), "{t}");
}

#[test]
fn a_missing_path_is_a_clear_error() {
    let out = bin().args(["run", "no/such/folder"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no/such/folder: no such file or folder"),
        "{}",
        text(&out)
    );
}

#[test]
fn help_has_examples() {
    let out = bin().arg("--help").output().unwrap();
    let t = text(&out);
    assert!(
        t.contains("Examples:") && t.contains("katana-sim run scenarios/edit"),
        "{t}"
    );
}

/// `katana-sim check scenarios | head -1`: a reader that goes away is not an error.
/// The pipe's read end is closed before the binary starts, so every write fails
/// with a broken pipe, deterministically.
#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let dir = folder("closed-stdout", &[("a.yaml", PASSING), ("b.yaml", FAILING)]);
    for args in [
        vec!["check"],
        vec!["run"],
        vec!["list"],
        vec!["docs", "steps"],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let mut cmd = bin();
        cmd.args(&args);
        if args[0] != "docs" {
            cmd.arg(&dir);
        }
        let out = cmd
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// `katana-sim run > /dev/full`: a full disk is a clear error (exit 2), not a panic.
#[test]
fn a_full_stdout_is_a_clear_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full on this machine; skipped");
        return;
    };
    let dir = folder("full-stdout", &[("a.yaml", PASSING)]);
    let out = bin()
        .arg("run")
        .arg(&dir)
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "error: cannot write to standard output: No space left on device (os error 28)"
    );
}

/// `run --transport both` passes a scenario only when both transports agree.
#[test]
fn run_on_both_transports() {
    let dir = folder("both", &[("a.yaml", PASSING)]);
    let out = bin()
        .args(["run", "--transport", "both"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("1 passed, 0 failed"), "{}", text(&out));
}

/// With a bug planted on purpose, `explore` fails, prints the repro line and the
/// saved file; the file is small, `run` fails on it the same way, and passes it
/// once the bug is gone.
#[test]
fn explore_finds_a_planted_bug_and_saves_a_small_file_run_fails_on() {
    let dir = folder("planted", &[]);
    let out = bin()
        .env("KATANA_SIM_PLANT_BUG", "mts_changed")
        .args(["explore", "--cases", "20", "--save"])
        .arg(&dir)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("a bug is planted on purpose"), "{shown}");
    let fail = shown
        .lines()
        .position(|l| l.starts_with("FAIL    case "))
        .expect("a failure");
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines[fail].ends_with(": invariant mts_untouched"),
        "{shown}"
    );
    let case: u64 = lines[fail]["FAIL    case ".len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        lines[fail + 1].trim(),
        format!("katana-sim explore --seed 20261128 --case {case}")
    );
    let saved = dir.join(format!("seed-20261128-case-{case}.yaml"));
    assert_eq!(
        lines[fail + 2].trim(),
        format!("saved: {}", saved.display())
    );
    let file = std::fs::read_to_string(&saved).unwrap();
    assert!(
        file.contains("katana-sim explore --seed 20261128")
            && file.contains("invariant mts_untouched"),
        "{file}"
    );
    let scenario = katana_sim::scenario::load_scenario(&saved).expect("a valid scenario");
    assert_eq!(scenario.steps.len(), 1, "shrunk to one step:\n{file}");
    assert_eq!(scenario.mos.len(), 1, "shrunk to one MO:\n{file}");
    assert_eq!(scenario.orders.len(), 1, "shrunk to one order:\n{file}");

    let replay = bin()
        .env("KATANA_SIM_PLANT_BUG", "mts_changed")
        .arg("run")
        .arg(&saved)
        .output()
        .unwrap();
    let replayed = text(&replay);
    assert_eq!(replay.status.code(), Some(1), "{replayed}");
    assert!(
        replayed.contains("invariant mts_untouched broken"),
        "{replayed}"
    );
    let repro = bin()
        .env("KATANA_SIM_PLANT_BUG", "mts_changed")
        .args(["explore", "--case", &case.to_string(), "--save"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(repro.status.code(), Some(1), "{}", text(&repro));
    assert!(text(&repro).contains(&format!("FAIL    case {case}: invariant mts_untouched")));

    let fixed = bin().arg("run").arg(&saved).output().unwrap();
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed));
}

/// `--faults FILE` gives every case the faults of a `faults:` list; a bad file is
/// an error naming the file, the place and the fix.
#[test]
fn explore_takes_a_fault_plan_file() {
    let dir = folder(
        "fault-plan",
        &[
            (
                "plan.yaml",
                "faults:\n  - { step: 1, fault: duplicate_webhook }\n  - { step: 2, fault: rest_429, count: 2 }\n",
            ),
            (
                "bad.yaml",
                "faults:\n  - { step: 1, fault: duplicate_webhok }\n",
            ),
        ],
    );
    let out = bin()
        .args(["explore", "--cases", "4", "--transport", "both", "--faults"])
        .arg(dir.join("plan.yaml"))
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("faults planned: duplicate_webhook 4, rest_429 4"),
        "{shown}"
    );

    let bad = bin()
        .args(["explore", "--cases", "4", "--faults"])
        .arg(dir.join("bad.yaml"))
        .output()
        .unwrap();
    let shown = text(&bad);
    assert_eq!(bad.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("bad.yaml:2:23: unknown fault `duplicate_webhok`"),
        "{shown}"
    );
    assert!(
        shown.contains("did you mean `duplicate_webhook`?"),
        "{shown}"
    );
}

/// Not on a terminal, progress is a plain line every tenth of the cases, on
/// stderr; the report on stdout is the same whatever the number of jobs.
#[test]
fn explore_prints_plain_progress_lines_and_the_same_report_with_any_jobs() {
    let run = |jobs: &str| {
        bin()
            .args(["explore", "--cases", "100", "--jobs", jobs])
            .output()
            .unwrap()
    };
    let (one, three) = (run("1"), run("3"));
    assert_eq!(one.status.code(), Some(0), "{}", text(&one));
    assert_eq!(one.stdout, three.stdout);
    let progress = String::from_utf8_lossy(&three.stderr);
    let lines: Vec<&str> = progress.lines().collect();
    assert_eq!(lines.len(), 10, "{progress}");
    assert!(
        lines[0].starts_with("explore: 10/100 cases, "),
        "{progress}"
    );
    assert!(
        lines[9].starts_with("explore: 100/100 cases, "),
        "{progress}"
    );
    assert!(lines[9].ends_with(", 0 failed"), "{progress}");
}
