#!/bin/sh
# The Escalate app's browser tests need Debian's Chromium at /usr/bin/chromium (never a downloaded build).
# Installs it with apt-get when running as root; otherwise stops with one line saying what to install.
set -e
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "make test: the browser tests need Chromium at $CHROMIUM: run 'sudo apt-get install -y chromium' (Debian)" >&2
    exit 1
fi
echo "==> installing Chromium for the browser tests (apt-get install chromium)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
test -x "$CHROMIUM"
