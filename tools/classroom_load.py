#!/usr/bin/env python3
"""A classroom's load on `mailsim serve`: well-behaved students' mail programs and a few
misbehaving ones at the same time, against tests/interop/bridge.toml on real 127.0.0.1 ports.

Usage: classroom_load.py MAILSIM_BINARY [--minutes M] [--clients N] [--seed S]

A load script, not a test: it prints figures and exits 0 unless the bridge could not be started.

- N well-behaved clients (threads), each acting every 1-3 s (a seeded random.Random): about a
  third send with smtplib (AUTH as alice, to bob or carol, Subject `load-<client>-<n>`), a third
  read bob's mailbox with poplib (RETR, DELE, QUIT), a third read carol's with imaplib (SELECT,
  FETCH, STORE \\Deleted, EXPUNGE, LOGOUT), and some send through the webmail (login as alice,
  GET /compose for the form's token, POST /send, GET /sent). bob is read only over POP3 and carol
  only over IMAP, each by one reader at a time (a lock per mailbox; a client that finds the
  mailbox busy does something else), so each mail should be read exactly once.
- 3 misbehaving clients: one that sends `EHLO x` to submission without ever reading, a slowloris
  with 20 connections to POP3/IMAP sending a byte a second with no newline, and one sending
  bursts of random bytes to every port.
- Afterwards the mailboxes are drained (up to 60 s), and the figures printed: mails sent,
  received, lost, duplicated; reply times (every command/reply round trip of the well-behaved
  clients, timed with time.perf_counter); their errors by kind; the bridge's `bridge:` log lines
  by kind; and the bridge's memory (VmHWM sampled each second, VmRSS at the end).

The simulated network has about 20 ms one-way latency, so a reply takes at least ~40 ms.
"""

import argparse
import collections
import http.client
import imaplib
import os
import poplib
import random
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCENARIO = os.path.join(ROOT, "tests", "interop", "bridge.toml")
HOST = "127.0.0.1"
TIMEOUT = 30  # seconds a well-behaved client waits for a reply
SUBJECT = re.compile(rb"^Subject: (load-\d+-\d+)\s*$", re.M | re.I)


def free_base():
    """A port base whose service ports (+25, +80, +110, +143, +587, and +10000) are all free (as
    tests/interop/python_clients.py finds one)."""
    for base in range(21000, 40000, 137):
        socks = []
        try:
            for p in (25, 80, 110, 143, 587):
                for k in (0, 10000):
                    s = socket.socket()
                    socks.append(s)
                    s.bind((HOST, base + p + k))
            return base
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise SystemExit("no free ports")


