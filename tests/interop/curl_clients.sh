#!/usr/bin/env bash
# curl and swaks against `mailsim serve`: smtp:// (with --crlf), pop3:// and imap:// URLs; swaks,
# whose exit code names the SMTP phase that failed (23 MAIL, 24 RCPT, 28 AUTH).
# Usage: curl_clients.sh MAILSIM_BINARY. Binds 127.0.0.1 only; stops the bridge by its PID.
set -euo pipefail
mailsim="$1"
here="$(cd "$(dirname "$0")" && pwd)"
base="${MAILSIM_PORT_BASE:-23300}"
work="$(mktemp -d)"
"$mailsim" serve "$here/bridge.toml" --port-base "$base" --for 60 > "$work/bridge.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true' EXIT
for _ in $(seq 100); do
    curl -s --max-time 1 "http://127.0.0.1:$((base + 80))/" > /dev/null && break
    sleep 0.1
done

printf 'From: alice@a.example\nTo: bob@b.example\nSubject: via curl\n\n.a dot line\nhello\n' > "$work/mail.txt"
# A refusal for the right reason: the server's 530 at MAIL FROM (curl exits 55, a failed send),
# not any failure (a connection refused would be 7).
rc=0; curl -sS -v --url "smtp://127.0.0.1:$((base + 587))" --mail-from alice@a.example \
    --mail-rcpt bob@b.example --upload-file "$work/mail.txt" --crlf 2> "$work/curl.err" || rc=$?
{ [ "$rc" = 55 ] && grep -q '^< 530 5.7.0 ' "$work/curl.err"; } \
    || { echo "submission without AUTH: curl exit $rc, expected 55 after 530 5.7.0"; cat "$work/curl.err"; exit 1; }
echo "ok   curl smtp:// without a login is refused (530 5.7.0)"
curl -sS --url "smtp://127.0.0.1:$((base + 587))" -u alice:alice-secret --mail-from alice@a.example \
    --mail-rcpt bob@b.example --upload-file "$work/mail.txt" --crlf
echo "ok   curl smtp:// with -u (AUTH) sent a mail"
sleep 1.5
list="$(curl -sS "pop3://127.0.0.1:$((base + 10110))/" -u bob:bob-secret)"
[ "$(echo "$list" | wc -l)" = 1 ] || { echo "pop3 LIST: $list"; exit 1; }
echo "ok   curl pop3:// lists 1 message"
curl -sS "pop3://127.0.0.1:$((base + 10110))/1" -u bob:bob-secret | grep -q '^\.a dot line' \
    || { echo "pop3 RETR lost the dot line"; exit 1; }
echo "ok   curl pop3://.../1 retrieves it, dot line intact"
[ "$(curl -sS "imap://127.0.0.1:$((base + 10143))/INBOX" -u bob:bob-secret -X 'SEARCH ALL' | tr -d '\r')" = "* SEARCH 1" ] \
    || { echo "imap SEARCH failed"; exit 1; }
echo "ok   curl imap:// SEARCH ALL"
curl -sS "imap://127.0.0.1:$((base + 10143))/INBOX;UID=1" -u bob:bob-secret | grep -q '^Subject: via curl' \
    || { echo "imap FETCH failed"; exit 1; }
echo "ok   curl imap://.../INBOX;UID=1 fetches it"
rc=0; curl -sS -v "pop3://127.0.0.1:$((base + 10110))/" -u bob:wrong 2> "$work/curl.err" > /dev/null || rc=$?
{ [ "$rc" = 67 ] && grep -q '^< -ERR \[AUTH\]' "$work/curl.err"; } \
    || { echo "pop3 with a wrong password: curl exit $rc, expected 67 (login denied) after -ERR [AUTH]"; cat "$work/curl.err"; exit 1; }
echo "ok   curl pop3:// with a wrong password is denied (-ERR [AUTH], curl 67)"
if command -v swaks > /dev/null; then
    swaks_to() { swaks --server 127.0.0.1 --port "$1" --from "$2" --to "$3" "${@:4}" > "$work/swaks.log" 2>&1; }
    swaks_to $((base + 587)) alice@a.example bob@b.example --auth PLAIN --auth-user alice \
        --auth-password alice-secret --body $'Hi Bob,\n.a dot line\n'
    echo "ok   swaks with AUTH PLAIN sent a mail"
    rc=0; swaks_to $((base + 587)) alice@a.example bob@b.example --auth LOGIN --auth-user alice \
        --auth-password wrong || rc=$?
    [ "$rc" = 28 ] || { echo "swaks with a wrong password: exit $rc, expected 28 (AUTH)"; exit 1; }
    echo "ok   swaks with a wrong password fails in the AUTH phase (28)"
    rc=0; swaks_to $((base + 587)) alice@a.example bob@b.example || rc=$?
    [ "$rc" = 23 ] || { echo "swaks without AUTH: exit $rc, expected 23 (MAIL)"; exit 1; }
    echo "ok   swaks without AUTH fails at MAIL FROM (23: 530)"
    rc=0; swaks_to $((base + 10025)) x@stranger.example victim@elsewhere.example || rc=$?
    [ "$rc" = 24 ] || { echo "swaks relay attempt: exit $rc, expected 24 (RCPT)"; exit 1; }
    echo "ok   swaks relay attempt through B's server fails at RCPT (24: 554)"
fi
echo "curl and swaks clients: all passed"
