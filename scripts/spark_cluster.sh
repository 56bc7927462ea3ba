#!/usr/bin/env bash
# A standalone Spark cluster on this machine (a master and two workers on 127.0.0.1), to run
# the dbt models on a cluster rather than inside the dbt process (docs/scale-out.md):
#
#   bash scripts/spark_cluster.sh start        # master and workers, once both workers joined
#   bash scripts/spark_cluster.sh status       # processes, workers and applications
#   bash scripts/spark_cluster.sh stop         # stop what `start` started
#   bash scripts/spark_cluster.sh week WEEK    # start, run the week on the cluster, stop
#
# The cluster runs from the pyspark install in the venv (its jars and bin/spark-class), so it
# is the same Spark version as the driver. Its logs, pid files and the workers' folders are
# under <Spark dir>/cluster/, where <Spark dir> is $TRAFFICREPORT_SPARK_DIR or
# $TRAFFICREPORT_DATA_DIR/spark, the folder whose warehouse, metastore and raw Parquet the
# driver and executors share (the executors read and write the same local paths).
#
# Knobs (environment, defaults in brackets): TRAFFICREPORT_SPARK_MASTER_PORT [7077],
# TRAFFICREPORT_SPARK_MASTER_WEBUI_PORT [8080], TRAFFICREPORT_SPARK_WORKER_WEBUI_PORT [8081,
# the second worker the next port], TRAFFICREPORT_SPARK_WORKER_CORES [1],
# TRAFFICREPORT_SPARK_WORKER_MEMORY [3g], TRAFFICREPORT_SPARK_START_TIMEOUT [90 seconds].
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRAFFICREPORT_ROOT"

HOST=127.0.0.1
MASTER_PORT="${TRAFFICREPORT_SPARK_MASTER_PORT:-7077}"
MASTER_WEBUI_PORT="${TRAFFICREPORT_SPARK_MASTER_WEBUI_PORT:-8080}"
WORKER_WEBUI_PORT="${TRAFFICREPORT_SPARK_WORKER_WEBUI_PORT:-8081}"
WORKER_CORES="${TRAFFICREPORT_SPARK_WORKER_CORES:-1}"
WORKER_MEMORY="${TRAFFICREPORT_SPARK_WORKER_MEMORY:-3g}"
START_TIMEOUT="${TRAFFICREPORT_SPARK_START_TIMEOUT:-90}"
WORKERS=(1 2)
# Seconds a process gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT=30

MASTER_URL="spark://$HOST:$MASTER_PORT"
MASTER_JSON="http://$HOST:$MASTER_WEBUI_PORT/json/"
SPARK_DIR="${TRAFFICREPORT_SPARK_DIR:-$TRAFFICREPORT_DATA_DIR/spark}"
CLUSTER_DIR="$SPARK_DIR/cluster"
SPARK_HOME="$(python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
# Every JVM (master, workers, executors and the driver that dbt starts) binds to and
# advertises the loopback address, not whatever the host name resolves to.
export SPARK_LOCAL_IP="$HOST"

usage() {
    echo "usage: bash scripts/spark_cluster.sh start|stop|status|week WEEK" >&2
    exit 2
}

pid_file() { echo "$CLUSTER_DIR/$1.pid"; }

