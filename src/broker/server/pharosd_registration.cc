#include "broker/server/pharosd_registration.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "pharos/api/v1/pharos_service.grpc.pb.h"

namespace pharos::broker {
namespace {

namespace api = pharos::api::v1;

std::unique_ptr<grpc::ClientContext> Call(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

}  // namespace

PharosdRegistration::PharosdRegistration(RegistrationOptions options)
    : options_(std::move(options)) {
  if (!options_.pharosd.empty()) thread_ = std::thread([this] { Run(); });
}

PharosdRegistration::~PharosdRegistration() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Deregister();
}

bool PharosdRegistration::TryRegister() {
  auto stub = api::PharosService::NewStub(
      grpc::CreateChannel(options_.pharosd, grpc::InsecureChannelCredentials()));
  api::RegisterServiceRequest req;
  req.set_service_name(options_.name);
  req.set_host(options_.host);
  req.set_port(options_.port);
  req.set_protocol("grpc");
  auto& meta = *req.mutable_metadata();
  meta["api"] = "kuksa.val.v2 kuksa.val.v1 sdv.databroker.v1";
  meta["env"] = "SDV_VEHICLEDATABROKER_ADDRESS";  // what a Velocitas app reads
  meta["scheme"] = "grpc";
  api::RegisterServiceResponse resp;
  grpc::Status s = stub->RegisterService(Call(options_.token).get(), req, &resp);
  if (!s.ok() || !resp.success()) {
    spdlog::warn("registering with pharosd at {} failed ({}); retrying", options_.pharosd,
                 s.ok() ? "refused" : s.error_message());
    return false;
  }
  std::lock_guard lock(mu_);
  service_id_ = resp.service_id();
  spdlog::info("registered in pharosd's registry as {} ({} {}:{})", service_id_, options_.name,
               options_.host, options_.port);
  return true;
}

void PharosdRegistration::Run() {
  while (!TryRegister()) {
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, std::chrono::seconds(2), [&] { return stop_; })) return;
  }
}

void PharosdRegistration::Deregister() {
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = service_id_;
  }
  if (id.empty()) return;
  auto stub = api::PharosService::NewStub(
      grpc::CreateChannel(options_.pharosd, grpc::InsecureChannelCredentials()));
  api::DeregisterServiceRequest req;
  req.set_service_id(id);
  api::DeregisterServiceResponse resp;
  grpc::Status s = stub->DeregisterService(Call(options_.token).get(), req, &resp);
  if (s.ok()) spdlog::info("deregistered {} from pharosd", id);
}

}  // namespace pharos::broker
