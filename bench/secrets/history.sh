#!/usr/bin/env bash
# Secret scanning of git history: palisade (`scan --history`) and gitleaks
# v8.30.1 (`gitleaks git`) on the same repository in one run.
#
#   bash bench/secrets/history.sh [REPO]
#
# Without REPO it builds one: every release of golang.org/x/crypto from the
# Go module proxy (59 versions, 2019-2026), committed in order, so history
# holds the real evolution of a real code base (its test keys included).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/secrets
mkdir -p "$out" bench/out/bin
bin="$PWD/bench/out/bin"
go build -o "$bin/palisade" ./cmd/palisade
[[ -x "$bin/gitleaks" ]] || GOBIN="$bin" go install github.com/zricethezav/gitleaks/v8@v8.30.1

repo="${1:-}"
if [[ -z "$repo" ]]; then
	repo="$PWD/bench/out/history-x-crypto"
	if [[ ! -d "$repo/.git" ]]; then
		mod=golang.org/x/crypto
		git init -q -b main "$repo"
		for v in $(go list -m -versions "$mod" | cut -d' ' -f2-); do
			dir=$(go mod download -json "$mod@$v" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
			find "$repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
			cp -r "$dir"/. "$repo"/
			chmod -R u+w "$repo"
			git -C "$repo" add -A
			GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench \
				GIT_COMMITTER_EMAIL=bench@example.com git -C "$repo" commit -qm "$mod $v" --allow-empty
		done
	fi
fi
commits=$(git -C "$repo" rev-list --all | wc -l)
patch_mb=$(git -C "$repo" log -p --all --no-color | wc -c | awk '{printf "%.0f", $1/1048576}')
echo "repository: $repo ($commits commits, $patch_mb MB of patches), $(nproc) cores"

measure() {
	local name=$1; shift
	/usr/bin/time -f '%U %S %e %M' -o "$out/$name.time" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || true
	read -r user sys wall rss <"$out/$name.time"
	echo "$name $(echo "$user + $sys" | bc -l) $wall $rss"
}
p=$(measure palisade-history "$bin/palisade" scan --history --no-store --format json --output "$out/palisade-history.json" "$repo")
g=$(measure gitleaks-history "$bin/gitleaks" git --no-banner --report-format json --report-path "$out/gitleaks-history.json" --exit-code 0 "$repo")
pf=$(python3 -c "import json;print(len(json.load(open('$out/palisade-history.json'))['findings']))")
gf=$(python3 -c "import json;print(len(json.load(open('$out/gitleaks-history.json'))))")
printf '%-17s %8s %8s %9s %11s %9s\n' tool "cpu s" "wall s" "peak MB" "MB/cpu-s" findings
for row in "$p $pf" "$g $gf"; do
	set -- $row
	printf '%-17s %8.2f %8.2f %9.0f %11.1f %9s\n' "$1" "$2" "$3" "$(echo "$4/1024" | bc -l)" "$(echo "$patch_mb/$2" | bc -l)" "$5"
done
set -- $p; pc=$2; set -- $g; gc=$2
printf 'gitleaks CPU / palisade CPU on history: %.1fx\n' "$(echo "$gc/$pc" | bc -l)"
