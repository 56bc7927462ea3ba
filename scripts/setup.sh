#!/usr/bin/env bash
# Prepare a machine to run trafficreport: Python environment from the lock file, the
# Dagster instance, and the dbt manifest. Idempotent and quick when already done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRAFFICREPORT_ROOT"

python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null || python_bin=python3
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "trafficreport needs Python 3.11 (found: $("$python_bin" --version 2>&1))" >&2
    exit 1
fi

if [ ! -x "$TRAFFICREPORT_VENV/bin/python" ]; then
    echo "Creating $TRAFFICREPORT_VENV"
    "$python_bin" -m venv "$TRAFFICREPORT_VENV"
fi
installed_lock="$TRAFFICREPORT_VENV/.installed-requirements.lock"
if ! cmp -s requirements.lock "$installed_lock"; then
    echo "Installing locked Python packages (no dependency resolution)"
    "$TRAFFICREPORT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-deps -r requirements.lock
    cp requirements.lock "$installed_lock"
fi

# The Spark engine's extras (pyspark carries Spark itself, about 500 MB) when Spark runs the
# models or the tests compare the engines: TRAFFICREPORT_ENGINE=spark or
# TRAFFICREPORT_WITH_SPARK=1 (scripts/test.sh sets it).
if [ "${TRAFFICREPORT_ENGINE:-duckdb}" = spark ] || [ "${TRAFFICREPORT_WITH_SPARK:-0}" = 1 ]; then
    export TRAFFICREPORT_WITH_SPARK=1
    installed_spark_lock="$TRAFFICREPORT_VENV/.installed-requirements-spark.lock"
    if ! cmp -s requirements-spark.lock "$installed_spark_lock"; then
        echo "Installing the Spark engine's locked Python packages"
        "$TRAFFICREPORT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --no-deps -r requirements-spark.lock
        cp requirements-spark.lock "$installed_spark_lock"
    fi
fi

bash scripts/install_system_packages.sh

mkdir -p "$DAGSTER_HOME" "$TRAFFICREPORT_DATA_DIR"
if ! cmp -s dagster.yaml "$DAGSTER_HOME/dagster.yaml"; then
    cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
    # Store the warehouse pool's limit now: the queue applies dagster.yaml's default limit
    # only once it has seen the pool, which could let the first two runs start together.
    dagster instance concurrency set duckdb_warehouse 1 >/dev/null
fi

# dagster-dbt loads the dbt manifest when the code location is imported.
(cd dbt && dbt parse --quiet)
