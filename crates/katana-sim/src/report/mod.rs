//! The HTML report (`katana-sim report`): a static site of the scenario suite that
//! opens from disk, offline, with no server: an index of every scenario by topic
//! folder with its outcome, and one page per scenario showing what a Katana user
//! sees (Make → Schedule with the amber indicator and its hover text, the
//! "unlinked" filter, the MO detail views with their banners and message history),
//! the Shopify orders as the merchant sees them, and a step timeline: choosing a
//! step shows the state right after it ([`crate::runner::run_recorded`]).
//!
//! Pages come from minijinja templates under `report/templates/` (embedded in the
//! binary, HTML auto-escaping on). Each page embeds its per-step state as an inline
//! `<script type="application/json">` (file:// pages cannot fetch), and a little
//! plain JavaScript (`report.js`) does the timeline and the filter toggle; the hover
//! text is CSS. Elements tests rely on carry `data-testid` attributes (see the
//! templates).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::http::Http;
use crate::runner::{self, InProcess};
use crate::scenario::{Scenario, load_scenario};
use crate::snapshot::{StepState, snapshot_name};

#[cfg(test)]
mod tests;

const INDEX_HTML: &str = include_str!("templates/index.html");
const SCENARIO_HTML: &str = include_str!("templates/scenario.html");
const MACROS_HTML: &str = include_str!("templates/macros.html");
const STYLE_CSS: &str = include_str!("templates/style.css");
const REPORT_JS: &str = include_str!("templates/report.js");

/// Which transport the report runs scenarios through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportTransport {
    /// Function calls in one process.
    #[default]
    InProcess,
    /// Real HTTP against the mock Shopify server (slower; same results).
    Http,
    /// Both; a scenario fails unless the two give the same outcome. The states
    /// shown are the in-process run's.
    Both,
}

/// One scenario's result as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// The scenario file, as given.
    pub path: String,
    /// The page's file name in the site, e.g. `edit__edit-down.html`.
    pub page: String,
    /// The topic folder (the file's folder), e.g. `edit`.
    pub topic: String,
    /// The scenario's name: the file name without its extension.
    pub name: String,
    /// The scenario's description (empty for a file that does not parse).
    pub description: String,
    /// Number of steps (not counting the set-up).
    pub steps: usize,
    /// True when the scenario passed.
    pub passed: bool,
    /// The located failure report, as `run` prints it, for a failure.
    pub failure: Option<String>,
    /// The state right after the set-up (first) and after every step that ran.
    pub states: Vec<StepState>,
}

impl ScenarioReport {
    /// Runs `scenario` through `transport`, recording the state after every step.
    /// `base` is the folder the site's page names are relative to
    /// ([`crate::snapshot::snapshot_name`]).
    pub fn run(scenario: &Scenario, base: &Path, transport: ReportTransport) -> Self {
        let (result, states) = match transport {
            ReportTransport::InProcess => {
                let r = runner::run_recorded(scenario, &mut InProcess::new());
                (r.result.map(drop), r.states)
            }
            ReportTransport::Http => match Http::for_scenario(scenario) {
                Ok(mut http) => {
                    let r = runner::run_recorded(scenario, &mut http);
                    (r.result.map(drop), r.states)
                }
                Err(f) => (Err(f), Vec::new()),
            },
            ReportTransport::Both => {
                let in_process = runner::run_recorded(scenario, &mut InProcess::new());
                let http = Http::for_scenario(scenario)
                    .and_then(|mut http| runner::run_with(scenario, &mut http));
                let result = runner::both_agree(scenario, in_process.result, &http);
                (result.map(drop), in_process.states)
            }
        };
        let mut report = Self::named(&scenario.path, base);
        report.description = scenario.description.clone();
        report.steps = scenario.steps.len();
        report.passed = result.is_ok();
        report.failure = result.err().map(|f| f.to_string());
        report.states = states;
        report
    }

    /// A scenario file that could not be loaded: failed, with the problems found.
    pub fn invalid(path: &Path, base: &Path, problems: &str) -> Self {
        let mut report = Self::named(path, base);
        report.failure = Some(problems.to_string());
        report
    }

    fn named(path: &Path, base: &Path) -> Self {
        let topic = path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self {
            path: path.display().to_string(),
            page: format!("{}.html", page_stem(&snapshot_name(base, path))),
            topic,
            name,
            description: String::new(),
            steps: 0,
            passed: false,
            failure: None,
            states: Vec::new(),
        }
    }
}

/// A page name safe in a relative link: letters, digits, `.`, `_` and `-` kept,
/// anything else written `_`.
fn page_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() || stem == "index" {
        format!("scenario-{stem}")
    } else {
        stem
    }
}

/// What went wrong writing the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A scenario path could not be read.
    #[error("{0} (give scenario files or folders that exist)")]
    Discover(std::io::Error),
    /// A file or folder of the site could not be written.
    #[error("cannot write {}: {source} (choose an --out folder you can write to)", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A template could not be rendered (a bug in the templates).
    #[error("cannot render the report's page {page}: {source:#}")]
    Render {
        /// The page.
        page: String,
        /// Why.
        source: minijinja::Error,
    },
}

