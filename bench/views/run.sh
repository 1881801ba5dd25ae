#!/usr/bin/env bash
# Program views benchmark: times `palisade metrics`, `palisade roadmap` and
# `palisade services` on a store, then `palisade serve` answering
# /api/metrics, /api/roadmap, /api/services, the overview page and the
# first page of the findings list (which reads no tally: a check that the
# tally indexes leave it alone). Not a test: run by hand on a store filled
# by bench/views (go run ./bench/views).
#
#   bash bench/views/run.sh PALISADE DB CATALOG [RUNS]     (default: 5)
#
# Each CLI command runs once unmeasured, then RUNS times under GNU time:
# wall seconds and peak RSS, lowest and highest. Each route gets a server
# of its own (so its peak RSS is that route's), one unmeasured request,
# then RUNS requests timed by curl; the server's peak RSS is VmHWM after
# them. The page cache is warm (the machine is shared: it is not dropped).
set -euo pipefail
bin="$1" db="$2" catalog="$3" runs="${4:-5}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# range: "low to high" of the numbers on standard input.
range() { sort -g | sed -n '1p;$p' | paste -sd' ' | awk '{ if ($1 == $2 || $2 == "") print $1; else print $1 " to " $2 }'; }

for cmd in metrics roadmap services; do
	args=(--db "$db" "$cmd")
	[[ "$cmd" != metrics ]] && args+=(--catalog "$catalog")
	"$bin" "${args[@]}" >/dev/null
	: >"$out/runs"
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' -o "$out/time" "$bin" "${args[@]}" >/dev/null
		cat "$out/time" >>"$out/runs"
	done
	printf 'palisade %-8s wall %s s, peak RSS %s MB\n' "$cmd" \
		"$(cut -d' ' -f1 "$out/runs" | range)" "$(awk '{ printf "%d\n", $2 / 1024 }' "$out/runs" | range)"
done

password="bench-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" | "$bin" --db "$db" user add "bench-$$" --role viewer >/dev/null
port=$((20000 + RANDOM % 20000))
for route in /api/metrics /api/roadmap /api/services / "/api/findings?limit=100"; do
	"$bin" --db "$db" serve --listen "127.0.0.1:$port" --catalog "$catalog" 2>"$out/serve.log" &
	pid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/login" && break
		sleep 0.1
	done
	curl -s -c "$out/jar" -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"name\":\"bench-$$\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/login"
	curl -s -b "$out/jar" -o /dev/null "http://127.0.0.1:$port$route"
	: >"$out/runs"
	for _ in $(seq "$runs"); do
		curl -s -b "$out/jar" -o "$out/body" -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$port$route" >>"$out/runs"
	done
	if grep -qv '^200 ' "$out/runs"; then
		echo "GET $route answered $(sort -u "$out/runs" | cut -d' ' -f1 | paste -sd,)" >&2
	fi
	hwm=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	printf 'GET %-24s wall %s s, server peak RSS %s MB\n' "$route" "$(awk '{ printf "%.2f\n", $2 }' "$out/runs" | range)" "$hwm"
done
