// The cloud side of a feed, as a user would watch it: mosquitto_sub
// (Debian's) on pharos/# (or the topic given), QoS 1, a persistent session (so messages sent
// while it reconnects after a broker restart still reach it), printing
// each message as "<topic> <hex payload>"; the test decodes (zstd) and
// parses the batches.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "e2e/mosquitto.h"
#include "nlohmann/json.hpp"

namespace pharos::e2e {

struct ReceivedBatch {
  std::string topic;
  bool compressed = false;
  nlohmann::json body;
};

class CloudReceiver {
 public:
  // `tls_dir`: where ca.pem and the receiver's client certificate
  // (receiver.pem/.key) are, for an mqtts:// broker; `netns`: where the
  // broker is (a twin's cloud host).
  CloudReceiver(const Mosquitto& broker, std::string tls_dir = "", std::string netns = "",
                std::string topic = "pharos/#");
  ~CloudReceiver();
  // Every batch received so far, in arrival order.
  std::vector<ReceivedBatch> Batches() const;
  // Every item's seq in arrival order (repeats included).
  std::vector<int64_t> Seqs() const;
  // Waits until `pred(Batches())` holds or `limit` passes.
  bool WaitFor(const std::function<bool(const std::vector<ReceivedBatch>&)>& pred,
               std::chrono::milliseconds limit) const;
  std::string Raw() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
};

// Every item the vehicle queued reached the receiver: the seqs it saw
// (repeats allowed: the ids deduplicate them) have no gap, one id per seq,
// and each stream's first sightings are in order.
void ExpectNoneLostInOrder(const std::vector<ReceivedBatch>& batches);

// A client context with a 30 s deadline (the tests' calls to pharosd).
std::unique_ptr<grpc::ClientContext> Ctx();

}  // namespace pharos::e2e
