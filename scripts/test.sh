#!/usr/bin/env bash
# The whole test suite: static checks, unit/integration/e2e tests, then the benchmark suite at reduced sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/lint.sh
# pytest exits 5 when it collects nothing: that is a failure here, and set -e propagates it.
pytest tests
pytest benchmarks --benchmark-disable-gc --benchmark-min-rounds=3 --benchmark-columns=min,mean,rounds
