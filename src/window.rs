//! Opening the window from the command line: the launch options, checking what a screenshot
//! asks for before any window opens, and saying in one plain line why no window could open (then
//! printing the transcript instead).

use std::path::PathBuf;
use std::process::ExitCode;

use mailsim::{Scenario, Sim, report};

use super::{Format, ViewArg, load, run, started, walkthrough};

/// `screenshot --event N --host NAME --what-if K --talk HOST:PORT --say LINE`: N is an event of
/// the run, NAME one of its hosts, K one of the changes What if… offers, HOST:PORT a server the
/// console can reach (an exercise's own when left out). Returns the console's script.
pub(super) fn screenshot_args(
    s: &Scenario,
    event: usize,
    host: Option<&str>,
    what_if: Option<usize>,
    talk: Option<String>,
    say: Vec<String>,
) -> Result<Option<(String, Vec<String>)>, String> {
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
        && s.host_id(h).is_none()
    {
        let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(format!(
            "`{h}` is not a host of this scenario; the hosts are {}",
            names.join(", ")
        ));
    }
    let offered = mailsim::whatif::Change::offered(s, mailsim::SimTime::ZERO).len();
    if let Some(k) = what_if.filter(|&k| k == 0 || k > offered) {
        return Err(format!(
            "there is no change {k} in What if…: this scenario offers 1 to {offered}"
        ));
    }
    let exercise = s.talk.map(|(h, p)| format!("{}:{p}", s.hosts[h].name));
    let target = match (talk, exercise) {
        (Some(t), _) => t,
        (None, Some(e)) if !say.is_empty() => e,
        (None, _) if !say.is_empty() => {
            return Err("--say needs --talk HOST:PORT: the server the console talks to".into());
        }
        (None, _) => return Ok(None),
    };
    let (h, p) = target
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| {
            format!("--talk `{target}` is not HOST:PORT (for example mx.b.example:25)")
        })?;
    mailsim::console::Console::open(s, None, h, p).map_err(|e| format!("--talk: {e}"))?;
    Ok(Some((target, say)))
}

/// Why no window can open here, if that is so.
pub(super) fn no_display() -> Option<&'static str> {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    (cfg!(target_os = "linux") && !set("DISPLAY") && !set("WAYLAND_DISPLAY"))
        .then_some("no display (DISPLAY and WAYLAND_DISPLAY are not set)")
}

/// Opens the window; on a machine that cannot show one, says so in one line and prints the
/// transcript instead.
pub(super) fn window(
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
#[derive(Default)]
pub(super) struct Launch {
    pub(super) file: Option<PathBuf>,
    pub(super) screenshot: Option<(usize, PathBuf)>,
    pub(super) screenshot_host: Option<String>,
    pub(super) size: (u32, u32),
    pub(super) bench_frames: Option<u32>,
    pub(super) bench_bare: bool,
    pub(super) source: Option<(String, String)>,
    pub(super) serve: Option<mailsim::bridge::Options>,
    pub(super) large_text: bool,
    pub(super) view: ViewArg,
    pub(super) follow: Option<String>,
    pub(super) ask: bool,
    pub(super) present: bool,
    pub(super) what_if: Option<usize>,
    pub(super) talk: Option<(String, Vec<String>)>,
}

pub(super) fn window_with(l: Launch) -> ExitCode {
    let Launch {
        file,
        screenshot,
        screenshot_host,
        size,
        bench_frames,
        bench_bare,
        source,
        serve,
        large_text,
        view,
        follow,
        ask,
        present,
        what_if,
        talk,
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
        bench_bare,
        source,
        started: started(),
        serve,
        large_text,
        view: view.into(),
        follow,
        ask,
        present,
        what_if,
        talk,
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
pub(super) fn window_failure(panic: &str) -> String {
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
static PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// `bench-window --vs-bare`: the bare bevy + egui window and ours, in turn, twice each, each a
/// fresh process with the same arguments; then each one's median p50 and p95 and ours ÷ bare,
/// and (on Linux) the same for the CPU a frame took outside the software rasterizer's threads
/// and in them. On a software renderer most of a frame is the renderer's shading.
pub(super) fn bench_vs_bare() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--vs-bare")
        .collect();
    let Ok(me) = std::env::current_exe() else {
        eprintln!("mailsim: cannot find its own program to run again");
        return ExitCode::from(2);
    };
    let mut runs: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    // CPU per frame outside the software rasterizer's threads and in them, where it was read.
    let mut cpu: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    for round in 0..4 {
        let bare = round % 2 == 0;
        let mut cmd = std::process::Command::new(&me);
        cmd.args(&args);
        if bare {
            cmd.arg("--bare");
        }
        let out = match cmd.output() {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            Ok(o) => {
                eprint!("{}", String::from_utf8_lossy(&o.stderr));
                eprintln!("mailsim bench-window: a run failed ({})", o.status);
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("mailsim bench-window: cannot run {}: {e}", me.display());
                return ExitCode::from(2);
            }
        };
        let mut figures = None;
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("frame-times ") {
                let w: Vec<&str> = rest.split_whitespace().collect();
                if let [_, p50, _, p95] = w[..] {
                    figures = p50.parse().ok().zip(p95.parse().ok());
                }
            } else if let Some(rest) = line.strip_prefix("frame-cpu ") {
                let w: Vec<&str> = rest.split_whitespace().collect();
                if let [_, rest, _, raster] = w[..]
                    && let (Ok(rest), Ok(raster)) = (rest.parse(), raster.parse())
                {
                    cpu[usize::from(!bare)].push((rest, raster));
                }
            } else {
                println!("{line}");
            }
        }
        let Some(f) = figures else {
            eprintln!("mailsim bench-window: a run printed no frame times");
            return ExitCode::from(1);
        };
        runs[usize::from(!bare)].push(f);
    }
    let median = |v: &[(f64, f64)], pick: fn(&(f64, f64)) -> f64| {
        let mut x: Vec<f64> = v.iter().map(pick).collect();
        x.sort_by(f64::total_cmp);
        (x[(x.len() - 1) / 2] + x[x.len() / 2]) / 2.0
    };
    let (b50, b95) = (median(&runs[0], |f| f.0), median(&runs[0], |f| f.1));
    let (o50, o95) = (median(&runs[1], |f| f.0), median(&runs[1], |f| f.1));
    println!(
        "ours ÷ bare: p50 {o50:.1} / {b50:.1} ms = {:.2}x, p95 {o95:.1} / {b95:.1} ms = {:.2}x (medians of 2 runs each, in turn)",
        o50 / b50,
        o95 / b95
    );
    if cpu.iter().all(|c| c.len() == 2) {
        let (b_rest, b_raster) = (median(&cpu[0], |f| f.0), median(&cpu[0], |f| f.1));
        let (o_rest, o_raster) = (median(&cpu[1], |f| f.0), median(&cpu[1], |f| f.1));
        println!(
            "CPU per frame, ours ÷ bare: outside the software rasterizer {o_rest:.1} / {b_rest:.1} ms = {:.2}x, in its threads {o_raster:.1} / {b_raster:.1} ms{}",
            o_rest / b_rest,
            if b_raster > 0.0 {
                format!(" = {:.2}x", o_raster / b_raster)
            } else {
                String::new()
            }
        );
    }
    ExitCode::SUCCESS
}
