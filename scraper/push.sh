#!/usr/bin/env bash
# The nightly workflow's push job: put the scrape job's commit (a git bundle) on main.
#
#   bash scraper/push.sh BUNDLE
#
# Run from a fresh checkout of main by a job that installs nothing and scrapes nothing, so the
# write token ($GITHUB_TOKEN, given to this step only) is never in reach of a package or a page.
# The bundle is data from the scrape job: it is accepted only if its commits change nothing but
# text under $RATECARD_DATA (default data/) and add no database file; main may have moved since
# the scrape began, so the commits are replayed on top of it (keeping their author date, the
# night's observation instant), and once more if a push lands in between.
set -euo pipefail

bundle="$1"
data="${RATECARD_DATA:-data}"
if [ -n "${GITHUB_TOKEN:-}" ]; then
    # The token reaches git through the environment only (never a file, a URL or an argument).
    basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
    echo "::add-mask::$basic"
    export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader" \
        GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi

git bundle verify --quiet "$bundle" >/dev/null 2>&1 || { echo "push: $bundle is not a bundle of this repository" >&2; exit 1; }
git fetch --quiet "$bundle" "HEAD:refs/nightly/commit"
base="$(git merge-base HEAD refs/nightly/commit)"
outside="$(git diff --name-only "$base" refs/nightly/commit -- . ":(exclude)$data/**")"
databases="$(git diff --name-only --diff-filter=ACMR "$base" refs/nightly/commit | grep -E '\.db([-.]|$)' || true)"
if [ -n "$outside" ] || [ -n "$databases" ]; then
    echo "push: the nightly commit touches more than the text under $data/; not pushed:" >&2
    printf '%s\n' $outside $databases >&2
    exit 1
fi

replay() {
    git fetch --quiet origin main
    git checkout --quiet --detach origin/main
    git cherry-pick --allow-empty --keep-redundant-commits "$base..refs/nightly/commit" >/dev/null
}
replay
git push --quiet origin HEAD:main || { replay && git push --quiet origin HEAD:main; }
echo "push: main is now $(git rev-parse --short HEAD)"
