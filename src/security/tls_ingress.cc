#include "security/tls_ingress.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/strings.h"
#include "netlink/netns.h"
#include "plan/naming.h"

namespace pharos::security {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// How long a connection may take to say goodbye (close_notify both ways).
constexpr auto kShutdownGrace = std::chrono::seconds(2);

// A TCP socket opened inside `netns` and bound to address:port (port 0: any;
// listening when `listen`). Non-blocking, for Asio.
absl::StatusOr<netlink::UniqueFd> SocketIn(const std::string& netns, Ipv4Address address, int port,
                                           bool listen) {
  netlink::UniqueFd fd;
  int socket_errno = 0;
  {
    absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(netns);
    if (!inside.ok()) return inside.status();
    fd = netlink::UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    socket_errno = errno;  // before leaving the namespace (setns) can change it
  }
  if (fd.get() < 0) return absl::InternalError(StrCat("socket: ", strerror(socket_errno)));
  int one = 1;
  // Listening: survive a restart with connections in TIME_WAIT. Connecting:
  // pick the port at connect(), so many connections can share the address.
  setsockopt(fd.get(), listen ? SOL_SOCKET : IPPROTO_IP,
             listen ? SO_REUSEADDR : IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(address.value());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return absl::UnavailableError(
        StrCat("bind ", address.ToString(), ":", port, " in ", netns, ": ", strerror(errno)));
  }
  if (listen && ::listen(fd.get(), 128) != 0) {
    return absl::InternalError(StrCat("listen: ", strerror(errno)));
  }
  return fd;
}

std::string SubjectOf(SSL* ssl) {
  X509* cert = SSL_get_peer_certificate(ssl);
  if (!cert) return "?";
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  X509_free(cert);
  return buf;
}

}  // namespace

std::optional<IngressPlacement> IngressPlacementOf(const model::Topology& topology,
                                                   const plan::NodeNamespaces& namespaces) {
  for (const auto& s : topology.segments) {
    if (s.kind != model::SegmentKind::kCloud) continue;
    std::optional<std::string> netns = namespaces.Of(s.owner);
    if (!netns) return std::nullopt;
    return IngressPlacement{*netns, s.gateway};
  }
  return std::nullopt;
}

std::string ServiceOfServerName(std::string_view sni) {
  return std::string(sni.substr(0, sni.find('.')));
}

std::optional<IngressBackend> PickBackend(const std::vector<IngressBackend>& instances,
                                          uint64_t n) {
  for (const auto& tier :
       {std::vector<std::string>{"healthy", "registered"}, std::vector<std::string>{"degraded"},
        std::vector<std::string>{"unhealthy"}}) {
    std::vector<const IngressBackend*> usable;
    for (const auto& b : instances) {
      if (std::find(tier.begin(), tier.end(), b.status) != tier.end()) usable.push_back(&b);
    }
    if (!usable.empty()) return *usable[n % usable.size()];
  }
  return std::nullopt;
}

struct TlsIngress::Impl {
  Impl(IngressOptions o, BackendLookup b, RefusalListener r)
      : options(std::move(o)),
        backends(std::move(b)),
        refusals(std::move(r)),
        ssl(asio::ssl::context::tls_server),
        acceptor(io),
        retry(io) {}

  absl::Status LoadCredentials();
  void Accept();

  // Declared before `io`: sessions still queued in it are destroyed with
  // it and touch these on the way out.
  IngressOptions options;
  BackendLookup backends;
  RefusalListener refusals;
  std::atomic<uint64_t> accepted{0}, refused{0}, unrouted{0}, forwarded{0};
  std::atomic<int64_t> active{0};

  std::mutex mu;  // placement
  std::optional<IngressPlacement> placement;
  uint64_t placement_identity = 0;  // the namespace behind the name

  asio::io_context io;
  asio::ssl::context ssl;
  tcp::acceptor acceptor;    // I/O thread only
  asio::steady_timer retry;  // accept errors (EMFILE) back off
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
};

namespace {

// One client: handshake, route by SNI, connect from the ingress address,
// then relay both ways until both sides have finished.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(TlsIngress::Impl& ingress, tcp::socket socket, IngressPlacement at)
      : ingress_(ingress),
        client_(std::move(socket), ingress.ssl),
        backend_(ingress.io),
        timer_(ingress.io),
        idle_(ingress.io),
        at_(std::move(at)) {
    ++ingress_.active;
    error_code ec;
    tcp::endpoint peer = client_.lowest_layer().remote_endpoint(ec);
    if (!ec && peer.address().is_v4()) peer_ = Ipv4Address(peer.address().to_v4().to_uint());
  }
  ~Session() { --ingress_.active; }

  void Start() {
    auto self = shared_from_this();
    timer_.expires_after(ingress_.options.handshake_timeout);
    timer_.async_wait([self](error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      self->Close();
    });
    client_.async_handshake(asio::ssl::stream_base::server,
                            [self](error_code ec) { self->OnHandshake(ec); });
  }

