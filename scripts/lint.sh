#!/usr/bin/env bash
# Static checks: ruff (lint + format), mypy --strict on domain and application, layer contracts, stub check.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check quantcli tests benchmarks
ruff format --check quantcli tests benchmarks
mypy
lint-imports
python -m mypy.stubtest quantcli._kernels --allowlist scripts/stubtest-allowlist.txt
