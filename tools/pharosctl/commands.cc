#include "commands.h"

#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "api/grpc/finding_conversions.h"
#include "core/config_analysis.h"
#include "google/rpc/status.pb.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"
#include "plan/plan_diff.h"

namespace pharosctl {
namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

namespace {
std::string g_token;  // sent with every call (set once by main)
std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

void SetCallToken(const std::string& token) { g_token = token; }

std::shared_ptr<grpc::Channel> Context::Channel() const {
  if (tls_ca.empty() && tls_cert.empty()) {
    return grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions ssl;
  if (!tls_ca.empty()) ssl.pem_root_certs = ReadAll(tls_ca);
  if (!tls_cert.empty()) {
    ssl.pem_cert_chain = ReadAll(tls_cert);
    ssl.pem_private_key = ReadAll(tls_key);
  }
  return grpc::CreateChannel(server, grpc::SslCredentials(ssl));
}

std::unique_ptr<grpc::ClientContext> CallContext(std::chrono::seconds deadline) {
  auto ctx = StreamContext();
  ctx->set_deadline(std::chrono::system_clock::now() + deadline);
  return ctx;
}

std::unique_ptr<grpc::ClientContext> StreamContext() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!g_token.empty()) ctx->AddMetadata("authorization", "Bearer " + g_token);
  return ctx;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "pharosctl: cannot read " << path << "\n";
      return false;
    }
    in = &file;
  }
  std::stringstream buffer;
  buffer << in->rdbuf();
  *out = buffer.str();
  return true;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string ToJsonLine(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

namespace {
const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    default:
      return nullptr;
  }
}
}  // namespace

// Maps a failed call to an exit code, printing what happened.
int ReportRpcError(const Context& ctx, const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::cerr << ctx.style.Red(s.error_code() == grpc::StatusCode::UNAUTHENTICATED
                                     ? "not authenticated"
                                     : "permission denied")
                << ": " << s.error_message() << " (--token or PHAROS_TOKEN)\n";
      return kDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::cerr << ctx.style.Red("error") << ": pharosd at " << ctx.server << " is not reachable ("
                << s.error_message() << "); is it running? set --server or PHAROS_SERVER\n";
      return kUnreachable;
    case grpc::StatusCode::NOT_FOUND:
      std::cerr << ctx.style.Red("not found") << ": " << s.error_message() << "\n";
      return kNotFound;
    case grpc::StatusCode::UNIMPLEMENTED:
      std::cerr << ctx.style.Yellow("not supported yet") << ": " << s.error_message() << "\n";
      return kUnsupported;
    default: {
      const char* name = CodeName(s.error_code());
      std::cerr << ctx.style.Red("error") << " ("
                << (name ? name : std::to_string(s.error_code())) << "): " << s.error_message()
                << "\n";
      return kFailed;
    }
  }
}

namespace {

// The issues a failed call attached to its google.rpc.Status details.
bool IssuesFromDetails(const grpc::Status& s, std::vector<v1::ValidationIssue>* issues) {
  google::rpc::Status rich;
  if (s.error_details().empty() || !rich.ParseFromString(s.error_details())) return false;
  bool found = false;
  for (const auto& any : rich.details()) {
    v1::ValidateConfigurationResponse validate;
    v1::ConfigureVehicleNetworkResponse configure;
    if (any.UnpackTo(&validate)) {
      issues->assign(validate.issues().begin(), validate.issues().end());
      found = true;
    } else if (any.UnpackTo(&configure)) {
      issues->assign(configure.validation_issues().begin(), configure.validation_issues().end());
      found = true;
    }
  }
  return found;
}

void PrintIssuesJson(const std::vector<v1::ValidationIssue>& issues, bool valid) {
  v1::ValidateConfigurationResponse r;
  r.set_valid(valid);
  for (const auto& i : issues) *r.add_issues() = i;
  std::cout << ToJson(r);
}

int ValidateLocal(const Context& ctx, const std::string& file, const std::string& text) {
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(text, {ctx.interface_prefix, nullptr});
  std::vector<v1::ValidationIssue> issues(a.findings.items().size());
  for (size_t i = 0; i < issues.size(); ++i)
    pharos::api::ToProto(a.findings.items()[i], &issues[i]);
  if (ctx.json) {
    PrintIssuesJson(issues, a.valid());
  } else {
    PrintIssues(issues, text, file, ctx.style);
  }
  return a.valid() ? kOk : kFailed;
}

// Fetches a stored version's YAML ("" = current).
int FetchVersion(const Context& ctx, const std::string& id, std::string* yaml) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::GetConfigVersionRequest req;
  req.set_id(id);
  ctl::ConfigVersion v;
  grpc::Status s = stub->GetConfigVersion(CallContext().get(), req, &v);
  if (!s.ok()) return ReportRpcError(ctx, s);
  *yaml = v.yaml();
  return kOk;
}

}  // namespace

