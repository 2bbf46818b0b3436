# The parity scripts share the server scripts' helpers (tests/server/lib.sh)
# and add a few of their own.
. "$(dirname "${BASH_SOURCE[0]}")/../server/lib.sh"
# nbuilds P/J: how many builds the job has
nbuilds() { pk builds "$1" --json 2>/dev/null | json "len(d)"; }
nbuilds_is() { [ "$(nbuilds "$1")" = "$2" ]; }
# all_done P/J: every build of the job has finished
all_done() { pk builds "$1" --json 2>/dev/null | json "all(b['status'] in ('succeeded','failed','errored','cancelled','warning') for b in d)" | grep -q True; }
# nversions P/R: how many versions the resource has
nversions() { pk versions "$1" --json 2>/dev/null | json "len(d)"; }
nversions_is() { [ "$(nversions "$1")" = "$2" ]; }
