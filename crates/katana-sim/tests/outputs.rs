//! What `run` and `explore` give tools and CI besides their lines: a JUnit XML
//! report (`--junit FILE`), parsed back here with quick-junit; `run --format
//! json`, one JSON object per scenario per line, parsed with serde_json; and
//! progress, which is never a bar when stderr is not a terminal.

use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus};

mod common;

use common::{PASSING, bin, text};

/// A fresh folder for this file's tests.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::folder("outputs", name, files)
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
  - edit: { order: 1001, line: 11, quantity: 2 }
";

/// Dismissing when there is no open message: Katana refuses (`no_open_message`).
const REFUSED: &str = "\
description: A dismiss with nothing to dismiss.
shopify:
  orders:
    - { id: 1001, lines: [ { id: 11, sku: OAK, quantity: 5 } ] }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 } }
steps:
  - dismiss: MO-1
";

const INVALID: &str = "description: typo\nstpes: []\n";

/// The failure reports of `run`'s text output, by file: the lines under each
/// `FAIL    <path>` (or `INVALID <path>`) line, unindented, exactly as printed.
fn printed_failures(stdout: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stdout.lines() {
        let head = line
            .strip_prefix("FAIL    ")
            .or_else(|| line.strip_prefix("INVALID "));
        if let Some(path) = head {
            out.push((path.to_string(), String::new()));
        } else if let Some(body) = line.strip_prefix("        ")
            && let Some((_, text)) = out.last_mut()
        {
            text.push_str(body);
            text.push('\n');
        } else if !line.starts_with(' ') {
            out.push((String::new(), String::new()));
        }
    }
    out.retain(|(path, _)| !path.is_empty());
    out
}

fn parse_junit(file: &Path) -> Report {
    let xml = std::fs::read_to_string(file).expect("the JUnit file is written");
    Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

fn cases(report: &Report) -> Vec<&TestCase> {
    report
        .test_suites
        .iter()
        .flat_map(|s| s.test_cases.iter())
        .collect()
}

fn find<'a>(cases: &[&'a TestCase], class: &str, name: &str) -> &'a TestCase {
    cases
        .iter()
        .find(|c| c.classname.as_deref() == Some(class) && c.name.as_str() == name)
        .copied()
        .unwrap_or_else(|| panic!("no case {class}/{name}"))
}

