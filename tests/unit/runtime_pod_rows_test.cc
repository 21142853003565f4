// Runtime pods as typed rows: what a request gave comes back from the
// store field for field, as the parser would have made it; a row written
// before pods were typed (a YAML block) reads the same.
#include "core/runtime_pod_rows.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/runtime_pod_planner.h"
#include "model/config_parser.h"
#include "store/migrations.h"

namespace pharos::core {
namespace {

class RuntimePodRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("pharos-pod-rows-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(path_);
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix);
    }
  }
  std::unique_ptr<store::Database> Open(size_t migrations) {
    auto db = store::Database::Open(path_.string());
    EXPECT_TRUE(db.ok()) << db.status();
    std::vector<store::Migration> m = store::PharosMigrations();
    m.resize(std::min(migrations, m.size()));
    EXPECT_TRUE((*db)->Migrate(m).ok());
    return std::move(*db);
  }
  static model::PodSpec Parse(const std::string& yaml, const std::string& name) {
    model::ParsedPod parsed = model::ParsePodNetworkYaml(yaml, name);
    EXPECT_FALSE(parsed.findings.HasErrors()) << parsed.findings.ErrorSummary();
    return parsed.pod;
  }
  // What the planner and the diff read of a pod, and where the validator
  // points at its fields.
  static std::string Seen(const model::PodSpec& p) {
    std::string out = RuntimePodFingerprint({"soc1", "vm1", p});
    for (const model::TextField* f :
         {&p.name, &p.k8s_namespace, &p.networking_type,
          static_cast<const model::TextField*>(&p.subnet),
          static_cast<const model::TextField*>(&p.ip), &p.bridge, &p.interface, &p.netns}) {
      out += "\n" + f->path + "=" + (f->present ? "given:" + f->value : "absent");
    }
    for (const auto& s : p.services) {
      out += "\n" + s.path + " " + s.name.path + " " + s.port.path + " " +
             (s.protocol.present ? s.protocol.value : "-") + " " + s.protocol.path;
    }
    return out;
  }
  std::filesystem::path path_;
};

constexpr char kFull[] = R"(namespace: "vision"
networking:
  type: static
  subnet: 10.2.1.0/24
  ip: 10.2.1.40
  interface: net1
  bridge: podbr7
  netns: /run/netns/cni-1234
services:
  - name: detect
    port: 8080
    protocol: tcp
    kind: grpc
  - name: raw
    port: 30509
)";

constexpr char kMinimal[] = R"(networking:
  subnet: 10.2.1.0/24
  ip: 10.2.1.41
)";

TEST_F(RuntimePodRowsTest, ARequestedPodComesBackFromItsRowAsParsed) {
  auto db = Open(SIZE_MAX);
  store::PodStore rows(*db);
  for (const char* yaml : {kFull, kMinimal}) {
    model::PodSpec asked = Parse(yaml, "p1");
    store::RuntimePod row{"p1", "soc1", "vm1", "10.2.1.0/24", asked.ip.value};
    row.spec = StoredSpecOf(asked);
    row.state = store::PodState::kRemoving;
    ASSERT_TRUE(rows.Put(row).ok());
    auto back = rows.Get("p1");
    ASSERT_TRUE(back.ok() && back->has_value()) << back.status();
    EXPECT_EQ((*back)->spec, row.spec);
    EXPECT_EQ((*back)->state, store::PodState::kRemoving);
    std::optional<model::PodSpec> pod = PodSpecOf(**back);
    ASSERT_TRUE(pod);
    // A pod without a type is a cni pod, as it always was when stored.
    model::PodSpec expected = asked;
    if (!expected.networking_type.present) {
      expected.networking_type.present = true;
      expected.networking_type.value = "cni";
    }
    EXPECT_EQ(Seen(*pod), Seen(expected));
  }
}

TEST_F(RuntimePodRowsTest, ARowFromBeforeTypedPodsReadsTheSame) {
  {
    auto db = Open(11);  // the schema before typed pods
    auto st = db->Prepare(
        "INSERT INTO runtime_pods(name, soc, vm, subnet, ip, spec_yaml, request_id, state, "
        "deadline_at, created_at) VALUES('p1', 'soc1', 'vm1', '10.2.1.0/24', '10.2.1.41', "
        "?, 'req-1', 'ready', '', '');");
    ASSERT_TRUE(st.ok());
    // As the old PodBlock wrote it.
    ASSERT_TRUE(st->Bind(1,
                         "            - name: \"p1\"\n"
                         "              namespace: \"vision\"\n"
                         "              networking:\n"
                         "                type: \"cni\"\n"
                         "                subnet: \"10.2.1.0/24\"\n"
                         "                ip: \"10.2.1.41\"\n"
                         "              services:\n"
                         "                - name: \"detect\"\n"
                         "                  port: 8080\n")
                    .Run()
                    .ok());
  }
  auto db = Open(SIZE_MAX);
  store::PodStore rows(*db);
  auto back = rows.Get("p1");
  ASSERT_TRUE(back.ok() && back->has_value()) << back.status();
  EXPECT_FALSE((*back)->legacy_spec_yaml.empty());
  EXPECT_EQ((*back)->state, store::PodState::kReady);
  std::optional<model::PodSpec> legacy = PodSpecOf(**back);
  ASSERT_TRUE(legacy);
  model::PodSpec typed_asked = Parse(
      "namespace: vision\nnetworking:\n  type: cni\n  subnet: 10.2.1.0/24\n  ip: 10.2.1.41\n"
      "services:\n  - name: detect\n    port: 8080\n",
      "p1");
  EXPECT_EQ(Seen(*legacy), Seen(typed_asked));
  // Rewritten typed (as PodManager::Start does), it still reads the same.
  store::RuntimePod rewritten = **back;
  rewritten.spec = StoredSpecOf(*legacy);
  rewritten.legacy_spec_yaml.clear();
  ASSERT_TRUE(rows.Put(rewritten).ok());
  auto again = rows.Get("p1");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_TRUE((*again)->legacy_spec_yaml.empty());
  EXPECT_EQ(Seen(*PodSpecOf(**again)), Seen(typed_asked));
}

TEST_F(RuntimePodRowsTest, AnUnknownStateIsDataLossNotAGuess) {
  auto db = Open(SIZE_MAX);
  store::PodStore rows(*db);
  store::RuntimePod row{"p1", "soc1", "vm1", "10.2.1.0/24", "10.2.1.41"};
  ASSERT_TRUE(rows.Put(row).ok());
  ASSERT_TRUE(db->Exec("UPDATE runtime_pods SET state = 'exploded';").ok());
  auto listed = rows.List();
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(listed.status().message().find("exploded"), std::string_view::npos);
}

}  // namespace
}  // namespace pharos::core
