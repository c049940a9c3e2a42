//! The HTML report in a real browser: generates the report of the whole suite
//! (`scenarios/`) into `target/report-browser/site`, drives headless Chromium
//! through ChromeDriver (Debian's `chromium` and `chromium-driver`) with
//! fantoccini, and checks what a person sees against the snapshots under
//! `snapshots/` and the recorded per-step states:
//!
//! - the index lists every scenario with its outcome;
//! - on every scenario page, the Schedule lists the snapshot's MOs, each amber
//!   indicator's `title` is the snapshot's hover text, and the "unlinked" toggle
//!   shows exactly the snapshot's `unlinked_filter`;
//! - hovering an indicator shows exactly its hover text;
//! - choosing an earlier step shows the state right after it (Schedule, MO details,
//!   Shopify orders), the last step is shown at load;
//! - no page reports a JavaScript error, a rejected promise or a console error
//!   (`window.__errors`, collected by the page's hooks on `window.onerror`,
//!   `unhandledrejection` and `console.error`);
//! - screenshots: `target/report-browser/index.png` and
//!   `target/report-browser/<scenario>.png`.
//!
//! Without chromium and chromedriver the test says so and passes, except in CI
//! (`CI` set), where it fails: CI must have a browser.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use katana_sim::report::{ReportTransport, report_command};
use katana_sim::runner::{InProcess, run_recorded};
use katana_sim::scenario::load_scenario;
use katana_sim::snapshot::StepState;
use katana_sim::suite::repo_root;
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The scenario whose page is screenshot and whose timeline is walked step by step:
/// an MO started before an edit (unlinked, amber) and one that follows its row.
const WALKED: &str = "edit__set-status-then-edit";
/// How long ChromeDriver may take to say it started.
const DRIVER_START: Duration = Duration::from_secs(20);

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// ChromeDriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts ChromeDriver on a free port and waits for its "started successfully"
/// line, which names the port.
fn start_driver() -> TestResult<Driver> {
    let mut child = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {CHROMEDRIVER}: {e}"))?;
    let stdout = child.stdout.take().ok_or("chromedriver has no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let _ = tx.send(rest.trim_end_matches('.').trim().parse::<u16>().ok());
            }
            // Keep reading so that ChromeDriver never blocks on a full pipe.
        }
    });
    let mut driver = Driver { child, port: 0 };
    match rx.recv_timeout(DRIVER_START) {
        Ok(Some(port)) => {
            driver.port = port;
            Ok(driver)
        }
        Ok(None) => Err("chromedriver said it started but named no port".into()),
        Err(_) => Err(format!(
            "chromedriver did not say \"started successfully\" within {DRIVER_START:?}"
        )
        .into()),
    }
}

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The snapshot document of a scenario, from `snapshots/<name>.snap` (insta's
/// header skipped).
fn snapshot(name: &str) -> TestResult<Value> {
    let path = repo_root().join("snapshots").join(format!("{name}.snap"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    // `---\n<header>\n---\n<document>`
    let body = text.splitn(3, "---\n").nth(2).ok_or("no insta header")?;
    Ok(serde_saphyr::from_str(body).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// `(MO, hover text)` of a snapshot's Schedule line: `⚠ MO-1 · … · hover: "…"`.
fn schedule_entry(line: &str) -> (String, Option<String>) {
    let mo = line
        .trim_start_matches("⚠ ")
        .split(" · ")
        .next()
        .unwrap_or_default()
        .to_string();
    let hover = line
        .split_once(" · hover: \"")
        .map(|(_, h)| h.trim_end_matches('"').to_string());
    (mo, hover)
}

/// What the page shows now, read in one script: the visible Schedule rows (MO,
/// indicator title, SKU, quantity, status, production type), the visible MO detail
/// views (MO, banner text, action labels, history), the visible Shopify orders
/// (id, per line current quantity), the chosen step, and the page's errors.
const READ: &str = r#"
const read = () => {
const shown = (e) => e.offsetParent !== null;
const text = (e, id) => { const x = e.querySelector('[data-testid="' + id + '"]'); return x ? x.textContent.trim() : null; };
const rows = Array.from(document.querySelectorAll('[data-testid="mo-row"]')).filter(shown).map((r) => {
  const ind = r.querySelector('[data-testid="indicator"]');
  return [r.dataset.mo, ind ? ind.getAttribute('title') : null, text(r, 'sku'), text(r, 'quantity'), text(r, 'status'), text(r, 'production')];
});
const details = Array.from(document.querySelectorAll('[data-testid="mo-detail"]')).filter(shown).map((d) => [
  d.dataset.mo, text(d, 'banner-text'),
  Array.from(d.querySelectorAll('[data-testid="action"]')).map((a) => a.textContent.trim()),
  Array.from(d.querySelectorAll('[data-testid="history-item"]')).map((h) => h.textContent.trim())]);
const orders = Array.from(document.querySelectorAll('[data-testid="shopify-order"]')).filter(shown).map((o) => [
  Number(o.dataset.order),
  Array.from(o.querySelectorAll('[data-testid="current-quantity"]')).map((q) => Number(q.textContent))]);
return { rows, details, orders, step: document.body.dataset.step || null, errors: window.__errors || ['no error hook'] };
};
"#;

/// The same, as the recorded state says it should be.
fn expected_visible(state: &StepState, unlinked_only: bool) -> Value {
    let rows: Vec<Value> = state
        .schedule
        .iter()
        .filter(|r| !unlinked_only || r.hover.is_some())
        .map(|r| {
            json!([
                r.mo,
                r.hover,
                r.sku,
                r.quantity.to_string(),
                r.status,
                r.production
            ])
        })
        .collect();
    let details: Vec<Value> = state
        .mo_details
        .iter()
        .map(|d| {
            json!([
                d.mo,
                d.banner.as_ref().map(|b| b.text.clone()),
                d.banner
                    .as_ref()
                    .map(|b| b.actions.clone())
                    .unwrap_or_default(),
                d.history
            ])
        })
        .collect();
    let orders: Vec<Value> = state
        .shopify_orders
        .iter()
        .map(|o| {
            json!([
                o.id,
                o.lines
                    .iter()
                    .map(|l| l.current_quantity)
                    .collect::<Vec<_>>()
            ])
        })
        .collect();
    json!({ "rows": rows, "details": details, "orders": orders, "step": state.trace.step.to_string(), "errors": [] })
}

async fn visible(client: &Client) -> TestResult<Value> {
    Ok(client
        .execute(&format!("{READ} return read();"), vec![])
        .await?)
}

/// What the page shows at load, and with the "unlinked" toggle clicked (in the
/// page, one round trip; the walked scenario clicks it through WebDriver).
async fn visible_and_filtered(client: &Client) -> TestResult<(Value, Value)> {
    let script = format!(
        r#"{READ}
        const toggle = document.querySelector('[data-testid="unlinked-toggle"]');
        const atLoad = read();
        toggle.click();
        const filtered = read();
        toggle.click();
        return [atLoad, filtered];"#
    );
    let both = client.execute(&script, vec![]).await?;
    Ok((both[0].clone(), both[1].clone()))
}

async fn set_toggle(client: &Client, on: bool) -> TestResult {
    let toggle = client
        .find(Locator::Css(r#"[data-testid="unlinked-toggle"]"#))
        .await?;
    let checked = toggle.prop("checked").await?.as_deref() == Some("true");
    if checked != on {
        toggle.click().await?;
    }
    Ok(())
}

#[test]
fn the_report_shows_the_snapshots_in_headless_chromium() -> TestResult {
    let report_dir = target_dir().join("report-browser");
    let site = report_dir.join("site");
    let _ = std::fs::remove_dir_all(&site);
    let started = Instant::now();
    let summary = report_command(
        &[repo_root().join("scenarios")],
        ReportTransport::InProcess,
        &site,
        &mut |_, _, _| {},
    )?;
    eprintln!(
        "report of {} scenarios written in {:?}: {}",
        summary.scenarios.len(),
        started.elapsed(),
        summary.site.index.display()
    );
    assert_eq!(summary.failed, 0, "the suite passes, so does its report");

    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .filter(|p| !Path::new(p).is_file())
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "no browser for the report's browser test: {} missing (install Debian's \
             chromium and chromium-driver: apt-get install chromium chromium-driver)",
            missing.join(" and ")
        );
        if std::env::var_os("CI").is_some() {
            return Err(format!("{msg}; CI must have a browser").into());
        }
        eprintln!("SKIPPED: {msg}");
        return Ok(());
    }

    let driver = start_driver()?;
    let profile = target_dir()
        .join("tmp")
        .join(format!("report-browser-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .map_err(|e| format!("cannot open a Chromium session through chromedriver: {e}"))?;
        let checked = check_site(&client, &site, &report_dir, &summary).await;
        let closed = client.close().await;
        checked?;
        closed?;
        TestResult::Ok(())
    });
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!("browser test done in {:?}", started.elapsed());
    result
}

async fn check_site(
    client: &Client,
    site: &Path,
    report_dir: &Path,
    summary: &katana_sim::report::ReportSummary,
) -> TestResult {
    // The index: every scenario, with its outcome.
    client.goto(&file_url(&site.join("index.html"))).await?;
    let listed = client
        .execute(
            r#"return { rows: Array.from(document.querySelectorAll('[data-testid="scenario"]')).map((r) =>
                 [r.dataset.page, r.querySelector('[data-testid="scenario-status"]').textContent.trim(),
                  r.querySelector('[data-testid="step-count"]').textContent.trim()]),
               errors: window.__errors || ['no error hook'] };"#,
            vec![],
        )
        .await?;
    let expected: Vec<Value> = summary
        .scenarios
        .iter()
        .map(|s| json!([s.page, "pass", s.steps.to_string()]))
        .collect();
    assert_eq!(
        listed,
        json!({ "rows": expected, "errors": [] }),
        "the index"
    );
    std::fs::write(report_dir.join("index.png"), client.screenshot().await?)?;

    // Every scenario page: the Schedule, the hover texts and the filter as the
    // snapshot has them, at load (the last step).
    for s in &summary.scenarios {
        let name = s.page.trim_end_matches(".html");
        let snap = snapshot(name)?;
        let schedule: Vec<(String, Option<String>)> = strings(&snap, "schedule")
            .iter()
            .map(|l| schedule_entry(l))
            .collect();
        client.goto(&file_url(&site.join(&s.page))).await?;
        let (shown, filtered) = visible_and_filtered(client).await?;
        let last = s.states.last().ok_or("no state recorded")?;
        assert_eq!(shown, expected_visible(last, false), "{name}: at load");
        let rows: Vec<(String, Option<String>)> = shown["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r[0].as_str().unwrap_or_default().into(),
                    r[1].as_str().map(String::from),
                )
            })
            .collect();
        assert_eq!(rows, schedule, "{name}: Schedule vs the snapshot");
        // The "unlinked" toggle shows exactly the snapshot's filter.
        let mos: Vec<&str> = filtered["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r[0].as_str())
            .collect();
        assert_eq!(
            mos,
            strings(&snap, "unlinked_filter"),
            "{name}: the unlinked filter"
        );

        // Hovering the first indicator shows exactly its hover text, and nothing
        // before (every indicator's title was compared above).
        let Some(hover) = schedule.iter().find_map(|(_, h)| h.clone()) else {
            continue;
        };
        let indicator = client
            .find(Locator::Css(
                r#"section[data-testid="state"]:not([hidden]) [data-testid="indicator"]"#,
            ))
            .await?;
        let tip = indicator
            .find(Locator::Css(r#"[data-testid="hover-text"]"#))
            .await?;
        assert!(
            !tip.is_displayed().await?,
            "{name}: hover text shown before hovering"
        );
        client
            .perform_actions(
                MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                    element: indicator.clone(),
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                }),
            )
            .await?;
        assert!(
            tip.is_displayed().await?,
            "{name}: hover text not shown on hover"
        );
        assert_eq!(tip.text().await?, hover, "{name}: hover text");
        if name == WALKED {
            std::fs::write(
                report_dir.join(format!("{name}.png")),
                client.screenshot().await?,
            )?;
        }
        client.release_actions().await?;
    }

    // The walked scenario: choosing each step shows the state right after it, as
    // the runner records it; the filter follows the chosen step.
    let scenario = load_scenario(&repo_root().join("scenarios/edit/set-status-then-edit.yaml"))
        .map_err(|d| d.to_string())?;
    let states = run_recorded(&scenario, &mut InProcess::new()).states;
    client
        .goto(&file_url(&site.join(format!("{WALKED}.html"))))
        .await?;
    for state in states.iter().rev() {
        let button = client
            .find(Locator::Css(&format!(
                r#"[data-testid="timeline-step"][data-step="{}"]"#,
                state.trace.step
            )))
            .await?;
        button.click().await?;
        assert_eq!(
            visible(client).await?,
            expected_visible(state, false),
            "{WALKED}: after step {}",
            state.trace.step
        );
        set_toggle(client, true).await?;
        let filtered = visible(client).await?;
        assert_eq!(filtered["rows"], expected_visible(state, true)["rows"]);
        set_toggle(client, false).await?;
    }
    // A known earlier state: before the edits (step 3), MO-1 is still in progress
    // and linked, with no indicator, and MO-2 still has 5.
    client
        .find(Locator::Css(
            r#"[data-testid="timeline-step"][data-step="3"]"#,
        ))
        .await?
        .click()
        .await?;
    let early = visible(client).await?;
    assert_eq!(
        early["rows"],
        json!([
            [
                "MO-1",
                null,
                "OAK-TABLE",
                "5",
                "Work in progress",
                "Make-to-order for #1001 row 11"
            ],
            [
                "MO-2",
                null,
                "OAK-CHAIR",
                "5",
                "Not started",
                "Make-to-order for #1001 row 12"
            ]
        ])
    );
    assert_eq!(early["orders"], json!([[1001, [5, 5]]]));
    Ok(())
}
