#include "sovd/sim/sim_control.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <filesystem>
#include <sstream>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/doip/doip_message.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::sim {
namespace {

using local = asio::local::stream_protocol;

SimulatedEcu* Find(const std::vector<DoipEntity*>& entities, const std::string& ref) {
  std::string entity_name, ecu_name = ref;
  if (size_t slash = ref.find('/'); slash != std::string::npos) {
    entity_name = ref.substr(0, slash);
    ecu_name = ref.substr(slash + 1);
  }
  for (DoipEntity* entity : entities) {
    if (!entity_name.empty() && entity->options().name != entity_name) continue;
    if (SimulatedEcu* ecu = entity->FindEcu(ecu_name)) return ecu;
  }
  return nullptr;
}

std::string StatsJson(const EcuStats& stats) {
  std::string requests;
  for (const auto& [sid, count] : stats.requests) {
    requests += fmt::format("{}\"0x{:02X}\":{}", requests.empty() ? "" : ",", sid, count);
  }
  return fmt::format("{{\"requests\":{{{}}},\"session\":{},\"unlocked_level\":{},\"resets\":{}}}",
                     requests, stats.session, stats.unlocked_level, stats.resets);
}

std::optional<uint8_t> Byte(const std::string& text) {
  std::optional<uint64_t> v = ecu::ParseNumber(text);
  if (!v || *v > 0xFF) return std::nullopt;
  return static_cast<uint8_t>(*v);
}

}  // namespace

std::string ExecuteControl(const std::vector<DoipEntity*>& entities, const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return "error: empty command";
  const std::string& verb = words[0];
  if (verb == "list") {
    std::string out;
    for (DoipEntity* entity : entities) {
      for (const auto& ecu : entity->ecus()) {
        out += fmt::format("{}{{\"entity\":\"{}\",\"port\":{},\"ecu\":\"{}\",\"address\":\"{}\"}}",
                           out.empty() ? "" : ",", entity->options().name, entity->tcp_port(),
                           ecu->description().name, doip::AddressText(ecu->address()));
      }
    }
    return "ok [" + out + "]";
  }
  if (words.size() < 2) return fmt::format("error: {} needs an ECU", verb);
  SimulatedEcu* ecu = Find(entities, words[1]);
  if (!ecu) return fmt::format("error: no ECU {}", words[1]);
  auto done = [](const absl::Status& s) {
    return s.ok() ? std::string("ok") : fmt::format("error: {}", s.message());
  };
  if (verb == "inject" && (words.size() == 3 || words.size() == 4)) {
    absl::StatusOr<uint32_t> dtc = uds::ParseDtc(words[2]);
    if (!dtc.ok()) return done(dtc.status());
    std::optional<uint8_t> status = words.size() == 4 ? Byte(words[3]) : uint8_t{0x09};
    if (!status) return "error: STATUS is a byte (0x09: testFailed + confirmedDTC)";
    return done(ecu->InjectDtc(*dtc, *status));
  }
  if (verb == "clear" && words.size() == 2) {
    ecu->ClearDtcs();
    return "ok";
  }
  if (verb == "set" && words.size() >= 4) {
    std::string value = words[3];  // text DIDs may hold spaces
    for (size_t i = 4; i < words.size(); ++i) value += " " + words[i];
    return done(ecu->SetDid(words[2], value));
  }
  if (verb == "nrc" && words.size() == 4) {
    std::optional<uint8_t> sid = Byte(words[2]);
    if (!sid) return "error: SID is a byte (0x22)";
    if (words[3] == "off") {
      ecu->ForceNrc(*sid, std::nullopt);
      return "ok";
    }
    std::optional<uint8_t> code = Byte(words[3]);
    if (!code) return "error: NRC is a byte (0x22) or off";
    ecu->ForceNrc(*sid, *code);
    return "ok";
  }
  if (verb == "delay" && (words.size() == 3 || words.size() == 4)) {
    std::optional<uint64_t> ms = ecu::ParseNumber(words[2]);
    std::optional<uint64_t> pending = words.size() == 4 ? ecu::ParseNumber(words[3]) : 0;
    if (!ms || !pending || *ms > 600000 || *pending > 600000) {
      return "error: delays are milliseconds (0..600000)";
    }
    ecu->SetDelay(std::chrono::milliseconds(*ms), std::chrono::milliseconds(*pending));
    return "ok";
  }
  if (verb == "stats" && words.size() == 2) return "ok " + StatsJson(ecu->Stats());
  return fmt::format(
      "error: unknown or malformed command '{}' (inject, clear, set, nrc, delay, "
      "stats, list)",
      verb);
}

struct ControlServer::Impl {
  Impl(asio::io_context& io, std::vector<DoipEntity*> entities)
      : io(io), entities(std::move(entities)), acceptor(io) {}
  ~Impl() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    std::error_code removed;
    if (!path.empty()) std::filesystem::remove(path, removed);
  }

  awaitable<void> Accept() {
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      local::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) break;
        continue;
      }
      asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Serve(local::socket socket) {
    try {
      asio::streambuf buffer(64 * 1024);
      for (;;) {
        size_t n = co_await asio::async_read_until(socket, buffer, '\n', use_awaitable);
        std::string line(asio::buffers_begin(buffer.data()),
                         asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n) - 1);
        buffer.consume(n);
        std::string reply = ExecuteControl(entities, line) + "\n";
        co_await asio::async_write(socket, asio::buffer(reply), use_awaitable);
      }
    } catch (const boost::system::system_error&) {
    }
  }

  asio::io_context& io;
  std::vector<DoipEntity*> entities;
  local::acceptor acceptor;
  std::string path;
};

ControlServer::ControlServer(asio::io_context& io, std::vector<DoipEntity*> entities)
    : impl_(std::make_unique<Impl>(io, std::move(entities))) {}
ControlServer::~ControlServer() = default;

absl::Status ControlServer::Listen(const std::string& path) {
  std::error_code stale;
  std::filesystem::remove(path, stale);
  boost::system::error_code ec;
  local::endpoint endpoint(path);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(16, ec);
  if (ec) return absl::UnavailableError(fmt::format("control socket {}: {}", path, ec.message()));
  impl_->path = path;
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SendControl(const std::string& path, const std::string& line) {
  asio::io_context io;
  local::socket socket(io);
  boost::system::error_code ec;
  socket.connect(local::endpoint(path), ec);
  if (ec) return absl::UnavailableError(fmt::format("control socket {}: {}", path, ec.message()));
  std::string request = line + "\n";
  asio::write(socket, asio::buffer(request), ec);
  asio::streambuf buffer;
  size_t n = ec ? 0 : asio::read_until(socket, buffer, '\n', ec);
  if (ec) return absl::UnavailableError(fmt::format("control socket {}: {}", path, ec.message()));
  return std::string(asio::buffers_begin(buffer.data()),
                     asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n) - 1);
}

}  // namespace pharos::sovd::sim
