#!/usr/bin/env bash
# Installs the Debian bookworm packages Pharos needs to build and test.
# Only packages that are missing are installed, so a second run is fast and
# does not need the network. Everything comes from Debian's archive.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libyaml-cpp-dev libsqlite3-dev sqlite3 libmnl-dev libnftables-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libboost-dev        # Asio and its TLS layer (the ingress behind tls_verified)
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 procps iputils-ping nftables containernetworking-plugins
  python3-jsonschema  # the CNI test validates results against the spec's schemas
  tshark              # the SOME/IP-SD test decodes its captured packets with Wireshark's dissector
  cyclonedds-dev cyclonedds-tools  # DDS discovery (pharos-dds-watch); ddsperf publishes in the test
  iperf3              # the security benchmark measures throughput with and without a policy
  socat               # the ingress benchmark's peer: socat's TLS relay
  mosquitto mosquitto-clients libmosquitto-dev  # MQTT: the broker benchmark's fan-out peer, VISS over MQTT
  libzstd-dev libcurl4-openssl-dev  # cloud feeding: batch compression, the HTTPS transport
  zstd                # the demo decodes what reaches the cloud host
  python3-websocket curl  # VISS: the end-to-end tests drive the WebSocket and HTTP front ends with third-party clients
  python3-grpcio python3-protobuf  # SOVD: the seed's own Python client and server examples (stubs from grpc_python_plugin)
  podman runc busybox-static  # docs/cni.md's podman recipe, tried by the podman test (containers from a busybox directory)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "pharos: all build dependencies present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "pharos: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "pharos: installing ${#missing[@]} Debian package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
