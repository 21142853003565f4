#include "store/migrations.h"

namespace pharos::store {

const std::vector<Migration>& PharosMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "configuration versions",
       R"sql(
CREATE TABLE config_versions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  content_hash TEXT NOT NULL UNIQUE,
  yaml         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  source       TEXT NOT NULL,
  -- Pod addresses the plan assigned (JSON {pod: ip}), so that replaying
  -- this version (restart, rollback) rebuilds exactly the same network.
  planned_addresses TEXT NOT NULL DEFAULT '{}',
  status       TEXT NOT NULL DEFAULT 'inactive'
);
-- Every activation (apply, update, rollback), in order: the audit trail of
-- which version was current when.
CREATE TABLE config_activations (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id   INTEGER NOT NULL REFERENCES config_versions(id),
  action       TEXT NOT NULL,
  activated_at TEXT NOT NULL
);
CREATE TABLE state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
      {2, "network events",
       R"sql(
-- What happened to the network outside of configuration changes: drift
-- repaired, convergence after a crash, teardown. The callback outbox
-- (NotifyNetworkStatusChange) is fed from here.
CREATE TABLE network_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  occurred_at TEXT NOT NULL,
  component   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  detail      TEXT NOT NULL
);
)sql"},
      {3, "callback outbox",
       R"sql(
-- Every notification to Piccolo is written here before it is sent, in the
-- same transaction as what it reports, and deleted only when Piccolo
-- acknowledged it: at-least-once, in id order.
CREATE TABLE callback_outbox (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL,    -- complete_network_setting | network_status_change | ...
  component   TEXT NOT NULL,
  payload     BLOB NOT NULL,    -- the serialized request message
  created_at  TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT NOT NULL DEFAULT ''
);
)sql"},
      {4, "runtime pods and their leases",
       R"sql(
-- Pods requested at run time (RequestNetworkPod), each with its address
-- lease. Not part of the configuration versions: re-applying the vehicle
-- YAML keeps them. state: pending (accepted, being set up), ready.
CREATE TABLE runtime_pods (
  name          TEXT PRIMARY KEY,
  soc           TEXT NOT NULL,
  vm            TEXT NOT NULL,
  subnet        TEXT NOT NULL,
  ip            TEXT NOT NULL,
  spec_yaml     TEXT NOT NULL,   -- the pod block, with ip, as merged into the vehicle
  request_id    TEXT NOT NULL,
  state         TEXT NOT NULL,
  deadline_at   TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE(subnet, ip)             -- an address is never handed out twice
);
)sql"},
      {5, "runtime pods set up through pharos-cni",
       R"sql(
-- The runtime's container id of a pod added by pharos-cni ('' for pods
-- requested over gRPC): DEL and CHECK find the pod by it, and no
-- CompleteNetworkSetting goes to Piccolo for it (the plugin waits instead).
ALTER TABLE runtime_pods ADD COLUMN container_id TEXT NOT NULL DEFAULT '';
)sql"},
      {6, "service registry",
       R"sql(
-- One row per service instance. The same name, protocol and endpoint is
-- one service (registering it again is idempotent); ids are never reused.
CREATE TABLE services (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  protocol    TEXT NOT NULL,     -- dds | grpc | rest | someip
  host        TEXT NOT NULL,
  port        INTEGER NOT NULL,
  metadata    TEXT NOT NULL,     -- JSON object of strings
  location    TEXT NOT NULL,     -- the vehicle component at `host`; '' outside
  source      TEXT NOT NULL,     -- api | pod | someip | dds
  status      TEXT NOT NULL,     -- registered | healthy | degraded | unhealthy
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE(name, protocol, host, port)
);
)sql"},
      {7, "security: policy state, security events, audit log",
       R"sql(
-- What the security controller must find again after a restart: the
-- policy configured over the API and the active emergency mode.
CREATE TABLE security_state (
  key         TEXT PRIMARY KEY,  -- policy_yaml | emergency_mode
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
-- Denied traffic, aggregated per (source, destination, rule) and window.
CREATE TABLE security_events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  occurred_at  TEXT NOT NULL,
  severity     TEXT NOT NULL,    -- INFO | WARNING | CRITICAL
  event_type   TEXT NOT NULL,    -- packet_filtered
  source       TEXT NOT NULL,
  destination  TEXT NOT NULL,
  rule         TEXT NOT NULL,
  packets      INTEGER NOT NULL,
  details      TEXT NOT NULL
);
-- Every mutating management call: who, what, when, result.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  principal   TEXT NOT NULL,
  role        TEXT NOT NULL,
  method      TEXT NOT NULL,
  peer        TEXT NOT NULL,
  result      TEXT NOT NULL      -- OK or the gRPC status code name + message
);
)sql"},
      {8, "watch journal",
       R"sql(
-- What a watcher (pharosctl status --watch, events --follow; later the
-- dashboard and the cloud connector) is told, in order: written in the
-- same transaction as the event it reports; its id is the resume token.
CREATE TABLE watch_journal (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        TEXT NOT NULL,
  kind      TEXT NOT NULL,   -- network_event | security_event | service_health | pod_completion
  subject   TEXT NOT NULL,   -- component, source address, service id or pod
  previous  TEXT NOT NULL,
  current   TEXT NOT NULL,
  severity  TEXT NOT NULL,
  detail    TEXT NOT NULL
);
)sql"},
      {9, "callback dead letters",
       R"sql(
-- A notification the receiver keeps refusing as too large or malformed
-- is set aside (dead_at) after its retries, so it never blocks the ones
-- behind it; it stays visible in pharosctl callbacks status.
ALTER TABLE callback_outbox ADD COLUMN dead_at TEXT;
)sql"},
      {10, "who asked for a runtime pod, and what its request's front end noted",
       R"sql(
-- origin: e.g. "Pullpiri scenario 'helloworld dds'" when the pod's name is
-- mapped from an orchestrator's; notes: what the front end changed or
-- ignored (unknown artifact fields), repeated in every completion.
ALTER TABLE runtime_pods ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE runtime_pods ADD COLUMN notes TEXT NOT NULL DEFAULT '';
-- network: the network the pod joined by name (a Pullpiri Network
-- artifact's); RemoveNetwork refuses while a pod of it exists.
ALTER TABLE runtime_pods ADD COLUMN network TEXT NOT NULL DEFAULT '';
)sql"},
      {11, "networks set up at run time by name",
       R"sql(
-- Pullpiri's SetupNetwork: a pod bridge on a VM before any pod joins it.
-- bridge is '' when the network is a pod subnet the vehicle has anyway
-- (nothing of its own to build or remove).
CREATE TABLE runtime_networks (
  name        TEXT PRIMARY KEY,
  soc         TEXT NOT NULL,
  vm          TEXT NOT NULL,
  subnet      TEXT NOT NULL,
  bridge      TEXT NOT NULL,
  mode        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
)sql"},
      {12, "runtime pods as typed rows",
       R"sql(
-- A pod's fields in columns (NULL: not given) instead of a YAML block.
-- services: a JSON array of {"name", "port", "protocol"?, "kind"?}.
-- spec_version: 0 for rows written before (their spec_yaml is the pod
-- block; pharosd reads it and rewrites the row as version 1 on start),
-- 1 for typed rows (spec_yaml '').
ALTER TABLE runtime_pods ADD COLUMN spec_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runtime_pods ADD COLUMN k8s_namespace TEXT;
ALTER TABLE runtime_pods ADD COLUMN networking_type TEXT;
ALTER TABLE runtime_pods ADD COLUMN interface TEXT;
ALTER TABLE runtime_pods ADD COLUMN bridge TEXT;
ALTER TABLE runtime_pods ADD COLUMN netns TEXT;
ALTER TABLE runtime_pods ADD COLUMN services TEXT NOT NULL DEFAULT '[]';
)sql"},
  };
  return kMigrations;
}

}  // namespace pharos::store
