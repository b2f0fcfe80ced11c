#!/usr/bin/env python3
"""A real browser against the webmail of `mailsim serve`: headless Chromium, driven through
chromedriver's W3C WebDriver protocol (plain HTTP and JSON, so no Python packages are needed).
Alice logs in, composes and sends; Bob logs in, sees the mail in his inbox and opens it.

Usage: browser.py MAILSIM_BINARY [CHROMIUM] [CHROMEDRIVER]
Binds 127.0.0.1 only; stops what it starts by PID. Exits non-zero, saying what failed.
"""

import os
import subprocess
import sys
import time

from webdriver import Driver, check, free_port, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_title(d, title, timeout=10):
    """The page after a form's POST comes when the server answers, which here waits for SMTP."""
    end = time.time() + timeout
    while time.time() < end and d.title() != title:
        time.sleep(0.1)
    check(d.title() == title, f"the page {title!r} came (got {d.title()!r})")


def main():
    binary = sys.argv[1]
    chromium = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/chromium"
    chromedriver = sys.argv[3] if len(sys.argv) > 3 else "/usr/bin/chromedriver"
    base = 24000 + os.getpid() % 500 * 7
    bridge = subprocess.Popen(
        [binary, "serve", os.path.join(HERE, "bridge.toml"), "--port-base", str(base), "--for", "180"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    dport = free_port()
    driver_proc = subprocess.Popen(
        [chromedriver, f"--port={dport}", "--allowed-ips=127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(base + 80)
        wait_for(dport)
        d = Driver(dport, chromium, ["--disable-gpu"])
        try:
            run(d, f"http://127.0.0.1:{base + 80}")
        finally:
            d.quit()
    finally:
        driver_proc.terminate()
        bridge.terminate()
        driver_proc.wait(timeout=10)
        bridge.wait(timeout=10)
    print("browser: all passed")


def run(d, site):
    d.go(site + "/")
    check(d.title() == "Webmail: log in", "Chromium shows the webmail's login page")
    d.type("input[name=user]", "alice@a.example")
    d.type("input[name=password]", "alice-secret")
    d.click("input[type=submit]")
    wait_title(d, "Inbox of alice@a.example")
    print("ok   logged in: the form POST, 303 and cookie worked")
    d.click("a[href='/compose']")
    wait_title(d, "Write a mail")
    d.type("input[name=to]", "bob@b.example")
    d.type("input[name=subject]", "Hello from Chromium")
    d.type("textarea[name=body]", "Sent from a real browser.\n.a dot line")
    d.click("input[type=submit]")
    wait_title(d, "Sent")
    check("Your mail was sent" in d.source(), "sent: the webmail handed it to SMTP")
    # A click starts a navigation; the next page is waited for, not assumed (on a busy machine
    # the logout was once clicked, and the title read, before the inbox had come).
    d.click("a[href='/inbox']")
    wait_title(d, "Inbox of alice@a.example")
    d.click("form[action='/logout'] input[type=submit]")
    wait_title(d, "Webmail: log in")
    print("ok   logged out: back to the login page")
    time.sleep(1.5)  # A's server relays it over the simulated network
    d.type("input[name=user]", "bob@b.example")
    d.type("input[name=password]", "bob-secret")
    d.click("input[type=submit]")
    wait_title(d, "Inbox of bob@b.example")
    end = time.time() + 10
    while "Hello from Chromium" not in d.source() and time.time() < end:
        time.sleep(0.5)
        d.go(site + "/inbox")  # as a person would: reload
    check("Hello from Chromium" in d.source(), "Bob's inbox lists the mail (read over IMAP)")
    d.click("a[href='/message?uid=1']")
    check(d.title() == "Hello from Chromium", "Bob opens it")
    src = d.source()
    check("Sent from a real browser." in src and ".a dot line" in src, "its text, dot line intact")


if __name__ == "__main__":
    main()
