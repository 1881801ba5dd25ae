#!/usr/bin/env bash
# IaC benchmark: palisade and trivy v0.74.0 on the same folders in one run,
# each folder scanned RUNS times by each tool, both offline on default
# settings. Prints CPU seconds and peak RSS (median of the runs) and the
# ratios. Not a test: run by hand.
#
#   bash bench/iac/run.sh [RUNS]     (default: 5)
#
# trivy is built with `go install` into bench/out/bin on first use; that
# takes about half an hour on 2 cores (TRIVY=/path/to/trivy skips it).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
corpora="${PALISADE_CORPORA:-../shared/corpora}"
out=bench/out/iac
mkdir -p "$out" bench/out/bin
bin="$PWD/bench/out/bin"

go build -o "$bin/palisade" ./cmd/palisade
trivy="${TRIVY:-$bin/trivy}"
if [[ ! -x "$trivy" ]]; then
	GOBIN="$bin" GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0
fi
echo "palisade $(git rev-parse --short HEAD), trivy v0.74.0 ($trivy), $(nproc) cores, median of $runs runs"

# A Go binary's peak RSS counts the pages of its own file it touches, and
# how many of those one touch maps depends on how the file sits in the page
# cache (a binary just written by the linker maps more than one read from
# disk). So both binaries start from disk: the cache is dropped when that is
# allowed (root), and each command runs once unmeasured.
if [[ -w /proc/sys/vm/drop_caches ]]; then
	sync && echo 3 >/proc/sys/vm/drop_caches
	echo "page cache dropped"
fi

# median CMD...: runs CMD once, then RUNS times under GNU time; prints the
# median CPU seconds (user+sys) and the median peak RSS in MB.
median() {
	local cpus=() rsss=()
	"$@" >/dev/null 2>&1 || true
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%U %S %M' -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || true
		read -r user sys rss <"$out/time"
		cpus+=("$(echo "$user + $sys" | bc -l)")
		rsss+=("$(echo "$rss / 1024" | bc -l)")
	done
	local mid=$((runs / 2))
	printf '%s %s\n' "$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$((mid + 1))p")" \
		"$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$((mid + 1))p")"
}

printf '%-26s %9s %9s %11s %11s %8s %8s\n' folder "pal cpu" "trv cpu" "pal MB" "trv MB" "cpu x" "mem x"
for dir in iac/terragoat/terraform/aws iac/cfngoat iac/terraform-aws-s3-bucket; do
	path="$corpora/$dir"
	read -r pc pm < <(median "$bin/palisade" scan --scanners iac --no-store --format json "$path")
	read -r tc tm < <(median "$trivy" config --quiet --skip-check-update --format json "$path")
	printf '%-26s %9.2f %9.2f %11.0f %11.0f %8.1f %8.1f\n' "$(basename "$dir")" "$pc" "$tc" "$pm" "$tm" \
		"$(echo "$tc / ($pc + 0.001)" | bc -l)" "$(echo "$tm / $pm" | bc -l)"
done
