#include "e2e/cloud/cloud_receiver.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <sstream>
#include <thread>

#include "cloud/payload.h"
#include "common/text.h"

namespace pharos::e2e {
namespace {

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(HexDigitValue(hex[i]) * 16 + HexDigitValue(hex[i + 1])));
  }
  return out;
}

}  // namespace

CloudReceiver::CloudReceiver(const Mosquitto& broker, std::string tls_dir, std::string netns,
                             std::string topic) {
  static int n = 0;
  std::string id = "cloud-receiver-" + std::to_string(getpid()) + "-" + std::to_string(++n);
  std::string out = dir_.path() + "/received";
  std::string command =
      std::string("exec ") + (netns.empty() ? "" : "ip netns exec " + netns + " ") +
      "stdbuf -oL mosquitto_sub -h " + broker.host() + " -p " + std::to_string(broker.port()) +
      " -t '" + topic + "' -q 1 -c -i " + id + " -F '%t %x'";
  if (!tls_dir.empty()) {
    command += " --cafile " + tls_dir + "/ca.pem --cert " + tls_dir + "/receiver.pem --key " +
               tls_dir + "/receiver.key";
  }
  command += " > " + out + " 2> " + dir_.path() + "/stderr";
  pid_ = fork();
  if (pid_ == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Subscribed once the broker lists the session; a moment is enough on loopback.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

CloudReceiver::~CloudReceiver() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string CloudReceiver::Raw() const { return ReadFile(dir_.path() + "/received"); }

std::vector<ReceivedBatch> CloudReceiver::Batches() const {
  std::vector<ReceivedBatch> out;
  std::istringstream lines(Raw());
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    ReceivedBatch b;
    b.topic = line.substr(0, space);
    std::string payload = FromHex(line.substr(space + 1));
    b.compressed = cloud::IsZstdFrame(payload);
    if (b.compressed) {
      auto raw = cloud::Decompress(payload);
      if (!raw.ok()) continue;
      payload = *raw;
    }
    b.body = nlohmann::json::parse(payload, nullptr, false);
    if (b.body.is_discarded()) continue;
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<int64_t> CloudReceiver::Seqs() const {
  std::vector<int64_t> out;
  for (const ReceivedBatch& b : Batches()) {
    for (const auto& item : b.body["items"]) out.push_back(item["seq"].get<int64_t>());
  }
  return out;
}

bool CloudReceiver::WaitFor(const std::function<bool(const std::vector<ReceivedBatch>&)>& pred,
                            std::chrono::milliseconds limit) const {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred(Batches())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred(Batches());
}

void ExpectNoneLostInOrder(const std::vector<ReceivedBatch>& batches) {
  std::map<std::string, std::vector<int64_t>> by_stream;
  std::set<int64_t> seen;
  std::set<std::string> ids;
  for (const ReceivedBatch& b : batches) {
    for (const auto& item : b.body["items"]) {
      int64_t seq = item["seq"];
      if (seen.insert(seq).second) by_stream[b.body["stream"]].push_back(seq);
      ids.insert(item["id"].get<std::string>());
    }
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(ids.size(), seen.size()) << "one id per item, the same on every repeat";
  for (int64_t s = *seen.begin(); s <= *seen.rbegin(); ++s) {
    EXPECT_TRUE(seen.count(s)) << "item " << s << " never arrived";
  }
  for (const auto& [stream, seqs] : by_stream) {
    EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << stream << " out of order";
  }
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return c;
}

}  // namespace pharos::e2e
