//! The `mailsim` command: run and check scenarios in the terminal.

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "the command line times itself and serves the bridge in real time"
)]

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use mailsim::{Scenario, Sim, WALKTHROUGH, check, report, scenario};

// A run allocates a few small buffers per event: mimalloc serves them in about half the
// instructions of the system's malloc (Cargo.toml has the figures; `allocator` how it is asked).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mailsim::allocator::Allocator = mailsim::allocator::Allocator;

mod lesson;
#[cfg(feature = "gui")]
mod window;
use lesson::{diff, quiz, talk};
#[cfg(feature = "gui")]
use window::{Launch, screenshot_args, window, window_with};

#[cfg(feature = "gui")]
const AFTER_HELP: &str = "Without a command, mailsim opens the window on the built-in walkthrough (or prints its transcript when there is no display).";
#[cfg(not(feature = "gui"))]
const AFTER_HELP: &str = "Without a command, mailsim runs the built-in walkthrough in the terminal (this build has no window).";

/// An educational network simulator that shows how email really works: real SMTP, POP3, IMAP,
/// HTTP (webmail) and DNS bytes between simulated computers and servers.
#[derive(Parser)]
#[command(
    name = "mailsim",
    version,
    after_help = AFTER_HELP
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

/// What the middle of the window shows.
#[cfg(feature = "gui")]
#[derive(Clone, Copy, ValueEnum, Default)]
enum ViewArg {
    /// The network diagram.
    #[default]
    Diagram,
    /// The ladder: a sequence diagram, time going down.
    Ladder,
    /// The diagram above the ladder.
    Both,
}

