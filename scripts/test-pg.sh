#!/usr/bin/env bash
# The test suite against a throwaway PostgreSQL: start a cluster (scripts/pg.sh), run pytest with
# TEST_DATABASE_URL pointing at it, stop and remove the cluster at exit, whatever happened.
#
#   scripts/test-pg.sh PYTHON [pytest args…]
#
# When no server can be started here the run is skipped with a message (exit 0), except under
# CI=true, where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:?usage: scripts/test-pg.sh PYTHON [pytest args...]}"
shift

set +e
env_lines="$(scripts/pg.sh start)"
status=$?
set -e
if [ "$status" != 0 ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "FAILED: PostgreSQL could not be started, and CI=true requires the PostgreSQL tests" >&2
        exit 1
    fi
    echo "SKIPPED: the PostgreSQL tests (no PostgreSQL server could be started on this machine)" >&2
    exit 0
fi
eval "$env_lines"
trap 'scripts/pg.sh stop "$PGDATA_DIR"' EXIT
echo "PostgreSQL on ${TEST_DATABASE_URL%%/talentnord*}/… (cluster in $PGDATA_DIR)" >&2
TEST_DATABASE_URL="$TEST_DATABASE_URL" "$PY" -m pytest -q "$@"
