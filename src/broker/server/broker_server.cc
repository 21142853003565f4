#include "broker/server/broker_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "broker/grpc/kuksa_val_v1/val_service.h"
#include "broker/grpc/kuksa_val_v2/val_service.h"
#include "broker/grpc/sdv_databroker_v1/broker_service.h"
#include "broker/grpc/viss_v3/viss_service.h"
#include "broker/store/sqlite_signal_store.h"
#include "broker/viss/viss_mqtt.h"
#include "broker/viss/viss_server.h"
#include "broker/vss/vss_loader.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "serving/tls_credentials.h"

namespace pharos::broker {
namespace {

absl::StatusOr<Catalog> LoadCatalog(const BrokerServerOptions& options, SignalStore& store) {
  std::vector<vss::CatalogSource> sources;
  if (options.vss.empty()) sources.push_back(vss::DefaultCatalog());
  for (const std::string& file : options.vss) {
    auto source = vss::ReadCatalogFile(file);
    if (!source.ok()) return source.status();
    sources.push_back(*std::move(source));
  }
  auto specs = vss::LoadCatalog(sources);
  if (!specs.ok()) return specs.status();
  auto ids = store.LoadIds();
  if (!ids.ok()) return ids.status();
  return Catalog::Build(*std::move(specs), *ids);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BrokerServer>> BrokerServer::Start(
    const BrokerServerOptions& options, const Clock& clock) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  std::unique_ptr<BrokerServer> server(new BrokerServer());

  if (options.state_dir.empty()) {
    server->store_ = std::make_unique<NoSignalStore>();
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options.state_dir, ec);
    auto store = SqliteSignalStore::Open(options.state_dir + "/broker.db");
    if (!store.ok()) {
      return absl::Status(
          store.status().code(),
          fmt::format("--state-dir {}: {}", options.state_dir, store.status().message()));
    }
    server->store_ = *std::move(store);
  }

  auto catalog = LoadCatalog(options, *server->store_);
  if (!catalog.ok()) return catalog.status();
  size_t leaves = catalog->leaf_count();

  BrokerOptions core;
  for (const std::string& glob : options.persist) core.persist.push_back(*PathGlob::Parse(glob));
  core.persist_defaults = !options.no_default_persistence;
  core.actuation_timeout = std::chrono::milliseconds(options.actuation_timeout_ms);
  core.history_size = static_cast<size_t>(options.history_size);
  auto broker = Broker::Create(*std::move(catalog), *server->store_, clock, std::move(core));
  if (!broker.ok()) return broker.status();
  server->broker_ = *std::move(broker);

  if (options.AuthorizationEnabled()) {
    auto tokens = TokenAuthority::Load(options.jwt_public_key, clock, options.public_scope);
    if (!tokens.ok()) return tokens.status();
    server->tokens_ = std::make_unique<TokenAuthority>(*std::move(tokens));
  } else {
    server->tokens_ = std::make_unique<TokenAuthority>(TokenAuthority::Disabled(clock));
  }

  ServerInfo info{"pharos-broker", PHAROS_VERSION, ""};
  server->val_v2_ =
      std::make_unique<kuksa_val_v2::ValService>(*server->broker_, *server->tokens_, info);
  server->val_v1_ =
      std::make_unique<kuksa_val_v1::ValService>(*server->broker_, *server->tokens_, info);
  server->sdv_broker_ =
      std::make_unique<sdv_databroker_v1::BrokerService>(*server->broker_, *server->tokens_);
  server->sdv_collector_ =
      std::make_unique<sdv_databroker_v1::CollectorService>(*server->broker_, *server->tokens_);

  if (options.enable_viss) {
    viss::VissServerOptions v;
    v.address = options.viss_address;
    v.port = options.viss_port;
    v.allow_plaintext = options.viss_allow_plaintext;
    v.io_threads = options.viss_threads;
    v.tls_cert = options.tls_cert;  // the broker's certificate serves wss and https too
    v.tls_key = options.tls_private_key;
    auto started = viss::VissServer::Start(*server->broker_, *server->tokens_, clock, v);
    if (!started.ok()) return started.status();
    server->viss_ = *std::move(started);
    server->viss_v3_ =
        std::make_unique<viss_v3::VissService>(*server->broker_, *server->tokens_, clock);
    if (!options.viss_mqtt_broker.empty()) {
      viss::VissMqttOptions m;
      m.broker_url = options.viss_mqtt_broker;
      m.vehicle_id = options.viss_mqtt_vehicle_id;
      m.ca_file = options.viss_mqtt_ca;
      m.cert_file = options.viss_mqtt_cert;
      m.key_file = options.viss_mqtt_key;
      m.allow_plaintext = options.viss_allow_plaintext;
      auto bridge = viss::VissMqttBridge::Start(*server->broker_, *server->tokens_, clock, m);
      if (!bridge.ok()) return bridge.status();
      server->viss_mqtt_ = *std::move(bridge);
    }
  }

  auto credentials =
      ServerCredentialsFrom({options.tls_cert, options.tls_private_key, options.tls_client_ca});
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(options.ListenAddress(), *credentials, &port);
  if (std::string unix_path = options.UnixSocketPath(); !unix_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(unix_path).parent_path(), ec);
    std::filesystem::remove(unix_path, ec);
    builder.AddListeningPort("unix:" + unix_path, *credentials);
  }
  if (options.worker_threads > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS,
                                options.worker_threads);
  }
  builder.RegisterService(server->val_v2_.get());
  builder.RegisterService(server->val_v1_.get());
  builder.RegisterService(server->sdv_broker_.get());
  builder.RegisterService(server->sdv_collector_.get());
  if (server->viss_v3_) builder.RegisterService(server->viss_v3_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || port == 0) {
    return absl::UnavailableError(fmt::format("cannot listen on {}", options.ListenAddress()));
  }
  server->address_ = options.address.find(':') != std::string::npos
                         ? fmt::format("[{}]:{}", options.address, port)
                         : fmt::format("{}:{}", options.address, port);
  auto registration =
      RegisterWithPharosd({options.register_with, options.register_name, options.register_endpoint,
                           options.register_token_file},
                          options.address, port,
                          {{"api", "kuksa.val.v2 kuksa.val.v1 sdv.databroker.v1"},
                           {"env", "SDV_VEHICLEDATABROKER_ADDRESS"},  // what a Velocitas app reads
                           {"scheme", "grpc"}});
  if (!registration.ok()) return registration.status();
  server->registration_ = std::move(*registration);
  spdlog::info("pharos-broker serving {} signals on {} ({}, authorization {})", leaves,
               server->address_, options.TlsEnabled() ? "TLS" : "plaintext",
               options.AuthorizationEnabled() ? "on" : "off");
  return server;
}

std::string BrokerServer::viss_address() const { return viss_ ? viss_->address() : ""; }
std::string BrokerServer::viss_mqtt_topic() const {
  return viss_mqtt_ ? viss_mqtt_->request_topic() : "";
}

void BrokerServer::Shutdown(std::chrono::milliseconds grace) {
  registration_.reset();  // deregister while the server still answers
  if (!server_) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
}

BrokerServer::~BrokerServer() {
  Shutdown(std::chrono::milliseconds(0));
  if (server_) server_->Wait();
  viss_v3_.reset();    // (after the gRPC server's Wait: no call is running)
  viss_mqtt_.reset();  // its channels end their subscriptions while the broker exists
  viss_.reset();
}

}  // namespace pharos::broker