#[cfg(feature = "gui")]
impl From<ViewArg> for mailsim::app::model::View {
    fn from(v: ViewArg) -> Self {
        match v {
            ViewArg::Diagram => Self::Diagram,
            ViewArg::Ladder => Self::Ladder,
            ViewArg::Both => Self::Both,
        }
    }
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
        /// Leave out TCP's control segments (handshakes, acknowledgments, FINs): only what the
        /// mail protocols and DNS say.
        #[arg(long)]
        no_tcp: bool,
        /// Print only the journey of the mail with this subject: one line per hop, with the
        /// envelope, the header's From and To, and the Received: lines added at that hop.
        #[arg(long, value_name = "SUBJECT")]
        follow: Option<String>,
    },
    /// Ask the scenario's questions ([[question]]) in the terminal: the run up to each, the
    /// question, your answer, then the right one and why. Exit status: 0 when every answer is
    /// right, 1 when one is not, 2 on a bad file or a file without questions.
    Quiz {
        /// The scenario file (.toml).
        file: PathBuf,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Answer without asking, in order, separated by commas: a choice's number or text, a
        /// reply code, a host's name, a number, an order as the items' numbers (2,250,mx.b.example,3142).
        #[arg(long, value_name = "A,B,...")]
        answers: Option<String>,
    },
    /// Be the client: type a mail program's commands to one of the scenario's servers, over the
    /// simulated network, and read its replies with their notes (after the scenario's own story).
    /// `/connect HOST PORT` moves to another server; end with Ctrl-D. Then the expectations:
    /// exit 0 when they hold, 1 when one fails, 2 on a bad file or server.
    Talk {
        /// The scenario file (.toml).
        file: PathBuf,
        /// The server to talk to, HOST:PORT (mx.b.example:25, mx.b.example:110, ...); an
        /// exercise's own `talk` server when left out.
        to: Option<String>,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// What if? Run two scenarios (a lesson's file and a changed copy) and print where the runs
    /// part and how each ends. Exit status: 0 when the runs are the same, 1 when they differ,
    /// 2 on a bad file.
    Diff {
        /// The first scenario file.
        a: PathBuf,
        /// The second.
        b: PathBuf,
        /// Use this seed for both instead of each file's.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Run a scenario and write every packet to a pcap file for Wireshark or tshark.
    Export {
        /// The scenario file (.toml).
        file: PathBuf,
        /// The capture file to write.
        #[arg(long)]
        pcap: PathBuf,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Run the scenario's servers on real ports, in real time, for real mail programs and browsers.
    Serve {
        /// The scenario file (.toml).
        file: PathBuf,
        /// Added to each well-known port: 2000 puts SMTP submission on 2587, POP3 on 2110.
        #[arg(long, default_value_t = 2000)]
        port_base: u16,
        /// The address to listen on; anything but loopback lets other machines in.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Stop after this many seconds (for scripts); default: until Ctrl-C.
        #[arg(long = "for", hide = true)]
        run_for: Option<f64>,
        /// Open connections per server port at most; more are turned away (421 / -ERR / BYE / 503).
        /// Default 20, or six per student with --class (mail programs open several).
        #[arg(long)]
        max_connections: Option<usize>,
        /// Open connections per server port from one other machine at most (0: no limit).
        #[arg(long, default_value_t = 8)]
        max_per_address: usize,
        /// Close a connection that sends no complete command this many seconds (default: each
        /// protocol's usual time: SMTP 300, POP3 600, IMAP 1800, HTTP 60).
        #[arg(long)]
        idle_timeout: Option<f64>,
        /// Classroom mode: an account with a random password for each of N students, and the
        /// class sheet (printed, and as a page to print).
        #[arg(long, value_name = "N", value_parser = class_size)]
        class: Option<usize>,
        /// With --class: where to write the printable class sheet.
        #[arg(long, default_value = "class-sheet.html")]
        sheet: PathBuf,
    },
    /// Print the diagram's layout as JSON: each host's icon and label rectangles, each region's,
    /// each link's polyline, in window pixels for a window of that size with the default panels.
    Layout {
        /// The scenario file (.toml).
        file: PathBuf,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720", value_parser = parse_size)]
        size: (u32, u32),
        /// As with the window's larger text (A+) on.
        #[arg(long)]
        large_text: bool,
    },
    /// Check scenario files without running them; errors as file:line:col. Exit 2 on any error.
    Check {
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Open the window on a scenario file.
    #[cfg(feature = "gui")]
    Open {
        /// The scenario file (.toml).
        file: PathBuf,
        /// Also serve its servers on real ports (as `mailsim serve`) and show the live run.
        #[arg(long)]
        serve: bool,
        /// With --serve: added to each well-known port.
        #[arg(long, default_value_t = 2000)]
        port_base: u16,
        /// With --serve: the address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// With --serve: classroom mode, accounts for N students (as `serve --class`).
        #[arg(long, value_name = "N", value_parser = class_size)]
        class: Option<usize>,
        /// With --class: where to write the printable class sheet.
        #[arg(long, default_value = "class-sheet.html")]
        sheet: PathBuf,
        /// Start with the larger text (A+), for a projector.
        #[arg(long)]
        large_text: bool,
        /// The window's size at the start, WIDTHxHEIGHT (a projector's, say).
        #[arg(long, default_value = "1280x720", value_parser = parse_size)]
        size: (u32, u32),
        /// Start in presenter mode (P in the window): the diagram fills the screen, the
        /// narration is a caption, playing pauses at each narrated step.
        #[arg(long)]
        present: bool,
    },
    /// Render the window at an event (with that message selected) to a PNG, then exit.
    #[cfg(feature = "gui")]
    Screenshot {
        /// The scenario file (.toml).
        file: PathBuf,
        /// The event to show (its id, as in `run --format json`).
        #[arg(long)]
        event: usize,
        /// The PNG to write.
        #[arg(long)]
        out: PathBuf,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720", value_parser = parse_size)]
        size: (u32, u32),
        /// A host to select too, so that its panel shows (its name, e.g. bob-pc.b.example).
        #[arg(long)]
        host: Option<String>,
        /// With the larger text (A+) on.
        #[arg(long)]
        large_text: bool,
        /// The diagram, the ladder or both.
        #[arg(long, value_enum, default_value = "diagram")]
        view: ViewArg,
        /// Follow the mail with this subject (its journey highlighted).
        #[arg(long, value_name = "SUBJECT")]
        follow: Option<String>,
        /// Stop at the scenario's questions as a student's window does: the first question
        /// before the event is shown, asked, at its own moment.
        #[arg(long)]
        ask: bool,
        /// In presenter mode.
        #[arg(long)]
        present: bool,
        /// With the What if… comparison of this change open (its number in the menu, from 1).
        #[arg(long, value_name = "N")]
        what_if: Option<usize>,
        /// With the console open at this server, HOST:PORT (an exercise's own by default).
        #[arg(long, value_name = "HOST:PORT")]
        talk: Option<String>,
        /// A line to type in the console (again for more lines, in order).
        #[arg(long, value_name = "LINE")]
        say: Vec<String>,
    },
    /// Measure frame times: play for N frames and print time to first frame, p50, p95, max.
    #[cfg(feature = "gui")]
    #[command(hide = true)]
    BenchWindow {
        /// The scenario file; default the walkthrough.
        file: Option<PathBuf>,
        /// A generated busy network of this many hosts instead of a file.
        #[arg(long)]
        busy: Option<usize>,
        /// Frames to measure (at least 1).
        #[arg(long, default_value = "300", value_parser = clap::value_parser!(u32).range(1..))]
        frames: u32,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720", value_parser = parse_size)]
        size: (u32, u32),
        /// The baseline: the same bevy + egui window drawing nothing of ours.
        #[arg(long, conflicts_with = "vs_bare")]
        bare: bool,
        /// Ours and the bare window, twice each in turn (fresh processes), and ours ÷ bare.
        #[arg(long)]
        vs_bare: bool,
    },
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or("expected WIDTHxHEIGHT, e.g. 1280x720")?;
    let w: u32 = w.parse().map_err(|_| "the width is not a number")?;
    let h: u32 = h.parse().map_err(|_| "the height is not a number")?;
    if !(320..=8192).contains(&w) || !(240..=8192).contains(&h) {
        return Err("the size must be between 320x240 and 8192x8192".into());
    }
    Ok((w, h))
}

/// When the process started, as near as `main` can tell.
#[cfg(feature = "gui")]
fn started() -> std::time::Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *START.get_or_init(std::time::Instant::now)
}

fn walkthrough() -> ExitCode {
    let s = scenario::parse("walkthrough.toml (built in)", WALKTHROUGH)
        .expect("the built-in walkthrough is valid");
    run(
        &s,
        "walkthrough.toml (built in)",
        None,
        Format::Text,
        report::Omit::default(),
    )
}

/// `--class N`: 1 to 200 students.
fn class_size(v: &str) -> Result<usize, String> {
    let max = mailsim::bridge::class::MAX_CLASS;
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("a class has 1 to {max} students")),
    }
}

