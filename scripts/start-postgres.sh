#!/usr/bin/env bash
# Start a local PostgreSQL cluster and create the test database; prints the URL to use.
set -euo pipefail
WITH_POSTGRES=1 "$(dirname "$0")/system-deps.sh" >&2
ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
  pg_createcluster "$ver" main >&2
fi
pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='rempart'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE rempart LOGIN SUPERUSER PASSWORD 'rempart'\"" >&2
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='rempart_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O rempart rempart_test" >&2
echo "postgresql://rempart:rempart@127.0.0.1:5432/rempart_test"
