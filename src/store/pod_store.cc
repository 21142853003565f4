#include "store/pod_store.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

namespace pharos::store {
namespace {

using nlohmann::json;

constexpr int kSpecVersion = 1;

constexpr char kColumns[] =
    "name, soc, vm, subnet, ip, request_id, state, deadline_at, created_at, container_id, "
    "origin, notes, network, spec_version, spec_yaml, k8s_namespace, networking_type, "
    "interface, bridge, netns, services";

std::optional<std::string> OptionalText(const Statement& st, int col) {
  if (st.ColumnIsNull(col)) return std::nullopt;
  return st.ColumnText(col);
}

void BindOptional(Statement& st, int index, const std::optional<std::string>& v) {
  if (v) {
    st.Bind(index, *v);
  } else {
    st.BindNull(index);
  }
}

std::string ServicesJson(const std::vector<StoredService>& services) {
  json out = json::array();
  for (const auto& s : services) {
    json o{{"name", s.name}, {"port", s.port}};
    if (s.protocol) o["protocol"] = *s.protocol;
    if (s.kind) o["kind"] = *s.kind;
    out.push_back(std::move(o));
  }
  return out.dump();
}

absl::StatusOr<std::vector<StoredService>> ParseServices(const std::string& text,
                                                         const std::string& pod) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&pod] {
    return absl::DataLossError("runtime pod " + pod + ": its stored services are not readable");
  };
  if (!j.is_array()) return bad();
  std::vector<StoredService> out;
  for (const auto& o : j) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string() || !o.contains("port") ||
        !o["port"].is_number_integer()) {
      return bad();
    }
    StoredService s{o["name"].get<std::string>(), o["port"].get<int64_t>(), {}, {}};
    if (o.contains("protocol") && o["protocol"].is_string()) s.protocol = o["protocol"];
    if (o.contains("kind") && o["kind"].is_string()) s.kind = o["kind"];
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<RuntimePod> ReadRow(const Statement& st) {
  RuntimePod p{st.ColumnText(0), st.ColumnText(1), st.ColumnText(2),
               st.ColumnText(3), st.ColumnText(4), {},
               st.ColumnText(5)};
  std::optional<PodState> state = ParsePodState(st.ColumnText(6));
  if (!state) {
    return absl::DataLossError("runtime pod " + p.name + ": unknown state '" + st.ColumnText(6) +
                               "'");
  }
  p.state = *state;
  p.deadline_at = st.ColumnText(7);
  p.created_at = st.ColumnText(8);
  p.container_id = st.ColumnText(9);
  p.origin = st.ColumnText(10);
  p.notes = st.ColumnText(11);
  p.network = st.ColumnText(12);
  if (st.ColumnInt(13) < kSpecVersion) {
    p.legacy_spec_yaml = st.ColumnText(14);
    return p;
  }
  p.spec.k8s_namespace = OptionalText(st, 15);
  p.spec.networking_type = OptionalText(st, 16);
  p.spec.interface = OptionalText(st, 17);
  p.spec.bridge = OptionalText(st, 18);
  p.spec.netns = OptionalText(st, 19);
  absl::StatusOr<std::vector<StoredService>> services = ParseServices(st.ColumnText(20), p.name);
  if (!services.ok()) return services.status();
  p.spec.services = std::move(*services);
  return p;
}

}  // namespace

std::string_view PodStateName(PodState s) {
  switch (s) {
    case PodState::kPending:
      return "pending";
    case PodState::kReady:
      return "ready";
    case PodState::kRemoving:
      return "removing";
  }
  return "pending";
}

std::optional<PodState> ParsePodState(std::string_view name) {
  for (PodState s : {PodState::kPending, PodState::kReady, PodState::kRemoving}) {
    if (PodStateName(s) == name) return s;
  }
  return std::nullopt;
}

absl::Status PodStore::Put(const RuntimePod& p) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("INSERT OR REPLACE INTO runtime_pods(") + kColumns +
                  ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  st->Bind(1, p.name)
      .Bind(2, p.soc)
      .Bind(3, p.vm)
      .Bind(4, p.subnet)
      .Bind(5, p.ip)
      .Bind(6, p.request_id)
      .Bind(7, PodStateName(p.state))
      .Bind(8, p.deadline_at)
      .Bind(9, p.created_at)
      .Bind(10, p.container_id)
      .Bind(11, p.origin)
      .Bind(12, p.notes)
      .Bind(13, p.network)
      .Bind(14, int64_t{kSpecVersion})
      .Bind(15, std::string_view());
  BindOptional(*st, 16, p.spec.k8s_namespace);
  BindOptional(*st, 17, p.spec.networking_type);
  BindOptional(*st, 18, p.spec.interface);
  BindOptional(*st, 19, p.spec.bridge);
  BindOptional(*st, 20, p.spec.netns);
  absl::Status s = st->Bind(21, ServicesJson(p.spec.services)).Run();
  if (!s.ok() && s.message().find("UNIQUE") != std::string_view::npos) {
    return absl::AlreadyExistsError("address " + p.ip + " is leased to another pod");
  }
  return s;
}

absl::Status PodStore::SetState(const std::string& name, PodState state) {
  absl::StatusOr<Statement> st = db_.Prepare("UPDATE runtime_pods SET state = ? WHERE name = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, PodStateName(state)).Bind(2, name).Run();
}

absl::Status PodStore::Remove(const std::string& name) {
  absl::StatusOr<Statement> st = db_.Prepare("DELETE FROM runtime_pods WHERE name = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, name).Run();
}

absl::Status PodStore::Settle(const std::vector<std::string>& ready,
                              const std::vector<std::string>& gone) {
  if (ready.empty() && gone.empty()) return absl::OkStatus();
  Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  for (const auto& name : ready) {
    if (absl::Status s = SetState(name, PodState::kReady); !s.ok()) return s;
  }
  for (const auto& name : gone) {
    if (absl::Status s = Remove(name); !s.ok()) return s;
  }
  return tx.Commit();
}

absl::StatusOr<std::optional<RuntimePod>> PodStore::Get(const std::string& name) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM runtime_pods WHERE name = ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, name);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RuntimePod>();
  absl::StatusOr<RuntimePod> pod = ReadRow(*st);
  if (!pod.ok()) return pod.status();
  return std::optional<RuntimePod>(std::move(*pod));
}

absl::StatusOr<std::vector<RuntimePod>> PodStore::List() {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM runtime_pods ORDER BY rowid;");
  if (!st.ok()) return st.status();
  std::vector<RuntimePod> out;
  absl::Status unreadable = absl::OkStatus();
  if (absl::Status s = st->ForEachRow([&](const Statement& r) {
        absl::StatusOr<RuntimePod> pod = ReadRow(r);
        if (pod.ok()) {
          out.push_back(std::move(*pod));
        } else if (unreadable.ok()) {
          unreadable = pod.status();
        }
      });
      !s.ok()) {
    return s;
  }
  if (!unreadable.ok()) return unreadable;
  return out;
}

absl::StatusOr<size_t> PodStore::Count() {
  absl::StatusOr<Statement> st = db_.Prepare("SELECT COUNT(*) FROM runtime_pods;");
  if (!st.ok()) return st.status();
  size_t n = 0;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) {
        n = static_cast<size_t>(r.ColumnInt(0));
      });
      !s.ok()) {
    return s;
  }
  return n;
}

}  // namespace pharos::store