 private:
  void OnHandshake(error_code ec) {
    timer_.cancel();
    if (ec) {
      Refuse(timed_out_ ? "TLS handshake timed out"
                        : StrCat("TLS handshake refused: ", ec.message()));
      return;
    }
    const char* sni = SSL_get_servername(client_.native_handle(), TLSEXT_NAMETYPE_host_name);
    service_ = ServiceOfServerName(sni ? sni : "");
    subject_ = SubjectOf(client_.native_handle());
    if (service_.empty()) return Unrouted("no service named (the client sent no SNI)");
    std::optional<IngressBackend> to =
        PickBackend(ingress_.backends(service_), ingress_.forwarded + ingress_.unrouted);
    if (!to) return Unrouted(StrCat("no instance of service ", service_, " is registered"));
    target_ = StrCat(to->ip.ToString(), ":", to->port);
    absl::StatusOr<netlink::UniqueFd> fd = SocketIn(at_.netns, at_.address, 0, false);
    if (!fd.ok()) return Unrouted(std::string(fd.status().message()));
    backend_.assign(tcp::v4(), fd->release(), ec);
    if (ec) return Unrouted(ec.message());
    auto self = shared_from_this();
    timer_.expires_after(ingress_.options.connect_timeout);
    timer_.async_wait([self](error_code e) {
      if (!e) self->backend_.close(e);
    });
    backend_.async_connect(
        tcp::endpoint(asio::ip::address_v4(to->ip.value()), static_cast<uint16_t>(to->port)),
        [self](error_code e) { self->OnConnected(e); });
  }

  void OnConnected(error_code ec) {
    timer_.cancel();
    if (ec) {
      // A drop (no reply before the timeout) is usually the policy.
      bool timeout = ec == asio::error::operation_aborted;
      return Unrouted(StrCat(service_, " at ", target_, " does not answer (",
                             timeout ? "timeout; does a tls_verified rule allow it?" : ec.message(),
                             ")"));
    }
    ++ingress_.forwarded;
    spdlog::info("tls ingress: {} from {} -> {} ({})", subject_, peer_.ToString(), service_,
                 target_);
    last_activity_ = std::chrono::steady_clock::now();
    WatchIdle();
    Upstream();
    Downstream();
  }

  // A verified client still holds one of the ingress's connections: close
  // it after `idle_timeout` without a byte either way.
  void WatchIdle() {
    auto self = shared_from_this();
    idle_.expires_at(last_activity_ + ingress_.options.idle_timeout);
    idle_.async_wait([self](error_code ec) {
      if (ec || self->closed_) return;
      if (std::chrono::steady_clock::now() - self->last_activity_ <
          self->ingress_.options.idle_timeout) {
        return self->WatchIdle();
      }
      spdlog::info("tls ingress: {} from {} -> {}: idle, closed", self->subject_,
                   self->peer_.ToString(), self->service_);
      self->Close();
    });
  }

  // client -> service
  void Upstream() {
    if (backend_eof_) return FinishClient();
    auto self = shared_from_this();
    client_.async_read_some(asio::buffer(up_), [self](error_code ec, size_t n) {
      if (ec) {  // close_notify, EOF, reset, or cancelled because the service finished
        self->client_done_ = true;
        if (self->backend_eof_) return self->FinishClient();
        error_code ignored;
        self->backend_.shutdown(tcp::socket::shutdown_send, ignored);  // pass the half-close on
        return;
      }
      self->last_activity_ = std::chrono::steady_clock::now();
      asio::async_write(self->backend_, asio::buffer(self->up_, n), [self](error_code e, size_t) {
        if (e) return self->Close();
        self->Upstream();
      });
    });
  }

  // service -> client
  void Downstream() {
    auto self = shared_from_this();
    backend_.async_read_some(asio::buffer(down_), [self](error_code ec, size_t n) {
      if (ec) {
        self->backend_eof_ = true;
        if (self->client_done_) return self->FinishClient();
        // End the pending client read; its handler sends close_notify.
        error_code ignored;
        self->client_.lowest_layer().cancel(ignored);
        return;
      }
      self->last_activity_ = std::chrono::steady_clock::now();
      asio::async_write(self->client_, asio::buffer(self->down_, n), [self](error_code e, size_t) {
        if (e) return self->Close();
        self->Downstream();
      });
    });
  }

  // Both directions are over: close_notify to the client, then close.
  void FinishClient() {
    if (finishing_) return;
    finishing_ = true;
    auto self = shared_from_this();
    timer_.expires_after(kShutdownGrace);
    timer_.async_wait([self](error_code ec) {
      if (!ec) self->Close();
    });
    client_.async_shutdown([self](error_code) {
      self->timer_.cancel();
      self->Close();
    });
  }

  void Refuse(const std::string& reason) {
    ++ingress_.refused;
    spdlog::warn("tls ingress: refused {}: {}", peer_.ToString(), reason);
    if (ingress_.refusals) {
      ingress_.refusals({peer_, at_.address, ingress_.options.port, reason});
    }
    Close();
  }

  void Unrouted(const std::string& why) {
    ++ingress_.unrouted;
    spdlog::warn("tls ingress: {} from {}: {}", subject_, peer_.ToString(), why);
    FinishClient();
  }

