#!/usr/bin/env bash
# Runs a test command with a time limit, its output shown as it comes and kept in a log. A suite that hangs
# must fail the run and say where, not hold CI until CI's own limit kills it without a word: past the limit
# the command is stopped (SIGTERM, SIGKILL 30 s later), the Swift Testing tests and suites it started but never
# finished are listed, and the exit status is 124.
#
#   Tests/time-limit.sh MINUTES COMMAND [ARGUMENTS...]
set -uo pipefail
minutes=$1
shift
log=$(mktemp "${TMPDIR:-/tmp}/ecc-time-limit.XXXXXX")
trap 'rm -f "$log"' EXIT
timeout --kill-after=30 "${minutes}m" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "time-limit: '$*' did not finish within $minutes minutes and was stopped; started and not finished:"
  # Swift Testing prints `◇ Test "name" started.` and, at the end, `✔ Test "name" passed …` or `✘ … failed …`.
  awk '
    /^◇ (Test|Suite) .* started\.$/ { n = $0; sub(/^◇ /, "", n); sub(/ started\.$/, "", n); open[n] = 1; next }
    /^(✔|✘) (Test|Suite) .* (passed|failed) after [0-9.]+ seconds/ || /^➜ (Test|Suite) .* skipped/ {
      rest = $0; sub(/^[^ ]+ /, "", rest)
      for (n in open) if (substr(rest, 1, length(n)) == n) delete open[n]
    }
    END { for (n in open) print "  " n }
  ' "$log"
  exit 124
fi
exit "$status"