fn failure(case: &TestCase) -> (NonSuccessKind, String, String) {
    match &case.status {
        TestCaseStatus::NonSuccess {
            kind,
            message,
            description,
            ..
        } => (
            *kind,
            message.as_ref().map(|m| m.to_string()).unwrap_or_default(),
            description
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        other => panic!("{} did not fail: {other:?}", case.name.as_str()),
    }
}

#[test]
fn run_junit_has_a_case_per_scenario_by_topic_with_the_printed_failure_and_the_trace() {
    let dir = folder(
        "run-junit",
        &[
            ("edit/passing.yaml", PASSING),
            ("edit/failing.yaml", FAILING),
            ("actions/refused.yaml", REFUSED),
            ("bad/typo.yaml", INVALID),
        ],
    );
    let junit = dir.join("junit.xml");
    let out = bin()
        .arg("run")
        .arg(&dir)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "exit code unchanged: {shown}");
    assert!(shown.trim_end().ends_with("1 passed, 3 failed"), "{shown}");

    let report = parse_junit(&junit);
    assert_eq!(report.tests, 4);
    assert_eq!(report.failures, 3);
    assert_eq!(report.errors, 0);
    assert_eq!(report.test_suites.len(), 1);
    let cases = cases(&report);
    let names: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| (c.classname.as_deref().unwrap_or(""), c.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("actions", "refused"),
            ("bad", "typo"),
            ("edit", "failing"),
            ("edit", "passing"),
        ]
    );
    assert!(cases.iter().all(|c| c.time.is_some()), "a time per case");

    let passing = find(&cases, "edit", "passing");
    assert!(matches!(passing.status, TestCaseStatus::Success { .. }));
    let trace = passing.system_out.as_deref().unwrap_or_default();
    assert!(
        trace.contains("2026-01-01T09:00:00Z set-up\n")
            && trace.contains(
                "2026-01-01T09:01:00Z step 1: edit: { order: 1001, line: 11, quantity: 3 }\n  SO #1001 row 11: quantity 5 → 3\n  MO-1: quantity 5 → 3"
            )
            && trace
                .trim_end()
                .ends_with("step 2: expect: { MO-1: { type: make_to_order, quantity: 3 } }\n  all checks hold"),
        "the snapshot's trace: {trace}"
    );

    // The failure reports are exactly what `run` prints.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed = printed_failures(&stdout);
    assert_eq!(printed.len(), 3, "{stdout}");
    for (path, report_text) in &printed {
        let stem = Path::new(path).file_stem().unwrap().to_string_lossy();
        let class = Path::new(path)
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        let (kind, message, body) = failure(find(&cases, &class, &stem));
        assert_eq!(kind, NonSuccessKind::Failure);
        assert_eq!(&body, report_text.trim_end(), "{path}");
        assert_eq!(message, report_text.lines().next().unwrap(), "{path}");
    }

    let failing = find(&cases, "edit", "failing");
    let (_, message, body) = failure(failing);
    assert!(
        message.ends_with("failing.yaml:10:5: step 2 failed: expect: { MO-1: { quantity: 5 } }"),
        "{message}"
    );
    assert!(
        body.contains("MO-1.quantity: expected 5, actual 3"),
        "{body}"
    );
    assert_eq!(
        failing.system_out.as_deref().map(str::trim_end),
        Some(
            "set-up\nstep 1: edit: { order: 1001, line: 11, quantity: 3 }\nstep 2: expect: { MO-1: { quantity: 5 } }"
        ),
        "the steps run, up to the failing one"
    );

    let (_, message, _) = failure(find(&cases, "bad", "typo"));
    assert!(message.contains("typo.yaml:2:1: "), "{message}");
}

#[test]
fn the_class_is_the_topic_folder_whether_a_folder_its_parent_or_the_file_is_named() {
    let dir = folder("topics", &[("edit/passing.yaml", PASSING)]);
    for named in [
        dir.clone(),
        dir.join("edit"),
        dir.join("edit").join("passing.yaml"),
    ] {
        let junit = dir.join("junit.xml");
        let out = bin()
            .arg("run")
            .arg(&named)
            .arg("--junit")
            .arg(&junit)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let report = parse_junit(&junit);
        let cases = cases(&report);
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].classname.as_deref(), Some("edit"), "{named:?}");
        assert_eq!(cases[0].name.as_str(), "passing");
    }
}

#[test]
fn run_junit_over_the_suite_names_every_scenario_by_topic() {
    let scenarios = katana_sim::suite::repo_root().join("scenarios");
    let files = katana_sim::suite::discover(std::slice::from_ref(&scenarios)).unwrap();
    let dir = folder("suite-junit", &[]);
    let junit = dir.join("junit.xml");
    let out = bin()
        .arg("run")
        .arg(&scenarios)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let report = parse_junit(&junit);
    assert_eq!(report.tests, files.len());
    assert_eq!(report.failures == 0, out.status.success(), "{}", text(&out));
    let cases = cases(&report);
    for (file, case) in files.iter().zip(&cases) {
        let topic = file
            .parent()
            .unwrap()
            .strip_prefix(&scenarios)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(case.classname.as_deref(), Some(topic.as_str()));
        assert_eq!(
            case.name.as_str(),
            file.file_stem().unwrap().to_string_lossy()
        );
    }
    assert!(
        cases
            .iter()
            .any(|c| c.classname.as_deref() == Some("edit") && c.name.as_str() == "edit-down")
    );
}

