#!/usr/bin/env python3
"""A classroom's computers on one machine, to see the live window's room (`open --serve --class N`)
without thirty computers: each student's mail program talks from an address of its own.

Usage: room_demo.py SHEET HOST [--first 10.9.0.10] [--students N] [--seconds S] [--seed K]

SHEET is the class sheet `serve`/`open --serve --class N` printed on stdout (saved to a file);
HOST is the address the bridge listens on. Student k's programs connect from FIRST + k - 1, which
must be an address of this machine that is not loopback; on Linux, as root:

    for i in $(seq 10 39); do ip addr add 10.9.0.$i/32 dev lo; done

Every second or so a student (seeded random order) sends a mail with smtplib to another student,
or reads their mailbox with poplib or imaplib; some IMAP sessions stay open for a few seconds, as
a mail program's do, so the window shows connections open on each server.
"""

import argparse
import imaplib
import ipaddress
import poplib
import random
import re
import smtplib
import socket
import sys
import threading
import time
from email.message import EmailMessage

ROW = re.compile(r"^\s+(\d+)\s+(\S+@\S+)\s+(\S+)\s+(\d+|-)\s+(\d+|-)\s+(\d+|-)\s*$")


def sheet(path):
    """(number, address, password, submission, pop3, imap) for each student of the sheet."""
    out = []
    with open(path) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                n, addr, pw, smtp, pop, imap = m.groups()
                port = lambda p: None if p == "-" else int(p)
                out.append((int(n), addr, pw, port(smtp), port(pop), port(imap)))
    return out


def sourced(cls):
    """A poplib/imaplib class whose connections come from a given local address (they have no
    source_address of their own)."""

    class Sourced(cls):
        def __init__(self, host, port, source):
            self._source = source
            super().__init__(host, port, timeout=20) if cls is poplib.POP3 else super().__init__(host, port)

        def _create_socket(self, timeout):
            return socket.create_connection((self.host, self.port), timeout or 20, (self._source, 0))

    return Sourced


Pop3From = sourced(poplib.POP3)
ImapFrom = sourced(imaplib.IMAP4)


def act(st, students, host, source, rng, log):
    n, addr, pw, smtp, pop, imap = st
    user = addr.split("@")[0]
    what = rng.choice(["send", "send", "pop", "imap"])
    try:
        if what == "send" and smtp:
            to = rng.choice([s for s in students if s[0] != n])[1]
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = addr, to, f"hello from {user}"
            m.set_content(f"{user} says hello.\n")
            with smtplib.SMTP(host, smtp, source_address=(source, 0), timeout=20) as s:
                s.login(user, pw)
                s.send_message(m)
        elif what == "pop" and pop:
            p = Pop3From(host, pop, source)
            p.user(user)
            p.pass_(pw)
            count, _ = p.stat()
            for i in range(1, count + 1):
                p.retr(i)
            p.quit()
        elif imap:
            c = ImapFrom(host, imap, source)
            c.login(user, pw)
            _, data = c.select("INBOX")
            if int(data[0]) > 0:
                c.fetch("1:*", "(ENVELOPE)")
            # A mail program stays connected a while.
            time.sleep(rng.uniform(2, 8))
            c.logout()
        log(f"{user} from {source}: {what}")
    except Exception as e:  # a demo: say what went wrong and go on
        log(f"{user} from {source}: {what} failed: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sheet")
    ap.add_argument("host")
    ap.add_argument("--first", default="10.9.0.10")
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    students = sheet(args.sheet)[: args.students]
    if not students:
        sys.exit(f"{args.sheet}: no class sheet rows found")
    first = ipaddress.ip_address(args.first)
    rng = random.Random(args.seed)
    lock = threading.Lock()

    def log(s):
        with lock:
            print(s, flush=True)

    end = time.time() + args.seconds
    threads = []
    order = list(range(len(students)))
    while time.time() < end:
        rng.shuffle(order)
        for k in order:
            if time.time() >= end:
                break
            st = students[k]
            source = str(first + k)
            t = threading.Thread(
                target=act, args=(st, students, args.host, source, random.Random(rng.random()), log)
            )
            t.start()
            threads.append(t)
            time.sleep(rng.uniform(0.2, 1.0))
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
