#!/usr/bin/env python3
"""The browser build as a student meets it: dist/ (made by tools/web.sh) served as static files,
opened in headless Chromium (WebGL2 through SwiftShader), driven through chromedriver's W3C
WebDriver protocol. The first frame comes, a screenshot is not blank, the → key moves the cursor
(the page puts it in its title and address), `#event=N` opens a moment, `?scenario=URL` opens a
second scenario, a bad file is refused with its file:line:col, and a paused page draws no frames
until asked for something. Any console error but winit's
start-up "exceptions for control flow" fails. Prints the time to the first frame and the frames
per second in the page.

Usage: web_page.py DIST [CHROMIUM] [CHROMEDRIVER] [SCREENSHOT.png]
Binds 127.0.0.1 only; stops what it starts by PID. Exits non-zero, saying what failed.
"""

import os
import shutil
import subprocess
import sys
import time

from webdriver import Driver, check, free_port, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def wait_until(d, cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        t = d.title()
        if cond(t):
            return t
        time.sleep(0.1)
    raise AssertionError(f"{what}: the title stayed {d.title()!r}")


def main():
    dist = sys.argv[1]
    chromium = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else "/usr/bin/chromium"
    chromedriver = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else "/usr/bin/chromedriver"
    shot = sys.argv[4] if len(sys.argv) > 4 else os.path.join(dist, "..", "web-page.png")
    # A second scenario hosted next to the site, and a bad one.
    shutil.copy(os.path.join(ROOT, "scenarios", "pop3-keep.toml"), os.path.join(dist, "pop3-keep.toml"))
    shutil.copy(os.path.join(ROOT, "tests", "bad", "host-misspelled.toml"), os.path.join(dist, "bad.toml"))
    port, dport = free_port(), free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", dist],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    driver_proc = subprocess.Popen(
        [chromedriver, f"--port={dport}", "--allowed-ips=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port)
        wait_for(dport)
        d = Driver(dport, chromium, [
            "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--window-size=1280,720",
        ])
        try:
            run(d, f"http://127.0.0.1:{port}", shot)
        finally:
            d.quit()
    finally:
        driver_proc.terminate()
        server.terminate()
        driver_proc.wait(timeout=10)
        server.wait(timeout=10)
    print("web page: all passed")


def run(d, site, shot):
    t0 = time.time()
    d.go(site + "/")
    wait_until(d, lambda t: t.startswith("mailsim — How email works"), 120, "the walkthrough starts")
    first = time.time() - t0
    # A frame drawn: the canvas has the window's pixels.
    time.sleep(1.0)
    d.screenshot(shot)
    w, h = d.js("return [innerWidth, innerHeight]")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "check_png.py"), str(w), str(h), shot], check=True)
    check(True, f"the first frame came after {first:.1f} s; the screenshot is not blank")
    # Frames per second in the page, over two seconds of playing.
    d.click_canvas()
    d.key("\ue00d")  # space: play
    fps = d.js_async(
        "const done = arguments[0]; let n = 0; const t = performance.now();"
        "function f() { n++; if (performance.now() - t < 2000) requestAnimationFrame(f);"
        " else done(n * 1000 / (performance.now() - t)); } requestAnimationFrame(f);"
    )
    d.key("\ue00d")  # space: pause
    played = d.js("return document.title")
    check("event #" in played, f"playing moved the cursor ({played!r})")
    print(f"web page: {fps:.1f} frames per second while playing (headless, SwiftShader)")
    # The → key moves the cursor one event on; the page says where in its title and address.
    d.key("\ue011")  # Home: before the first event
    wait_until(d, lambda t: "event #" not in t, 10, "Home goes before the first event")
    d.key("\ue014")  # →
    wait_until(d, lambda t: t.endswith("event #0"), 10, "→ moves the cursor to event #0")
    d.key("\ue014")
    wait_until(d, lambda t: t.endswith("event #1"), 10, "→ again, event #1")
    check(d.url().endswith("#event=1"), "the address keeps the place (#event=1)")
    # A link to one moment of the run.
    d.go("about:blank")
    d.go(site + "/#event=41")
    wait_until(d, lambda t: t.endswith("event #41"), 120, "#event=41 opens that moment")
    check(True, "a link with #event=41 opens event 41")
    # A scenario the teacher hosts next to the site.
    d.go(site + "/?scenario=pop3-keep.toml")
    wait_until(d, lambda t: t.startswith("mailsim — POP3, leaving mail on the server")
               or "POP3" in t, 120, "?scenario= opens a second scenario")
    check(True, f"?scenario=pop3-keep.toml opens it: {d.title()!r}")
    # A bad file: refused with its place, and the previous scenario stays.
    d.go(site + "/?scenario=bad.toml")
    time.sleep(3)
    status = d.js("return document.getElementById('status').textContent")
    check("bad.toml:" in status and "is not a host of this scenario" in status,
          f"a bad scenario is refused with file:line:col ({status.splitlines()[0] if status else ''!r})")
    # At rest: paused, nothing moving, the page draws no frames (it used to wake every 200 ms);
    # the page's own polling of the cursor and title does not wake it.
    time.sleep(2)
    before = d.js("return mailsim.frames()")
    time.sleep(4)
    drawn = d.js("return mailsim.frames()") - before
    check(drawn <= 2, f"at rest the page drew {drawn} frames in 4 s")
    # …and it wakes when the page asks for something: a moment.
    d.js("location.hash = '#event=5'")
    wait_until(d, lambda t: t.endswith("event #5"), 20, "a new #event= wakes the resting page")
    # No console errors but winit's start-up exception.
    errors = [e["message"] for e in d.console()
              if e.get("level") == "SEVERE" and "Using exceptions for control flow" not in e["message"]]
    check(not errors, f"no console errors ({errors[:3]})")


if __name__ == "__main__":
    main()
