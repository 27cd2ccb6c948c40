#!/usr/bin/env bash
# Brings up what the test suite needs on a node-svc machine, and says what it did.
# Idempotent: run it as often as you like; it only installs or starts what is missing.
#
#   - installs (apt-get) memcached, chromium, nginx-light and firefox-esr when missing (apt-get
#     update once, only then); the tests start their own nginx (test/support/nginx.ts)
#   - memcached on 127.0.0.1:11211, started if nothing listens there
#   - Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (database `test`), started with
#     the machine's own commands (.library/env/machines/node-svc.md) if they do not answer
#
# Exit status 0 when everything answers; otherwise non-zero, with a message naming what failed.
set -uo pipefail

log() { printf '[services] %s\n' "$*"; }
fail() { printf '[services] ERROR: %s\n' "$*" >&2; failures+=("$*"); }
failures=()

SUDO=''
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO='sudo'; else SUDO='__none__'; fi
fi
as_root() {
  if [ "$SUDO" = '__none__' ]; then
    printf '[services] ERROR: need root (or sudo) to run: %s\n' "$*" >&2
    return 1
  fi
  ${SUDO:+$SUDO} "$@"
}

# Polls "$@" until it succeeds, for up to $WAIT_SECONDS (default 30) seconds.
wait_for() {
  local deadline=$((SECONDS + ${WAIT_SECONDS:-30}))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
memcached_ok() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211; printf "version\r\n" >&3; read -r -t 2 line <&3; [[ $line == VERSION* ]]' 2>/dev/null
}
redis_ok() { [ "$(timeout 2 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = 'PONG' ]; }
pg_ok() { pg_isready -q -h 127.0.0.1 -p 5432; }

# --- packages --------------------------------------------------------------------------------
missing=()
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if as_root apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    log "installed: ${missing[*]}"
  else
    fail "apt-get could not install ${missing[*]}"
  fi
else
  log 'packages: memcached, chromium, nginx-light and firefox-esr already installed'
fi

# --- memcached -------------------------------------------------------------------------------
if memcached_ok; then
  log 'memcached: already answering on 127.0.0.1:11211'
elif tcp_open 127.0.0.1 11211; then
  fail 'something listens on 127.0.0.1:11211 but does not answer like memcached'
elif ! command -v memcached >/dev/null 2>&1; then
  fail 'memcached is not installed, so it cannot be started'
else
  user=root
  id memcache >/dev/null 2>&1 && user=memcache
  log "memcached: starting on 127.0.0.1:11211 (as $user)"
  if as_root memcached -d -u "$user" -l 127.0.0.1 -p 11211 && wait_for memcached_ok; then
    log 'memcached: up'
  else
    fail 'memcached did not start on 127.0.0.1:11211'
  fi
fi

# --- Redis -----------------------------------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  fail 'redis-server/redis-cli not found (Debian package redis-server)'
elif redis_ok; then
  log 'redis: already answering on 127.0.0.1:6379'
else
  log 'redis: not answering, starting it'
  as_root mkdir -p /var/lib/redis /var/log/redis
  if as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log && wait_for redis_ok; then
    log 'redis: up'
  else
    fail 'redis did not start on 127.0.0.1:6379 (see /var/log/redis/ci.log)'
  fi
fi

# --- PostgreSQL ------------------------------------------------------------------------------
if ! command -v pg_isready >/dev/null 2>&1; then
  fail 'pg_isready not found: PostgreSQL is not installed (Debian package postgresql)'
else
  if pg_ok; then
    log 'postgresql: already accepting connections on 127.0.0.1:5432'
  else
    version=$(ls /etc/postgresql 2>/dev/null | head -n 1)
    if [ -z "$version" ]; then
      fail 'postgresql: no cluster under /etc/postgresql'
    else
      log "postgresql: not answering, starting cluster $version/main"
      if as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start && wait_for pg_ok; then
        log 'postgresql: up'
      else
        fail 'postgresql did not start on 127.0.0.1:5432'
      fi
    fi
  fi
  if pg_ok; then
    if psql -h 127.0.0.1 -U postgres -d test -Atqc 'select 1' >/dev/null 2>&1; then
      log 'postgresql: database test reachable as postgres'
    elif createdb -h 127.0.0.1 -U postgres test >/dev/null 2>&1; then
      log 'postgresql: created database test'
    else
      fail 'postgresql: database test not reachable as user postgres (trust auth expected)'
    fi
  fi
fi

# --- summary ---------------------------------------------------------------------------------
if [ "${#failures[@]}" -gt 0 ]; then
  printf '[services] FAILED: %d problem(s):\n' "${#failures[@]}" >&2
  printf '[services]   - %s\n' "${failures[@]}" >&2
  exit 1
fi
log 'all services up: memcached 127.0.0.1:11211, redis 127.0.0.1:6379, postgresql 127.0.0.1:5432'
