#!/usr/bin/env bash
# Throughput figure (not a test): Postfix's smtp-source sends N mails (default 1000, 10 at a
# time) into the bridge's SMTP server and into a Postfix smtpd on this machine that discards
# them; prints both rates and their ratio (bridge / Postfix). Needs root and Debian's postfix
# package (it installs it with apt-get if missing). Binds 127.0.0.1 only; stops what it starts.
# Usage: tools/throughput.sh [MAILSIM_BINARY] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
mailsim="${1:-target/release/mailsim}"
n="${2:-1000}"
if ! command -v smtp-source > /dev/null && [ ! -x /usr/sbin/smtp-source ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix > /dev/null
fi
source_bin="$(command -v smtp-source || echo /usr/sbin/smtp-source)"
work="$(mktemp -d)"
chmod 755 "$work"  # Postfix's daemons run as the postfix user

rate() { # seconds → mails per second
    python3 -c "import sys; print(f'{$n / float(sys.argv[1]):.0f}')" "$1"
}
timed() { # run a command, print its wall time in seconds
    local t0 t1
    t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}

# The bridge: smtp-source speaks to the MX on port 25 (no AUTH there; mail for its own domain).
"$mailsim" serve tools/throughput.toml --port-base 27000 --max-connections 50 > /dev/null &
bridge=$!
trap 'kill $bridge 2> /dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<> /dev/tcp/127.0.0.1/27025) 2> /dev/null && break; sleep 0.1; done
t_bridge=$(timed "$source_bin" -c -m "$n" -s 10 -f alice@elsewhere.example -t bob@bench.example 127.0.0.1:27025)
kill $bridge; wait $bridge 2> /dev/null || true

# Postfix: a private instance in $work, smtpd on 127.0.0.1:27525, every mail discarded.
conf="$work/postfix"
mkdir -p "$conf"
cp /etc/postfix/master.cf "$conf/" 2> /dev/null || cp /usr/share/postfix/master.cf.dist "$conf/master.cf"
cat > "$conf/main.cf" << CONF
compatibility_level = 3.6
queue_directory = $work/spool
data_directory = $work/data
myhostname = mx.bench.example
mydestination = bench.example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
local_transport = discard
local_recipient_maps =
alias_maps =
alias_database =
default_transport = discard
smtpd_recipient_restrictions = permit_mynetworks, reject
maillog_file_prefixes = $work
maillog_file = $work/maillog
CONF
postconf -c "$conf" -M "27525/inet=27525 inet n - n - - smtpd"
postconf -c "$conf" -MX smtp/inet
mkdir -p "$work/spool" "$work/data"
chown postfix "$work/data"
# Postfix runs a second instance only from a directory its default main.cf names.
if [ ! -s /etc/postfix/main.cf ]; then
    printf 'compatibility_level = 3.6\nalternate_config_directories = %s\n' "$conf" > /etc/postfix/main.cf
else
    postconf -e "alternate_config_directories = $conf"
fi
postfix -c "$conf" start
trap 'postfix -c "$conf" stop > /dev/null 2>&1 || true; kill $bridge 2> /dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<> /dev/tcp/127.0.0.1/27525) 2> /dev/null && break; sleep 0.1; done
t_postfix=$(timed "$source_bin" -c -m "$n" -s 10 -f alice@elsewhere.example -t bob@bench.example 127.0.0.1:27525)

echo "smtp-source, $n mails, 10 sessions at a time:"
echo "  mailsim bridge: $t_bridge s  ($(rate "$t_bridge") mails/s)"
echo "  Postfix smtpd:  $t_postfix s  ($(rate "$t_postfix") mails/s)"
python3 -c "print(f'  ratio bridge/Postfix: {$t_postfix / $t_bridge:.2f} (target >= 1.0)')"
