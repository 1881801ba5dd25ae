#!/usr/bin/env bash
# Secret-scanning benchmark: palisade and gitleaks v8.30.1 on the same tree in
# one run, both on default settings. Prints MB per CPU-second, wall time,
# peak RSS and findings for each, and the ratio. Not a test: run by hand.
#
#   bash bench/secrets/run.sh [TREE]     (default: the Go toolchain's src)
#
# gitleaks is installed with `go install` into bench/out/bin on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
tree="${1:-$(go env GOROOT)/src}"
out=bench/out/secrets
mkdir -p "$out" bench/out/bin
bin="$PWD/bench/out/bin"

go build -o "$bin/palisade" ./cmd/palisade
if [[ ! -x "$bin/gitleaks" ]]; then
	GOBIN="$bin" go install github.com/zricethezav/gitleaks/v8@v8.30.1
fi

mb=$(du -sm --apparent-size "$tree" | cut -f1)
echo "tree: $tree ($mb MB, $(find "$tree" -type f | wc -l) files), $(nproc) cores"

# measure NAME CMD...: runs CMD under GNU time, prints one result line.
measure() {
	local name=$1; shift
	/usr/bin/time -f '%U %S %e %M' -o "$out/$name.time" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || true
	read -r user sys wall rss <"$out/$name.time"
	cpu=$(echo "$user + $sys" | bc -l)
	echo "$name $cpu $wall $rss"
}

# Warm the page cache so both read from memory.
find "$tree" -type f -print0 | xargs -0 cat >/dev/null

p=$(measure palisade "$bin/palisade" scan --no-store --format json --output "$out/palisade.json" "$tree")
g=$(measure gitleaks "$bin/gitleaks" dir --no-banner --report-format json --report-path "$out/gitleaks.json" --exit-code 0 "$tree")
pf=$(python3 -c "import json;print(len(json.load(open('$out/palisade.json'))['findings']))")
gf=$(python3 -c "import json;print(len(json.load(open('$out/gitleaks.json'))))")

printf '%-9s %10s %9s %10s %12s %9s\n' tool "cpu s" "wall s" "peak MB" "MB/cpu-s" findings
for row in "$p $pf" "$g $gf"; do
	set -- $row
	printf '%-9s %10.2f %9.2f %10.0f %12.1f %9s\n' "$1" "$2" "$3" "$(echo "$4/1024" | bc -l)" "$(echo "$mb/$2" | bc -l)" "$5"
done
set -- $p; pc=$2; set -- $g; gc=$2
printf 'palisade / gitleaks MB per CPU-second: %.1fx\n' "$(echo "$gc/$pc" | bc -l)"
