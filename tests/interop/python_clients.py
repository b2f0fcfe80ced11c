#!/usr/bin/env python3
"""Real clients against `mailsim serve`: Python's smtplib, poplib, imaplib and a raw HTTP client
talk to the simulated servers of tests/interop/bridge.toml through real sockets.

Usage: python_clients.py MAILSIM_BINARY
Starts the bridge on free ports (127.0.0.1 only), runs the checks, stops the bridge by its PID.
Exits non-zero, saying what failed, if anything does.
"""

import imaplib
import http.client
import os
import poplib
import re
import smtplib
import socket
import subprocess
import sys
import time
import urllib.parse

from webdriver import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def free_base():
    """A port base whose service ports (base+25, +80, +110, +143, +587, and +10000 for the second
    server) are all free."""
    for base in range(21000, 40000, 137):
        ports = [base + p + k for p in (25, 80, 110, 143, 587) for k in (0, 10000)]
        try:
            socks = []
            for p in ports:
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            for s in socks:
                s.close()
            return base
        except OSError:
            for s in socks:
                s.close()
    raise SystemExit("no free ports")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def main():
    binary = sys.argv[1]
    base = free_base()
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "mailsim-bridge.log"), "w")
    proc = subprocess.Popen(
        [binary, "serve", os.path.join(HERE, "bridge.toml"), "--port-base", str(base), "--for", "120"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        run(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    # Limits: a second bridge that takes 2 connections per port and hangs up after 1.5 s of silence.
    base = free_base()
    proc = subprocess.Popen(
        [binary, "serve", os.path.join(HERE, "bridge.toml"), "--port-base", str(base), "--for", "60",
         "--max-connections", "2", "--idle-timeout", "1.5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        limits(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print("python clients: all passed")


def limits(base):
    sub_a, imap_b = base + 587, base + 10143
    wait_for(sub_a)
    wait_for(imap_b)
    time.sleep(0.3)  # the probes of wait_for are gone
    first = [socket.create_connection(("127.0.0.1", sub_a), timeout=5) for _ in range(2)]
    for c in first:
        check(c.recv(200).startswith(b"220 "), "SMTP connection within the limit: 220")
    third = socket.create_connection(("127.0.0.1", sub_a), timeout=5)
    check(third.recv(200).startswith(b"421 4.7.0"), "one connection too many: 421 4.7.0")
    time.sleep(2.5)
    for c in first:
        check(c.recv(200).startswith(b"421 4.4.2"), "an idle SMTP connection is closed with 421 4.4.2")
    m = socket.create_connection(("127.0.0.1", imap_b), timeout=5)
    m.recv(200)
    time.sleep(2.5)
    check(m.recv(200).startswith(b"* BYE"), "an idle IMAP connection gets BYE")


def run(base):
    sub_a, pop_b, imap_b, http_w = base + 587, base + 10110, base + 10143, base + 80
    pop_a = base + 110
    for p in (sub_a, pop_b, imap_b, http_w):
        wait_for(p)

    # smtplib: EHLO, no mail before AUTH, AUTH, a dot-leading line, two recipients, one unknown.
    s = smtplib.SMTP("127.0.0.1", sub_a, timeout=10)
    code, text = s.ehlo("python.test")
    check(code == 250 and b"PIPELINING" in text and b"AUTH PLAIN LOGIN" in text, "smtplib EHLO lists extensions, AUTH among them")
    code, _ = s.mail("alice@a.example")
    check(code == 530, f"submission refuses MAIL before AUTH with 530 (got {code})")
    try:
        s.login("alice", "wrong")
        check(False, "a wrong password is refused")
    except smtplib.SMTPAuthenticationError as e:
        check(e.smtp_code == 535, "smtplib login with a wrong password: 535")
    s.login("alice", "alice-secret")
    print("ok   smtplib login (AUTH PLAIN) as alice")
    refused = s.sendmail(
        "alice@a.example",
        ["bob@b.example", "carol@b.example", "nobody@a.example"],
        "From: alice@a.example\r\nTo: bob@b.example\r\nSubject: interop one\r\n\r\n.a line with a leading dot\r\nbye\r\n",
    )
    check(
        list(refused) == ["nobody@a.example"] and refused["nobody@a.example"][0] == 550,
        f"smtplib: three recipients, the unknown local one refused with 550, the others taken ({refused})",
    )
    s.quit()

    # The mail travels over the simulated network: DNS, then SMTP to B's server.
    time.sleep(1.5)

    # poplib: CAPA, USER/PASS, STAT, LIST, UIDL, TOP, RETR, DELE, QUIT.
    p = poplib.POP3("127.0.0.1", pop_b, timeout=10)
    caps = p.capa()
    check("UIDL" in caps and "TOP" in caps, "poplib CAPA: UIDL and TOP")
    p.user("bob")
    p.pass_("bob-secret")
    count, size = p.stat()
    check(count == 1, f"poplib STAT: bob has 1 message (got {count})")
    check(len(p.list()[1]) == 1 and len(p.uidl()[1]) == 1, "poplib LIST and UIDL")
    top = b"\r\n".join(p.top(1, 0)[1])
    check(b"Subject: interop one" in top, "poplib TOP 1 0 gives the header")
    msg = p.retr(1)[1]
    check(b".a line with a leading dot" in msg, "poplib RETR: the dot-leading line survived stuffing")
    check(any(l.startswith(b"Received: from mail.a.example") for l in msg), "the message carries B's Received: line")
    p.dele(1)
    p.quit()
    p = poplib.POP3("127.0.0.1", pop_b, timeout=10)
    p.user("bob")
    p.pass_("bob-secret")
    check(p.stat()[0] == 0, "poplib: the deletion stuck after QUIT")
    p.quit()

    # imaplib, as carol: CAPABILITY, LOGIN, SELECT, SEARCH, FETCH, STORE \Seen, EXPUNGE, LOGOUT.
    m = imaplib.IMAP4("127.0.0.1", imap_b)
    check("IDLE" in m.capabilities, "imaplib CAPABILITY: IDLE")
    m.login("carol", "carol-secret")
    typ, data = m.select("INBOX")
    check(typ == "OK" and data[0] == b"1", "imaplib SELECT INBOX: 1 message")
    typ, data = m.search(None, "UNSEEN")
    check(data[0] == b"1", "imaplib SEARCH UNSEEN")
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    check(b"interop one" in data[0][1], "imaplib FETCH BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    typ, data = m.store("1", "+FLAGS", "(\\Seen)")
    check(b"\\Seen" in data[0], "imaplib STORE +FLAGS \\Seen")
    typ, data = m.search(None, "SEEN")
    check(data[0] == b"1", "imaplib SEARCH SEEN")
    m.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = m.expunge()
    check(data[0] == b"1", "imaplib EXPUNGE")
    m.logout()

    # Webmail over HTTP: log in (303 + cookie), the inbox page, compose and send, the sent page.
    c = http.client.HTTPConnection("127.0.0.1", http_w, timeout=10)
    c.request("GET", "/")
    r = c.getresponse()
    check(r.status == 200 and b"Log in" in r.read(), "HTTP GET /: the login form")
    form = urllib.parse.urlencode({"user": "alice@a.example", "password": "alice-secret"})
    c.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    cookie = r.getheader("Set-Cookie", "").split(";")[0]
    check(r.status == 303 and cookie.startswith("session="), "HTTP POST /login: 303 with a session cookie")
    check("SameSite=Strict" in r.getheader("Set-Cookie", ""), "the session cookie is SameSite=Strict")
    c.request("GET", "/compose", headers={"Cookie": cookie})
    r = c.getresponse()
    page = r.read().decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    check(r.status == 200 and token is not None, "HTTP GET /compose: the form carries a token")
    fields = {"to": "bob@b.example", "subject": "from the web", "body": "hi"}
    post = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    c.request("POST", "/send", urllib.parse.urlencode(fields), post)
    r = c.getresponse()
    r.read()
    check(r.status == 403, "HTTP POST /send without the form's token: 403")
    fields["token"] = token.group(1)
    c.request("POST", "/send", urllib.parse.urlencode(fields), dict(post, Origin="http://evil.example"))
    r = c.getresponse()
    r.read()
    check(r.status == 403, "HTTP POST /send from another site's page (Origin): 403")
    c.request("POST", "/send", urllib.parse.urlencode(fields), post)
    r = c.getresponse()
    r.read()
    check(r.status == 303 and r.getheader("Location") == "/sent", "HTTP POST /send: 303 to /sent")
    c.request("GET", "/sent", headers={"Cookie": cookie})
    r = c.getresponse()
    check(b"Your mail was sent" in r.read(), "HTTP GET /sent: the SMTP server took it")
    c.request("GET", "/nowhere", headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    check(r.status == 404, "HTTP: 404 for an unknown page")
    c.close()
    time.sleep(1.5)
    p = poplib.POP3("127.0.0.1", pop_b, timeout=10)
    p.user("bob")
    p.pass_("bob-secret")
    msg = b"\r\n".join(p.retr(1)[1])
    check(b"Subject: from the web" in msg, "the webmail's mail reached bob through SMTP")
    p.quit()

    # Bad input never kills the bridge.
    raw = socket.create_connection(("127.0.0.1", sub_a), timeout=5)
    raw.recv(1024)
    raw.sendall(b"\x00\xff garbage\r\n")
    check(raw.recv(1024)[:1] == b"5", "garbage gets a 5xx reply")
    raw.close()
    s = smtplib.SMTP("127.0.0.1", sub_a, timeout=10)
    check(s.noop()[0] == 250, "the bridge still serves after garbage")
    # No open relay: B's server takes mail only for its own domain, on port 25.
    s2 = smtplib.SMTP("127.0.0.1", base + 10025, timeout=10)
    s2.ehlo("stranger.example")
    s2.mail("spam@stranger.example")
    code, _ = s2.rcpt("victim@elsewhere.example")
    check(code == 554, f"B's server refuses to relay to another domain (got {code})")
    s2.quit()
    s.quit()
    _ = pop_a


if __name__ == "__main__":
    main()
