//! The site writer: files written, relative links that resolve, escaping, a
//! failing scenario's report in the index, and the recorded states against the
//! snapshots.

use std::path::{Path, PathBuf};

use super::*;
use crate::scenario::parse_scenario;
use crate::suite::repo_root;

/// A fresh folder for one test's site.
fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("katana-sim-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn scenario(path: &str, text: &str) -> Scenario {
    match parse_scenario(Path::new(path), text) {
        Ok(s) => s,
        Err(d) => panic!("test scenario does not parse:\n{d}"),
    }
}

const EDIT: &str = r#"
description: "An MO in progress is unlinked <script>alert('x')</script> & kept."
shopify:
  orders:
    - id: 1001
      lines:
        - { id: 11, sku: OAK-TABLE, quantity: 5 }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 }, status: in_progress }
steps:
  - edit: { order: 1001, line: 11, quantity: 3 }
"#;

const FAILING: &str = r#"
description: A check that does not hold.
shopify:
  orders:
    - id: 1001
      lines:
        - { id: 11, sku: OAK-TABLE, quantity: 5 }
katana:
  manufacturing_orders:
    - { id: MO-1, make_to_order: { order: 1001, line: 11 }, status: not_started }
steps:
  - edit: { order: 1001, line: 11, quantity: 3 }
  - expect: { MO-1: { quantity: 4 } }
"#;

/// Text as minijinja's HTML escaping writes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `href="…"` and `src="…"` of a page that is not an in-page anchor.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            let link = &rest[..end];
            if !link.starts_with('#') {
                out.push(link.to_string());
            }
        }
    }
    out
}

