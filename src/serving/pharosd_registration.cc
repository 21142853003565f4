#include "serving/pharosd_registration.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "fmt/format.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "serving/tls_credentials.h"

namespace pharos {
namespace {

namespace v1 = ::pharos::api::v1;

std::unique_ptr<grpc::ClientContext> Call(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

}  // namespace

absl::StatusOr<RegistrationOptions> ResolveRegistration(const RegistrationFlags& flags,
                                                        const std::string& bound_host,
                                                        int bound_port) {
  RegistrationOptions r;
  r.pharosd = flags.pharosd;
  r.name = flags.name;
  std::string endpoint =
      flags.endpoint.empty() ? fmt::format("{}:{}", bound_host, bound_port) : flags.endpoint;
  r.host = endpoint.substr(0, endpoint.rfind(':'));
  r.port = std::atoi(endpoint.substr(endpoint.rfind(':') + 1).c_str());
  if (!flags.token_file.empty()) {
    auto token = ReadTextFile(flags.token_file, "--register-token-file");
    if (!token.ok()) return token.status();
    r.token = *token;
    while (!r.token.empty() && (r.token.back() == '\n' || r.token.back() == ' ')) {
      r.token.pop_back();
    }
  } else if (const char* env = std::getenv("PHAROS_TOKEN")) {
    r.token = env;
  }
  return r;
}

absl::StatusOr<std::unique_ptr<PharosdRegistration>> RegisterWithPharosd(
    const RegistrationFlags& flags, const std::string& bound_host, int bound_port,
    std::map<std::string, std::string> metadata) {
  if (flags.pharosd.empty()) return nullptr;
  absl::StatusOr<RegistrationOptions> r = ResolveRegistration(flags, bound_host, bound_port);
  if (!r.ok()) return r.status();
  r->metadata = std::move(metadata);
  return std::make_unique<PharosdRegistration>(std::move(*r));
}

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
  auto stub = v1::PharosService::NewStub(
      grpc::CreateChannel(options_.pharosd, grpc::InsecureChannelCredentials()));
  v1::RegisterServiceRequest req;
  req.set_service_name(options_.name);
  req.set_host(options_.host);
  req.set_port(options_.port);
  req.set_protocol(options_.protocol);
  for (const auto& [key, value] : options_.metadata) (*req.mutable_metadata())[key] = value;
  v1::RegisterServiceResponse resp;
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
  auto stub = v1::PharosService::NewStub(
      grpc::CreateChannel(options_.pharosd, grpc::InsecureChannelCredentials()));
  v1::DeregisterServiceRequest req;
  req.set_service_id(id);
  v1::DeregisterServiceResponse resp;
  grpc::Status s = stub->DeregisterService(Call(options_.token).get(), req, &resp);
  if (s.ok()) spdlog::info("deregistered {} from pharosd", id);
}

}  // namespace pharos
