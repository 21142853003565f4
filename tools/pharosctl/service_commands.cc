// pharosctl services: the registry (list with filters, register, deregister).
#include <iostream>
#include <map>

#include "commands.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharosctl {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

namespace {

// KEY=VALUE arguments into `out`; false (said on stderr) for a bad one.
bool ParseMetadata(const std::string& command, const std::vector<std::string>& pairs,
                   google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "pharosctl " << command << ": --metadata takes KEY=VALUE, not '" << pair
                << "'\n";
      return false;
    }
    (*out)[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return true;
}

}  // namespace

int Services(const Context& ctx, const ServiceQuery& query) {
  ctl::ListServicesRequest req;
  req.set_protocol(query.protocol);
  req.set_namespace_(query.k8s_namespace);
  req.set_status(query.status);
  if (!ParseMetadata("services", query.metadata, req.mutable_metadata())) return kUsage;
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::ListServicesResponse resp;
  grpc::Status s = stub->ListServices(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& svc : resp.services()) {
    rows.push_back({svc.service_id(), svc.name(), svc.protocol(),
                    svc.host() + ":" + std::to_string(svc.port()),
                    svc.location().empty() ? "-" : svc.location(),
                    svc.namespace_().empty() ? "-" : svc.namespace_(), svc.source(), svc.status()});
  }
  PrintTable({"ID", "NAME", "PROTOCOL", "ENDPOINT", "RUNS ON", "NAMESPACE", "SOURCE", "STATUS"},
             rows);
  return kOk;
}

int RegisterService(const Context& ctx, const std::string& name, const std::string& endpoint,
                    const std::string& protocol, const std::vector<std::string>& metadata) {
  size_t colon = endpoint.rfind(':');
  int port = 0;
  try {
    port = colon == std::string::npos ? 0 : std::stoi(endpoint.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port == 0) {
    std::cerr << "pharosctl services register: ENDPOINT is HOST:PORT, not '" << endpoint << "'\n";
    return kUsage;
  }
  v1::RegisterServiceRequest req;
  req.set_service_name(name);
  req.set_host(endpoint.substr(0, colon));
  req.set_port(port);
  req.set_protocol(protocol);
  if (!ParseMetadata("services register", metadata, req.mutable_metadata())) return kUsage;
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::RegisterServiceResponse resp;
  grpc::Status s = stub->RegisterService(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << "registered " << name << " as " << resp.service_id() << "\n";
  }
  return kOk;
}

int DeregisterService(const Context& ctx, const std::string& id) {
  v1::DeregisterServiceRequest req;
  req.set_service_id(id);
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::DeregisterServiceResponse resp;
  grpc::Status s = stub->DeregisterService(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << "deregistered " << id << "\n";
  }
  return kOk;
}

}  // namespace pharosctl

namespace pharosctl {

int ServicesEnv(const Context& ctx, const std::string& pod) {
  // The pod must exist: a typo should not print an empty environment.
  auto api = v1::PharosService::NewStub(ctx.Channel());
  v1::GetNetworkStatusResponse status;
  grpc::Status s = api->GetNetworkStatus(CallContext().get(), {}, &status);
  if (!s.ok()) return ReportRpcError(ctx, s);
  bool known = false;
  for (const auto& c : status.components()) known = known || (c.name() == pod && c.type() == "pod");
  if (!known) {
    std::cerr << ctx.style.Red("not found") << ": no pod '" << pod << "' in the vehicle\n";
    return kNotFound;
  }
  // Services that say which variable carries them (metadata env=, scheme=):
  // the broker registers SDV_VEHICLEDATABROKER_ADDRESS, grpc.
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::ListServicesResponse services;
  s = stub->ListServices(CallContext().get(), {}, &services);
  if (!s.ok()) return ReportRpcError(ctx, s);
  std::map<std::string, std::string> env;
  for (const auto& svc : services.services()) {
    auto var = svc.metadata().find("env");
    if (var == svc.metadata().end() || svc.status() == "unhealthy") continue;
    auto scheme = svc.metadata().find("scheme");
    std::string value = (scheme == svc.metadata().end() ? "" : scheme->second + "://") +
                        svc.host() + ":" + std::to_string(svc.port());
    env.emplace(var->second, value);  // the first registered wins
  }
  if (!ctx.json) {
    for (const auto& [name, value] : env) std::cout << name << "=" << value << "\n";
  } else {
    std::cout << "{";
    bool first = true;
    for (const auto& [name, value] : env) {
      std::cout << (first ? "" : ", ") << "\"" << name << "\": \"" << value << "\"";
      first = false;
    }
    std::cout << "}\n";
  }
  return kOk;
}

}  // namespace pharosctl
