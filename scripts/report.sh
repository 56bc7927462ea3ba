#!/usr/bin/env bash
# Set up (if needed) and materialize the whole default report.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRAFFICREPORT_ROOT"
bash scripts/setup.sh
python -m dagster_project.cli report "$@"