#[test]
fn writes_an_index_and_a_page_per_scenario_with_relative_links_that_resolve() {
    let base = Path::new("scenarios");
    let results = vec![
        ScenarioReport::run(
            &scenario("scenarios/edit/unlink.yaml", EDIT),
            base,
            ReportTransport::InProcess,
        ),
        ScenarioReport::run(
            &scenario("scenarios/checks/failing.yaml", FAILING),
            base,
            ReportTransport::InProcess,
        ),
    ];
    let out = out_dir("links");
    let site = write_site(&results, &out).expect("site written");
    assert_eq!(site.index, out.join("index.html"));
    for name in [
        "index.html",
        "style.css",
        "report.js",
        "edit__unlink.html",
        "checks__failing.html",
    ] {
        assert!(out.join(name).is_file(), "{name} not written");
    }
    assert_eq!(site.files.len(), 5);
    for page in ["index.html", "edit__unlink.html", "checks__failing.html"] {
        let html = read(&out.join(page));
        let found = links(&html);
        assert!(!found.is_empty(), "{page} links to nothing");
        for link in found {
            assert!(
                !link.contains("://") && !link.starts_with('/'),
                "{page}: link {link} is not relative"
            );
            assert!(
                out.join(&link).is_file(),
                "{page}: link {link} does not resolve"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn descriptions_and_trace_lines_are_escaped() {
    let report = ScenarioReport::run(
        &scenario("scenarios/edit/unlink.yaml", EDIT),
        Path::new("scenarios"),
        ReportTransport::InProcess,
    );
    let out = out_dir("escape");
    write_site(std::slice::from_ref(&report), &out).expect("site written");
    for page in ["index.html", "edit__unlink.html"] {
        let html = read(&out.join(page));
        assert!(
            !html.contains("<script>alert"),
            "{page} holds the raw <script>"
        );
        assert!(
            html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; kept."),
            "{page} does not show the description escaped"
        );
    }
    let page = read(&out.join("edit__unlink.html"));
    // The embedded state cannot close its <script> element either.
    let json_start = page
        .find("<script type=\"application/json\" id=\"states\">")
        .expect("state");
    let json = &page[json_start..];
    let json = &json[json.find('>').map_or(0, |i| i + 1)..json.find("</script>").unwrap_or(0)];
    assert!(!json.contains('<'), "the embedded JSON holds a raw <");
    // The trace lines are there, as text.
    assert!(page.contains(
        "<li data-testid=\"trace-line\">MO-1 unlinked → make-to-stock; message 1 open: so_quantity_changed 5 → 3</li>"
    ));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_failing_scenario_shows_its_located_failure_in_the_index() {
    let failing = ScenarioReport::run(
        &scenario("scenarios/checks/failing.yaml", FAILING),
        Path::new("scenarios"),
        ReportTransport::InProcess,
    );
    assert!(!failing.passed);
    let failure = failing.failure.clone().expect("a failure report");
    assert!(
        failure.starts_with("scenarios/checks/failing.yaml:"),
        "{failure}"
    );
    assert!(failure.contains("step 2 failed"), "{failure}");
    // The set-up and step 1 ran; step 2 failed.
    assert_eq!(failing.states.len(), 2);
    let invalid = ScenarioReport::invalid(
        Path::new("scenarios/checks/broken.yaml"),
        Path::new("scenarios"),
        "scenarios/checks/broken.yaml:1:1: unknown key `oops`",
    );
    let out = out_dir("failing");
    write_site(&[failing, invalid], &out).expect("site written");
    let index = read(&out.join("index.html"));
    assert!(index.contains("2 scenarios: 0 passed, 2 failed"));
    assert!(index.contains("data-page=\"checks__failing.html\" data-passed=\"false\""));
    let first_line = escaped(failure.lines().next().unwrap_or_default());
    assert!(index.contains(&first_line), "index lacks {first_line}");
    assert!(index.contains("unknown key `oops`"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_last_recorded_state_is_the_snapshot_for_every_scenario_of_the_suite() {
    let files = crate::suite::discover(&[repo_root().join("scenarios")]).expect("suite");
    assert!(!files.is_empty());
    for file in files {
        let s = crate::scenario::load_scenario(&file).expect("valid scenario");
        let recorded = runner::run_recorded(&s, &mut InProcess::new());
        let snap = recorded.result.expect("the suite passes");
        let plain = runner::run(&s).expect("the suite passes");
        assert_eq!(
            snap,
            plain,
            "{}: recording changed the snapshot",
            file.display()
        );
        assert_eq!(
            recorded.states.len(),
            s.steps.len() + 1,
            "{}",
            file.display()
        );
        let last = recorded.states.last().expect("a state");
        assert_eq!(last.schedule_lines(), snap.schedule, "{}", file.display());
        assert_eq!(
            last.unlinked_filter,
            snap.unlinked_filter,
            "{}",
            file.display()
        );
        assert_eq!(last.detail_snaps(), snap.mo_details, "{}", file.display());
        let trace: Vec<_> = recorded.states.iter().map(|st| st.trace.clone()).collect();
        assert_eq!(trace, snap.trace, "{}", file.display());
    }
}

#[test]
fn page_names_stay_links_and_bases_keep_topics() {
    assert_eq!(page_stem("edit__edit-down"), "edit__edit-down");
    assert_eq!(page_stem("a b#c?"), "a_b_c_");
    assert_eq!(page_stem("index"), "scenario-index");
    let one_topic = [
        PathBuf::from("scenarios/edit/a.yaml"),
        PathBuf::from("scenarios/edit/b.yaml"),
    ];
    assert_eq!(common_base(&one_topic), PathBuf::from("scenarios"));
    let two = [
        PathBuf::from("scenarios/edit/a.yaml"),
        PathBuf::from("scenarios/cancel/b.yaml"),
    ];
    assert_eq!(common_base(&two), PathBuf::from("scenarios"));
}

#[test]
fn over_http_the_recorded_states_are_the_in_process_ones() {
    let s = scenario("scenarios/edit/unlink.yaml", EDIT);
    let base = Path::new("scenarios");
    let in_process = ScenarioReport::run(&s, base, ReportTransport::InProcess);
    let http = ScenarioReport::run(&s, base, ReportTransport::Http);
    let both = ScenarioReport::run(&s, base, ReportTransport::Both);
    assert!(http.passed, "{:?}", http.failure);
    assert!(both.passed, "{:?}", both.failure);
    assert_eq!(http.states, in_process.states);
    assert_eq!(both.states, in_process.states);
    let last = in_process.states.last().expect("a state");
    assert_eq!(last.shopify_orders.len(), 1);
    assert_eq!(last.shopify_orders[0].lines[0].current_quantity, 3);
}

#[test]
fn report_command_names_a_missing_path_and_writes_nothing() {
    let out = out_dir("missing");
    let err = report_command(
        &[PathBuf::from("no/such/scenarios")],
        ReportTransport::InProcess,
        &out,
        &mut |_, _, _| {},
    )
    .expect_err("a missing path is an error");
    assert!(err.to_string().contains("no/such/scenarios"), "{err}");
    assert!(!out.exists());
}