int ReportRejected(const Context& ctx, const grpc::Status& s, const std::string& text,
                   const std::string& file) {
  std::vector<v1::ValidationIssue> issues;
  if (s.error_code() != grpc::StatusCode::INVALID_ARGUMENT || !IssuesFromDetails(s, &issues)) {
    return ReportRpcError(ctx, s);
  }
  if (ctx.json) {
    PrintIssuesJson(issues, false);
  } else {
    PrintIssues(issues, text, file, ctx.style);
    std::cout << ctx.style.Red("not applied") << ": nothing changed\n";
  }
  return kFailed;
}

int Validate(const Context& ctx, const std::string& file, bool local) {
  std::string text;
  if (!ReadFile(file, &text)) return kUsage;
  if (local) return ValidateLocal(ctx, file, text);
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::ValidateConfigurationRequest req;
  req.set_config_yaml(text);
  v1::ValidateConfigurationResponse resp;
  grpc::Status s = stub->ValidateConfiguration(CallContext().get(), req, &resp);
  std::vector<v1::ValidationIssue> issues;
  if (!s.ok()) {
    if (s.error_code() != grpc::StatusCode::INVALID_ARGUMENT || !IssuesFromDetails(s, &issues)) {
      return ReportRpcError(ctx, s);
    }
  } else {
    issues.assign(resp.issues().begin(), resp.issues().end());
  }
  bool valid = s.ok() && resp.valid();
  if (ctx.json) {
    PrintIssuesJson(issues, valid);
  } else {
    PrintIssues(issues, text, file, ctx.style);
  }
  return valid ? kOk : kFailed;
}

int Apply(const Context& ctx, const std::string& file, bool dry_run) {
  std::string text;
  if (!ReadFile(file, &text)) return kUsage;
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::ApplyConfigurationRequest req;
  req.set_config_yaml(text);
  req.set_validate_only(dry_run);
  v1::ApplyConfigurationResponse resp;
  grpc::Status s = stub->ApplyConfiguration(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRejected(ctx, s, text, file);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << ctx.style.Green(dry_run ? "valid" : "applied") << ": " << resp.message() << "\n";
  }
  return kOk;
}

int Plan(const Context& ctx, const std::string& file, const std::string& version) {
  if (file.empty()) {
    auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
    ctl::GetPlanRequest req;
    req.set_version_id(version);
    ctl::GetPlanResponse resp;
    grpc::Status s = stub->GetPlan(CallContext().get(), req, &resp);
    if (!s.ok()) return ReportRpcError(ctx, s);
    std::cout << (ctx.json ? resp.plan_json() + "\n" : resp.plan_text());
    return kOk;
  }
  std::string text;
  if (!ReadFile(file, &text)) return kUsage;
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(text, {ctx.interface_prefix, nullptr});
  if (!a.plan) {
    std::cerr << "pharosctl: " << file << " does not validate; run 'pharosctl validate " << file
              << " --local'\n";
    return kFailed;
  }
  std::cout << (ctx.json ? pharos::plan::FormatPlanJson(*a.plan) + "\n"
                         : pharos::plan::FormatPlanText(*a.plan));
  return kOk;
}

