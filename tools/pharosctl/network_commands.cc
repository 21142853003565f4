// pharosctl commands about the live network: routes, test, metrics,
// teardown, events, doctor, topology.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "dataplane/doctor.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharosctl {
namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

namespace {

// Diagnostics wait for packets: allow the probe's own timeout plus slack.
std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// Mermaid and DOT ids cannot contain '/', '-' or '.'.
std::string NodeId(const std::string& name) {
  std::string id = "n_";
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return id;
}

}  // namespace

int Routes(const Context& ctx, const std::string& source, const std::string& destination) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::GetRouteInfoRequest req;
  req.set_source(source);
  req.set_destination(destination);
  v1::GetRouteInfoResponse resp;
  grpc::Status s = stub->GetRouteInfo(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return resp.routable() ? kOk : kFailed;
  }
  std::cout << source << " -> " << destination << ": "
            << (resp.routable() ? ctx.style.Green("routable") : ctx.style.Red("not routable"))
            << "\n";
  int n = 1;
  for (const auto& hop : resp.route_hops()) std::cout << "  " << n++ << ". " << hop << "\n";
  for (const auto& rule : resp.policy_rules()) std::cout << "  policy: " << rule << "\n";
  return resp.routable() ? kOk : kFailed;
}

int Test(const Context& ctx, const std::string& source, const std::string& destination,
         const std::string& protocol, int port, int timeout_ms) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::TestConnectivityRequest req;
  req.set_source(source);
  req.set_destination(destination);
  req.set_protocol(protocol);
  req.set_port(port);
  req.set_timeout_ms(timeout_ms);
  v1::TestConnectivityResponse resp;
  grpc::Status s = stub->TestConnectivity(CallContext(std::chrono::seconds(10 + timeout_ms / 1000)).get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << (resp.success() ? ctx.style.Green("PASS") : ctx.style.Red("FAIL")) << " " << source
              << " -> " << destination << " " << (protocol.empty() ? "icmp" : protocol)
              << (port ? "/" + std::to_string(port) : "") << ": " << resp.detailed_result() << "\n";
  }
  return resp.success() ? kOk : kFailed;
}

int Metrics(const Context& ctx, const std::string& component, int duration_seconds) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::GetNetworkMetricsRequest req;
  req.set_component_id(component);
  req.set_duration_seconds(duration_seconds);
  v1::GetNetworkMetricsResponse resp;
  grpc::Status s = stub->GetNetworkMetrics(CallContext(std::chrono::seconds(30 + duration_seconds)).get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : resp.metrics()) {
    rows.push_back({m.component_id(), std::to_string(m.bytes_in()), std::to_string(m.bytes_out()),
                    std::to_string(m.packets_in()), std::to_string(m.packets_out()),
                    std::to_string(m.errors_in()) + "/" + std::to_string(m.errors_out()),
                    duration_seconds > 0 ? fmt::format("{:.3f}", m.bandwidth_usage_mbps()) : "-"});
  }
  PrintTable({"COMPONENT", "BYTES IN", "BYTES OUT", "PKTS IN", "PKTS OUT", "ERR IN/OUT", "MBIT/S"},
             rows);
  return kOk;
}

int Teardown(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::TeardownResponse resp;
  grpc::Status s = stub->Teardown(CallContext(std::chrono::seconds(120)).get(), {}, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << resp.message() << "\n";
  }
  return kOk;
}

int Events(const Context& ctx, int64_t after_id, int limit) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  return ListPage<ctl::ListNetworkEventsRequest, ctl::ListNetworkEventsResponse>(
      ctx, after_id, limit,
      [&stub](grpc::ClientContext* c, const auto& req, auto* resp) {
        return stub->ListNetworkEvents(c, req, resp);
      },
      {"ID", "TIME", "KIND", "COMPONENT", "WHAT"},
      [](const ctl::ListNetworkEventsResponse& resp) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& e : resp.events()) {
          rows.push_back(
              {std::to_string(e.id()), e.occurred_at(), e.kind(), e.component(), e.detail()});
        }
        return rows;
      });
}

int Doctor(const Context& ctx) {
  absl::StatusOr<std::vector<pharos::dataplane::FeatureCheck>> checks =
      pharos::dataplane::ProbeKernelFeatures();
  if (!checks.ok()) {
    std::cerr << ctx.style.Red("error") << ": " << checks.status().message() << "\n";
    return kFailed;
  }
  if (ctx.json) {
    std::cout << "[";
    for (size_t i = 0; i < checks->size(); ++i) {
      const auto& c = (*checks)[i];
      std::cout << (i ? ",\n " : "\n ") << "{\"feature\": " << Quoted(c.feature)
                << ", \"available\": " << (c.available ? "true" : "false")
                << ", \"without\": " << Quoted(c.without) << "}";
    }
    std::cout << "\n]\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *checks) {
    rows.push_back({c.feature, c.available ? ctx.style.Green("yes") : ctx.style.Yellow("no"),
                    c.available ? "" : c.without});
  }
  PrintTable({"FEATURE", "AVAILABLE", "WITHOUT IT, PHAROS"}, rows);
  return kOk;
}

int Topology(const Context& ctx, const std::string& format) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::GetNetworkStatusResponse resp;
  grpc::Status s = stub->GetNetworkStatus(CallContext().get(), {}, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  // Edges come from the observed links (connected_to); each drawn once.
  std::set<std::pair<std::string, std::string>> edges;
  for (const auto& c : resp.components()) {
    for (const auto& peer : c.connected_to()) {
      edges.insert(std::minmax(c.name(), peer));
    }
  }
  if (format == "dot") {
    std::cout << "graph vehicle {\n  node [shape=box, fontname=\"Helvetica\"];\n";
    for (const auto& c : resp.components()) {
      std::string color = c.status() == "up"     ? "darkgreen"
                          : c.status() == "down" ? "red"
                                                 : "orange";
      std::cout << "  " << NodeId(c.name())
                << " [label=" << Quoted(c.name() + "\\n" + c.type() + " " + c.ip_address())
                << ", color=" << color << (c.type() == "bridge" ? ", shape=ellipse" : "") << "];\n";
    }
    for (const auto& [a, b] : edges) std::cout << "  " << NodeId(a) << " -- " << NodeId(b) << ";\n";
    std::cout << "}\n";
    return kOk;
  }
  std::cout << "graph TD\n";
  for (const auto& c : resp.components()) {
    std::string label =
        Quoted(c.name() + "<br/>" + c.type() + " " + c.ip_address() + " (" + c.status() + ")");
    std::cout << "  " << NodeId(c.name())
              << (c.type() == "bridge" ? "((" + label + "))" : "[" + label + "]") << "\n";
  }
  for (const auto& [a, b] : edges) std::cout << "  " << NodeId(a) << " --- " << NodeId(b) << "\n";
  return kOk;
}

}  // namespace pharosctl
