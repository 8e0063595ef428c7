#!/usr/bin/env bash
# Make a PostgreSQL server available for the tests and print its admin URL.
# Uses THREADPACT_TEST_POSTGRES_URL if set; otherwise starts (installing it first if
# need be, when run as root on Debian or Ubuntu) the local cluster and sets a password.
set -euo pipefail
if [ -n "${THREADPACT_TEST_POSTGRES_URL:-}" ]; then
  echo "$THREADPACT_TEST_POSTGRES_URL"
  exit 0
fi
password=threadpact
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  else
    echo "no PostgreSQL: install it, or set THREADPACT_TEST_POSTGRES_URL=postgresql://user:pass@host:port/db" >&2
    exit 1
  fi
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ -z "${version:-}" ]; then
  echo "no PostgreSQL cluster found (pg_lsclusters is empty)" >&2
  exit 1
fi
if [ "$status" != "online" ]; then
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  if su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -p $port -qc \"ALTER USER postgres PASSWORD '$password'\"" >/dev/null
su postgres -c "psql -p $port -qc \"ALTER SYSTEM SET max_connections = 300\"" >/dev/null
if [ "$(su postgres -c "psql -p $port -qtAc 'show max_connections'")" != 300 ]; then
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart >&2
fi
echo "postgresql://postgres:$password@127.0.0.1:$port/postgres"
