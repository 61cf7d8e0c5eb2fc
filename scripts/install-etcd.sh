#!/usr/bin/env bash
# etcd for the fleet suite (test/fleet, `npm run test:fleet`): Debian's `etcd-server` (and `etcd-client` for
# etcdctl), through apt-get, when `etcd` is not on PATH. Only the Debian archive is used: no binary download.
# Debian bookworm ships etcd 3.4 (3.4.23); the medic's client (etcd3) speaks the v3 API that 3.4 serves.
set -euo pipefail
if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then exit 0; fi
if [ "$(uname -s)" != "Linux" ] || ! command -v apt-get >/dev/null; then
  echo "install-etcd: no apt-get here; install etcd (>= 3.4) yourself, e.g. 'brew install etcd' on macOS" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-etcd: not root and no sudo: run 'apt-get install etcd-server etcd-client' as root" >&2
    exit 1
  fi
fi
# Is there a candidate at all (the package lives in Debian main from bullseye on)?
# (The policy is read into a variable first: `grep -q` closing the pipe early would fail it under pipefail.)
candidate() { local p; p="$(apt-cache policy etcd-server 2>/dev/null || true)"; [[ "$p" =~ Candidate:\ [0-9] ]]; }
if ! candidate; then $SUDO apt-get update -qq; fi
if ! candidate; then
  echo "install-etcd: this system's apt sources have no etcd-server package (Debian bullseye or later has one)" >&2
  exit 1
fi
# The package's postinst starts a system etcd on 2379/2380 where systemd runs; the tests never use it (ephemeral ports).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null
command -v etcd >/dev/null && command -v etcdctl >/dev/null
echo "install-etcd: $(etcd --version | head -1)"
