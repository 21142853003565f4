// The seed's own Python client example ("Client Example (Python)" in seed
// 001), taken from the seed file and run unchanged but for the address,
// with stubs generated from the seed's proto by Debian's protoc and
// grpc_python_plugin, and the import fix the seed's Makefile applies.
#include <regex>

#include "e2e/sovd/sovd_fixture.h"

namespace pharos::e2e {
namespace {

class SeedClientTest : public SovdTest {};

std::string SeedClientExample(const std::string& address) {
  std::string seed = ReadFile(SEEDS_DIR "/001_6ecbb3d3ba2fa46c.txt");
  const std::string start = "### Client Example (Python)\n\n```python\n";
  size_t from = seed.find(start);
  if (from == std::string::npos) return "";
  from += start.size();
  std::string code = seed.substr(from, seed.find("```", from) - from);
  const std::string original = "vehicle.example.com:50051";
  size_t at = code.find(original);
  if (at == std::string::npos) return "";
  return code.replace(at, original.size(), address);
}

TEST_F(SeedClientTest, RunsUnchangedAndPrintsAMultiChunkReadDtc) {
  StartSim();
  // Enough DTCs on the engine (0x10, the ECU the example asks) that its
  // answer is split below a 512-byte chunk limit.
  for (const char* dtc : {"P0101", "P0300", "P0171", "P0174", "P0128"}) {
    ASSERT_EQ(Ctl(std::string("inject engine ") + dtc), "ok\n");
  }
  StartSovd({"--max-chunk-bytes", "512"});
  std::string client = SeedClientExample(sovd_->address());
  ASSERT_FALSE(client.empty()) << "the seed's client example was not found";
  std::string work = dir_.path() + "/seed-client";
  std::filesystem::create_directories(work + "/app/generated");
  std::ofstream(work + "/app/__init__.py").close();
  std::ofstream(work + "/app/generated/__init__.py").close();
  std::ofstream(work + "/client.py") << client;
  std::string out;
  ASSERT_EQ(RunCommand("cd " + work + " && protoc -I " + SOVD_PROTO_DIR +
                           " --python_out=app/generated --grpc_python_out=app/generated"
                           " --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"
                           " sovd_vehicle_service.proto && sed -i 's/^import "
                           "sovd_vehicle_service_pb2/from . import sovd_vehicle_service_pb2/' "
                           "app/generated/sovd_vehicle_service_pb2_grpc.py",
                       &out),
            0)
      << out;
  ASSERT_EQ(RunCommand("cd " + work + " && timeout 30 /usr/bin/python3 client.py", &out), 0) << out;
  // Chunk 0, Chunk 1, …: more than one, the last one final.
  std::regex chunk(
      "Chunk (\\d+):\\n  Payload: (.*)\\n  Final: (True|False)\\n  Timestamp: "
      "(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6})\\n");
  std::vector<std::pair<int, std::string>> chunks;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), chunk); it != std::sregex_iterator();
       ++it) {
    chunks.emplace_back(std::stoi((*it)[1]), (*it)[3]);
    EXPECT_NE((*it)[2].str().find("\"dtcs\""), std::string::npos) << (*it)[2];
  }
  ASSERT_GE(chunks.size(), 2u) << out;
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].first, static_cast<int>(i));
    EXPECT_EQ(chunks[i].second, i + 1 == chunks.size() ? "True" : "False") << out;
  }
  EXPECT_NE(out.find("Command execution complete!"), std::string::npos) << out;
  EXPECT_NE(out.find("P0101"), std::string::npos);
  EXPECT_NE(out.find("P0128"), std::string::npos);
}

}  // namespace
}  // namespace pharos::e2e