def wait_for(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the bridge did not open port {port}")


class Ports:
    def __init__(self, base):
        self.sub_a = base + 587
        self.smtp_a = base + 25
        self.pop_a = base + 110
        self.imap_a = base + 143
        self.http = base + 80
        self.smtp_b = base + 10025
        self.pop_b = base + 10110
        self.imap_b = base + 10143
        self.all = [self.sub_a, self.smtp_a, self.pop_a, self.imap_a, self.http,
                    self.smtp_b, self.pop_b, self.imap_b]


class Stats:
    """Everything the clients saw, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = collections.defaultdict(list)  # op -> [seconds]
        self.errors = collections.Counter()  # kind -> count
        self.sent = {}  # subject -> mailbox ("bob" / "carol"), accepted (250 / 303 + "sent")
        self.unconfirmed = {}  # subject -> mailbox: sending failed at or after the end of DATA
        self.accepted = collections.Counter()  # "smtp" / "webmail"
        self.reads = {"bob": collections.Counter(), "carol": collections.Counter()}
        self.sessions = collections.Counter()  # "pop3 ok", "imap ok", "pop3 busy (skipped)", ...
        self.actions = collections.Counter()
        self.misbehaving = collections.Counter()

    def rt(self, op, seconds):
        with self.lock:
            self.times[op].append(seconds)

    def error(self, kind):
        with self.lock:
            self.errors[kind] += 1

    def count(self, counter, key, n=1):
        with self.lock:
            getattr(self, counter)[key] += n


STATS = Stats()


def timed(op, fn, *a, **kw):
    """Calls fn, recording how long the call (one command and its reply) took when a reply came
    (an answer the library turns into an exception counts; a socket error does not)."""
    t = time.perf_counter()
    try:
        r = fn(*a, **kw)
    except (smtplib.SMTPResponseException, poplib.error_proto, imaplib.IMAP4.error):
        STATS.rt(op, time.perf_counter() - t)
        raise
    STATS.rt(op, time.perf_counter() - t)
    return r


def error_kind(op, e):
    text = str(e)
    text = re.sub(r"\d{3,}", "N", text)[:90]
    return f"{op}: {type(e).__name__}: {text}"


# ----------------------------------------------------------------------------------------------
# Well-behaved clients


class Student:
    def __init__(self, ports, n, seed, locks, stop):
        self.ports = ports
        self.n = n
        self.rng = random.Random(seed * 1000 + n)
        self.locks = locks
        self.stop = stop
        self.mails = 0
        self.cookie = None
        self.op = ""

    def subject(self):
        self.mails += 1
        return f"load-{self.n}-{self.mails}"

    def run(self):
        time.sleep(self.rng.uniform(0, 3))
        while not self.stop.is_set():
            action = self.rng.choices(["smtp", "pop3", "imap", "webmail"], [30, 30, 30, 10])[0]
            STATS.count("actions", action)
            self.op = action
            try:
                getattr(self, action)()
            except Exception as e:  # noqa: BLE001 - counted by kind
                STATS.error(error_kind(self.op, e))
            self.stop.wait(self.rng.uniform(1, 3))

    # SMTP submission: AUTH as alice, one mail to bob or carol.
    def smtp(self):
        to = self.rng.choice(["bob", "carol"])
        subject = self.subject()
        self.op = "smtp connect"
        s = timed("smtp connect+220", smtplib.SMTP, HOST, self.ports.sub_a,
                  local_hostname=f"student{self.n}.test", timeout=TIMEOUT)
        try:
            self.op = "smtp EHLO"
            code, _ = timed("smtp EHLO", s.ehlo)
            self.op = "smtp AUTH"
            timed("smtp AUTH", s.login, "alice", "alice-secret")
            self.op = "smtp MAIL"
            code, msg = timed("smtp MAIL", s.mail, "alice@a.example")
            if code != 250:
                raise smtplib.SMTPResponseException(code, msg)
            self.op = "smtp RCPT"
            code, msg = timed("smtp RCPT", s.rcpt, f"{to}@b.example")
            if code != 250:
                raise smtplib.SMTPResponseException(code, msg)
            self.op = "smtp DATA"
            code, msg = timed("smtp DATA", s.docmd, "DATA")
            if code != 354:
                raise smtplib.SMTPResponseException(code, msg)
            body = (
                f"From: alice@a.example\r\nTo: {to}@b.example\r\nSubject: {subject}\r\n"
                f"Message-ID: <{subject}@student{self.n}.test>\r\n\r\n"
                f"Mail {self.mails} of student {self.n}, by smtplib.\r\n.\r\n"
            ).encode()
            self.op = "smtp end of DATA"
            try:
                t = time.perf_counter()
                s.send(body)
                code, msg = s.getreply()
                STATS.rt("smtp end of DATA", time.perf_counter() - t)
            except Exception:
                with STATS.lock:
                    STATS.unconfirmed[subject] = to
                raise
            if code != 250:
                with STATS.lock:
                    STATS.unconfirmed[subject] = to
                raise smtplib.SMTPResponseException(code, msg)
            with STATS.lock:
                STATS.sent[subject] = to
                STATS.accepted["smtp (250)"] += 1
            self.op = "smtp QUIT"
            timed("smtp QUIT", s.quit)
        finally:
            s.close()

    # POP3, bob's mailbox: RETR and DELE what is there, QUIT.
    def pop3(self):
        if not self.locks["bob"].acquire(blocking=False):
            STATS.count("sessions", "pop3: bob's mailbox busy, did something else")
            return
        try:
            pop3_read(self.ports, "student")
        finally:
            self.locks["bob"].release()

    # IMAP, carol's mailbox: SELECT, FETCH, STORE \Deleted, EXPUNGE, LOGOUT.
    def imap(self):
        if not self.locks["carol"].acquire(blocking=False):
            STATS.count("sessions", "imap: carol's mailbox busy, did something else")
            return
        try:
            imap_read(self.ports, "student")
        finally:
            self.locks["carol"].release()

    # The webmail, as alice: (login), GET /compose, POST /send with the token, GET /sent.
    def webmail(self):
        to = self.rng.choice(["bob", "carol"])
        c = http.client.HTTPConnection(HOST, self.ports.http, timeout=TIMEOUT)
        try:
            token = None
            for _ in range(2):
                if self.cookie is None:
                    self.op = "http POST /login"
                    form = urllib.parse.urlencode({"user": "alice@a.example", "password": "alice-secret"})
                    st, r, _ = http_req(c, "POST", "/login", form,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
                    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
                    if st != 303 or not cookie.startswith("session="):
                        raise RuntimeError(f"login: HTTP {st}")
                    self.cookie = cookie
                self.op = "http GET /compose"
                st, r, page = http_req(c, "GET", "/compose", None, {"Cookie": self.cookie})
                m = re.search(rb'name="token" value="([0-9a-f]+)"', page)
                if st == 200 and m:
                    token = m.group(1).decode()
                    break
                if st == 303:  # the session is gone: log in again
                    self.cookie = None
                    continue
                raise RuntimeError(f"compose: HTTP {st}")
            if token is None:
                raise RuntimeError("compose: no token after logging in again")
            subject = self.subject()
            fields = {"to": f"{to}@b.example", "subject": subject, "token": token,
                      "body": f"Mail {self.mails} of student {self.n}, by the webmail."}
            self.op = "http POST /send"
            try:
                st, r, _ = http_req(c, "POST", "/send", urllib.parse.urlencode(fields),
                                    {"Content-Type": "application/x-www-form-urlencoded",
                                     "Cookie": self.cookie})
            except Exception:
                with STATS.lock:
                    STATS.unconfirmed[subject] = to
                raise
            if st != 303 or r.getheader("Location") != "/sent":
                with STATS.lock:
                    STATS.unconfirmed[subject] = to
                raise RuntimeError(f"send: HTTP {st}")
            self.op = "http GET /sent"
            st, r, page = http_req(c, "GET", "/sent", None, {"Cookie": self.cookie})
            if st == 200 and b"Your mail was sent" in page:
                with STATS.lock:
                    STATS.sent[subject] = to
                    STATS.accepted["webmail (303, then 'sent')"] += 1
            else:
                with STATS.lock:
                    STATS.unconfirmed[subject] = to
                why = re.search(rb"<p>(Your mail was not sent[^<]*)</p>", page)
                raise RuntimeError(f"sent page: HTTP {st}: "
                                   f"{why.group(1).decode()[:60] if why else 'no confirmation'}")
        finally:
            c.close()


def http_req(c, method, path, body, headers):
    t = time.perf_counter()
    c.request(method, path, body, headers)
    r = c.getresponse()
    page = r.read()
    STATS.rt(f"http {method} {path}", time.perf_counter() - t)
    return r.status, r, page


def pop3_read(ports, who):
    """One POP3 session on bob's mailbox (the caller holds its lock). Returns how many mails it
    read (RETR'd), or None if it could not log in."""
    p = timed("pop3 connect+greeting", poplib.POP3, HOST, ports.pop_b, timeout=TIMEOUT)
    got = []
    op = "pop3 USER"
    try:
        timed("pop3 USER", p.user, "bob")
        op = "pop3 PASS"
        try:
            timed("pop3 PASS", p.pass_, "bob-secret")
        except poplib.error_proto as e:
            if "IN-USE" in str(e):
                STATS.count("sessions", "pop3: PASS -ERR [IN-USE] (locked), retried later")
                p.close()
                return None
            raise
        op = "pop3 STAT"
        n, _ = timed("pop3 STAT", p.stat)
        for i in range(1, n + 1):
            op = "pop3 RETR"
            _, lines, _ = timed("pop3 RETR", p.retr, i)
            m = SUBJECT.search(b"\r\n".join(lines))
            got.append(m.group(1).decode() if m else "(no load subject)")
            op = "pop3 DELE"
            timed("pop3 DELE", p.dele, i)
        op = "pop3 QUIT"
        timed("pop3 QUIT", p.quit)
    except Exception as e:
        STATS.error(error_kind(op, e))
        STATS.count("sessions", "pop3: session failed before QUIT (its DELEs undone)")
        p.close()
        # What was RETR'd was read all the same: it counts (and shows up again if not deleted).
        record_reads("bob", got)
        return len(got)
    record_reads("bob", got)
    STATS.count("sessions", f"pop3 ({who}): read and deleted {'some' if got else 'none'}")
    return len(got)


def imap_read(ports, who):
    """One IMAP session on carol's INBOX (the caller holds its lock). Returns how many mails it
    fetched."""
    m = timed("imap connect+greeting+CAPABILITY", imaplib.IMAP4, HOST, ports.imap_b, timeout=TIMEOUT)
    got = []
    op = "imap LOGIN"
    try:
        timed("imap LOGIN", m.login, "carol", "carol-secret")
        op = "imap SELECT"
        typ, data = timed("imap SELECT", m.select, "INBOX")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"SELECT {typ} {data}")
        n = int(data[0])
        if n:
            op = "imap FETCH"
            typ, data = timed("imap FETCH", m.fetch, f"1:{n}", "(BODY[])")
            if typ != "OK":
                raise imaplib.IMAP4.error(f"FETCH {typ}")
            for part in data:
                if isinstance(part, tuple):
                    s = SUBJECT.search(part[1])
                    got.append(s.group(1).decode() if s else "(no load subject)")
            if len(got) != n:
                STATS.error(f"imap FETCH: {len(got)} bodies for {n} messages")
            op = "imap STORE"
            typ, _ = timed("imap STORE", m.store, f"1:{n}", "+FLAGS", "(\\Deleted)")
            if typ != "OK":
                raise imaplib.IMAP4.error(f"STORE {typ}")
            op = "imap EXPUNGE"
            typ, _ = timed("imap EXPUNGE", m.expunge)
            if typ != "OK":
                raise imaplib.IMAP4.error(f"EXPUNGE {typ}")
        op = "imap LOGOUT"
        timed("imap LOGOUT", m.logout)
    except Exception as e:
        STATS.error(error_kind(op, e))
        STATS.count("sessions", "imap: session failed before EXPUNGE/LOGOUT")
        try:
            m.shutdown()
        except Exception:
            pass
        record_reads("carol", got)
        return len(got)
    record_reads("carol", got)
    STATS.count("sessions", f"imap ({who}): read and expunged {'some' if got else 'none'}")
    return len(got)


def record_reads(box, subjects):
    with STATS.lock:
        for s in subjects:
            STATS.reads[box][s] += 1


# ----------------------------------------------------------------------------------------------
# Misbehaving clients


def non_reader(ports, stop):
    """Connects to submission, waits for the greeting to be sent (never reads it), then sends
    `EHLO x` over and over without reading a reply; reconnects when dropped."""
    chunk = b"EHLO x\r\n" * 64
    while not stop.is_set():
        try:
            s = socket.create_connection((HOST, ports.sub_a), timeout=5)
        except OSError:
            STATS.count("misbehaving", "non-reader: connect failed")
            stop.wait(1)
            continue
        STATS.count("misbehaving", "non-reader: connections")
        stop.wait(1)  # the 220 is on its way (talking before it gets 554 at once)
        s.settimeout(1)
        try:
            while not stop.is_set():
                try:
                    n = s.send(chunk)
                    STATS.count("misbehaving", "non-reader: bytes sent", n)
                except socket.timeout:
                    STATS.count("misbehaving", "non-reader: seconds blocked")
        except OSError:
            STATS.count("misbehaving", "non-reader: dropped by the bridge")
        finally:
            s.close()
        stop.wait(0.5)


def slowloris(ports, stop, count=20):
    """`count` connections to POP3/IMAP, a byte a second each, never a newline; reconnects what
    gets closed."""
    targets = [ports.pop_a, ports.pop_b, ports.imap_a, ports.imap_b]
    socks = [None] * count

    def connect(i):
        try:
            s = socket.create_connection((HOST, targets[i % len(targets)]), timeout=5)
            s.setblocking(False)
            STATS.count("misbehaving", "slowloris: connections")
            return s
        except OSError:
            STATS.count("misbehaving", "slowloris: connect failed")
            return None

    while not stop.is_set():
        for i in range(count):
            s = socks[i]
            if s is None:
                socks[i] = connect(i)
                continue
            closed = False
            try:
                while True:
                    d = s.recv(4096)  # the greeting, a -ERR/BYE: taken, so it is not a non-reader
                    if not d:
                        closed = True
                        break
            except BlockingIOError:
                pass
            except OSError:
                closed = True
            if not closed:
                try:
                    s.send(b"A")
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
            if closed:
                STATS.count("misbehaving", "slowloris: closed by the bridge")
                s.close()
                socks[i] = connect(i)
        stop.wait(1)
    for s in socks:
        if s is not None:
            s.close()


def garbage(ports, stop, seed):
    """Bursts of random bytes to every port in turn, a new connection each time."""
    rng = random.Random(seed * 7919)
    k = 0
    while not stop.is_set():
        port = ports.all[k % len(ports.all)]
        k += 1
        try:
            s = socket.create_connection((HOST, port), timeout=2)
        except OSError:
            STATS.count("misbehaving", "garbage: connect failed")
            stop.wait(0.5)
            continue
        STATS.count("misbehaving", "garbage: connections")
        try:
            for _ in range(rng.randint(1, 5)):
                burst = bytes(rng.getrandbits(8) for _ in range(rng.randint(16, 4096)))
                s.sendall(burst)
                STATS.count("misbehaving", "garbage: bytes sent", len(burst))
                stop.wait(rng.uniform(0.05, 0.3))
            s.settimeout(0.3)
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
        except OSError:
            STATS.count("misbehaving", "garbage: connection dropped mid-burst")
        finally:
            s.close()
        stop.wait(rng.uniform(0.1, 0.5))


# ----------------------------------------------------------------------------------------------
# The bridge's memory


def memory_sampler(pid, stop, samples):
    while not stop.is_set():
        m = read_memory(pid)
        if m:
            samples.append((time.time(), m))
        stop.wait(1)


def read_memory(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    out = {"cpu_s": (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")}
    for key in ("VmHWM", "VmRSS"):
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        if m:
            out[key] = int(m.group(1))
    return out


# ----------------------------------------------------------------------------------------------


# Round trips that are several simulated exchanges: connecting (TCP handshake + greeting, and
# imaplib's CAPABILITY), the webmail's login (an IMAP LOGIN behind it) and send (an SMTP
# submission behind it), and GET /compose (mostly the first request of its connection).
MULTI = {"smtp connect+220", "pop3 connect+greeting", "imap connect+greeting+CAPABILITY",
         "http POST /login", "http POST /send", "http GET /compose"}


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def ms(x):
    return f"{x * 1000:.0f} ms"


def bridge_lines(path):
    kinds = collections.Counter()
    other = collections.Counter()
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("bridge:"):
                k = re.sub(r"\d+\.\d+\.\d+\.\d+:\d+", "PEER", line)
                k = re.sub(r"port \d+", "port P", k)
                k = re.sub(r"\(\d+ bytes waiting\)", "(N bytes waiting)", k)
                kinds[k] += 1
            elif line.startswith("mailsim serve:"):
                other[re.sub(r"\d+(\.\d+)?", "N", line)] += 1
    return kinds, other, size


def drain(ports, locks, limit=60):
    """Reads both mailboxes until every accepted mail has been read and a last read found each
    mailbox empty, or `limit` seconds pass."""
    start = time.time()
    empty = {"bob": False, "carol": False}
    while time.time() - start < limit:
        for box, read in (("bob", pop3_read), ("carol", imap_read)):
            with locks[box]:
                try:
                    n = read(ports, "drain")
                except Exception as e:  # noqa: BLE001
                    STATS.error(error_kind(f"drain {box}", e))
                    n = None
            empty[box] = n == 0
        with STATS.lock:
            missing = [s for s, box in STATS.sent.items() if STATS.reads[box][s] == 0]
        if not missing and all(empty.values()):
            return time.time() - start, True
        time.sleep(1)
    return time.time() - start, False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--clients", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log", help="where the serve log goes (default: a temporary file, kept)")
    args = ap.parse_args()

    base = free_base()
    ports = Ports(base)
    log_path = args.log or os.path.join(tempfile.mkdtemp(prefix="classroom-load-"), "serve.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [args.binary, "serve", SCENARIO, "--port-base", str(base), "--max-connections", "400"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    print(f"bridge: pid {proc.pid}, port base {base}, log {log_path}", flush=True)
    mem_stop = threading.Event()
    samples = []
    try:
        for p in ports.all:
            wait_for(p)
        time.sleep(0.5)
        mem_thread = threading.Thread(target=memory_sampler, args=(proc.pid, mem_stop, samples), daemon=True)
        mem_thread.start()
        load1 = os.getloadavg()
        report = run_load(args, ports, proc)
        load2 = os.getloadavg()
    finally:
        final = read_memory(proc.pid) or {}
        mem_stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # its Ctrl-C: logs "stopped after", flushes the log
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()
    print_figures(args, report, samples, final, log_path, load1, load2, proc.returncode)


def run_load(args, ports, proc):
    stop_students = threading.Event()
    stop_bad = threading.Event()
    locks = {"bob": threading.Lock(), "carol": threading.Lock()}
    students = [Student(ports, n, args.seed, locks, stop_students) for n in range(1, args.clients + 1)]
    threads = [threading.Thread(target=s.run, daemon=True, name=f"student{s.n}") for s in students]
    bad = [
        threading.Thread(target=non_reader, args=(ports, stop_bad), daemon=True),
        threading.Thread(target=slowloris, args=(ports, stop_bad), daemon=True),
        threading.Thread(target=garbage, args=(ports, stop_bad, args.seed), daemon=True),
    ]
    t0 = time.time()
    for t in threads + bad:
        t.start()
    end = t0 + args.minutes * 60
    last = t0
    while time.time() < end:
        time.sleep(min(5, max(0, end - time.time())))
        if proc.poll() is not None:
            print(f"the bridge exited with {proc.returncode} during the load", flush=True)
            break
        if time.time() - last >= 60:
            last = time.time()
            with STATS.lock:
                sent, errs = len(STATS.sent), sum(STATS.errors.values())
                read = sum(len(c) for c in STATS.reads.values())
            print(f"  {last - t0:5.0f} s: {sent} sent, {read} read, {errs} errors", flush=True)
    stop_students.set()
    stop_bad.set()
    for t in threads:
        t.join(timeout=TIMEOUT * 3)
    stuck = [t.name for t in threads if t.is_alive()]
    for t in bad:
        t.join(timeout=10)
    stopped = time.time()
    drain_s, drained = drain(ports, locks) if proc.poll() is None else (0, False)
    return {"t0": t0, "stopped": stopped, "drain_s": drain_s, "drained": drained, "stuck": stuck}


def print_figures(args, report, samples, final, log_path, load1, load2, rc):
    st = STATS
    sent = st.sent
    received = {b: set(c) for b, c in st.reads.items()}
    all_received = received["bob"] | received["carol"]
    lost = sorted(s for s, box in sent.items() if s not in received[box])
    dup = {f"{b}:{s}": n for b, c in st.reads.items() for s, n in c.items() if n > 1}
    wrong_box = sorted(s for s, box in sent.items()
                       if s in all_received and s not in received[box])
    unsent_but_read = sorted(s for s in all_received if s not in sent and s in st.unconfirmed)
    stray = sorted(s for s in all_received if s not in sent and s not in st.unconfirmed)
    all_times = [x for xs in st.times.values() for x in xs]

    print()
    print(f"=== classroom load: {args.clients} clients, {args.minutes:g} min, seed {args.seed} ===")
    print(f"load average (1/5/15 min) at start {load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f}, "
          f"at end {load2[0]:.2f}/{load2[1]:.2f}/{load2[2]:.2f}")
    print(f"actions: {dict(st.actions)}")
    print(f"mails sent (accepted): {len(sent)}  "
          + ", ".join(f"{k}: {v}" for k, v in st.accepted.items()))
    print(f"  to bob (POP3): {sum(1 for b in sent.values() if b == 'bob')}, "
          f"to carol (IMAP): {sum(1 for b in sent.values() if b == 'carol')}")
    print(f"  not confirmed (failed at/after the end of DATA or /send): {len(st.unconfirmed)}"
          f", of which read anyway: {len(unsent_but_read)}")
    print(f"mails received (unique subjects): {len(all_received)}  "
          f"(bob {len(received['bob'])}, carol {len(received['carol'])})")
    print(f"lost (sent but never read): {len(lost)}" + (f"  e.g. {lost[:10]}" if lost else ""))
    print(f"duplicated (read more than once): {len(dup)}"
          + (f"  e.g. {dict(list(dup.items())[:10])}" if dup else ""))
    if wrong_box or stray:
        print(f"in the wrong mailbox: {len(wrong_box)}; read but never sent: {len(stray)} {stray[:10]}")
    print(f"drain: {report['drain_s']:.1f} s after the senders stopped, "
          f"{'mailboxes read empty' if report['drained'] else 'NOT drained within 60 s'}")
    if report["stuck"]:
        print(f"clients still stuck after stopping: {report['stuck']}")
    print()
    print(f"reply times of the well-behaved clients ({len(all_times)} round trips; the simulated "
          f"network adds ~40 ms to each):")
    print(f"  all: p50 {ms(pct(all_times, 50))}, p99 {ms(pct(all_times, 99))}, max {ms(max(all_times, default=0))}")
    single = [x for op, xs in st.times.items() if op not in MULTI for x in xs]
    print(f"  one exchange each (without connecting, webmail /login, /compose, /send, which wrap several "
          f"simulated exchanges): p50 {ms(pct(single, 50))}, p99 {ms(pct(single, 99))}, "
          f"max {ms(max(single, default=0))}")
    for op in sorted(st.times):
        xs = st.times[op]
        print(f"  {op:36} n={len(xs):6}  p50 {ms(pct(xs, 50)):>8}  p99 {ms(pct(xs, 99)):>8}  max {ms(max(xs)):>8}")
    print()
    print(f"errors seen by well-behaved clients: {sum(st.errors.values())}")
    for k, v in st.errors.most_common():
        print(f"  {v:6}  {k}")
    print("reading sessions:")
    for k, v in sorted(st.sessions.items()):
        print(f"  {v:6}  {k}")
    print("misbehaving clients:")
    for k, v in sorted(st.misbehaving.items()):
        print(f"  {v:10}  {k}")
    kinds, other, size = bridge_lines(log_path)
    print()
    print(f"bridge: log lines (serve log {log_path}, {size / 1e6:.1f} MB), "
          f"{sum(kinds.values())} in all; exit status {rc}:")
    for k, v in kinds.most_common():
        print(f"  {v:6}  {k}")
    for k, v in other.most_common():
        print(f"  {v:6}  {k}")
    hwm = max((m.get("VmHWM", 0) for _, m in samples), default=0)
    hwm = max(hwm, final.get("VmHWM", 0))
    rss = final.get("VmRSS", 0)
    print()
    print(f"bridge memory: peak (VmHWM) {hwm / 1024:.1f} MiB, final VmRSS {rss / 1024:.1f} MiB "
          f"({len(samples)} samples); CPU time {final.get('cpu_s', 0):.1f} s over "
          f"{report['stopped'] - report['t0'] + report['drain_s']:.0f} s of load and drain")
    if samples:
        t0 = samples[0][0]
        marks = list(range(0, int(samples[-1][0] - t0) + 1, 60))
        line = []
        for mark in marks:
            at = [m for t, m in samples if t - t0 >= mark]
            if at:
                line.append(f"{mark // 60} min {at[0].get('VmRSS', 0) / 1024:.1f}")
        line.append(f"last {samples[-1][1].get('VmRSS', 0) / 1024:.1f}")
        print("  VmRSS over time (MiB): " + ", ".join(line))
    print()
    print(
        f"SUMMARY: {args.clients} clients {args.minutes:g} min: sent {len(sent)}, received "
        f"{len(all_received)}, lost {len(lost)}, duplicated {len(dup)}, reply p50 "
        f"{ms(pct(all_times, 50))} p99 {ms(pct(all_times, 99))} max {ms(max(all_times, default=0))}, "
        f"client errors {sum(st.errors.values())}, bridge drops/turn-aways {sum(kinds.values())}, "
        f"peak {hwm / 1024:.1f} MiB, final RSS {rss / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