int Diff(const Context& ctx, const std::string& from, const std::string& to,
         const std::string& file) {
  std::string before, after;
  if (int rc = FetchVersion(ctx, from, &before); rc != kOk) return rc;
  if (!file.empty()) {
    if (!ReadFile(file, &after)) return kUsage;
  } else if (int rc = FetchVersion(ctx, to, &after); rc != kOk) {
    return rc;
  }
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(before, {ctx.interface_prefix, nullptr});
  pharos::core::Analysis b = pharos::core::AnalyzeConfig(after, {ctx.interface_prefix, nullptr});
  if (!a.plan || !b.plan) {
    std::cerr << "pharosctl: " << (!a.plan ? "the first" : "the second")
              << " configuration does not validate\n";
    return kFailed;
  }
  pharos::plan::PlanDiff diff = pharos::plan::DiffPlans(*a.plan, *b.plan);
  if (ctx.json) {
    std::cout << "{\"changes\": [";
    for (size_t i = 0; i < diff.changes.size(); ++i) {
      const auto& c = diff.changes[i];
      std::cout << (i ? ", " : "") << "{\"op\": \"" << pharos::plan::ChangeKindSymbol(c.kind)
                << "\", \"key\": \"" << c.key << "\", \"component\": \"" << c.component << "\"}";
    }
    std::cout << "], \"affected_components\": [";
    size_t i = 0;
    for (const auto& c : diff.affected_components)
      std::cout << (i++ ? ", " : "") << "\"" << c << "\"";
    std::cout << "]}\n";
    return kOk;
  }
  for (const auto& c : diff.changes) {
    std::string sym(pharos::plan::ChangeKindSymbol(c.kind));
    std::string line = sym + " " + c.key + "  (" + c.component + ")";
    std::cout << (sym == "+"   ? ctx.style.Green(line)
                  : sym == "-" ? ctx.style.Red(line)
                               : ctx.style.Yellow(line))
              << "\n";
  }
  std::cout << diff.changes.size() << " change(s); affected components:";
  for (const auto& c : diff.affected_components) std::cout << " " << c;
  std::cout << "\n";
  return kOk;
}

int Rollback(const Context& ctx, const std::string& version) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::RollbackConfigurationRequest req;
  req.set_target_version(version);
  v1::RollbackConfigurationResponse resp;
  grpc::Status s = stub->RollbackConfiguration(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << ctx.style.Green("rolled back") << ": " << resp.message() << " (current version "
              << resp.current_version() << ")\n";
  }
  return kOk;
}

int Versions(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::ListConfigVersionsResponse resp;
  grpc::Status s = stub->ListConfigVersions(CallContext().get(), {}, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : resp.versions()) {
    rows.push_back({(v.current() ? "* " : "  ") + v.id(), v.created_at(), v.source(), v.status(),
                    v.content_hash().substr(0, 12)});
  }
  PrintTable({"  VERSION", "CREATED", "SOURCE", "STATUS", "HASH"}, rows);
  return kOk;
}

namespace {
// Pods whose name was mapped from an orchestrator's (a Pullpiri scenario):
// which pod is which scenario. Best effort: the table above is the answer.
void PrintRequestedBy(const Context& ctx) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  ctl::ListLeasesResponse leases;
  if (!stub->ListLeases(CallContext().get(), {}, &leases).ok()) return;
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : leases.leases()) {
    if (!l.origin().empty()) rows.push_back({l.pod(), l.state(), l.origin()});
  }
  if (rows.empty()) return;
  std::cout << "\nrequested by an orchestrator:\n";
  PrintTable({"POD", "STATE", "REQUESTED AS"}, rows);
}
}  // namespace

int Status(const Context& ctx, const std::string& filter) {
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::GetNetworkStatusRequest req;
  req.set_component_filter(filter);
  v1::GetNetworkStatusResponse resp;
  grpc::Status s = stub->GetNetworkStatus(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  if (resp.components().empty()) {
    std::cout << (filter.empty() ? "no configuration applied yet (pharosctl apply FILE)"
                                 : "no component matches '" + filter + "'")
              << "\n";
    return filter.empty() ? kOk : kNotFound;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : resp.components()) {
    std::string peers;
    for (const auto& p : c.connected_to()) peers += (peers.empty() ? "" : ",") + p;
    std::string status = c.status() == "up"     ? ctx.style.Green(c.status())
                         : c.status() == "down" ? ctx.style.Red(c.status())
                                                : c.status();
    rows.push_back({c.name(), c.type(), status, c.ip_address(), peers});
  }
  PrintTable({"NAME", "TYPE", "STATUS", "IP", "CONNECTED TO"}, rows);
  PrintRequestedBy(ctx);
  return kOk;
}

}  // namespace pharosctl