/// The files [`write_site`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The index page.
    pub index: PathBuf,
    /// Every file written (index, scenario pages, style sheet, script).
    pub files: Vec<PathBuf>,
}

/// What `katana-sim report` did.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// The scenarios that passed.
    pub passed: usize,
    /// The scenarios that failed (invalid files included).
    pub failed: usize,
    /// The site written.
    pub site: Site,
    /// Every scenario's result, in path order.
    pub scenarios: Vec<ScenarioReport>,
}

#[derive(Serialize)]
struct Topic<'a> {
    name: &'a str,
    scenarios: Vec<&'a ScenarioReport>,
}

fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, text) in [
        ("index.html", INDEX_HTML),
        ("scenario.html", SCENARIO_HTML),
        ("macros.html", MACROS_HTML),
    ] {
        env.add_template(name, text)
            .map_err(|source| ReportError::Render {
                page: name.to_string(),
                source,
            })?;
    }
    Ok(env)
}

/// Writes the site for `results` into `out` (created if missing): `index.html`,
/// one page per scenario (its [`ScenarioReport::page`]), `style.css` and
/// `report.js`. Links are relative, so the folder can be moved and opened from disk.
pub fn write_site(results: &[ScenarioReport], out: &Path) -> Result<Site, ReportError> {
    std::fs::create_dir_all(out).map_err(|source| ReportError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let env = environment()?;
    let mut files = Vec::new();
    let mut write = |name: &str, text: &str| -> Result<PathBuf, ReportError> {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        files.push(path.clone());
        Ok(path)
    };
    let render = |template: &str, page: &str, ctx: minijinja::Value| {
        env.get_template(template)
            .and_then(|t| t.render(ctx))
            .map_err(|source| ReportError::Render {
                page: page.to_string(),
                source,
            })
    };
    write("style.css", STYLE_CSS)?;
    write("report.js", REPORT_JS)?;
    let mut topics: BTreeMap<&str, Vec<&ScenarioReport>> = BTreeMap::new();
    for r in results {
        topics.entry(&r.topic).or_default().push(r);
    }
    let topics: Vec<Topic<'_>> = topics
        .into_iter()
        .map(|(name, scenarios)| Topic { name, scenarios })
        .collect();
    let passed = results.iter().filter(|r| r.passed).count();
    let html = render(
        "index.html",
        "index.html",
        context! { topics, passed, failed => results.len() - passed, total => results.len() },
    )?;
    let index = write("index.html", &html)?;
    for r in results {
        let html = render("scenario.html", &r.page, context! { s => r })?;
        write(&r.page, &html)?;
    }
    Ok(Site { index, files })
}

/// `katana-sim report [PATH...] --out DIR`: runs every scenario found under
/// `paths` through `transport`, recording each step's state, and writes the site
/// into `out`. `on_scenario` is told of each scenario as it finishes (done, total,
/// its result), e.g. for a progress bar. Prints nothing.
pub fn report_command(
    paths: &[PathBuf],
    transport: ReportTransport,
    out: &Path,
    on_scenario: &mut dyn FnMut(usize, usize, &ScenarioReport),
) -> Result<ReportSummary, ReportError> {
    let files = crate::suite::discover(paths).map_err(ReportError::Discover)?;
    let base = common_base(&files);
    let mut scenarios = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let report = match load_scenario(file) {
            Ok(s) => ScenarioReport::run(&s, &base, transport),
            Err(d) => ScenarioReport::invalid(file, &base, &d.to_string()),
        };
        on_scenario(i + 1, files.len(), &report);
        scenarios.push(report);
    }
    let site = write_site(&scenarios, out)?;
    let passed = scenarios.iter().filter(|r| r.passed).count();
    Ok(ReportSummary {
        passed,
        failed: scenarios.len() - passed,
        site,
        scenarios,
    })
}

/// The deepest folder that holds every file (pages are named from it), e.g.
/// `scenarios` for the whole suite.
pub fn common_base(files: &[PathBuf]) -> PathBuf {
    let mut base: Option<PathBuf> = None;
    for f in files {
        let dir = f.parent().unwrap_or(Path::new("")).to_path_buf();
        base = Some(match base {
            None => dir,
            Some(b) => {
                let common: PathBuf = b
                    .components()
                    .zip(dir.components())
                    .take_while(|(x, y)| x == y)
                    .map(|(x, _)| x)
                    .collect();
                common
            }
        });
    }
    // One folder of one topic: name pages from its parent so that they keep the
    // topic in their names (`edit__edit-down`).
    match base {
        Some(b) if files.iter().all(|f| f.parent() == Some(b.as_path())) => {
            b.parent().map(Path::to_path_buf).unwrap_or(b)
        }
        Some(b) => b,
        None => PathBuf::new(),
    }
}
