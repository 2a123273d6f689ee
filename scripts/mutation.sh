#!/usr/bin/env bash
# Mutation testing with gremlins: it changes the code one operator at a time
# (a < into <=, a + into -, a condition into its negation) and runs the
# package's tests against each change. A change that no test notices
# ("LIVED") is a behaviour nothing guards. RELIABILITY.md records the
# scores and why the few mutants that live are equivalent.
#
# Usage:
#   scripts/mutation.sh             the CI set: export's decision files,
#                                   failing below the thresholds
#   scripts/mutation.sh export      every file of export (about 6 minutes)
#   scripts/mutation.sh workers api any packages, on demand (slow: tens of
#                                   minutes each on two cores)
#
# Settings (environment):
#   MUTATION_EFFICACY  minimum test efficacy, killed / (killed + lived), % (90)
#   MUTATION_MCOVER    minimum mutator coverage, (killed + lived) / all, % (85)
#   MUTATION_OUT       directory for the logs and JSON reports (mutation-report)
#   MUTATION_WORKERS   mutants tested at once (gremlins' default: one per CPU)
#   MUTATION_TIMEOUT_COEFFICIENT  how many times gremlins' coverage run a
#                      mutant may take before it counts as timed out (30).
#                      That run often reuses cached builds (about 1.5 s),
#                      while every mutant compiles and links the package
#                      (about 1.6 CPU-seconds; 5-10 s wall on a loaded
#                      machine, where 10 gave false timeouts). A mutant that
#                      really hangs costs well under a minute.
#   MUTATION_MAX_TIMED_OUT  most TIMED OUT mutants a package may have (5).
#                      gremlins leaves them out of both scores, so a run
#                      whose mutants time out because the machine is slow
#                      would otherwise pass on the few that finished.
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_MODULE=github.com/go-gremlins/gremlins/cmd/gremlins
GREMLINS_VERSION=v0.6.0
# wug and netbox are pure too, but too slow for CI and wug has survivors;
# see RELIABILITY.md.
CI_PACKAGES=(export)
# CI mutates the files of export that decide what is written to WUG (which
# devices, which calls, which conflicts, which look-ups): a surviving
# mutant there is a wrong write. The files left out check and render
# configuration (group templates, role rules, filter values, addresses,
# vocabularies, object views, text); table tests guard them, and they were
# at 98.6% with the rest when last run whole. Leaving them out keeps the
# step near 4 minutes instead of 6, so CI stays within its 15. Name the
# package (scripts/mutation.sh export) to mutate every file.
CI_EXCLUDE='(^|/)(grouptemplate|role|filtervalues|address|vocab|object|text|netbox_query)\.go$'

efficacy=${MUTATION_EFFICACY:-90}
mcover=${MUTATION_MCOVER:-85}
out=${MUTATION_OUT:-mutation-report}
coefficient=${MUTATION_TIMEOUT_COEFFICIENT:-30}
max_timed_out=${MUTATION_MAX_TIMED_OUT:-5}

# -count=1: gremlins times its coverage run to set each mutant's timeout; a
# cached test result would make that run take a second and time every
# mutant out. -vet=off: go test vets before testing, and a mutant that only
# vet catches would count as killed by a test; vet is CI's own step.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -vet=off"

# The pinned gremlins, installed from the module proxy when missing or when
# another version is on PATH.
gremlins="$(go env GOPATH)/bin/gremlins"
if ! go version -m "$gremlins" 2>/dev/null | grep -q "mod[[:space:]]*github.com/go-gremlins/gremlins[[:space:]]*${GREMLINS_VERSION}"; then
  echo "== installing gremlins ${GREMLINS_VERSION}"
  go install "${GREMLINS_MODULE}@${GREMLINS_VERSION}"
fi

packages=("$@")
exclude=()
if [ ${#packages[@]} -eq 0 ]; then
  packages=("${CI_PACKAGES[@]}")
  exclude=(--exclude-files "$CI_EXCLUDE")
fi

mkdir -p "$out"
failed=()
for pkg in "${packages[@]}"; do
  pkg=${pkg#./}
  name=${pkg//\//_}
  log="$out/$name.log"
  echo "== gremlins on ./$pkg${exclude[*]:+ (leaving out ${CI_EXCLUDE})} (log: $log)"
  args=(unleash "./$pkg" --output "$out/$name.json" --timeout-coefficient "$coefficient"
    --threshold-efficacy "$efficacy" --threshold-mcover "$mcover" ${exclude[@]+"${exclude[@]}"})
  if [ -n "${MUTATION_WORKERS:-}" ]; then
    args+=(--workers "$MUTATION_WORKERS")
  fi
  start=$(date +%s)
  set +e
  "$gremlins" "${args[@]}" >"$log" 2>&1
  rc=$?
  set -e
  elapsed=$(($(date +%s) - start))
  # The mutants that matter, then gremlins' own summary.
  grep -E '^[[:space:]]*(LIVED|TIMED OUT|NOT VIABLE)' "$log" || true
  sed -n '/^Mutation testing completed/,$p' "$log"
  got_efficacy=$(sed -n 's/^Test efficacy: \([0-9.]*\)%.*/\1/p' "$log")
  got_mcover=$(sed -n 's/^Mutator coverage: \([0-9.]*\)%.*/\1/p' "$log")
  got_timed_out=$(sed -n 's/^Timed out: \([0-9]*\),.*/\1/p' "$log")
  echo "== ./$pkg: efficacy ${got_efficacy:-?}% (>= ${efficacy}), mutator coverage ${got_mcover:-?}% (>= ${mcover}), timed out ${got_timed_out:-?} (<= ${max_timed_out}), ${elapsed}s, exit ${rc}"
  # gremlins v0.6.0 exits 0 below its thresholds (measured), so the numbers
  # are checked here; a run that printed no summary (a build failure)
  # fails too.
  if [ "$rc" -ne 0 ] || [ -z "$got_efficacy" ] || [ -z "$got_mcover" ] || [ -z "$got_timed_out" ] ||
    [ "$got_timed_out" -gt "$max_timed_out" ] ||
    awk -v e="$got_efficacy" -v c="$got_mcover" -v me="$efficacy" -v mc="$mcover" 'BEGIN { exit !(e < me || c < mc) }'; then
    if [ "$rc" -ne 0 ] && [ -z "$got_efficacy" ]; then tail -20 "$log"; fi
    failed+=("$pkg")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "mutation testing below the thresholds, with too many timed-out mutants, or failed, on: ${failed[*]}"
  exit 1
fi
echo "mutation testing passed on: ${packages[*]}"
