#!/usr/bin/env bash
# Installs the offline speech engines the embedded defaults use — espeak-ng (TTS) and
# pocketsphinx with its English model (ASR) — when they are missing and apt can install
# them (root, or sudo without a password). Never fails: without them the server runs on
# the `mock` providers and its start-up log says so.
#
#   bash infra/offline-engines.sh        # the README's first command runs it
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v pocketsphinx_continuous >/dev/null 2>&1 || need+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us ] || need+=(pocketsphinx-en-us)
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "offline-engines: no apt-get here; install ${need[*]} yourself (the server uses mock providers meanwhile)" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "offline-engines: not root and no password-less sudo; run: sudo apt-get install ${need[*]}" >&2
  exit 0
fi
echo "offline-engines: apt-get install ${need[*]}" >&2
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  echo "offline-engines: could not install ${need[*]} (the server uses mock providers)" >&2
fi
exit 0
