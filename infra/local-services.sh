#!/usr/bin/env bash
# Ensures the services PRX Voice's production-mode tests use are running on this machine:
# PostgreSQL on 127.0.0.1:5432 (database `test`) and Redis on 127.0.0.1:6379. Installs them
# with apt when absent (Debian), creates a cluster when none exists (initdb runs as the
# postgres user: it refuses root), starts what is stopped, and prints the URLs to export.
#
#   bash infra/local-services.sh          # then: export DATABASE_URL=… REDIS_URL=…
#   source infra/local-services.sh        # exports DATABASE_URL and REDIS_URL itself
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

_as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
_pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
_redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }

ensure_apt_packages() {
  local need=()
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && command -v pg_isready >/dev/null || need+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  # Extra arguments are COMMAND or COMMAND=PACKAGE[,PACKAGE…]: the packages are installed
  # when the command is missing.
  local extra cmd pkgs
  for extra in "$@"; do
    cmd=${extra%%=*}
    pkgs=${extra#*=}
    command -v "$cmd" >/dev/null 2>&1 || need+=(${pkgs//,/ })
  done
  [ ${#need[@]} -eq 0 ] && return 0
  echo "local-services: apt-get install ${need[*]}" >&2
  _as_root apt-get update -qq && _as_root apt-get install -y -qq "${need[@]}" >/dev/null
}

ensure_postgres() {
  if ! _pg_up; then
    local ver cluster
    ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
    if [ -z "$(ls /etc/postgresql/"$ver" 2>/dev/null)" ]; then
      _as_root pg_createcluster "$ver" main >/dev/null || return 1
    fi
    cluster=$(ls /etc/postgresql/"$ver" | head -1)
    echo "local-services: starting PostgreSQL $ver/$cluster" >&2
    _as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start || true
    local _i
    for _i in $(seq 1 30); do _pg_up && break; sleep 1; done
    _pg_up || { echo "local-services: PostgreSQL did not start" >&2; return 1; }
  fi
  # A known password works with trust auth and with a stock cluster's scram/md5 rules alike.
  _as_root su postgres -c "psql -q -h /var/run/postgresql -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
  if ! _as_root su postgres -c "psql -h /var/run/postgresql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" 2>/dev/null | grep -q 1; then
    _as_root su postgres -c "createdb -h /var/run/postgresql test" >/dev/null 2>&1 || true
  fi
}

ensure_redis() {
  _redis_up && return 0
  echo "local-services: starting Redis" >&2
  _as_root mkdir -p /var/lib/redis /var/log/redis
  _as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
  local _i
  for _i in $(seq 1 30); do _redis_up && break; sleep 0.5; done
  _redis_up || { echo "local-services: Redis did not start" >&2; return 1; }
}

local_services_main() {
  ensure_apt_packages "$@" && ensure_postgres && ensure_redis || return 1
  export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  echo "DATABASE_URL=$DATABASE_URL"
  echo "REDIS_URL=$REDIS_URL"
}

# Run directly: do the work. Sourced: define the functions and do the work too, exporting the URLs.
local_services_main "$@"
