//! The `mailsim` command: run and check scenarios in the terminal.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use mailsim::{Scenario, Sim, WALKTHROUGH, check, report, scenario};

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
        /// The server to talk to, HOST:PORT (mx.b.example:25, mx.b.example:110, ...).
        to: String,
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
        /// Frames to measure.
        #[arg(long, default_value = "300")]
        frames: u32,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720", value_parser = parse_size)]
        size: (u32, u32),
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

/// `screenshot --event N --host NAME`: N is an event of the run, NAME one of its hosts.
#[cfg(feature = "gui")]
fn screenshot_args(s: &Scenario, event: usize, host: Option<&str>) -> Result<(), String> {
    let mut sim = Sim::new(s, None);
    sim.run_to_end();
    let n = sim.trace().events.len();
    if event >= n {
        return Err(format!(
            "there is no event {event}: this run's events are #0 to #{} (`mailsim run FILE` \
             shows each one's id)",
            n.saturating_sub(1)
        ));
    }
    if let Some(h) = host
        && s.host_index(h).is_none()
    {
        let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(format!(
            "`{h}` is not a host of this scenario; the hosts are {}",
            names.join(", ")
        ));
    }
    Ok(())
}

/// Why no window can open here, if that is so.
#[cfg(feature = "gui")]
fn no_display() -> Option<&'static str> {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    (cfg!(target_os = "linux") && !set("DISPLAY") && !set("WAYLAND_DISPLAY"))
        .then_some("no display (DISPLAY and WAYLAND_DISPLAY are not set)")
}

/// Opens the window; on a machine that cannot show one, says so in one line and prints the
/// transcript instead.
#[cfg(feature = "gui")]
fn window(
    file: Option<PathBuf>,
    screenshot: Option<(usize, PathBuf)>,
    size: (u32, u32),
) -> ExitCode {
    window_with(Launch {
        file,
        screenshot,
        size,
        ..Launch::default()
    })
}

/// How to open the window.
#[cfg(feature = "gui")]
#[derive(Default)]
struct Launch {
    file: Option<PathBuf>,
    screenshot: Option<(usize, PathBuf)>,
    screenshot_host: Option<String>,
    size: (u32, u32),
    bench_frames: Option<u32>,
    source: Option<(String, String)>,
    serve: Option<mailsim::bridge::Options>,
    large_text: bool,
    view: ViewArg,
    follow: Option<String>,
    ask: bool,
    present: bool,
}

