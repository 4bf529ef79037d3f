#!/bin/sh
# Sweeps every scenario file and every built-in scenario over seeds 1..N:
#
#   tests/sweep_all.sh [N [JOBS [DSIM]]]      (make sweep: N = 1000, JOBS = 2)
#
# A scenario passes when no seed fails. A scenario that is meant to fail on some
# seeds (a lesson: buggy_counter.lua, the built-ins named *-bug-*) says so: a
# file whose name contains "bug" or with the line "-- sweep: some seeds fail", a
# built-in by its name (*-bug-*), as in tests/check_seeds.c. Its
# failures are counted, not held against it; an error verdict (a crash, a
# timeout, exit 2) never passes. Prints one line per scenario and a summary;
# exits 1 if a scenario that must hold on every seed failed one.
N=${1:-1000}
JOBS=${2:-2}
DSIM=${3:-./dsim}
bad=0
total=0
files=$(find scenarios -name '*.lua' ! -name '*_lib.lua' | LC_ALL=C sort)
builtins=$($DSIM list | sed -n '/^built-in scenarios/,/^[a-z]/p' | sed -n 's/^  \([a-z0-9-]*\) .*/\1/p')
for s in $files $builtins; do
  expect=hold
  case "$s" in
    *bug*) expect=fail ;;
    *.lua) grep -q '^-- sweep: some seeds fail' "$s" && expect=fail ;;
  esac
  out=$($DSIM sweep "$s" --seeds 1..$N -j "$JOBS" 2>&1)
  line=$(printf '%s\n' "$out" | grep '^sweep: ' | tail -1)
  failed=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  errors=$(printf '%s\n' "$out" | grep -cE ': FAILED (timed out after|crashed with signal|scenario error|exited with status)')
  verdict=ok
  if [ -z "$line" ] || [ "$errors" != 0 ]; then verdict=ERROR; bad=$((bad + 1))
  elif [ "$expect" = hold ] && [ "$failed" != 0 ]; then verdict=FAILED; bad=$((bad + 1))
  elif [ "$expect" = fail ]; then verdict="ok (meant to fail on some seeds)"
  fi
  total=$((total + 1))
  printf '%-52s %s  %s\n' "$s" "${line#sweep: }" "$verdict"
  [ "$verdict" = FAILED ] || [ "$verdict" = ERROR ] && printf '%s\n' "$out" | grep -v '^sweep: ' | head -5 | sed 's/^/    /'
done
echo "sweep-all: $total scenarios x $N seeds, $bad failed"
[ "$bad" = 0 ]
