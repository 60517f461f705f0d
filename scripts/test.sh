#!/usr/bin/env bash
# The whole test suite: static checks, unit/integration/e2e tests, then the benchmark suite at reduced sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
# The report's browser test drives Debian's headless Chromium; install it when it is missing
# (CI runs as root on Debian 12; elsewhere through sudo when there is one).
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
fi
./scripts/lint.sh
# pytest exits 5 when it collects nothing: that is a failure here, and set -e propagates it.
pytest tests
pytest benchmarks --benchmark-disable-gc --benchmark-min-rounds=3 --benchmark-columns=min,mean,rounds
