#!/usr/bin/env bash
# Install the Debian packages the tests drive for real: chromium and a Japanese font for the browser
# test (tests/hub/e2e/test_browser.py), 7-Zip to open the hub's AES ZIP packages (tests/hub/vault/test_vault.py).
# Does nothing when both are there already; otherwise needs apt-get and root (or sudo).
set -euo pipefail

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if [ -x /usr/bin/chromium ] && installed fonts-noto-cjk && installed 7zip && [ -x /usr/sbin/clamd ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: apt-get not found; install chromium (/usr/bin/chromium) and fonts-noto-cjk by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk 7zip \
  clamav-daemon >/dev/null
dpkg-query -W chromium fonts-noto-cjk 7zip clamav-daemon