  void Close() {
    error_code ignored;
    closed_ = true;
    timer_.cancel();
    idle_.cancel();
    client_.lowest_layer().close(ignored);
    backend_.close(ignored);
  }

  TlsIngress::Impl& ingress_;
  asio::ssl::stream<tcp::socket> client_;
  tcp::socket backend_;
  asio::steady_timer timer_;  // handshake, connect, goodbye: one at a time
  asio::steady_timer idle_;
  std::chrono::steady_clock::time_point last_activity_;
  IngressPlacement at_;
  Ipv4Address peer_;
  std::string service_, subject_, target_;
  std::array<char, 16384> up_{}, down_{};
  bool timed_out_ = false;
  bool client_done_ = false;
  bool backend_eof_ = false;
  bool finishing_ = false;
  bool closed_ = false;
};

}  // namespace

absl::Status TlsIngress::Impl::LoadCredentials() {
  ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  // No renegotiation: a client could otherwise make the ingress redo the
  // expensive part of a handshake at will (TLS 1.2).
  SSL_CTX_set_options(ssl.native_handle(), SSL_OP_NO_RENEGOTIATION);
  error_code ec;
  ssl.use_certificate_chain_file(options.cert_file, ec);
  if (ec)
    return absl::InvalidArgumentError(
        StrCat("--ingress-cert ", options.cert_file, ": ", ec.message()));
  ssl.use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
  if (ec)
    return absl::InvalidArgumentError(
        StrCat("--ingress-key ", options.key_file, ": ", ec.message()));
  if (SSL_CTX_check_private_key(ssl.native_handle()) != 1) {
    return absl::InvalidArgumentError(
        StrCat("--ingress-key ", options.key_file, " does not belong to ", options.cert_file));
  }
  ssl.load_verify_file(options.client_ca_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        StrCat("--ingress-client-ca ", options.client_ca_file, ": ", ec.message()));
  }
  // Name the acceptable CAs in the certificate request, so clients pick the right certificate.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str())) {
    SSL_CTX_set_client_CA_list(ssl.native_handle(), names);
  }
  ssl.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  return absl::OkStatus();
}

void TlsIngress::Impl::Accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      spdlog::warn("tls ingress: accept: {}", ec.message());
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([this](error_code e) {
        if (!e && acceptor.is_open()) Accept();
      });
      return;
    }
    ++accepted;
    std::optional<IngressPlacement> at;
    {
      std::lock_guard lock(mu);
      at = placement;
    }
    if (at && active < options.max_connections) {
      std::make_shared<Session>(*this, std::move(socket), *at)->Start();
    } else {
      spdlog::warn("tls ingress: {} connections open, turning one away", active.load());
    }
    Accept();
  });
}

absl::StatusOr<std::unique_ptr<TlsIngress>> TlsIngress::Create(IngressOptions options,
                                                               BackendLookup backends,
                                                               RefusalListener refusals) {
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(StrCat("--ingress-port ", options.port, " is not a port"));
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(backends), std::move(refusals));
  if (absl::Status s = impl->LoadCredentials(); !s.ok()) return s;
  return std::unique_ptr<TlsIngress>(new TlsIngress(std::move(impl)));
}

TlsIngress::TlsIngress(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TlsIngress::~TlsIngress() { Stop(); }

void TlsIngress::Start() {
  impl_->work.emplace(impl_->io.get_executor());
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void TlsIngress::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

absl::Status TlsIngress::Place(const std::optional<IngressPlacement>& where) {
  std::lock_guard lock(impl_->mu);
  uint64_t identity = where ? netlink::NetnsIdentity(where->netns) : 0;
  if (where == impl_->placement && identity == impl_->placement_identity) return absl::OkStatus();
  std::optional<netlink::UniqueFd> fd;
  if (where) {
    absl::StatusOr<netlink::UniqueFd> listening =
        SocketIn(where->netns, where->address, impl_->options.port, true);
    if (!listening.ok()) return listening.status();
    fd = std::move(*listening);
  }
  impl_->placement = where;
  impl_->placement_identity = identity;
  int raw = fd ? fd->release() : -1;
  asio::post(impl_->io, [impl = impl_.get(), raw] {
    error_code ec;
    impl->acceptor.close(ec);
    if (raw < 0) return;
    impl->acceptor.assign(tcp::v4(), raw, ec);
    if (ec) {
      spdlog::error("tls ingress: {}", ec.message());
      close(raw);
      return;
    }
    impl->Accept();
  });
  if (where) {
    spdlog::info("tls ingress listening on {}:{} in {}", where->address.ToString(),
                 impl_->options.port, where->netns);
  } else {
    spdlog::info("tls ingress: no cloud side configured, not listening");
  }
  return absl::OkStatus();
}

IngressStats TlsIngress::stats() const {
  return {impl_->accepted, impl_->refused, impl_->unrouted, impl_->forwarded, impl_->active};
}

int TlsIngress::port() const { return impl_->options.port; }

std::optional<IngressPlacement> TlsIngress::placement() const {
  std::lock_guard lock(impl_->mu);
  return impl_->placement;
}

}  // namespace pharos::security