fn load(path: &PathBuf) -> Result<Scenario, String> {
    let name = path.display().to_string();
    let source = std::fs::read(path).map_err(|e| format!("error: cannot read {name}: {e}"))?;
    scenario::parse_bytes(&name, &source).map_err(|e| e.to_string())
}

fn export(s: &Scenario, seed: Option<u64>, path: &PathBuf) -> ExitCode {
    let mut sim = Sim::new(s, seed);
    sim.run_to_end();
    let file = match std::fs::File::create(path) {
        Ok(f) => io::BufWriter::new(f),
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    match mailsim::pcap::write(sim.trace(), s.start_unix, file) {
        Ok(n) => {
            println!("wrote {n} packets to {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// `1 host`, `3 hosts`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn run(
    s: &Scenario,
    file: &str,
    seed: Option<u64>,
    format: Format,
    omit: report::Omit,
) -> ExitCode {
    let mut sim = Sim::new(s, seed);
    sim.run_to_end();
    let checked = check::check(&sim);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = match format {
        Format::Text => writeln!(out, "mailsim — {} (seed {})", s.title, sim.seed())
            .and_then(|_| {
                s.faults.iter().try_for_each(|f| {
                    writeln!(out, "fault: {} ({})", f.describe(&s.hosts), f.window())
                })
            })
            .and_then(|_| report::write_text(&mut out, sim.trace(), &checked, omit)),
        Format::Json => report::write_json(&mut out, sim.trace(), &checked, omit),
    };
    if written.and_then(|_| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    // A step that waited for an event that never came: its narration was never shown.
    for &i in sim.steps_never_begun() {
        let st = &s.steps[i];
        if let Some(on) = &st.on {
            eprintln!(
                "{file}:{}: warning: this step never began: nothing in the run matched \
                 `on = \"{}\"`",
                st.line, on.text
            );
        }
    }
    // Where each failed expectation is written, for the teacher's editor.
    for c in checked.iter().filter(|c| !c.ok) {
        eprintln!(
            "{file}:{}: this expectation does not hold: {} (found {})",
            c.line, c.text, c.found
        );
    }
    if checked.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `run --follow SUBJECT`: the mail's journey; exit 1 when no mail has that subject.
fn follow_mail(s: &Scenario, seed: Option<u64>, subject: &str) -> ExitCode {
    let mut sim = Sim::new(s, seed);
    sim.run_to_end();
    let Some(j) = mailsim::follow::follow(sim.trace(), subject) else {
        eprintln!("mailsim: no mail with the subject \"{subject}\" travels in this run");
        return ExitCode::from(1);
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match mailsim::follow::write_text(sim.trace(), &j, &mut out).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn main() -> ExitCode {
    #[cfg(feature = "gui")]
    started();
    let cli = Cli::parse();
    match cli.command {
        #[cfg(feature = "gui")]
        None => window(None, None, (1280, 720)),
        #[cfg(not(feature = "gui"))]
        None => walkthrough(),
        #[cfg(feature = "gui")]
        Some(Command::Open {
            file,
            serve,
            port_base,
            bind,
            class,
            sheet,
            large_text,
            size,
            present,
        }) => {
            if class.is_some() && !serve {
                eprintln!("mailsim: --class needs --serve (the students' programs talk to it)");
                return ExitCode::from(2);
            }
            let serve = serve.then(|| mailsim::bridge::Options {
                port_base,
                bind,
                max_connections: class.map_or(20, |n| (6 * n).max(20)),
                class: class.unwrap_or(0),
                sheet: Some(sheet),
                ..Default::default()
            });
            window_with(Launch {
                file: Some(file),
                size,
                serve,
                large_text,
                present,
                ..Launch::default()
            })
        }
        #[cfg(feature = "gui")]
        Some(Command::Screenshot {
            file,
            event,
            out,
            size,
            host,
            large_text,
            view,
            follow,
            ask,
            present,
            what_if,
            talk,
            say,
        }) => {
            // What the command line asked for must exist before any window opens.
            let s = match load(&file) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            let talk = match screenshot_args(&s, event, host.as_deref(), what_if, talk, say) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("mailsim screenshot: {e}");
                    return ExitCode::from(2);
                }
            };
            window_with(Launch {
                file: Some(file),
                screenshot: Some((event, out)),
                screenshot_host: host,
                size,
                large_text,
                view,
                follow,
                ask,
                present,
                what_if,
                talk,
                ..Launch::default()
            })
        }
        #[cfg(feature = "gui")]
        #[cfg(feature = "gui")]
        Some(Command::BenchWindow { vs_bare: true, .. }) => window::bench_vs_bare(),
        #[cfg(feature = "gui")]
        Some(Command::BenchWindow {
            file,
            busy,
            frames,
            size,
            bare,
            vs_bare: false,
        }) => {
            let source = busy.map(|n| {
                (
                    format!("busy network ({n} hosts)"),
                    mailsim::generate::busy(n),
                )
            });
            window_with(Launch {
                file,
                size,
                bench_frames: Some(frames),
                bench_bare: bare,
                source,
                ..Launch::default()
            })
        }
        Some(Command::Run {
            file,
            seed,
            format,
            brief,
            no_tcp,
            follow,
        }) => match load(&file) {
            _ if brief && matches!(format, Format::Json) => {
                eprintln!(
                    "mailsim run: --brief is for the text format (JSON gives each payload whole, \
                     in `text`)"
                );
                ExitCode::from(2)
            }
            Ok(s) => match follow {
                Some(subject) => follow_mail(&s, seed, &subject),
                None => run(
                    &s,
                    &file.display().to_string(),
                    seed,
                    format,
                    report::Omit {
                        further_lines: brief,
                        tcp: no_tcp,
                    },
                ),
            },
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Quiz {
            file,
            seed,
            answers,
        }) => match load(&file) {
            Ok(s) => quiz(&s, &file.display().to_string(), seed, answers.as_deref()),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Talk { file, to, seed }) => match load(&file) {
            Ok(s) => talk(&s, to.as_deref(), seed),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Diff { a, b, seed }) => match (load(&a), load(&b)) {
            (Ok(sa), Ok(sb)) => diff(
                (&sa, &a.display().to_string()),
                (&sb, &b.display().to_string()),
                seed,
            ),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Export { file, pcap, seed }) => match load(&file) {
            Ok(s) => export(&s, seed, &pcap),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Serve {
            file,
            port_base,
            bind,
            seed,
            run_for,
            max_connections,
            max_per_address,
            idle_timeout,
            class,
            sheet,
        }) => match load(&file) {
            Ok(s) => {
                let opts = mailsim::bridge::Options {
                    port_base,
                    bind,
                    run_for: run_for.map(std::time::Duration::from_secs_f64),
                    max_connections: max_connections
                        .unwrap_or_else(|| class.map_or(20, |n| (6 * n).max(20))),
                    max_per_address,
                    idle_timeout: idle_timeout.map(std::time::Duration::from_secs_f64),
                    class: class.unwrap_or(0),
                    sheet: Some(sheet),
                    ..Default::default()
                };
                match mailsim::bridge::serve(&s, seed, &opts, Box::new(io::stdout())) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("mailsim serve: {e}");
                        ExitCode::from(2)
                    }
                }
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Layout {
            file,
            size,
            large_text,
        }) => match load(&file) {
            Ok(s) => {
                let l = mailsim::layout::for_window(&s, (size.0 as f32, size.1 as f32), large_text);
                println!("{}", l.to_json());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Check { files }) => {
            let mut bad = false;
            for f in &files {
                match load(f) {
                    Ok(s) => {
                        // Questions are held against the run: one it never reaches, or whose
                        // typed answer it contradicts, is an error.
                        let wrong = if s.questions.is_empty() {
                            Vec::new()
                        } else {
                            let mut sim = Sim::new(&s, None);
                            sim.run_to_end();
                            mailsim::quiz::check_questions(&s, sim.trace())
                        };
                        if wrong.is_empty() {
                            let questions = if s.questions.is_empty() {
                                String::new()
                            } else {
                                format!(", {}", count(s.questions.len(), "question"))
                            };
                            println!(
                                "{}: ok ({}, {}, {}, {}{questions})",
                                f.display(),
                                count(s.hosts.len(), "host"),
                                count(s.steps.len(), "step"),
                                count(s.expects.len(), "expectation"),
                                count(s.faults.len(), "fault")
                            );
                        }
                        for e in &wrong {
                            bad = true;
                            eprintln!("{e}\n");
                        }
                        // Valid, but a different story from the one meant: said, not failed.
                        for w in scenario::warn::warnings(&s) {
                            eprintln!("{}:{}: warning: {}", f.display(), w.line, w.message);
                        }
                    }
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
