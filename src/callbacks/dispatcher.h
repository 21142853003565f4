// Delivers the outbox to Piccolo: oldest first, one at a time (so the
// order per component, and overall, is the order of recording), deleting
// an entry only once Piccolo acknowledged it. A failed delivery is retried
// with exponential backoff (doubling from 100 ms to a cap, ±20 % jitter)
// without letting later entries overtake it. Survives restarts: whatever
// is in the outbox when pharosd starts is delivered first. An entry the
// receiver refuses as too large or malformed kRefusedAttempts times is
// dead-lettered (kept, counted, shown by pharosctl callbacks status).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "store/outbox_store.h"

namespace pharos::callbacks {

// Sends one outbox entry; the flavour decides the RPC.
class CallbackClient {
 public:
  virtual ~CallbackClient() = default;
  // OK: acknowledged. `skipped` set when this flavour has no such call
  // (Pullpiri receives completions only): the entry is done, not sent.
  virtual grpc::Status Send(const store::OutboxEntry& entry, bool* skipped) = 0;
};

inline constexpr int kRefusedAttempts = 8;

struct DispatcherOptions {
  std::string endpoint = "127.0.0.1:9090";  // spec §11.4.1
  std::string flavour = "pharos";           // pharos | pullpiri
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds call_timeout{5000};
};

// The client for `options.flavour` over a channel with keepalive.
std::unique_ptr<CallbackClient> CreateCallbackClient(const DispatcherOptions& options);

class Dispatcher {
 public:
  Dispatcher(store::OutboxStore& outbox, std::unique_ptr<CallbackClient> client,
             DispatcherOptions options);
  ~Dispatcher();
  void Start();
  void Stop();
  // Something was queued: try now (also cuts a backoff wait short only
  // when nothing is failing).
  void Wake();

 private:
  void Run();
  std::chrono::milliseconds NextBackoff();

  store::OutboxStore& outbox_;
  std::unique_ptr<CallbackClient> client_;
  DispatcherOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::chrono::milliseconds backoff_{0};
  std::mt19937 random_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace pharos::callbacks