#[test]
fn run_format_json_prints_one_object_per_scenario_and_nothing_else() {
    let dir = folder(
        "json",
        &[
            ("edit/passing.yaml", PASSING),
            ("edit/failing.yaml", FAILING),
            ("actions/refused.yaml", REFUSED),
            ("bad/typo.yaml", INVALID),
        ],
    );
    let out = bin()
        .args(["run", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(
        lines.len(),
        4,
        "one line per scenario, nothing else:\n{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        "1 passed, 3 failed",
        "the summary on stderr"
    );

    let by_path = |end: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(end))
            .unwrap_or_else(|| panic!("no line for {end}: {stdout}"))
    };
    for line in &lines {
        let mut keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "duration_ms",
                "failing_step",
                "outcome",
                "path",
                "reason",
                "refusal_kind",
                "step_text",
                "steps",
                "transport"
            ]
        );
        assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(line["transport"], "in-process");
    }
    let passing = by_path("passing.yaml");
    assert_eq!(passing["outcome"], "passed");
    assert!(passing["failing_step"].is_null() && passing["reason"].is_null());
    assert_eq!(passing["steps"], 2);

    let failing = by_path("failing.yaml");
    assert_eq!(failing["outcome"], "failed");
    assert_eq!(failing["failing_step"], 2);
    assert_eq!(failing["step_text"], "expect: { MO-1: { quantity: 5 } }");
    assert!(failing["refusal_kind"].is_null());
    assert_eq!(failing["reason"], "MO-1.quantity: expected 5, actual 3");
    assert_eq!(failing["steps"], 3);

    let refused = by_path("refused.yaml");
    assert_eq!(refused["outcome"], "failed");
    assert_eq!(refused["failing_step"], 1);
    assert_eq!(refused["step_text"], "dismiss: MO-1");
    assert_eq!(refused["refusal_kind"], "no_open_message");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .starts_with("Katana refused (no_open_message): "),
        "{refused}"
    );

    let typo = by_path("typo.yaml");
    assert_eq!(typo["outcome"], "failed");
    assert!(typo["failing_step"].is_null());
    assert!(
        typo["reason"].as_str().unwrap().contains("typo.yaml:2:1: "),
        "{typo}"
    );
}

