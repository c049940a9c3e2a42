//! `katana-sim`: replays YAML scenarios of Shopify order changes against Katana MOs.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use katana_sim::http::Http;
use katana_sim::progress::Progress;
use katana_sim::scenario::{Scenario, load_scenario};
use katana_sim::snapshot::Snapshot;
use katana_sim::{explore, runner, suite};

/// explore clones small worlds on every step; mimalloc makes that about 1.6× faster
/// than the system allocator (`cargo bench -p katana-sim --bench explore`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXAMPLES: &str = "\
Examples:
  katana-sim run                              run every scenario under scenarios/
  katana-sim run scenarios/edit               run one folder
  katana-sim run scenarios/edit/edit-down.yaml
  katana-sim run --transport http             replay through the mock Shopify server and webhooks
  katana-sim run --junit target/katana-sim.xml   also a JUnit XML report, for CI's test view
  katana-sim run --format json                one JSON object per scenario per line, for tools
  katana-sim check scenarios/                 validate files without running them
  katana-sim list                             list scenarios with their descriptions
  katana-sim show scenarios/edit/edit-down.yaml   print the snapshot document of one scenario
  katana-sim report --out target/report       an HTML report to open in a browser (target/report/index.html)
  katana-sim explore --cases 1000             random scenarios, invariants on every step
  katana-sim explore --transport both --seed random   in process and over HTTP, a new seed
  katana-sim explore --seed 7 --case 42 --print       replay one case and print its file
  katana-sim docs steps                       the step reference (docs/steps.md)
  katana-sim docs refusals                    the refusal kinds (docs/refusals.md)
  katana-sim docs schema                      the JSON Schema of scenario files (docs/scenario.schema.json)
  katana-sim rules                            the decision tables, computed (docs/decision-table.md)";

