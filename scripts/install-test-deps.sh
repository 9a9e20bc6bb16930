#!/bin/sh
# Install the system services the test suite runs against, where they are missing.
# Idempotent and quiet: does nothing when `dovecot` is already on the PATH, and shows
# apt's output only when it fails. Dovecot (IMAP) backs tests/inbound.
set -eu

if command -v dovecot >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: dovecot is missing and there is no apt-get;" \
        "install dovecot-imapd by hand (the IMAP tests skip without it)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends dovecot-imapd; } >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "install-test-deps: could not install dovecot-imapd" >&2
    exit 1
fi
# The package may start a system-wide Dovecot; the tests start their own private one.
if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
fi