#[test]
fn run_format_json_names_the_transport() {
    let dir = folder("json-http", &[("edit/passing.yaml", PASSING)]);
    let out = bin()
        .args(["run", "--format", "json", "--transport", "http"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["transport"], "http");
    assert_eq!(line["outcome"], "passed");
}

#[test]
fn explore_junit_has_a_case_per_case_by_seed() {
    let dir = folder("explore-junit", &[]);
    let junit = dir.join("junit.xml");
    let out = bin()
        .args(["explore", "--cases", "6", "--seed", "7", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report = parse_junit(&junit);
    assert_eq!((report.tests, report.failures, report.errors), (6, 0, 0));
    let names: Vec<String> = cases(&report)
        .iter()
        .map(|c| format!("{}/{}", c.classname.as_deref().unwrap(), c.name.as_str()))
        .collect();
    let expected: Vec<String> = (0..6).map(|k| format!("seed-7/case-{k}")).collect();
    assert_eq!(names, expected);
}

/// With a bug planted on purpose, each failed case carries the repro line and the
/// saved file's path, as printed.
#[test]
fn explore_junit_failures_have_the_repro_line_and_the_saved_path() {
    let dir = folder("explore-junit-fail", &[]);
    let junit = dir.join("junit.xml");
    let save = dir.join("found");
    let out = bin()
        .env("KATANA_SIM_PLANT_BUG", "mts_changed")
        .args(["explore", "--cases", "20", "--junit"])
        .arg(&junit)
        .arg("--save")
        .arg(&save)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    let printed = shown
        .lines()
        .filter(|l| l.starts_with("FAIL    case "))
        .count();
    assert!(printed > 0, "{shown}");
    let report = parse_junit(&junit);
    assert_eq!(report.tests, 20);
    assert_eq!(report.failures, printed);
    for case in cases(&report) {
        if matches!(case.status, TestCaseStatus::Success { .. }) {
            continue;
        }
        let k: u64 = case.name.as_str()["case-".len()..].parse().unwrap();
        let (kind, message, body) = failure(case);
        assert_eq!(kind, NonSuccessKind::Failure);
        assert_eq!(message, format!("case {k}: invariant mts_untouched"));
        let saved = save.join(format!("seed-20261128-case-{k}.yaml"));
        assert!(
            body.contains(&format!("katana-sim explore --seed 20261128 --case {k}\n"))
                && body.contains(&format!("saved: {}\n", saved.display())),
            "{body}"
        );
        let file = std::fs::read_to_string(&saved).unwrap();
        assert!(
            case.system_out
                .as_deref()
                .unwrap_or_default()
                .ends_with(file.trim_end()),
            "system-out has the saved file: {:?}\n{file:?}",
            case.system_out
        );
    }
}

#[test]
fn an_unwritable_junit_file_is_a_clear_error() {
    let dir = folder("junit-unwritable", &[("a.yaml", PASSING)]);
    let junit = dir.join("no-such-folder").join("junit.xml");
    let out = bin()
        .arg("run")
        .arg(&dir)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains(&format!(
            "cannot write the JUnit report to {} (--junit)",
            junit.display()
        )),
        "{shown}"
    );
}

/// Not on a terminal (as here, and in CI), no bar: `run` over a few files
/// writes nothing to stderr, and its stdout has no control characters.
#[test]
fn not_on_a_terminal_there_is_no_bar() {
    let dir = folder("no-bar", &[("a.yaml", PASSING), ("b.yaml", PASSING)]);
    let out = bin().arg("run").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
    assert!(!text(&out).contains(['\r', '\u{1b}']), "{:?}", text(&out));
    assert!(text(&out).trim_end().ends_with("2 passed, 0 failed"));
}

#[test]
fn progress_is_a_bar_only_on_a_terminal_and_lines_for_long_runs() {
    use katana_sim::progress::Progress;
    assert!(Progress::with_terminal(5, "scenarios", true).is_bar());
    assert!(!Progress::with_terminal(1, "scenarios", true).is_bar());
    assert!(!Progress::with_terminal(500, "scenarios", false).is_bar());
    let p = Progress::with_terminal(5, "scenarios", false);
    p.set_message("0 failed");
    for _ in 0..5 {
        p.inc();
    }
    p.finish();
}

/// `report` writes the site (an index and a page per scenario, by topic), prints
/// a line per failure and the summary, and exits 1 when a scenario fails.
#[test]
fn report_writes_a_site_and_fails_like_run() {
    let dir = folder(
        "report",
        &[
            ("edit/passing.yaml", PASSING),
            ("edit/failing.yaml", FAILING),
        ],
    );
    let site = dir.join("site");
    let out = bin()
        .arg("report")
        .arg(&dir)
        .arg("--out")
        .arg(&site)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL    "), "{stdout}");
    assert!(stdout.contains("failing.yaml"), "{stdout}");
    assert!(
        stdout.contains("1 passed, 1 failed; report: ") && stdout.contains("index.html"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "no bar off a terminal: {stdout}"
    );
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    for page in ["edit__passing.html", "edit__failing.html"] {
        assert!(index.contains(page), "{page} linked from the index");
        assert!(site.join(page).is_file(), "{page} written");
    }
    assert!(site.join("style.css").is_file() && site.join("report.js").is_file());

    // Only the passing one: exit 0.
    let out = bin()
        .arg("report")
        .arg(dir.join("edit/passing.yaml"))
        .arg("--out")
        .arg(dir.join("site2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A folder that cannot be made is a clear error.
    let blocked = dir.join("edit/passing.yaml").join("site");
    let out = bin()
        .arg("report")
        .arg(dir.join("edit"))
        .arg("--out")
        .arg(&blocked)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--out"), "{}", text(&out));
}
