// pharosctl's commands. Each returns an ExitCode.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "output.h"

namespace pharosctl {

struct Context {
  std::string server;
  bool json = false;
  Style style;
  std::string interface_prefix = "ph-";
  std::string tls_ca, tls_cert, tls_key;  // TLS when tls_ca or tls_cert is set
  std::shared_ptr<grpc::Channel> Channel() const;
};

// Shared by the commands.
// Every call carries the token (--token); a unary call has a deadline, a
// watch none.
std::unique_ptr<grpc::ClientContext> CallContext(
    std::chrono::seconds deadline = std::chrono::seconds(30));
std::unique_ptr<grpc::ClientContext> StreamContext();
// The bearer token every call carries ("" for none).
void SetCallToken(const std::string& token);
bool ReadFile(const std::string& path, std::string* out);
std::string ToJson(const google::protobuf::Message& m);
std::string ToJsonLine(const google::protobuf::Message& m);  // one line (JSON Lines)
// Maps a failed call to an exit code, printing what happened.
int ReportRpcError(const Context& ctx, const grpc::Status& s);
// A change refused with findings (INVALID_ARGUMENT and issues in the
// details): prints them against `text` and says nothing changed.
int ReportRejected(const Context& ctx, const grpc::Status& s, const std::string& text,
                   const std::string& file);

// A paged List* call (events, security events, audit log): the page after
// `after_id`, at most `limit`, printed as JSON or as a table of `header`
// and the rows `rows` makes of the response.
template <typename Request, typename Response>
int ListPage(
    const Context& ctx, int64_t after_id, int limit,
    const std::function<grpc::Status(grpc::ClientContext*, const Request&, Response*)>& call,
    const std::vector<std::string>& header,
    const std::function<std::vector<std::vector<std::string>>(const Response&)>& rows) {
  Request req;
  req.set_after_id(after_id);
  req.set_limit(limit);
  Response resp;
  grpc::Status s = call(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    PrintTable(header, rows(resp));
  }
  return kOk;
}

int Validate(const Context& ctx, const std::string& file, bool local);
int Apply(const Context& ctx, const std::string& file, bool dry_run);
int Plan(const Context& ctx, const std::string& file, const std::string& version);
int Diff(const Context& ctx, const std::string& from, const std::string& to,
         const std::string& file);
int Rollback(const Context& ctx, const std::string& version);
int Versions(const Context& ctx);
int Status(const Context& ctx, const std::string& filter);

// Live network (network_commands.cc).
int Routes(const Context& ctx, const std::string& source, const std::string& destination);
int Test(const Context& ctx, const std::string& source, const std::string& destination,
         const std::string& protocol, int port, int timeout_ms);
int Metrics(const Context& ctx, const std::string& component, int duration_seconds);
int Teardown(const Context& ctx);
int Events(const Context& ctx, int64_t after_id, int limit);
int Doctor(const Context& ctx);
int Topology(const Context& ctx, const std::string& format);

// Notifications (callbacks_commands.cc).
int CallbacksListen(const Context& ctx, const std::string& listen);
int CallbacksStatus(const Context& ctx);

// The cloud connector (cloud_commands.cc).
int CloudStatus(const Context& ctx);
// ConfigureCloudFeeding; off with everything else empty keeps the feed's
// fields and endpoint for the next start.
int CloudFeed(const Context& ctx, bool enabled, int interval_seconds,
              const std::vector<std::string>& fields, const std::string& endpoint);
int Ipam(const Context& ctx);
int RequestPod(const Context& ctx, const std::string& pod, const std::string& node_file,
               const std::string& network_file, bool remove);

// The service registry (service_commands.cc).
struct ServiceQuery {
  std::string protocol, k8s_namespace, status;
  std::vector<std::string> metadata;  // KEY=VALUE
};
int Services(const Context& ctx, const ServiceQuery& query);
int RegisterService(const Context& ctx, const std::string& name, const std::string& endpoint,
                    const std::string& protocol, const std::vector<std::string>& metadata);
int DeregisterService(const Context& ctx, const std::string& id);
// The environment a Velocitas app in `pod` reads (SDV_VEHICLEDATABROKER_ADDRESS=grpc://...):
// every registered service whose metadata names its variable (env=, scheme=).
int ServicesEnv(const Context& ctx, const std::string& pod);

// The security controller (policy_commands.cc).
int PolicyExplain(const Context& ctx, const std::vector<std::string>& files,
                  const std::string& source, const std::string& destination,
                  const std::string& port_proto, const std::string& mode, bool tls_ingress);
int PolicyStatus(const Context& ctx);
int SecurityEvents(const Context& ctx, int64_t after_id, int limit);
int AuditLog(const Context& ctx, int64_t after_id, int limit);
int PolicyApply(const Context& ctx, const std::string& file);
int PolicyShow(const Context& ctx);
// EmergencyNetworkMode: action activate | deactivate | status.
int Emergency(const Context& ctx, const std::string& action, const std::string& mode);

// Following what happens (watch_commands.cc): the current state first,
// then every change as it comes, reconnecting with the resume token when
// pharosd restarts; `count` > 0 stops after that many changes.
int StatusWatch(const Context& ctx, const std::string& filter, int count);
int EventsFollow(const Context& ctx, int64_t after_id, int limit, bool security, int count);

// Vehicle signals in pharos-broker (signal_commands.cc).
struct SignalContext {
  std::string broker = "127.0.0.1:55555";  // --broker, env PHAROS_BROKER
  std::string tls_ca;                      // --broker-ca: TLS to the broker
};
void SetBrokerToken(const std::string& token);  // --broker-token, env PHAROS_BROKER_TOKEN
int SignalList(const Context& ctx, const SignalContext& sig, const std::string& pattern);
int SignalGet(const Context& ctx, const SignalContext& sig, const std::vector<std::string>& paths,
              bool target);
int SignalSet(const Context& ctx, const SignalContext& sig, const std::string& path,
              const std::string& value, bool target);
// The current values, then every change; `count` > 0 stops after that many.
int SignalSubscribe(const Context& ctx, const SignalContext& sig,
                    const std::vector<std::string>& paths, int count);

// Vehicle diagnostics, in pharos-sovd (diag_commands.cc).
struct DiagContext {
  std::string sovd = "127.0.0.1:50051";   // --sovd, env PHAROS_SOVD
  std::string vehicle;                    // --vehicle, env PHAROS_VEHICLE_ID
  std::string tls_ca, tls_cert, tls_key;  // TLS, mutual with a certificate
  int timeout_s = 60;
};
// One ExecuteCommand; params are KEY=VALUE; prints each chunk as it comes.
int Diag(const Context& ctx, const DiagContext& d, const std::string& command,
         const std::vector<std::string>& params);
const char* GrpcCodeName(grpc::StatusCode code);

// Client and server versions (watch_commands.cc).
int Version(const Context& ctx);

}  // namespace pharosctl
