#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the store tests and prints its URL
# on stdout (everything else goes to stderr), so a caller can write:
#
#   export PALISADE_TEST_POSTGRES="$(bash .ci/postgres.sh)"
#
# Idempotent: installs Debian's postgresql only when no server binaries are
# present, creates the cluster only once, and starts it only when it is not
# already running. The server listens on 127.0.0.1 only, with password
# authentication for TCP (user postgres, password postgres). It is tuned for
# tests (fsync off): never point it at data you want to keep.
#
# Environment: PALISADE_PG_PORT (default 55432), PALISADE_PG_DIR (default
# /tmp/palisade-postgres-$PORT).
set -euo pipefail

port="${PALISADE_PG_PORT:-55432}"
dir="${PALISADE_PG_DIR:-/tmp/palisade-postgres-${port}}"
password=postgres

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
	local d
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [[ -n "$d" && -x "$d/pg_ctl" && -x "$d/initdb" ]]; then
		echo "$d"
	fi
}

bindir="$(find_bindir)"
if [[ -z "$bindir" ]]; then
	log "installing Debian postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
	bindir="$(find_bindir)"
	if [[ -z "$bindir" ]]; then
		log "no pg_ctl found after installing postgresql"
		exit 1
	fi
fi

# The server refuses to run as root: run it as the postgres user when root.
as_owner() {
	if [[ "$(id -u)" == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
owner="$(id -un)"
if [[ "$(id -u)" == 0 ]]; then
	owner=postgres
fi

if [[ ! -s "$dir/PG_VERSION" ]]; then
	log "creating cluster in $dir"
	mkdir -p "$dir"
	chown "$owner" "$dir"
	chmod 700 "$dir"
	pwfile="$(mktemp)"
	printf '%s\n' "$password" >"$pwfile"
	chown "$owner" "$pwfile"
	as_owner "$bindir/initdb" -D "$dir" -U postgres --pwfile="$pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
	rm -f "$pwfile"
	cat >>"$dir/postgresql.conf" <<CONF
# palisade test server
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${dir}'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi

if as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
	log "already running in $dir"
else
	log "starting server on 127.0.0.1:${port}"
	as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >&2
fi

echo "postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=disable"
