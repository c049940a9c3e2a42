//! `katana-sim`: replays YAML scenarios of Shopify order changes against Katana MOs.

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
  katana-sim show scenarios/edit/edit-down.yaml   print the snapshot document of one scenario";

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
    match execute(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
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
fn load_all(files: &[PathBuf]) -> (Vec<Scenario>, usize) {
    let mut ok = Vec::new();
    let mut invalid = 0;
    for f in files {
        match load_scenario(f) {
            Ok(s) => ok.push(s),
            Err(d) => {
                invalid += 1;
                println!("INVALID {}", f.display());
                for line in d.to_string().lines() {
                    println!("        {line}");
                }
            }
        }
    }
    (ok, invalid)
}

fn execute(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Run { paths, transport } => {
            let files = discover(&paths)?;
            let (scenarios, invalid) = load_all(&files);
            let mut passed = 0;
            let mut failed = invalid;
            for s in &scenarios {
                match transport.run(s) {
                    Ok(_) => {
                        passed += 1;
                        println!("ok      {} ({} steps)", s.path.display(), s.steps.len());
                    }
                    Err(failure) => {
                        failed += 1;
                        println!("FAIL    {}", s.path.display());
                        for line in failure.to_string().lines() {
                            println!("        {line}");
                        }
                    }
                }
            }
            println!("\n{passed} passed, {failed} failed");
            Ok(failed == 0)
        }
        Command::Check { paths } => {
            let files = discover(&paths)?;
            let (scenarios, invalid) = load_all(&files);
            for s in &scenarios {
                println!("valid   {}", s.path.display());
            }
            println!("\n{} valid, {invalid} invalid", scenarios.len());
            Ok(invalid == 0)
        }
        Command::List { paths } => {
            let files = discover(&paths)?;
            let (scenarios, invalid) = load_all(&files);
            for s in &scenarios {
                println!("{}\n    {}", s.path.display(), s.description);
            }
            Ok(invalid == 0)
        }
        Command::Show { file, transport } => {
            let scenario = load_scenario(&file).map_err(|d| anyhow::anyhow!("{d}"))?;
            match transport.run(&scenario) {
                Ok(snapshot) => {
                    print!("{}", snapshot.to_yaml());
                    Ok(true)
                }
                Err(failure) => {
                    println!("{failure}");
                    Ok(false)
                }
            }
        }
    }
}
