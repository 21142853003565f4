// Following pharosd (status --watch, events --follow) and what pharosctl
// says about itself (version, completion).
#include <chrono>
#include <iostream>
#include <thread>

#include "commands.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharosctl {
namespace ctl = pharos::ctl::v1;

namespace {

void PrintEvent(const Context& ctx, const ctl::WatchEvent& e) {
  if (ctx.json) {
    std::cout << ToJsonLine(e) << std::endl;
    return;
  }
  if (e.kind() == "gap") {
    std::cout << ctx.style.Yellow("gap") << ": " << e.missed()
              << " change(s) were dropped by pharosd's retention (--watch-journal-keep) "
                 "while this watch was away"
              << std::endl;
    return;
  }
  std::string change = e.previous().empty() && e.current().empty() ? ""
                       : e.previous().empty()                      ? e.current()
                                              : e.previous() + " -> " + e.current();
  std::string shown = change == "up" || e.current() == "healthy" || e.current() == "OK"
                          ? ctx.style.Green(change)
                      : e.current() == "down" || e.current() == "unhealthy" ||
                              e.current() == "ERROR" || e.severity() == "CRITICAL"
                          ? ctx.style.Red(change)
                          : change;
  std::cout << ctx.style.Dim(e.at()) << "  " << e.kind() << "  " << e.subject() << "  "
            << (e.severity().empty() ? "" : e.severity() + "  ") << shown
            << (e.detail().empty() ? "" : "  " + e.detail()) << std::endl;
}

// Watches `kinds`: the first `watching` marker runs `snapshot` (the
// current state, so nothing between it and the watch is missed), then
// every change is printed. A watch that was up reconnects with its last
// token when pharosd goes away (a restart); one that never got up fails.
int Follow(const Context& ctx, const std::vector<std::string>& kinds, int count,
           const std::function<int()>& snapshot) {
  std::string token;
  bool connected = false;
  int seen = 0;
  auto backoff = std::chrono::milliseconds(200);
  while (true) {
    auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
    auto call = StreamContext();
    ctl::WatchRequest req;
    req.set_resume_token(token);
    for (const auto& k : kinds) req.add_kinds(k);
    std::unique_ptr<grpc::ClientReader<ctl::WatchEvent>> reader = stub->Watch(call.get(), req);
    ctl::WatchEvent e;
    while (reader->Read(&e)) {
      if (e.kind() == "watching") {
        if (!connected) {
          if (int rc = snapshot(); rc != kOk) return rc;
        } else {
          std::cerr << ctx.style.Dim("(watching again)") << std::endl;
        }
        connected = true;
        backoff = std::chrono::milliseconds(200);
        token = e.resume_token();
        continue;
      }
      PrintEvent(ctx, e);
      if (!e.resume_token().empty()) token = e.resume_token();
      if (count > 0 && ++seen >= count) {
        call->TryCancel();
        (void)reader->Finish();
        return kOk;
      }
    }
    grpc::Status s = reader->Finish();
    if (!connected || s.error_code() != grpc::StatusCode::UNAVAILABLE)
      return ReportRpcError(ctx, s);
    std::cerr << ctx.style.Dim("(pharosd went away: " + s.error_message() + "; reconnecting)")
              << std::endl;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace

int StatusWatch(const Context& ctx, const std::string& filter, int count) {
  return Follow(ctx, {"network_event", "service_health"}, count, [&] {
    int rc = Status(ctx, filter);
    // No component matches yet: watching for one is still meaningful.
    return rc == kNotFound ? kOk : rc;
  });
}

int EventsFollow(const Context& ctx, int64_t after_id, int limit, bool security, int count) {
  return Follow(ctx, {security ? "security_event" : "network_event"}, count, [&] {
    return security ? SecurityEvents(ctx, after_id, limit) : Events(ctx, after_id, limit);
  });
}

int Version(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::GetVersionResponse server;
  grpc::Status s = stub->GetVersion(CallContext().get(), {}, &server);
  if (ctx.json) {
    std::cout << "{\"client\": \"" << PHAROS_VERSION
              << "\", \"server\": " << (s.ok() ? ToJsonLine(server) : "null") << "}\n";
  } else {
    std::cout << "client: pharosctl " << PHAROS_VERSION << "\n";
    if (s.ok()) {
      std::cout << "server: pharosd " << server.version() << " at " << ctx.server << " ("
                << server.dataplane() << " dataplane, up since " << server.started_at() << ")\n";
    }
  }
  return s.ok() ? kOk : ReportRpcError(ctx, s);
}

}  // namespace pharosctl
