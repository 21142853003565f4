// Eclipse Pullpiri's artifacts as its action controller passes them
// verbatim from etcd: a Node artifact for vm1 of the seed vehicle, and the
// Network artifact in each shape of Pullpiri's docs and tests. Shared by
// the unit and the interop tests.
#pragma once

namespace pharos::testing::pullpiri {

// Its nodeagent's registration of vm1 (found by spec.ip_address).
inline constexpr char kNodeArtifact[] = R"(apiVersion: v1
kind: Node
metadata:
  name: hpc-vm1
spec:
  hostname: hpc-vm1
  ip_address: 10.2.0.10
  role: nodeagent
)";

// doc/architecture/package.md
inline constexpr char kPackageDocShape[] = R"(apiVersion: v1
kind: Network
metadata:
  label: null
  name: vd-network
spec:
  dummy: network123
)";
// filtergateway tests: no spec at all
inline constexpr char kNoSpecShape[] = R"(apiVersion: v1
kind: Network
metadata:
  name: helloworld_dds1
)";
// nodeagent parser tests
inline constexpr char kInterfacesShape[] = R"(apiVersion: v1
kind: Network
metadata:
  name: test-network
spec:
  interfaces:
    - name: eth0
      bridge: br0
)";
// resourcemanager branch (ca221ef5)
inline constexpr char kResourceManagerShape[] = R"(apiVersion: v1
kind: Network
metadata:
  name: nav
spec:
  networkName: nav-net
  networkMode: bridge
)";

}  // namespace pharos::testing::pullpiri