#[cfg(feature = "gui")]
fn window_with(l: Launch) -> ExitCode {
    let Launch {
        file,
        screenshot,
        screenshot_host,
        size,
        bench_frames,
        source,
        serve,
        large_text,
        view,
        follow,
        ask,
        present,
    } = l;
    // A missing or bad file is said first, whatever the display.
    if let Some(f) = &file
        && let Err(e) = load(f)
    {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let transcript = |file: &Option<PathBuf>| match file {
        Some(f) => match load(f) {
            Ok(s) => run(
                &s,
                &f.display().to_string(),
                None,
                Format::Text,
                report::Omit::default(),
            ),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        None => walkthrough(),
    };
    if let Some(why) = no_display() {
        if screenshot.is_some() {
            eprintln!("mailsim: cannot take a screenshot: {why}; try xvfb-run");
            return ExitCode::from(2);
        }
        eprintln!(
            "mailsim: {why}, so here is the transcript instead (mailsim run FILE prints any scenario)"
        );
        return transcript(&file);
    }
    let opts = mailsim::app::Options {
        file: file.clone(),
        size,
        screenshot: screenshot.clone(),
        screenshot_host,
        bench_frames,
        source,
        started: started(),
        serve,
        large_text,
        view: view.into(),
        follow,
        ask,
        present,
    };
    // A machine with a display but no usable GPU adapter makes the renderer panic: say so in one
    // line instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = PANIC.lock() {
            *last = format!("{msg}{place}");
        }
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| mailsim::app::run(opts))) {
        Ok(Ok(exit)) if exit.is_success() => ExitCode::SUCCESS,
        Ok(Ok(_)) => ExitCode::from(1),
        Ok(Err(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(_) if screenshot.is_none() => {
            let why = window_failure(&PANIC.lock().map(|m| m.clone()).unwrap_or_default());
            eprintln!(
                "mailsim: no window could be opened ({why}), so here is the transcript instead"
            );
            transcript(&file)
        }
        Err(_) => {
            let why = window_failure(&PANIC.lock().map(|m| m.clone()).unwrap_or_default());
            eprintln!("mailsim: the window failed: {why}");
            ExitCode::from(2)
        }
    }
}

/// Why the window could not open, in a user's words: the renderer's and the windowing library's
/// messages name source files and registry paths that mean nothing to a teacher.
#[cfg(feature = "gui")]
fn window_failure(panic: &str) -> String {
    let display = ["WAYLAND_DISPLAY", "DISPLAY"].into_iter().find_map(|v| {
        std::env::var(v)
            .ok()
            .filter(|x| !x.is_empty())
            .map(|x| format!("{v}={x}"))
    });
    let lower = panic.to_ascii_lowercase();
    if lower.contains("event loop") || lower.contains("display") || lower.contains("wayland") {
        match display {
            Some(d) => format!("the display {d} could not be reached"),
            None => "no display could be reached".into(),
        }
    } else if lower.contains("adapter") || lower.contains("gpu") || lower.contains("vulkan") {
        "no graphics driver could draw it (it needs Vulkan, Metal, DirectX 12 or OpenGL)".into()
    } else {
        // The message's first words, without the place in the source it came from.
        let first = panic.split(" at /").next().unwrap_or(panic);
        let first = first.split(['(', '{']).next().unwrap_or(first).trim();
        if first.is_empty() {
            "the window system refused".into()
        } else {
            first.to_string()
        }
    }
}

/// The message of the last panic, for the one-line explanation.
#[cfg(feature = "gui")]
static PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

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

/// `mailsim quiz`: the run up to each question (without TCP's control segments), the question,
/// the answer (asked on stdin, or from `answers`), then whether it is right and why.
fn quiz(s: &Scenario, file: &str, seed: Option<u64>, answers: Option<&str>) -> ExitCode {
    use mailsim::quiz;
    use scenario::QuestionKind;
    let mut sim = Sim::new(s, seed);
    sim.run_to_end();
    let t = sim.trace();
    let (mut posed, unasked) = quiz::pose(s, t);
    for u in &unasked {
        eprintln!(
            "{file}:{}: this question is never asked: {}",
            s.questions[u.index].line, u.why
        );
    }
    if posed.is_empty() {
        if unasked.is_empty() {
            eprintln!(
                "mailsim quiz: {file} has no questions (see [[question]] in docs/scenarios.md)"
            );
        }
        return ExitCode::from(2);
    }
    posed.sort_by_key(|p| (p.after.map_or(0, |a| a + 1), p.index));
    let given: Option<Vec<&str>> = answers.map(|a| a.split(',').collect());
    if let Some(g) = &given
        && g.len() != posed.len()
    {
        eprintln!(
            "mailsim quiz: --answers gives {} answers, and this quiz asks {} questions",
            g.len(),
            posed.len()
        );
        return ExitCode::from(2);
    }
    let mut out = io::stdout().lock();
    let mut lines = io::stdin().lines();
    let mut ask = |out: &mut io::StdoutLock, k: usize, again: bool| -> Option<String> {
        match &given {
            Some(g) => {
                let a = g[k].trim().to_string();
                writeln!(out, "  your answer: {a}").ok()?;
                (!again).then_some(a)
            }
            None => {
                write!(
                    out,
                    "  {}: ",
                    if again { "try again" } else { "your answer" }
                )
                .ok()?;
                out.flush().ok()?;
                lines.next()?.ok()
            }
        }
    };
    let mut shown = 0;
    let mut right = 0;
    let _ = writeln!(
        out,
        "mailsim quiz — {} (seed {})",
        s.title,
        seed.unwrap_or(s.seed)
    );
    for (k, p) in posed.iter().enumerate() {
        let q = &s.questions[p.index];
        let upto = p.after.map_or(0, |a| a + 1).max(shown);
        for ev in &t.events[shown..upto] {
            if !report::is_tcp_control(ev) {
                let _ = report::write_event(&mut out, t, ev, true);
            }
        }
        shown = upto;
        let _ = writeln!(
            out,
            "
  Question {} of {}: {}",
            k + 1,
            posed.len(),
            q.ask
        );
        let numbered = |out: &mut io::StdoutLock, xs: &[String]| {
            for (i, x) in xs.iter().enumerate() {
                let _ = writeln!(out, "    {}. {x}", i + 1);
            }
        };
        match &q.kind {
            QuestionKind::Choice { choices, .. } => numbered(&mut out, choices),
            QuestionKind::Order { items } => {
                numbered(&mut out, items);
                let _ = writeln!(out, "    (answer with their numbers in order, e.g. 2134)");
            }
            QuestionKind::NextHost { .. } => {
                let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
                let _ = writeln!(out, "    (a host: {})", names.join(", "));
            }
            QuestionKind::NextReply { .. } => {
                let _ = writeln!(out, "    (a reply code: 250, 354, +OK, -ERR, OK, NO...)");
            }
            QuestionKind::Count { .. } => {
                let _ = writeln!(out, "    (a number)");
            }
        }
        let mut ok = ask(&mut out, k, false).is_some_and(|a| quiz::grade(s, q, p, &a));
        if !ok && given.is_none() {
            ok = ask(&mut out, k, true).is_some_and(|a| quiz::grade(s, q, p, &a));
        }
        if ok {
            right += 1;
            let _ = writeln!(out, "  ✓ right: {}", p.answer);
        } else {
            let _ = writeln!(out, "  ✗ the answer is {}", p.answer);
        }
        match (&q.why, p.answered_by.and_then(|i| t.events.get(i))) {
            (Some(why), _) => {
                let _ = writeln!(out, "    {why}");
            }
            (None, Some(ev)) => {
                let note = match &ev.kind {
                    mailsim::EventKind::Segment(seg) => {
                        format!(" — {} [{}]", seg.explain.note, seg.explain.rfc)
                    }
                    mailsim::EventKind::Datagram(d) => {
                        format!(" — {} [{}]", d.explain.note, d.explain.rfc)
                    }
                    _ => String::new(),
                };
                let _ = writeln!(out, "    #{}: {}{note}", ev.id, report::summary(t, ev));
            }
            (None, None) => {}
        }
    }
    let _ = writeln!(out, "\nScore: {right} of {}", posed.len());
    if right == posed.len() && unasked.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `HOST:PORT`, or `HOST PORT`.
fn host_port(s: &str) -> Result<(&str, u16), String> {
    let (h, p) = s
        .trim()
        .rsplit_once([':', ' '])
        .ok_or_else(|| format!("`{s}` is not HOST:PORT (for example mx.b.example:25)"))?;
    let p = p
        .trim()
        .parse()
        .map_err(|_| format!("`{p}` is not a port number (25, 110, 143, 587, 80)"))?;
    Ok((h.trim(), p))
}

/// `mailsim talk`: the student is the mail program.
fn talk(s: &Scenario, to: &str, seed: Option<u64>) -> ExitCode {
    use mailsim::console::{Console, Reply};
    let show = |out: &mut io::StdoutLock, replies: &[Reply]| {
        for r in replies {
            for line in r.text.lines() {
                let _ = writeln!(out, "S: {line}");
            }
            let _ = writeln!(out, "   — {}", r.note);
            if let Some(h) = &r.hint {
                let _ = writeln!(out, "   hint: {h}");
            }
        }
    };
    let opened = host_port(to).and_then(|(h, p)| Console::open(s, seed, h, p));
    let (mut c, greeting) = match opened {
        Ok(x) => x,
        Err(e) => {
            eprintln!("mailsim talk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "mailsim talk — {}: you are a mail program on you.example (198.18.0.1), connected to {}.\n\
         Type a line and Enter to send it; /connect HOST PORT for another server; Ctrl-D to end.",
        s.title, c.server
    );
    show(&mut out, &greeting);
    for line in io::stdin().lines() {
        let Ok(line) = line else { break };
        if let Some(rest) = line.strip_prefix("/connect ") {
            match host_port(rest).and_then(|(h, p)| c.connect(h, p)) {
                Ok(g) => {
                    let _ = writeln!(out, "── connected to {} ──", c.server);
                    show(&mut out, &g);
                }
                Err(e) => {
                    let _ = writeln!(out, "   {e}");
                }
            }
            continue;
        }
        if c.closed {
            let _ = writeln!(
                out,
                "   the connection to {} is closed: /connect HOST PORT to open another",
                c.server
            );
            continue;
        }
        let replies = c.send(&line);
        show(&mut out, &replies);
        if c.closed {
            let _ = writeln!(out, "── {} closed the connection ──", c.server);
        }
    }
    c.close();
    let checked = check::check(c.sim());
    if !checked.is_empty() {
        let _ = writeln!(out, "\nExpectations:");
        for e in &checked {
            let mark = if e.ok { "✓" } else { "✗" };
            let _ = write!(out, "  {mark} {}", e.text);
            let _ = if e.ok {
                writeln!(out)
            } else {
                writeln!(out, "  (found {})", e.found)
            };
        }
    }
    if checked.iter().all(|e| e.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `mailsim diff`: the first event where two runs part, the events around it in each, and how
/// each run ends.
fn diff(a: (&Scenario, &str), b: (&Scenario, &str), seed: Option<u64>) -> ExitCode {
    let run = |s: &Scenario| {
        let mut sim = Sim::new(s, seed);
        sim.run_to_end();
        sim
    };
    let (ra, rb) = (run(a.0), run(b.0));
    let (ta, tb) = (ra.trace(), rb.trace());
    let mut out = io::stdout().lock();
    let Some(i) = mailsim::diff::first_difference(ta, tb) else {
        let _ = writeln!(
            out,
            "The runs are the same: {} events, event for event.",
            ta.events.len()
        );
        return ExitCode::SUCCESS;
    };
    let _ = writeln!(
        out,
        "The runs agree for {i} events{}; they part at event #{i}.",
        i.checked_sub(1)
            .map(|p| format!(" (until {})", ta.events[p].time))
            .unwrap_or_default()
    );
    for (name, t) in [(a.1, ta), (b.1, tb)] {
        let _ = writeln!(out, "\n{name}:");
        // The shared event before, then a few of this run's own (TCP's control segments left out).
        let from = i.saturating_sub(1);
        let shown = t.events[from..]
            .iter()
            .filter(|e| e.id < i || !report::is_tcp_control(e))
            .take(6);
        for e in shown {
            if e.id == i {
                let _ = writeln!(out, "{:>14}  ── here the runs part ──", "");
            }
            let _ = report::write_event(&mut out, t, e, true);
        }
        if i >= t.events.len() {
            let _ = writeln!(out, "          (the run ends here)");
        }
    }
    for (name, sim) in [(a.1, &ra), (b.1, &rb)] {
        let _ = writeln!(out, "\nHow {name} ends:");
        for line in mailsim::diff::outcome(sim) {
            let _ = writeln!(out, "  {line}");
        }
    }
    ExitCode::from(1)
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
        }) => {
            // What the command line asked for must exist before any window opens.
            let s = match load(&file) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            if let Err(e) = screenshot_args(&s, event, host.as_deref()) {
                eprintln!("mailsim screenshot: {e}");
                return ExitCode::from(2);
            }
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
                ..Launch::default()
            })
        }
        #[cfg(feature = "gui")]
        Some(Command::BenchWindow {
            file,
            busy,
            frames,
            size,
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
            Ok(s) => talk(&s, &to, seed),
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
