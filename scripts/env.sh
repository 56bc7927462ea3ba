# Environment shared by every project command; sourced, not executed.
# Everything local lives under data/ (git-ignored) unless the caller overrides it.
TRAFFICREPORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TRAFFICREPORT_ROOT
export TRAFFICREPORT_VENV="${TRAFFICREPORT_VENV:-$TRAFFICREPORT_ROOT/.venv}"
export TRAFFICREPORT_DATA_DIR="${TRAFFICREPORT_DATA_DIR:-$TRAFFICREPORT_ROOT/data}"
export DAGSTER_HOME="${DAGSTER_HOME:-$TRAFFICREPORT_DATA_DIR/dagster_home}"
export DBT_PROFILES_DIR="${DBT_PROFILES_DIR:-$TRAFFICREPORT_ROOT/dbt}"
export DBT_PROJECT_DIR="$TRAFFICREPORT_ROOT/dbt"
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
export DO_NOT_TRACK=1
export GX_ANALYTICS_ENABLED=False
export MPLBACKEND=Agg
export PYTHONPATH="$TRAFFICREPORT_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$TRAFFICREPORT_VENV/bin:$PATH"
