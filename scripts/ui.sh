#!/usr/bin/env bash
# Set up (if needed) and serve the Dagster UI on http://127.0.0.1:3000.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRAFFICREPORT_ROOT"
bash scripts/setup.sh
exec dagster dev -w workspace.yaml -h 127.0.0.1 -p "${PORT:-3000}"
