//! `katana-sim`: replays YAML scenarios of Shopify order changes against Katana MOs.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use katana_sim::http::Http;
use katana_sim::scenario::{Scenario, load_scenario};
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
  katana-sim check scenarios/                 validate files without running them
  katana-sim list                             list scenarios with their descriptions
  katana-sim show scenarios/edit/edit-down.yaml   print the snapshot document of one scenario
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
            Transport::Http => {
                let start = scenario.start.unwrap_or(runner::DEFAULT_START);
                let mut http = Http::start(start).map_err(|e| {
                    Box::new(runner::Failure {
                        path: scenario.path.clone(),
                        step: 0,
                        loc: None,
                        step_text: "starting the mock Shopify server and the sync".into(),
                        reason: runner::FailureReason::Transport(format!("{e:?}")),
                    })
                })?;
                runner::run_with(scenario, &mut http)
            }
            Transport::Both => {
                let in_process = Transport::InProcess.run(scenario);
                let http = Transport::Http.run(scenario);
                let Some(diff) = runner::outcome_diff(&in_process, &http) else {
                    return in_process;
                };
                Err(Box::new(runner::Failure {
                    path: scenario.path.clone(),
                    step: 0,
                    loc: None,
                    step_text: "the whole scenario".into(),
                    reason: runner::FailureReason::Transport(format!(
                        "the transports give different outcomes:\n{diff}"
                    )),
                }))
            }
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

/// `katana-sim explore`: runs the cases, prints failures and a summary.
/// What `explore` prints as it goes, besides the failures: a progress bar on a
/// terminal, a plain line every tenth of the cases otherwise (for runs of 100
/// cases or more), on stderr.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines { every: u64, total: u64 },
    Quiet,
}

impl Progress {
    fn new(total: u64) -> Self {
        use std::io::IsTerminal as _;
        if io::stderr().is_terminal() && total > 1 {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} cases · {msg} · {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            Progress::Bar(bar)
        } else if total >= 100 {
            Progress::Lines {
                every: total.div_ceil(10),
                total,
            }
        } else {
            Progress::Quiet
        }
    }

    fn update(&self, done: u64, steps: u64, failed: usize) {
        match self {
            Progress::Bar(bar) => {
                bar.set_position(done);
                bar.set_message(format!("{steps} steps, {failed} failed"));
            }
            Progress::Lines { every, total } if done.is_multiple_of(*every) || done == *total => {
                eprintln!("explore: {done}/{total} cases, {steps} steps, {failed} failed");
            }
            Progress::Lines { .. } | Progress::Quiet => {}
        }
    }

    /// Writes with the bar out of the way.
    fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match self {
            Progress::Bar(bar) => bar.suspend(f),
            _ => f(),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn explore_run(
    config: &explore::Config,
    jobs: usize,
    save: &std::path::Path,
    budget: Option<std::time::Duration>,
    print: bool,
    show_coverage: bool,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let started = std::time::Instant::now();
    let mut report = explore::Report::default();
    let total = explore::case_numbers(config).len() as u64;
    let progress = Progress::new(total);
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
                explore::Outcome::Passed(_) => {}
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
                    report.failed.push((k, finding, path));
                }
                explore::Outcome::Invalid(e) => {
                    writeln!(out, "INVALID case {k}: {}", explore::repro(config, k))
                        .context(STDOUT)?;
                    for line in e.lines().take(12) {
                        writeln!(out, "        {line}").context(STDOUT)?;
                    }
                    report.invalid.push((k, e));
                }
            }
            Ok(())
        })?;
        progress.update(report.cases, report.steps, report.failed.len());
        Ok(())
    };
    let coverage = explore::run_cases(config, jobs, &stop, &mut handle);
    progress.finish();
    report.coverage = coverage?;
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
        Command::Run { paths, transport } => {
            let files = discover(&paths)?;
            let (scenarios, invalid) = load_all(&files, out)?;
            let mut passed = 0;
            let mut failed = invalid;
            for s in &scenarios {
                match transport.run(s) {
                    Ok(_) => {
                        passed += 1;
                        writeln!(
                            out,
                            "ok      {} ({} steps)",
                            s.path.display(),
                            s.steps.len()
                        )
                        .context(STDOUT)?;
                    }
                    Err(failure) => {
                        failed += 1;
                        writeln!(out, "FAIL    {}", s.path.display()).context(STDOUT)?;
                        for line in failure.to_string().lines() {
                            writeln!(out, "        {line}").context(STDOUT)?;
                        }
                    }
                }
            }
            writeln!(out, "\n{passed} passed, {failed} failed").context(STDOUT)?;
            Ok(failed == 0)
        }
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
            explore_run(&config, jobs, &save, budget, print, coverage, out)
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
