// pharosctl cloud status | feed | stop: the cloud connector's feed
// (ConfigureCloudFeeding) and what its store-and-forward queue holds.
#include <iomanip>
#include <sstream>

#include "commands.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharosctl {
namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

namespace {

std::string Bytes(int64_t n) {
  std::ostringstream out;
  if (n < 1024) {
    out << n << " B";
  } else if (n < 1024 * 1024) {
    out << std::fixed << std::setprecision(1) << n / 1024.0 << " KiB";
  } else {
    out << std::fixed << std::setprecision(1) << n / (1024.0 * 1024.0) << " MiB";
  }
  return out.str();
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

int CloudStatus(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::GetCloudStatusResponse r;
  grpc::Status s = stub->GetCloudStatus(CallContext().get(), {}, &r);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(r);
    return kOk;
  }
  std::cout << "feeding:    " << (r.enabled() ? ctx.style.Green("on") : std::string("off"));
  if (!r.target_endpoint().empty()) {
    std::cout << ", every " << r.interval_seconds() << " s to " << r.target_endpoint();
  }
  std::cout << "\n";
  if (r.data_fields_size() > 0) std::cout << "fields:     " << Join(r.data_fields()) << "\n";
  std::cout << "connection: " << (r.connected() ? "connected" : "not connected") << " (uplink "
            << (r.uplink().empty() ? "-" : r.uplink()) << ")\n";
  std::cout << "last:       "
            << (r.last_feeding_time().empty() ? std::string("never") : r.last_feeding_time());
  if (!r.last_feeding_time().empty()) {
    std::cout << ", "
              << (r.last_feeding_success() ? ctx.style.Green("delivered")
                                           : ctx.style.Red("failed"));
  }
  if (!r.last_error_message().empty()) {
    std::cout << (r.last_feeding_success() ? " (earlier error: " : ": ") << r.last_error_message()
              << (r.last_feeding_success() ? ")" : "");
  }
  std::cout << "\n";
  std::cout << "queue:      " << r.queue_depth() << " item(s), " << Bytes(r.queue_bytes());
  if (!r.oldest_queued().empty()) std::cout << ", oldest " << r.oldest_queued();
  std::cout << " (";
  bool first = true;
  for (const char* p : {"security", "diagnostics", "status", "telemetry"}) {
    auto it = r.queue_by_priority().find(p);
    std::cout << (first ? "" : ", ") << p << " "
              << (it == r.queue_by_priority().end() ? 0 : it->second);
    first = false;
  }
  std::cout << ")\n";
  std::cout << "dropped:    " << r.dropped_full() << " (queue full), " << r.dropped_expired()
            << " (too old)\n";
  std::cout << "sent:       " << r.items_sent() << " item(s) in " << r.batches_sent()
            << " message(s), " << Bytes(r.bytes_sent()) << " on the wire";
  if (r.bytes_sent() > 0) {
    std::cout << " (" << Bytes(r.raw_bytes()) << " as JSON, ratio " << std::fixed
              << std::setprecision(1) << r.compression_ratio() << ")";
  }
  std::cout << "\n";
  return kOk;
}

int CloudFeed(const Context& ctx, bool enabled, int interval_seconds,
              const std::vector<std::string>& fields, const std::string& endpoint) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::ConfigureCloudFeedingRequest req;
  req.set_enabled(enabled);
  req.set_interval_seconds(interval_seconds);
  for (const std::string& f : fields) req.add_data_fields(f);
  req.set_target_endpoint(endpoint);
  v1::ConfigureCloudFeedingResponse resp;
  grpc::Status s = stub->ConfigureCloudFeeding(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << (enabled ? "feeding on" : "feeding off") << "\n";
  }
  return kOk;
}

}  // namespace pharosctl
