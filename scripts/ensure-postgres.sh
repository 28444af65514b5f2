#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432, for the test suite's PostgreSQL run:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres uv run pytest tests/hub
# Does nothing when one answers already. Otherwise starts the installed cluster, or installs Debian's
# postgresql first (needs apt-get and root or sudo) and lets user postgres in from 127.0.0.1 and ::1
# without a password (trust): for a CI machine or a developer's box, never for a server.
set -euo pipefail

HOST=127.0.0.1
PORT=5432

ready() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT"
}

if ready; then
  echo "ensure-postgres: PostgreSQL answers on $HOST:$PORT"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

installed_now=0
if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: no PostgreSQL on $HOST:$PORT and no apt-get to install one" >&2
    exit 1
  fi
  echo "ensure-postgres: installing PostgreSQL (apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq postgresql >/dev/null
  installed_now=1
fi

version="$(ls /etc/postgresql | sort -V | tail -n 1)"
if [ ! -d "/etc/postgresql/$version/main" ]; then
  $SUDO pg_createcluster "$version" main
fi

if [ "$installed_now" = 1 ]; then
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! $SUDO grep -q "kokin: trust on loopback" "$hba"; then
    # the first matching line wins: put ours ahead of Debian's defaults (peer, scram-sha-256)
    {
      echo "# kokin: trust on loopback for the test suite (scripts/ensure-postgres.sh)"
      echo "host    all    all    127.0.0.1/32    trust"
      echo "host    all    all    ::1/128         trust"
      $SUDO cat "$hba"
    } >"/tmp/pg_hba.conf.$$"
    $SUDO install -o postgres -g postgres -m 640 "/tmp/pg_hba.conf.$$" "$hba"
    rm -f "/tmp/pg_hba.conf.$$"
  fi
fi

echo "ensure-postgres: starting cluster $version/main"
$SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
if [ "$installed_now" = 1 ]; then
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
fi

for _ in $(seq 1 30); do
  if ready; then
    echo "ensure-postgres: PostgreSQL $version answers on $HOST:$PORT"
    exit 0
  fi
  sleep 1
done
echo "ensure-postgres: PostgreSQL did not come up on $HOST:$PORT (see /var/log/postgresql/)" >&2
exit 1
