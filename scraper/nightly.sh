#!/usr/bin/env bash
# The nightly job, exactly as .github/workflows/nightly.yml runs it (and tests/test_workflow_nightly.py
# runs it against a local mirror).  From the root of a git checkout:
#
#   1. `ratecard nightly` scrapes every source into $RATECARD_DATA/prices.db and rewrites the text
#      exports and changes.atom beside it (exit 1 when a source failed or a suspect is held);
#   2. when the text exports changed, it commits them with the database, the message listing the
#      changes; a night that changed no text commits nothing (the workflow carries the database to
#      the next night in the Actions cache, so no observation is lost);
#   3. with RATECARD_PUSH=1 it pushes that commit (rebasing it once if main moved meanwhile);
#   4. it exits with ratecard's code, so a failed source fails the job *after* the commit.
#
# Extra arguments go to `ratecard nightly` (the test passes --mirror, --at and --provider).
set -euo pipefail

data="${RATECARD_DATA:-data}"
message="$(mktemp)"
trap 'rm -f "$message"' EXIT
mkdir -p "$data"

code=0
ratecard nightly --db "$data/prices.db" --out "$data" --message "$message" "$@" || code=$?
if [ ! -s "$message" ]; then
    echo "nightly: ratecard stopped before writing the commit message (exit $code); nothing committed" >&2
    exit $((code == 0 ? 1 : code))
fi

git add --all -- "$data" ":(exclude)$data/*.db" ":(exclude)$data/*.lock"  # the text files only
if git diff --cached --quiet -- "$data"; then
    echo "nightly: no text export changed; nothing to commit"
else
    git add --force -- "$data/prices.db"
    git commit --quiet --file "$message" -- "$data"
    echo "nightly: committed $(git rev-parse --short HEAD)"
    if [ "${RATECARD_PUSH:-0}" = 1 ]; then
        # Someone pushed meanwhile: replay the data commit on top of theirs, once.
        git push --quiet || { git pull --rebase --quiet && git push --quiet; }
    fi
fi
exit "$code"
