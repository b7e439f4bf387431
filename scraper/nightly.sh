#!/usr/bin/env bash
# The nightly job's scrape step, exactly as .github/workflows/nightly.yml runs it (and
# tests/test_workflow_nightly.py runs it against a local mirror).  From the root of a git checkout
# with its whole history (the committed snapshots back the database up):
#
#   1. `ratecard nightly` scrapes every source into $RATECARD_DATA/prices.db (rebuilding that
#      database from the committed snapshots when it is missing, empty or unreadable) and writes
#      the text the repository keeps: pages/<source>.<ext> (each source's last healthy page, rewritten
#      only when it changed), the exports and changes.atom (exit 1 when a source failed or a
#      suspect is held);
#   2. when that text changed, it commits it, authored at the night's observation instant (so a
#      rebuild records each page at the instant it was seen); the database is never committed
#      (an older checkout's committed copy is untracked on the way); a quiet night commits
#      nothing, its observations ride to the next night in the workflow's cache;
#   3. RATECARD_BUNDLE=FILE: the new commit is written to FILE as a git bundle for the push job
#      (scraper/push.sh), and "committed=true" to $GITHUB_OUTPUT; RATECARD_PUSH=1 pushes it from
#      here instead (for a machine of your own);
#   4. it exits with ratecard's code, so a failed source fails the job *after* the commit.
#
# Extra arguments go to `ratecard nightly` (the test passes --mirror, --at and --provider).
set -euo pipefail

data="${RATECARD_DATA:-data}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$data"

code=0
ratecard nightly --db "$data/prices.db" --out "$data" --repo . \
    --message "$work/message" --instant "$work/instant" "$@" || code=$?
if [ ! -s "$work/message" ] || [ ! -s "$work/instant" ]; then
    echo "nightly: ratecard stopped before writing the commit message (exit $code); nothing committed" >&2
    exit $((code == 0 ? 1 : code))
fi

# Text only: every database file (prices.db, its journals, lock, and copies set aside) stays out.
git rm --cached --quiet --ignore-unmatch -- "$data/prices.db"
git add --all -- "$data" ":(exclude)$data/*.db" ":(exclude)$data/*.db[-.]*"
if git diff --cached --name-only --diff-filter=ACMR -- "$data" | grep -E '\.db([-.]|$)' >&2; then
    echo "nightly: a database file is staged (above); refusing to commit it" >&2
    exit 1
fi
if git diff --cached --quiet -- "$data"; then
    echo "nightly: no page or export changed; nothing to commit"
else
    GIT_AUTHOR_DATE="$(cat "$work/instant")" git commit --quiet --file "$work/message"
    echo "nightly: committed $(git rev-parse --short HEAD)"
    if [ -n "${RATECARD_BUNDLE:-}" ]; then
        git bundle create --quiet "$RATECARD_BUNDLE" "HEAD^..HEAD"  # the one commit of the night
        if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "committed=true" >> "$GITHUB_OUTPUT"; fi
    elif [ "${RATECARD_PUSH:-0}" = 1 ]; then
        # Someone pushed meanwhile: replay the data commit on top of theirs, once.
        git push --quiet || { git pull --rebase --quiet && git push --quiet; }
    fi
fi
exit "$code"