# The recorded pid of a process of the cluster if it is still running (nothing otherwise).
running_pid() {
    local file pid
    file="$(pid_file "$1")"
    [[ -f "$file" ]] || return 0
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# Start one JVM in the background; spark-class execs java, so $! is the JVM's pid.
launch() {
    local name="$1"
    shift
    nohup "$SPARK_HOME/bin/spark-class" "$@" >"$CLUSTER_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$(pid_file "$name")"
}

# Python code ($1) run on the master's state, read as JSON from its web UI into `master`.
master_json() {
    curl -sf --max-time 5 "$MASTER_JSON" |
        python -c "import json, sys; master = json.load(sys.stdin)
$1"
}

# Workers the master counts as ALIVE (0 while its web UI is not up yet).
alive_workers() {
    master_json 'print(sum(w["state"] == "ALIVE" for w in master["workers"]))' 2>/dev/null ||
        echo 0
}

fail_start() {
    echo "spark cluster: $1; the logs' last lines:" >&2
    for log in "$CLUSTER_DIR"/*.log; do
        echo "== $log" >&2
        tail -n 15 "$log" >&2
    done
    stop_cluster
    exit 1
}

# Something accepts connections on the port of 127.0.0.1.
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Refuse to start beside a running cluster: Spark would move a taken port to the next free
# one, and the workers would then join whichever master listens on the configured port.
check_free() {
    if [[ -n "$(running_pid master)" ]]; then
        echo "spark cluster: already running (bash scripts/spark_cluster.sh status)" >&2
        exit 1
    fi
    local port
    for port in "$MASTER_PORT" "$MASTER_WEBUI_PORT" "$WORKER_WEBUI_PORT" \
        $((WORKER_WEBUI_PORT + ${#WORKERS[@]} - 1)); do
        if port_in_use "$port"; then
            echo "spark cluster: port $port of $HOST is taken (see the ports' variables" \
                "at the top of scripts/spark_cluster.sh)" >&2
            exit 1
        fi
    done
}

start_cluster() {
    mkdir -p "$CLUSTER_DIR"
    launch master org.apache.spark.deploy.master.Master \
        --host "$HOST" --port "$MASTER_PORT" --webui-port "$MASTER_WEBUI_PORT"
    for n in "${WORKERS[@]}"; do
        # Each worker its own folder (executors' working directories and their logs) and its
        # own UI port: two workers on one host would otherwise clash on both.
        mkdir -p "$CLUSTER_DIR/worker-$n"
        launch "worker-$n" org.apache.spark.deploy.worker.Worker \
            --host "$HOST" --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" \
            --work-dir "$CLUSTER_DIR/worker-$n" --webui-port $((WORKER_WEBUI_PORT + n - 1)) \
            "$MASTER_URL"
    done
    # Workers retry their registration until the master is up; ready when both are ALIVE.
    local deadline=$((SECONDS + START_TIMEOUT))
    while [[ "$(alive_workers)" -lt "${#WORKERS[@]}" ]]; do
        for name in master "${WORKERS[@]/#/worker-}"; do
            [[ -n "$(running_pid "$name")" ]] || fail_start "$name exited"
        done
        ((SECONDS < deadline)) ||
            fail_start "${#WORKERS[@]} workers not registered within $START_TIMEOUT s"
        sleep 1
    done
    echo "spark cluster: $MASTER_URL with ${#WORKERS[@]} workers (UI http://$HOST:$MASTER_WEBUI_PORT)"
}

# SIGTERM to each recorded process, workers first (they stop their executors), then wait
# for it to exit; SIGKILL after STOP_TIMEOUT seconds.
stop_cluster() {
    local name pid deadline
    for name in "${WORKERS[@]/#/worker-}" master; do
        pid="$(running_pid "$name")"
        if [[ -n "$pid" ]]; then
            kill "$pid" 2>/dev/null || true
            deadline=$((SECONDS + STOP_TIMEOUT))
            while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
            if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
        fi
        rm -f "$(pid_file "$name")"
    done
}

status_cluster() {
    local name pid
    for name in master "${WORKERS[@]/#/worker-}"; do
        pid="$(running_pid "$name")"
        if [[ -n "$pid" ]]; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; fi
    done
    [[ -n "$(running_pid master)" ]] || return 0
    master_json '
for worker in master["workers"]:
    print("worker {id}: {state}, {cores} cores, {memory} MiB".format(**worker))
for app in master["activeapps"] + master["completedapps"]:
    print("application {id} {name}: {state}, {cores} cores, {memoryperexecutor} MiB per "
          "executor, {duration} ms".format(**app))'
    # The master logs every executor it placed on a worker.
    grep -h "Launching executor" "$CLUSTER_DIR/master.log" || true
}

run_week() {
    check_free
    # Stop the cluster however the week ends (success, failure, Ctrl-C), its state first.
    trap 'status_cluster || true; stop_cluster' EXIT
    trap 'exit 130' INT TERM
    start_cluster
    # Executors get the workers' memory (Spark's default of 1g failed a 50M-flow week).
    TRAFFICREPORT_ENGINE=spark TRAFFICREPORT_SPARK_MASTER="$MASTER_URL" \
        TRAFFICREPORT_SPARK_EXECUTOR_MEMORY="${TRAFFICREPORT_SPARK_EXECUTOR_MEMORY:-$WORKER_MEMORY}" \
        python -m dagster_project.cli week "$1"
}

case "${1:-}" in
start)
    check_free
    start_cluster
    ;;
stop) stop_cluster ;;
status) status_cluster ;;
week)
    [[ $# -eq 2 ]] || usage
    run_week "$2"
    ;;
*) usage ;;
esac
