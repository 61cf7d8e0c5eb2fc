#!/usr/bin/env bash
# Debian's Chromium for the dashboard's real-browser test (test/e2e/dashboard.e2e.test.ts, driven by
# playwright-core). Installed from the distribution, never downloaded by `npx playwright install`.
set -euo pipefail
if [ "$(uname -s)" != "Linux" ]; then exit 0; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "install-chromium: cannot install chromium here (no apt-get or no root); the dashboard browser test needs /usr/bin/chromium" >&2
  exit 1
fi
