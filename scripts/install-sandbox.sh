#!/usr/bin/env bash
# The OS sandbox the agent's commands run in (Claude Code's own on Linux: bubblewrap + socat).
# The adversarial suite runs against it where it can (and with SHELL=zsh: zsh too); installed here so CI measures the real thing.
set -euo pipefail
if [ "$(uname -s)" != "Linux" ]; then exit 0; fi
if command -v bwrap >/dev/null && command -v socat >/dev/null && command -v zsh >/dev/null; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq bubblewrap socat zsh >/dev/null
elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
  sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap socat zsh >/dev/null
else
  echo "install-sandbox: cannot install bubblewrap and socat here; the agent tests run the ask-for-everything fallback" >&2
fi