/// Replays YAML scenarios of Shopify order changes against Katana manufacturing
/// orders, and shows what happened to each MO and what the user is told.
#[derive(Parser)]
#[command(name = "katana-sim", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios: one line per scenario, then a summary; exits 1 if any fails.
    Run {
        /// Scenario files or folders (searched recursively for .yaml/.yml).
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// How a step reaches Katana.
        #[arg(long, value_enum, default_value_t = Transport::InProcess)]
        transport: Transport,
        /// What goes to stdout: a line per scenario and the summary (`text`), or
        /// one JSON object per scenario per line (`json`; the summary goes to stderr).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also write a JUnit XML report here: one test case per scenario (class:
        /// its topic folder), for CI systems' test views.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Validate scenario files without running them; exits 1 if any is invalid.
    Check {
        /// Scenario files or folders.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
    /// List scenarios with their descriptions.
    List {
        /// Scenario files or folders.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
    /// Write a static HTML report of scenarios (opens from disk, offline): an index
    /// by topic, and per scenario the Schedule, the unlinked filter, the MO details,
    /// the Shopify orders and a step timeline; exits 1 if any scenario fails.
    Report {
        /// Scenario files or folders.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// How a step reaches Katana.
        #[arg(long, value_enum, default_value_t = Transport::InProcess)]
        transport: Transport,
        /// The folder to write the site into (created if missing).
        #[arg(long, value_name = "DIR", default_value = "target/report")]
        out: PathBuf,
    },
    /// Print the snapshot document of one scenario (final state, Schedule, trace).
    Show {
        /// The scenario file.
        file: PathBuf,
        /// How a step reaches Katana.
        #[arg(long, value_enum, default_value_t = Transport::InProcess)]
        transport: Transport,
    },
    /// Generate random scenarios from a seed and check every invariant on every step,
    /// on one or both transports; shrink what fails to a scenario file.
    Explore {
        /// The run's seed: a number, or `random` (the seed chosen is printed).
        #[arg(long, default_value = "20261128")]
        seed: String,
        /// How many cases.
        #[arg(long, default_value_t = 200)]
        cases: u64,
        /// At most this many steps per case.
        #[arg(long, default_value_t = explore::DEFAULT_MAX_STEPS)]
        max_steps: usize,
        /// How often each step kind is drawn, e.g. `edit=20,refund=0` (the others
        /// keep their weights; `katana-sim docs steps` lists each step's).
        #[arg(long, value_name = "STEP=N,...")]
        weights: Option<String>,
        /// Where cases run: in process, over HTTP, or both (outcomes must agree).
        #[arg(long, value_enum, default_value_t = ExploreOn::InProcess)]
        transport: ExploreOn,
        /// Where failing cases are saved, shrunk, as scenario files.
        #[arg(long, default_value = "scenarios/found")]
        save: PathBuf,
        /// Run only shard K of N (`K/N`, K from 1): case k when k % N == K - 1.
        #[arg(long)]
        shard: Option<String>,
        /// Stop starting new cases after this long (e.g. `60s`, `5m`).
        #[arg(long)]
        time_budget: Option<String>,
        /// Generate and run every case twice and compare the bytes.
        #[arg(long)]
        check_determinism: bool,
        /// Run only this case (the repro line of a failure names it).
        #[arg(long)]
        case: Option<u64>,
        /// Print each case's scenario file (with `--case`: the one case).
        #[arg(long)]
        print: bool,
        /// Print the coverage table (change × MO type × status × delivery).
        #[arg(long)]
        coverage: bool,
        /// Faults on the wire (they act over HTTP; the outcome must not change):
        /// `none`, `light` (about one step in six gets one), `heavy` (about one
        /// step in two gets one to three), or a file with a `faults:` list as in a
        /// scenario, given to every case.
        #[arg(long, default_value = "none", value_name = "none|light|heavy|FILE")]
        faults: String,
        /// Cases run at once, each in a world of its own (default: one per core).
        /// The output is the same whatever the number.
        #[arg(long)]
        jobs: Option<std::num::NonZeroUsize>,
        /// Also write a JUnit XML report here: one test case per case (class
        /// `seed-<seed>`, name `case-<k>`), for CI systems' test views.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Print a reference generated from the code, in Markdown (as in docs/).
    Docs {
        /// Which reference.
        #[arg(value_enum)]
        topic: DocsTopic,
    },
    /// Print the decision tables of the rules in Markdown, computed by running the
    /// rules on small worlds (docs/decision-table.md).
    Rules,
}

/// Where `explore` runs its cases.
#[derive(Clone, Copy, ValueEnum)]
enum ExploreOn {
    /// In process.
    InProcess,
    /// Over HTTP.
    Http,
    /// Both; their outcomes must be the same.
    Both,
}

/// What `run` writes to stdout.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A line per scenario (`ok`, `FAIL` with the failure report), then the summary.
    Text,
    /// One JSON object per scenario per line (JSON Lines), nothing else.
    Json,
}

/// A reference `katana-sim docs` prints.
#[derive(Clone, Copy, ValueEnum)]
enum DocsTopic {
    /// Every step with its fields and an example (docs/steps.md).
    Steps,
    /// Every refusal kind with who refuses and what it means (docs/refusals.md).
    Refusals,
    /// The JSON Schema of scenario files (docs/scenario.schema.json).
    Schema,
}

/// How a step reaches Katana.
#[derive(Clone, Copy, ValueEnum)]
enum Transport {
    /// Function calls in one process (Shopify model → order JSON → sync → rules).
    InProcess,
    /// Real HTTP: the mock Shopify server's APIs, signed webhooks to the sync's
    /// receiver, REST reads back (slower; same results).
    Http,
    /// Both: the scenario fails unless the two give the same outcome (the snapshot,
    /// or the same failure).
    Both,
}

impl Transport {
    /// Runs one scenario over this transport.
    fn run(
        self,
        scenario: &Scenario,
    ) -> Result<katana_sim::snapshot::Snapshot, Box<runner::Failure>> {
        match self {
            Transport::InProcess => runner::run(scenario),
            Transport::Http => runner::run_with(scenario, &mut Http::for_scenario(scenario)?),
            Transport::Both => runner::both_agree(
                scenario,
                Transport::InProcess.run(scenario),
                &Transport::Http.run(scenario),
            ),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(bug) = runner::PlantedBug::from_env() {
        eprintln!(
            "warning: {} is set: a bug is planted on purpose in the in-process transport ({bug:?})",
            runner::PLANT_BUG_VAR
        );
    }
    let mut out = io::stdout().lock();
    let result = execute(cli, &mut out).and_then(|ok| {
        out.flush()?;
        Ok(ok)
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        // A reader that stops early (`katana-sim check | head -1`) is not an error,
        // as for other Unix tools.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let mut stderr = io::stderr();
            let _ = writeln!(stderr, "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn parse_shard(text: &str) -> anyhow::Result<(u64, u64)> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
        .filter(|(k, n)| *k >= 1 && k <= n);
    parsed.ok_or_else(|| {
        anyhow::anyhow!("--shard takes K/N with 1 <= K <= N, e.g. 2/4; got `{text}`")
    })
}

fn parse_duration(text: &str) -> anyhow::Result<std::time::Duration> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| anyhow::anyhow!("--time-budget takes e.g. 60s, 5m or 1h; got `{text}`"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => anyhow::bail!("--time-budget takes e.g. 60s, 5m or 1h; got `{text}`"),
    };
    Ok(std::time::Duration::from_secs(seconds))
}

/// `katana-sim explore`: runs the cases, prints failures and a summary; with
/// `junit`, writes one test case per case there. Progress goes to stderr
/// ([`Progress`]): a bar on a terminal, a plain line every tenth of the cases
/// otherwise (for runs of 100 cases or more).
#[allow(clippy::too_many_arguments)]
fn explore_run(
    config: &explore::Config,
    jobs: usize,
    save: &std::path::Path,
    budget: Option<std::time::Duration>,
    print: bool,
    show_coverage: bool,
    junit: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let started = std::time::Instant::now();
    let mut report = explore::Report::default();
    let total = explore::case_numbers(config).len() as u64;
    let progress = Progress::new(total, "cases").command("explore");
    progress.set_message("0 steps, 0 failed");
    let mut cases = Vec::new();
    let stop = || budget.is_some_and(|b| started.elapsed() >= b);
    let mut handle = |result: explore::CaseResult| -> anyhow::Result<()> {
        let k = result.index;
        report.cases += 1;
        report.steps += result.steps as u64;
        progress.suspend(|| -> anyhow::Result<()> {
            if print {
                let case = config.case(k);
                if let Ok(p) = explore::case::prepare(&case, "explore case") {
                    write!(out, "# case {k}\n{}", p.text).context(STDOUT)?;
                }
            }
            match result.outcome {
                explore::Outcome::Passed(_) => {
                    if junit.is_some() {
                        cases.push(junit::explore_case(config.seed, k, result.steps, None));
                    }
                }
                explore::Outcome::Failed {
                    finding,
                    text,
                    file,
                } => {
                    let path = explore::save(save, &file, &text)
                        .with_context(|| format!("saving the case under {}", save.display()))?;
                    writeln!(
                        out,
                        "FAIL    case {k}: {}\n        {}\n        saved: {}",
                        finding.property,
                        explore::repro(config, k),
                        path.display()
                    )
                    .context(STDOUT)?;
                    for line in finding.detail.lines().take(12) {
                        writeln!(out, "        {line}").context(STDOUT)?;
                    }
                    if junit.is_some() {
                        let failed = junit::ExploreFailure {
                            message: format!("case {k}: {}", finding.property),
                            report: format!(
                                "case {k}: {}\n{}\nsaved: {}\n{}",
                                finding.property,
                                explore::repro(config, k),
                                path.display(),
                                finding.detail
                            ),
                            file: text.clone(),
                            invalid: false,
                        };
                        cases.push(junit::explore_case(
                            config.seed,
                            k,
                            result.steps,
                            Some(failed),
                        ));
                    }
                    report.failed.push((k, finding, path));
                }
                explore::Outcome::Invalid(e) => {
                    writeln!(out, "INVALID case {k}: {}", explore::repro(config, k))
                        .context(STDOUT)?;
                    for line in e.lines().take(12) {
                        writeln!(out, "        {line}").context(STDOUT)?;
                    }
                    if junit.is_some() {
                        let invalid = junit::ExploreFailure {
                            message: format!("case {k}: invalid"),
                            report: format!(
                                "case {k}: invalid\n{}\n{e}",
                                explore::repro(config, k)
                            ),
                            file: String::new(),
                            invalid: true,
                        };
                        cases.push(junit::explore_case(
                            config.seed,
                            k,
                            result.steps,
                            Some(invalid),
                        ));
                    }
                    report.invalid.push((k, e));
                }
            }
            Ok(())
        })?;
        progress.set_message(format!(
            "{} steps, {} failed",
            report.steps,
            report.failed.len()
        ));
        progress.inc();
        Ok(())
    };
    let coverage = explore::run_cases(config, jobs, &stop, &mut handle);
    progress.finish();
    report.coverage = coverage?;
    if let Some(file) = junit {
        junit::write(file, "katana-sim explore", started.elapsed(), cases)?;
    }
    if report.cases < total {
        writeln!(
            out,
            "time budget spent after {} of {total} cases",
            report.cases
        )
        .context(STDOUT)?;
    }
    let expected = explore::coverage::Coverage::expected().len();
    let missed = report.coverage.missed();
    if show_coverage {
        write!(out, "\n{}", report.coverage.table()).context(STDOUT)?;
    }
    writeln!(
        out,
        "\nseed {}: {} cases, {} steps, {} failed, {} invalid; coverage {} of {} cells",
        config.seed,
        report.cases,
        report.steps,
        report.failed.len(),
        report.invalid.len(),
        expected - missed.len(),
        expected
    )
    .context(STDOUT)?;
    writeln!(
        out,
        "invariants: {} checked after each of {} steps",
        katana_sim::invariants::INVARIANTS.len(),
        report.coverage.checked_steps
    )
    .context(STDOUT)?;
    if !report.coverage.faults.is_empty() {
        let faults: Vec<String> = report
            .coverage
            .faults
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(out, "faults planned: {}", faults.join(", ")).context(STDOUT)?;
    }
    if !missed.is_empty() && (show_coverage || report.cases >= 500) {
        let names: Vec<String> = missed
            .iter()
            .map(|(c, t, s, d)| format!("{c}/{t}/{s}/{d}"))
            .collect();
        writeln!(out, "cells not reached: {}", names.join(", ")).context(STDOUT)?;
    }
    Ok(report.failed.is_empty() && report.invalid.is_empty())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let files = suite::discover(paths).context("finding scenarios")?;
    if files.is_empty() {
        anyhow::bail!("no scenario files (.yaml/.yml) under {}", show_paths(paths));
    }
    Ok(files)
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loads every file; prints the diagnostics of the invalid ones.
fn load_all(files: &[PathBuf], out: &mut dyn Write) -> anyhow::Result<(Vec<Scenario>, usize)> {
    let mut ok = Vec::new();
    let mut invalid = 0;
    for f in files {
        match load_scenario(f) {
            Ok(s) => ok.push(s),
            Err(d) => {
                invalid += 1;
                writeln!(out, "INVALID {}", f.display()).context(STDOUT)?;
                for line in d.to_string().lines() {
                    writeln!(out, "        {line}").context(STDOUT)?;
                }
            }
        }
    }
    Ok((ok, invalid))
}

const STDOUT: &str = "cannot write to standard output";

fn execute(cli: Cli, out: &mut dyn Write) -> anyhow::Result<bool> {
    match cli.command {
        Command::Run {
            paths,
            transport,
            format,
            junit,
        } => run_command(&paths, transport, format, junit.as_deref(), out),
        Command::Check { paths } => {
            let files = discover(&paths)?;
            let (scenarios, invalid) = load_all(&files, out)?;
            for s in &scenarios {
                writeln!(out, "valid   {}", s.path.display()).context(STDOUT)?;
            }
            writeln!(out, "\n{} valid, {invalid} invalid", scenarios.len()).context(STDOUT)?;
            Ok(invalid == 0)
        }
        Command::List { paths } => {
            let files = discover(&paths)?;
            let (scenarios, invalid) = load_all(&files, out)?;
            for s in &scenarios {
                writeln!(out, "{}\n    {}", s.path.display(), s.description).context(STDOUT)?;
            }
            Ok(invalid == 0)
        }
        Command::Explore {
            seed,
            cases,
            max_steps,
            transport,
            save,
            shard,
            time_budget,
            check_determinism,
            case,
            print,
            coverage,
            faults,
            jobs,
            weights,
            junit,
        } => {
            let seed = match seed.as_str() {
                "random" => {
                    let nanos = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos());
                    let chosen = (nanos as u64) ^ u64::from(std::process::id());
                    writeln!(out, "seed {chosen}").context(STDOUT)?;
                    chosen
                }
                n => n
                    .parse()
                    .with_context(|| format!("--seed takes a number or `random`, not `{n}`"))?,
            };
            let shard = match shard {
                None => (1, 1),
                Some(text) => parse_shard(&text)?,
            };
            let budget = time_budget.map(|t| parse_duration(&t)).transpose()?;
            let config = explore::Config {
                seed,
                cases,
                max_steps,
                transports: match transport {
                    ExploreOn::InProcess => explore::Transports::InProcess,
                    ExploreOn::Http => explore::Transports::Http,
                    ExploreOn::Both => explore::Transports::Both,
                },
                check_determinism,
                shard,
                only_case: case,
                faults: match faults.as_str() {
                    "none" => explore::case::FaultPlan::None,
                    "light" => explore::case::FaultPlan::Light,
                    "heavy" => explore::case::FaultPlan::Heavy,
                    file => explore::case::FaultPlan::Fixed {
                        file: PathBuf::from(file),
                        faults: katana_sim::scenario::load_fault_plan(std::path::Path::new(file))
                            .map_err(|d| {
                            anyhow::anyhow!(
                                "--faults takes none, light, heavy or a fault plan file:\n{d}"
                            )
                        })?,
                    },
                },
                weights: weights
                    .map(|w| explore::Weights::parse(&w))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--weights: {e}"))?,
            };
            let jobs = jobs
                .or_else(|| std::thread::available_parallelism().ok())
                .map_or(1, std::num::NonZeroUsize::get);
            explore_run(
                &config,
                jobs,
                &save,
                budget,
                print,
                coverage,
                junit.as_deref(),
                out,
            )
        }
        Command::Docs { topic } => {
            let text = match topic {
                DocsTopic::Steps => katana_sim::steps::reference_markdown(),
                DocsTopic::Refusals => katana_sim::refusal::reference_markdown(),
                DocsTopic::Schema => katana_sim::scenario::schema::scenario_schema_json(),
            };
            write!(out, "{text}").context(STDOUT)?;
            Ok(true)
        }
        Command::Rules => {
            let text = katana_sim::decision::decision_tables_markdown();
            write!(out, "{text}").context(STDOUT)?;
            Ok(true)
        }
        Command::Report {
            paths,
            transport,
            out: dir,
        } => report(&paths, transport, &dir, out),
        Command::Show { file, transport } => {
            let scenario = load_scenario(&file).map_err(|d| anyhow::anyhow!("{d}"))?;
            match transport.run(&scenario) {
                Ok(snapshot) => {
                    write!(out, "{}", snapshot.to_yaml()).context(STDOUT)?;
                    Ok(true)
                }
                Err(failure) => {
                    writeln!(out, "{failure}").context(STDOUT)?;
                    Ok(false)
                }
            }
        }
    }
}

/// One scenario file's result in `run`.
struct Ran {
    /// The file.
    path: PathBuf,
    /// The JUnit class: the scenario's topic folder.
    topic: String,
    /// Its steps (0 for a file that is not a valid scenario).
    steps: usize,
    /// How long loading and running it took.
    duration: Duration,
    outcome: RanOutcome,
}

enum RanOutcome {
    Passed(Box<Snapshot>),
    Failed {
        failure: Box<runner::Failure>,
        /// The set-up and the steps run, up to the failing one, as written.
        steps_run: Vec<String>,
    },
    /// The file is not a valid scenario: its diagnostics.
    Invalid(String),
}

impl Ran {
    fn passed(&self) -> bool {
        matches!(self.outcome, RanOutcome::Passed(_))
    }

    /// What the scenario did, for JUnit's system-out: the snapshot's trace, or
    /// the steps run up to the failure.
    fn trace(&self) -> String {
        match &self.outcome {
            RanOutcome::Passed(snapshot) => {
                let mut text = String::new();
                for entry in &snapshot.trace {
                    if entry.step == 0 {
                        text.push_str(&format!("{} {}\n", entry.at, entry.does));
                    } else {
                        text.push_str(&format!(
                            "{} step {}: {}\n",
                            entry.at, entry.step, entry.does
                        ));
                    }
                    for effect in &entry.effects {
                        text.push_str(&format!("  {effect}\n"));
                    }
                }
                text
            }
            RanOutcome::Failed { steps_run, .. } => {
                steps_run.iter().map(|s| format!("{s}\n")).collect()
            }
            RanOutcome::Invalid(_) => String::new(),
        }
    }
}

/// The scenario's topic folder, its JUnit class: its folder relative to the
/// folder named on the command line that holds it (`edit` for
/// `scenarios/edit/edit-down.yaml` under `scenarios`), or its folder's own name
/// when it lies directly in that folder or was named itself.
fn topic(file: &Path, roots: &[PathBuf]) -> String {
    let parent = file.parent().unwrap_or(Path::new(""));
    for root in roots.iter().filter(|r| r.is_dir()) {
        if let Ok(relative) = parent.strip_prefix(root)
            && relative.components().next().is_some()
        {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            return parts.join("/");
        }
    }
    parent
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Loads and runs one scenario file.
fn run_one(file: &Path, roots: &[PathBuf], transport: Transport) -> Ran {
    let started = std::time::Instant::now();
    let topic = topic(file, roots);
    let (steps, outcome) = match load_scenario(file) {
        Err(d) => (0, RanOutcome::Invalid(d.to_string())),
        Ok(scenario) => {
            let outcome = match transport.run(&scenario) {
                Ok(snapshot) => RanOutcome::Passed(Box::new(snapshot)),
                Err(failure) => {
                    let mut steps_run = vec!["set-up".to_string()];
                    steps_run.extend(
                        scenario
                            .steps
                            .iter()
                            .take(failure.step)
                            .enumerate()
                            .map(|(i, e)| format!("step {}: {}", i + 1, e.step)),
                    );
                    RanOutcome::Failed { failure, steps_run }
                }
            };
            (scenario.steps.len(), outcome)
        }
    };
    Ran {
        path: file.to_path_buf(),
        topic,
        steps,
        duration: started.elapsed(),
        outcome,
    }
}

/// `run`'s line for one scenario in `--format text`, as before: `ok`, `FAIL` with
/// the failure report indented, or `INVALID` with the diagnostics.
fn text_line(ran: &Ran) -> String {
    let indented = |head: &str, body: &str| {
        let mut text = format!("{head} {}\n", ran.path.display());
        for line in body.lines() {
            text.push_str(&format!("        {line}\n"));
        }
        text
    };
    match &ran.outcome {
        RanOutcome::Passed(_) => format!("ok      {} ({} steps)\n", ran.path.display(), ran.steps),
        RanOutcome::Failed { failure, .. } => indented("FAIL   ", &failure.to_string()),
        RanOutcome::Invalid(d) => indented("INVALID", d),
    }
}

/// `run --format json`: one scenario's line.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    path: String,
    outcome: &'static str,
    failing_step: Option<usize>,
    step_text: Option<&'a str>,
    refusal_kind: Option<&'static str>,
    reason: Option<String>,
    duration_ms: f64,
    steps: usize,
    transport: &'static str,
}

impl<'a> JsonLine<'a> {
    fn of(ran: &'a Ran, transport: Transport) -> Self {
        let (failing_step, step_text, refusal_kind, reason) = match &ran.outcome {
            RanOutcome::Passed(_) => (None, None, None, None),
            RanOutcome::Failed { failure, .. } => (
                Some(failure.step),
                Some(failure.step_text.as_str()),
                failure.reason.refusal_kind(),
                Some(failure_reason(failure)),
            ),
            RanOutcome::Invalid(d) => (None, None, None, Some(d.clone())),
        };
        Self {
            path: ran.path.display().to_string(),
            outcome: if ran.passed() { "passed" } else { "failed" },
            failing_step,
            step_text,
            refusal_kind,
            reason,
            duration_ms: (ran.duration.as_secs_f64() * 1e6).round() / 1e3,
            steps: ran.steps,
            transport: transport.name(),
        }
    }
}

/// What went wrong in a failure, without its first line (where): the report's
/// reason lines, unindented.
fn failure_reason(failure: &runner::Failure) -> String {
    let report = failure.to_string();
    let lines: Vec<&str> = report
        .lines()
        .skip(1)
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect();
    lines.join("\n")
}

impl Transport {
    /// The transport's name as `--transport` takes it.
    fn name(self) -> &'static str {
        match self {
            Transport::InProcess => "in-process",
            Transport::Http => "http",
            Transport::Both => "both",
        }
    }
}

/// `katana-sim run`: every scenario under `paths`, a line (or a JSON object) each,
/// the summary, and with `junit` a JUnit XML report. True when all pass.
/// `katana-sim report`: runs the scenarios, recording each step, writes the site,
/// and prints a line per failure and the summary.
fn report(
    paths: &[PathBuf],
    transport: Transport,
    dir: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let started = std::time::Instant::now();
    let transport = match transport {
        Transport::InProcess => katana_sim::report::ReportTransport::InProcess,
        Transport::Http => katana_sim::report::ReportTransport::Http,
        Transport::Both => katana_sim::report::ReportTransport::Both,
    };
    // The bar starts with the first scenario, when the count is known (the
    // report finds the files itself).
    let mut progress: Option<Progress> = None;
    let mut failed = 0;
    let summary = katana_sim::report::report_command(paths, transport, dir, &mut |_, total, r| {
        let progress = progress
            .get_or_insert_with(|| Progress::new(total as u64, "scenarios").command("report"));
        if !r.passed {
            failed += 1;
        }
        progress.set_message(format!("{failed} failed"));
        progress.inc();
    })?;
    if let Some(progress) = &progress {
        progress.finish();
    }
    for s in summary.scenarios.iter().filter(|s| !s.passed) {
        writeln!(out, "FAIL    {}", s.path).context(STDOUT)?;
    }
    writeln!(
        out,
        "\n{} passed, {} failed; report: {} ({:.1} s)",
        summary.passed,
        summary.failed,
        summary.site.index.display(),
        started.elapsed().as_secs_f64()
    )
    .context(STDOUT)?;
    Ok(summary.failed == 0)
}

fn run_command(
    paths: &[PathBuf],
    transport: Transport,
    format: Format,
    junit: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let started = std::time::Instant::now();
    let files = discover(paths)?;
    let progress = Progress::new(files.len() as u64, "scenarios").command("run");
    progress.set_message("0 failed");
    let (mut passed, mut failed) = (0, 0);
    let mut cases = Vec::new();
    for file in &files {
        let ran = run_one(file, paths, transport);
        if ran.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
        progress.suspend(|| -> anyhow::Result<()> {
            match format {
                Format::Text => write!(out, "{}", text_line(&ran)),
                Format::Json => {
                    let line = serde_json::to_string(&JsonLine::of(&ran, transport))
                        .context("rendering a JSON line")?;
                    writeln!(out, "{line}")
                }
            }
            .context(STDOUT)
        })?;
        progress.set_message(format!("{failed} failed"));
        progress.inc();
        if junit.is_some() {
            cases.push(junit::scenario_case(&ran));
        }
    }
    progress.finish();
    if let Some(file) = junit {
        junit::write(file, "katana-sim run", started.elapsed(), cases)?;
    }
    let summary = format!("{passed} passed, {failed} failed");
    match format {
        Format::Text => writeln!(out, "\n{summary}").context(STDOUT)?,
        Format::Json => eprintln!("{summary}"),
    }
    Ok(failed == 0)
}

/// JUnit XML reports (quick-junit) for `run` and `explore`.
mod junit {
    use std::path::Path;
    use std::time::Duration;

    use anyhow::Context as _;
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

    use super::{Ran, RanOutcome};

    /// One scenario's test case: class its topic folder, name its file stem; a
    /// failure carries the report `run` prints (first line as the message, all of
    /// it as the body), the trace goes to system-out.
    pub(super) fn scenario_case(ran: &Ran) -> TestCase {
        let name = ran
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let status = match &ran.outcome {
            RanOutcome::Passed(_) => TestCaseStatus::success(),
            RanOutcome::Failed { failure, .. } => {
                non_success(NonSuccessKind::Failure, &failure.to_string(), "failed")
            }
            RanOutcome::Invalid(d) => non_success(NonSuccessKind::Failure, d, "invalid"),
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(ran.topic.as_str())
            .set_time(ran.duration);
        let trace = ran.trace();
        if !trace.is_empty() {
            case.set_system_out(trace);
        }
        case
    }

    /// A failed case of `explore`.
    pub(super) struct ExploreFailure {
        /// One line: `case 12: invariant mts_untouched`.
        pub message: String,
        /// The case, the repro line, the saved path and what failed.
        pub report: String,
        /// The saved scenario file's text (empty for an invalid case).
        pub file: String,
        /// True for a case the generator made invalid (a JUnit error).
        pub invalid: bool,
    }

    /// One case of `explore`: class `seed-<seed>`, name `case-<k>`.
    pub(super) fn explore_case(
        seed: u64,
        k: u64,
        steps: usize,
        failure: Option<ExploreFailure>,
    ) -> TestCase {
        let (status, out) = match failure {
            None => (TestCaseStatus::success(), format!("{steps} steps\n")),
            Some(f) => {
                let kind = if f.invalid {
                    NonSuccessKind::Error
                } else {
                    NonSuccessKind::Failure
                };
                let ty = if f.invalid { "invalid" } else { "failed" };
                let mut status = TestCaseStatus::non_success(kind);
                status
                    .set_message(f.message)
                    .set_type(ty)
                    .set_description(f.report);
                let out = if f.file.is_empty() {
                    format!("{steps} steps\n")
                } else {
                    format!("{steps} steps; the case saved, shrunk:\n{}", f.file)
                };
                (status, out)
            }
        };
        let mut case = TestCase::new(format!("case-{k}"), status);
        case.set_classname(format!("seed-{seed}"))
            .set_system_out(out);
        case
    }

    fn non_success(kind: NonSuccessKind, report: &str, ty: &str) -> TestCaseStatus {
        let mut status = TestCaseStatus::non_success(kind);
        status
            .set_message(report.lines().next().unwrap_or_default())
            .set_type(ty)
            .set_description(report);
        status
    }

    /// Writes the cases as one suite named `name` to `file`.
    pub(super) fn write(
        file: &Path,
        name: &str,
        time: Duration,
        cases: Vec<TestCase>,
    ) -> anyhow::Result<()> {
        let mut suite = TestSuite::new(name);
        suite.set_time(time).add_test_cases(cases);
        let mut report = Report::new(name);
        report.set_time(time).add_test_suite(suite);
        let xml = report
            .to_string()
            .context("rendering the JUnit XML report")?;
        std::fs::write(file, xml).with_context(|| {
            format!(
                "cannot write the JUnit report to {} (--junit): check that its folder exists and is writable",
                file.display()
            )
        })
    }
}
