#!/bin/sh
# Prepares the headless-Chromium test of the HTML report (crates/report/tests/html_browser.rs):
# Debian's chromium and this folder's node_modules (playwright-core, pinned by package-lock.json).
# Idempotent and quiet: does nothing when both are there. Called from .ci/run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ]; then
    echo "browser test: installing chromium" >&2
    sudo_=""
    [ "$(id -u)" -ne 0 ] && sudo_="sudo"
    $sudo_ apt-get install -y -qq chromium >/dev/null || {
        $sudo_ apt-get update -qq >/dev/null && $sudo_ apt-get install -y -qq chromium >/dev/null
    }
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ] ||
   ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci" 2>/dev/null; then
    echo "browser test: npm ci in $here" >&2
    (cd "$here" && npm ci --silent --no-audit --no-fund >/dev/null)
    cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci"
fi
