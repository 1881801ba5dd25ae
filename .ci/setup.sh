#!/usr/bin/env bash
# Prepares a machine for the test suite and prints the PostgreSQL URL on
# stdout (everything else goes to stderr), so the README's test command is:
#
#   PALISADE_TEST_POSTGRES="$(bash .ci/setup.sh)" go test ./...
#
# It installs Debian's chromium when missing (the web UI's browser test
# drives it) and starts PostgreSQL with .ci/postgres.sh. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
	echo "setup.sh: installing Debian chromium for the browser test" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends chromium >&2
fi
exec bash .ci/postgres.sh
