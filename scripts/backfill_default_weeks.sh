#!/usr/bin/env bash
# Queue a backfill of every default week (partitions.default_weeks(): the comparison weeks
# 2019-2024, the seasonal weeks and the pre-pandemic week) of the weekly_report job in the
# Dagster instance ($DAGSTER_HOME). The daemon of `dagster dev` (or `dagster-daemon run`)
# launches the runs one at a time; after the last one the cross_week_after_weekly sensor
# launches cross_week_report. Extra arguments go to `dagster job backfill`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRAFFICREPORT_ROOT"
bash scripts/setup.sh

weeks="$(python -c 'from dagster_project.weeks.reference_weeks import default_weeks, week_key
print(",".join(week_key(week) for week in default_weeks()))')"
echo "Backfilling weekly_report for: $weeks"
dagster job backfill -w workspace.yaml -l trafficreport -j weekly_report \
    --partitions "$weeks" --noprompt "$@"
