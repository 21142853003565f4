#include "sovd/server/sovd_server.h"

#include <spdlog/spdlog.h>

#include <set>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "serving/tls_credentials.h"
#include "sovd/broker/kuksa_signal_source.h"

namespace pharos::sovd::server {

grpc_api::CallerCheck MakeCallerCheck(const SovdOptions& options) {
  bool mutual = options.MutualTls();
  std::set<std::string> allowed(options.allow_clients.begin(), options.allow_clients.end());
  return [mutual,
          allowed](const grpc::CallbackServerContext& context) -> absl::StatusOr<std::string> {
    if (!mutual) return context.peer();
    std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    std::vector<std::string> identities;
    if (auth) {
      for (const grpc::string_ref& id : auth->GetPeerIdentity()) {
        identities.emplace_back(id.data(), id.size());
      }
    }
    if (identities.empty()) {
      return absl::UnauthenticatedError("no client certificate identity (mutual TLS is required)");
    }
    if (allowed.empty()) return identities.front();
    for (const std::string& id : identities) {
      if (allowed.count(id)) return id;
    }
    return absl::PermissionDeniedError(fmt::format(
        "client certificate '{}' is not on pharos-sovd's allow-list of vehicle backends",
        identities.front()));
  };
}

absl::StatusOr<std::unique_ptr<SovdServer>> SovdServer::Start(const SovdOptions& options,
                                                              const Clock& clock) {
  std::unique_ptr<SovdServer> server(new SovdServer());
  absl::StatusOr<core::SovdConfig> config = core::LoadSovdConfig(options.config);
  if (!config.ok()) return config.status();
  server->config_ = std::move(*config);
  absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open(options.audit_log);
  if (!audit.ok()) return audit.status();
  server->audit_ = std::move(*audit);
  auto credentials =
      ServerCredentialsFrom({options.tls_cert, options.tls_key, options.tls_client_ca, "--tls-cert",
                             "--tls-key", "--tls-client-ca"});
  if (!credentials.ok()) return credentials.status();

  std::map<std::string, core::SignalSource*> signals;
  for (const core::VehicleSpec& v : server->config_.vehicles) {
    if (v.obd_broker.empty()) continue;
    std::string token;
    if (!v.obd_token_file.empty()) {
      auto text = ReadTextFile(v.obd_token_file, "obd.token_file");
      if (!text.ok()) return text.status();
      token = *text;
      while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    }
    server->signal_sources_.push_back(
        std::make_unique<broker::KuksaSignalSource>(v.obd_broker, token));
    signals[v.id] = server->signal_sources_.back().get();
  }
  server->diagnostics_ = std::make_unique<core::Diagnostics>(server->config_, signals);
  grpc_api::ServiceOptions service_options;
  service_options.max_chunk_bytes = options.max_chunk_bytes;
  service_options.stream_idle = std::chrono::milliseconds(options.stream_idle_ms);
  server->service_ = std::make_unique<grpc_api::VehicleService>(
      *server->diagnostics_, *server->audit_, clock, MakeCallerCheck(options), service_options);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.ListenAddress(), *credentials, &port);
  builder.RegisterService(server->service_.get());
  // The seed's connection timeout: a client has 10 s to finish its handshake.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10000);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || port == 0) {
    return absl::UnavailableError(fmt::format("cannot listen on {}", options.ListenAddress()));
  }
  server->address_ = options.address.find(':') != std::string::npos
                         ? fmt::format("[{}]:{}", options.address, port)
                         : fmt::format("{}:{}", options.address, port);
  if (options.rest_port >= 0) {
    rest::RestOptions r{options.rest_address, options.rest_port,     options.tls_cert,
                        options.tls_key,      options.tls_client_ca, options.allow_clients,
                        options.rest_vehicle};
    auto rest = rest::RestServer::Start(*server->diagnostics_, *server->audit_, clock, r);
    if (!rest.ok()) return rest.status();
    server->rest_ = std::move(*rest);
  }
  auto registration = RegisterWithPharosd({options.register_with, options.register_name,
                                           options.register_endpoint, options.register_token_file},
                                          options.address, port,
                                          {{"api", "sovd.vehicle.VehicleService"},
                                           {"scheme", options.TlsEnabled() ? "grpcs" : "grpc"}});
  if (!registration.ok()) return registration.status();
  server->registration_ = std::move(*registration);
  size_t ecus = 0;
  for (const core::VehicleSpec& v : server->config_.vehicles) ecus += v.ecus.size();
  spdlog::info("pharos-sovd serving {} vehicle(s), {} ECU(s) on {} ({})",
               server->config_.vehicles.size(), ecus, server->address_,
               options.MutualTls()    ? "mutual TLS"
               : options.TlsEnabled() ? "TLS"
                                      : "plaintext");
  return server;
}

void SovdServer::Shutdown() {
  registration_.reset();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

SovdServer::~SovdServer() {
  Shutdown();
  server_.reset();
  service_.reset();
  // The core before the REST view: its last results post to the view's thread.
  diagnostics_.reset();
  rest_.reset();
}

}  // namespace pharos::sovd::server
