// pharosctl diag: a vehicle backend's view of pharos-sovd. Sends one
// sovd.vehicle.VehicleService/ExecuteCommand and prints the stream, a chunk
// at a time as it arrives (docs/pharosctl.md, docs/sovd.md).
#include <random>

#include "commands.h"
#include "sovd_vehicle_service.grpc.pb.h"

namespace pharosctl {
namespace {

std::string NewUuid() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uint64_t a = gen(), b = gen();
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant
  char out[37];
  snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
           static_cast<unsigned>(a >> 16 & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
           static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return out;
}

std::shared_ptr<grpc::Channel> SovdChannel(const DiagContext& d) {
  if (d.tls_ca.empty()) return grpc::CreateChannel(d.sovd, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions ssl;
  ReadFile(d.tls_ca, &ssl.pem_root_certs);
  if (!d.tls_cert.empty()) {
    ReadFile(d.tls_cert, &ssl.pem_cert_chain);
    ReadFile(d.tls_key, &ssl.pem_private_key);
  }
  return grpc::CreateChannel(d.sovd, grpc::SslCredentials(ssl));
}

int Report(const Context& ctx, const DiagContext& d, const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::cerr << ctx.style.Red("permission denied") << ": " << s.error_message() << "\n";
      return kDenied;
    case grpc::StatusCode::NOT_FOUND:
      std::cerr << ctx.style.Red("not found") << ": " << s.error_message() << "\n";
      return kNotFound;
    case grpc::StatusCode::INVALID_ARGUMENT:
      std::cerr << ctx.style.Red("invalid") << ": " << s.error_message() << "\n";
      return kUsage;
    case grpc::StatusCode::UNAVAILABLE:
      std::cerr << ctx.style.Red("unavailable") << ": " << s.error_message() << " (pharos-sovd at "
                << d.sovd << "; --sovd or PHAROS_SOVD)\n";
      return kUnreachable;
    default:
      std::cerr << ctx.style.Red(GrpcCodeName(s.error_code())) << ": " << s.error_message() << "\n";
      return kFailed;
  }
}

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "cancelled";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline exceeded";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed precondition";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "out of range";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource exhausted";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::ABORTED:
      return "aborted";
    default:
      return "error";
  }
}

int Diag(const Context& ctx, const DiagContext& d, const std::string& command,
         const std::vector<std::string>& params) {
  sovd::vehicle::CommandRequest request;
  request.set_command_id(NewUuid());
  request.set_vehicle_id(d.vehicle);
  request.set_command_name(command);
  for (const std::string& p : params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "pharosctl diag: parameters are KEY=VALUE, got '" << p << "'\n";
      return kUsage;
    }
    (*request.mutable_command_params())[p.substr(0, eq)] = p.substr(eq + 1);
  }
  auto stub = sovd::vehicle::VehicleService::NewStub(SovdChannel(d));
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(d.timeout_s));
  auto reader = stub->ExecuteCommand(&call, request);
  sovd::vehicle::CommandResponse r;
  while (reader->Read(&r)) {
    if (ctx.json) {
      std::cout << ToJsonLine(r) << std::endl;
      continue;
    }
    std::cout << ctx.style.Bold("chunk " + std::to_string(r.sequence_number()))
              << (r.is_final() ? ctx.style.Green(" final") : "") << "  "
              << ctx.style.Dim(r.timestamp()) << "\n    " << r.response_payload() << "\n"
              << std::flush;
  }
  grpc::Status s = reader->Finish();
  return s.ok() ? kOk : Report(ctx, d, s);
}

}  // namespace pharosctl
