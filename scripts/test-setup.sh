#!/bin/sh
# Installs everything the test suite needs, so that one command sets up a fresh machine:
# the package with its test extras, and the Debian packages the real-component tests drive
# (a Java runtime for Spark in local mode, Chromium for the browser tests), each only when missing.
set -eu
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
missing=""
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "test-setup: installing$missing with apt-get" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
