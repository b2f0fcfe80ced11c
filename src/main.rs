//! The `mailsim` command: run and check scenarios in the terminal.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use mailsim::{Scenario, Sim, WALKTHROUGH, check, report, scenario};

/// An educational network simulator that shows how email really works: real SMTP, POP3 and DNS
/// bytes between simulated computers and servers.
#[derive(Parser)]
#[command(
    name = "mailsim",
    version,
    after_help = "Without a command, mailsim runs the built-in walkthrough in the terminal."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One line per event, with plain-language notes.
    Text,
    /// One JSON object per line (fields in docs/cli.md).
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario headless: print the transcript, then the expectations.
    /// Exit status: 0 when all expectations hold, 1 when one fails, 2 on a bad file.
    Run {
        /// The scenario file (.toml).
        file: PathBuf,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Text only: one line per event, without the further lines of multi-line payloads.
        #[arg(long)]
        brief: bool,
    },
    /// Check scenario files without running them; errors as file:line:col. Exit 2 on any error.
    Check {
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn load(path: &PathBuf) -> Result<Scenario, String> {
    let name = path.display().to_string();
    let source =
        std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {name}: {e}"))?;
    scenario::parse(&name, &source).map_err(|e| e.to_string())
}

fn run(s: &Scenario, seed: Option<u64>, format: Format, brief: bool) -> ExitCode {
    let mut sim = Sim::new(s, seed);
    sim.run_to_end();
    let checked = check::check(&sim);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = match format {
        Format::Text => writeln!(out, "mailsim — {} (seed {})", s.title, sim.seed())
            .and_then(|_| report::write_text(&mut out, sim.trace(), &checked, brief)),
        Format::Json => report::write_json(&mut out, sim.trace(), &checked),
    };
    if written.and_then(|_| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    if checked.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => {
            let s = scenario::parse("walkthrough.toml (built in)", WALKTHROUGH)
                .expect("the built-in walkthrough is valid");
            run(&s, None, Format::Text, false)
        }
        Some(Command::Run {
            file,
            seed,
            format,
            brief,
        }) => match load(&file) {
            Ok(s) => run(&s, seed, format, brief),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Check { files }) => {
            let mut bad = false;
            for f in &files {
                match load(f) {
                    Ok(s) => println!(
                        "{}: ok ({} hosts, {} steps, {} expectations)",
                        f.display(),
                        s.hosts.len(),
                        s.steps.len(),
                        s.expects.len()
                    ),
                    Err(e) => {
                        bad = true;
                        eprintln!("{e}\n");
                    }
                }
            }
            if bad {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
