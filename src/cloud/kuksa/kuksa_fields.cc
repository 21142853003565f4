#include "cloud/kuksa/kuksa_fields.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::cloud {
namespace {

namespace v2 = kuksa::val::v2;

constexpr auto kExpansionLifetime = std::chrono::seconds(60);
constexpr auto kCallTimeout = std::chrono::seconds(5);
constexpr int kPathsPerCall = 1000;

FieldValue FromKuksa(const v2::Datapoint& point) {
  if (!point.has_value()) return std::monostate{};
  const v2::Value& v = point.value();
  switch (v.typed_value_case()) {
    case v2::Value::kString:
      return v.string();
    case v2::Value::kBool:
      return v.bool_();
    case v2::Value::kInt32:
      return int64_t{v.int32()};
    case v2::Value::kInt64:
      return v.int64();
    case v2::Value::kUint32:
      return int64_t{v.uint32()};
    case v2::Value::kUint64:
      return static_cast<int64_t>(v.uint64());
    case v2::Value::kFloat:
      return double{v.float_()};
    case v2::Value::kDouble:
      return v.double_();
    default:
      return std::monostate{};  // arrays are not fed (docs/cloud.md)
  }
}

absl::Status FromGrpc(const std::string& address, const grpc::Status& s) {
  std::string message = fmt::format("pharos-broker at {}: {}", address, s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

KuksaFields::KuksaFields(std::string address, std::string token)
    : address_(std::move(address)),
      token_(std::move(token)),
      stub_(v2::VAL::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()))) {}

void KuksaFields::Authorize(grpc::ClientContext& ctx) const {
  if (!token_.empty()) ctx.AddMetadata("authorization", "Bearer " + token_);
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
}

absl::StatusOr<std::vector<std::string>> KuksaFields::Expand(const Field& field) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = expansions_.find(field.text);
    if (it != expansions_.end() && now - it->second.at < kExpansionLifetime) {
      return it->second.paths;
    }
  }
  grpc::ClientContext ctx;
  Authorize(ctx);
  v2::ListMetadataRequest request;
  request.set_root(field.text);
  v2::ListMetadataResponse response;
  grpc::Status s = stub_->ListMetadata(&ctx, request, &response);
  std::vector<std::string> paths;
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    // Matches nothing now: no samples (the catalog may grow).
  } else if (!s.ok()) {
    return FromGrpc(address_, s);
  } else {
    for (const v2::Metadata& m : response.metadata()) paths.push_back(m.path());
  }
  std::lock_guard lock(mu_);
  expansions_[field.text] = {paths, now};
  return paths;
}

absl::StatusOr<std::vector<FieldSample>> KuksaFields::Read(const std::vector<Field>& fields,
                                                           std::vector<std::string>&) {
  std::vector<std::pair<std::string, Priority>> wanted;
  for (const Field& f : fields) {
    auto paths = Expand(f);
    if (!paths.ok()) return paths.status();
    for (std::string& p : *paths) wanted.emplace_back(std::move(p), VssPriority(p));
  }
  std::vector<FieldSample> out;
  for (size_t start = 0; start < wanted.size(); start += kPathsPerCall) {
    size_t end = std::min(wanted.size(), start + kPathsPerCall);
    grpc::ClientContext ctx;
    Authorize(ctx);
    v2::GetValuesRequest request;
    for (size_t i = start; i < end; ++i) request.add_signal_ids()->set_path(wanted[i].first);
    v2::GetValuesResponse response;
    grpc::Status s = stub_->GetValues(&ctx, request, &response);
    if (!s.ok()) return FromGrpc(address_, s);
    if (response.data_points_size() != static_cast<int>(end - start)) {
      return absl::InternalError(
          fmt::format("pharos-broker at {} answered {} values for {} signals", address_,
                      response.data_points_size(), end - start));
    }
    for (size_t i = start; i < end; ++i) {
      out.push_back({wanted[i].first, FromKuksa(response.data_points(static_cast<int>(i - start))),
                     wanted[i].second});
    }
  }
  return out;
}

}  // namespace pharos::cloud
