#!/usr/bin/env bash
# Runs the benchmarks and prints their tables; never fails on slow numbers.
set -euo pipefail
BUILD="${1:-$(dirname "$0")/../build}"
echo "## control plane"
"$BUILD/bench/bench_control_plane" --benchmark_min_time=1 2>&1 | grep -v "^$BUILD" || true
echo
echo "## dataplane (needs root; 32 pods for the per-pod comparison)"
"$BUILD/bench/bench_dataplane" 32 || true
echo
echo "## pod lifecycle (needs root)"
"$BUILD/bench/bench_pod_lifecycle" 2>&1 | grep -v "\[info\]" || true
echo
echo "## service registry (the SOME/IP-SD part needs root)"
"$BUILD/bench/bench_registry" || true
echo
echo "## security (needs root): policy compile + apply, throughput with a 1,000-rule policy"
"$BUILD/bench/bench_security" 2>&1 | grep -v "\[info\]" || true
echo
echo "## TLS ingress (needs root): throughput and set-up against socat's TLS relay"
"$BUILD/bench/bench_ingress" 2>&1 | grep -v "\[info\]" || true
echo
echo "## signal broker: KUKSA's kuksa-perf scenario against mosquitto, 1,000 subscribers to one signal"
"$BUILD/bench/bench_broker" || true
echo
echo "## VISS: WebSocket notification vs kuksa.val.v2 Subscribe, 1,000/10,000 WebSocket clients, HTTP GET vs GetValue"
"$BUILD/bench/bench_viss" || true
echo
echo "## vehicle diagnostics: ReadDTC end to end (1 and 20 ECUs), 100/1,000 concurrent streams vs the seed's Python server"
"$BUILD/bench/bench_sovd" || true
echo
echo "## cloud connector: queue → mosquitto vs mosquitto_pub, 100,000-item backlog, zstd, 1,000,000 items waiting"
"$BUILD/bench/bench_cloud" 2>&1 | grep -v "\[info\]" || true
