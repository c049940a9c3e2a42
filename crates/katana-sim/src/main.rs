//! `katana-sim`: replays YAML scenarios of Shopify order changes against Katana MOs.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use katana_sim::http::Http;
use katana_sim::scenario::{Scenario, load_scenario};
use katana_sim::{runner, suite};

const EXAMPLES: &str = "\
Examples:
  katana-sim run                              run every scenario under scenarios/
  katana-sim run scenarios/edit               run one folder
  katana-sim run scenarios/edit/edit-down.yaml
  katana-sim run --transport http             replay through the mock Shopify server and webhooks
  katana-sim check scenarios/                 validate files without running them
  katana-sim list                             list scenarios with their descriptions
  katana-sim show scenarios/edit/edit-down.yaml   print the snapshot document of one scenario
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
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
