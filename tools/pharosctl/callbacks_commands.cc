// pharosctl callbacks listen | status: a small receiver that prints what
// Pharos sends (development and demos), and the state of the outbox.
#include <signal.h>

#include <iostream>
#include <mutex>

#include "actioncontroller/actioncontroller.grpc.pb.h"
#include "commands.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/api/v1/piccolo_callback_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharosctl {
namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

namespace {

// One line per notification: "<rpc> <json>" (or the JSON alone with -o json).
class Printer {
 public:
  explicit Printer(bool json) : json_(json) {}
  void Print(const std::string& rpc, const google::protobuf::Message& m) {
    std::string body = ToJson(m);
    body.erase(std::remove(body.begin(), body.end(), '\n'), body.end());
    std::lock_guard lock(mu_);
    if (json_) {
      std::cout << "{\"rpc\": \"" << rpc << "\", \"request\": " << body << "}" << std::endl;
    } else {
      std::cout << rpc << " " << body << std::endl;
    }
  }

 private:
  bool json_;
  std::mutex mu_;
};

class PiccoloReceiver final : public v1::PiccoloCallbackService::Service {
 public:
  explicit PiccoloReceiver(Printer& p) : p_(p) {}
  grpc::Status CompleteNetworkSetting(grpc::ServerContext*,
                                      const v1::CompleteNetworkSettingRequest* r,
                                      v1::CompleteNetworkSettingResponse* a) override {
    p_.Print("CompleteNetworkSetting", *r);
    a->set_acknowledged(true);
    return grpc::Status::OK;
  }
  grpc::Status NotifyNetworkStatusChange(grpc::ServerContext*,
                                         const v1::NetworkStatusChangeNotification* r,
                                         v1::NetworkStatusChangeAcknowledgement* a) override {
    p_.Print("NotifyNetworkStatusChange", *r);
    a->set_acknowledged(true);
    return grpc::Status::OK;
  }
  grpc::Status NotifyServiceStatusChange(grpc::ServerContext*,
                                         const v1::ServiceStatusChangeNotification* r,
                                         v1::ServiceStatusChangeAcknowledgement* a) override {
    p_.Print("NotifyServiceStatusChange", *r);
    a->set_acknowledged(true);
    return grpc::Status::OK;
  }
  grpc::Status NotifySecurityEvent(grpc::ServerContext*, const v1::SecurityEventNotification* r,
                                   v1::SecurityEventAcknowledgement* a) override {
    p_.Print("NotifySecurityEvent", *r);
    a->set_acknowledged(true);
    return grpc::Status::OK;
  }

 private:
  Printer& p_;
};

class PullpiriReceiver final : public actioncontroller::ActionControllerConnection::Service {
 public:
  explicit PullpiriReceiver(Printer& p) : p_(p) {}
  grpc::Status CompleteNetworkSetting(
      grpc::ServerContext*, const actioncontroller::CompleteNetworkSettingRequest* r,
      actioncontroller::CompleteNetworkSettingResponse* a) override {
    p_.Print("actioncontroller.CompleteNetworkSetting", *r);
    a->set_acknowledged(true);
    return grpc::Status::OK;
  }

 private:
  Printer& p_;
};

}  // namespace

int CallbacksListen(const Context& ctx, const std::string& listen) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Printer printer(ctx.json);
  PiccoloReceiver piccolo(printer);
  PullpiriReceiver pullpiri(printer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&piccolo);
  builder.RegisterService(&pullpiri);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << ctx.style.Red("error") << ": cannot listen on " << listen << "\n";
    return kFailed;
  }
  std::cerr << "listening on " << listen.substr(0, listen.rfind(':')) << ":" << port
            << " for pharos.api.v1.PiccoloCallbackService and "
               "actioncontroller.ActionControllerConnection (Ctrl-C stops)"
            << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return kOk;
}

int CallbacksStatus(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::GetCallbackStatusResponse resp;
  grpc::Status s = stub->GetCallbackStatus(CallContext().get(), {}, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  std::cout << "endpoint: " << (resp.endpoint().empty() ? "(none: queued only)" : resp.endpoint())
            << " (" << resp.flavour() << " flavour)\n"
            << "pending:  " << resp.pending() << "\n"
            << "dropped:  " << resp.dropped() << " (outbox full, ever)\n";
  if (resp.pending() > 0) {
    std::cout << "oldest:   " << resp.oldest_pending_at() << ", " << resp.oldest_attempts()
              << " attempt(s)" << (resp.last_error().empty() ? "" : ", last error: ")
              << resp.last_error() << "\n";
  }
  std::cout << "dead:     " << resp.dead_lettered()
            << " (refused by the receiver as too large or malformed, ever)\n";
  if (resp.dead_letters_size() > 0) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : resp.dead_letters()) {
      rows.push_back({std::to_string(d.id()), d.kind(), d.component(), d.dead_at(),
                      std::to_string(d.attempts()), d.last_error()});
    }
    PrintTable({"ID", "KIND", "FOR", "DEAD SINCE", "ATTEMPTS", "LAST ERROR"}, rows);
  }
  return kOk;
}

int Ipam(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::ListLeasesResponse resp;
  grpc::Status s = stub->ListLeases(CallContext().get(), {}, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : resp.leases()) {
    // Pods of container runtimes (pharos-cni) show their container id.
    std::string origin = !l.origin().empty()        ? l.origin()
                         : l.container_id().empty() ? "RequestNetworkPod"
                                                    : "cni " + l.container_id().substr(0, 12);
    rows.push_back({l.pod(), l.vm(), l.subnet(), l.ip(), l.state(), origin});
  }
  PrintTable({"POD", "VM", "SUBNET", "IP", "STATE", "ORIGIN"}, rows);
  return kOk;
}

int RequestPod(const Context& ctx, const std::string& pod, const std::string& node_file,
               const std::string& network_file, bool remove) {
  v1::RequestNetworkPodRequest req;
  std::string node_yaml, network_yaml;
  if (!ReadFile(node_file, &node_yaml)) return kUsage;
  if (remove) {
    network_yaml = "remove: true\n";
  } else if (!ReadFile(network_file, &network_yaml)) {
    return kUsage;
  }
  req.set_node_yaml(node_yaml);
  req.set_pod_name(pod);
  req.set_network_yaml(network_yaml);
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::RequestNetworkPodResponse resp;
  grpc::Status s = stub->RequestNetworkPod(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << "accepted " << resp.request_id() << ": " << resp.message() << "\n";
  }
  return kOk;
}

}  // namespace pharosctl
