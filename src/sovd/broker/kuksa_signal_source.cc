#include "sovd/broker/kuksa_signal_source.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::sovd::broker {
namespace {

namespace v2 = kuksa::val::v2;

// One call's state, shared by the waiting coroutine and gRPC's callback
// (which may come after the coroutine gave up).
struct Pending {
  explicit Pending(asio::any_io_executor executor) : executor(executor), done(executor) {}
  asio::any_io_executor executor;
  grpc::ClientContext context;
  v2::GetValuesRequest request;
  v2::GetValuesResponse response;
  grpc::Status status;
  transport::Event done;
};

absl::StatusOr<std::optional<ecu::PhysicalValue>> FromKuksa(const std::string& path,
                                                            const v2::Datapoint& point) {
  if (!point.has_value()) return std::optional<ecu::PhysicalValue>();
  const v2::Value& v = point.value();
  switch (v.typed_value_case()) {
    case v2::Value::kString:
      return std::optional<ecu::PhysicalValue>(v.string());
    case v2::Value::kBool:
      return std::optional<ecu::PhysicalValue>(v.bool_() ? 1.0 : 0.0);
    case v2::Value::kInt32:
      return std::optional<ecu::PhysicalValue>(double(v.int32()));
    case v2::Value::kInt64:
      return std::optional<ecu::PhysicalValue>(double(v.int64()));
    case v2::Value::kUint32:
      return std::optional<ecu::PhysicalValue>(double(v.uint32()));
    case v2::Value::kUint64:
      return std::optional<ecu::PhysicalValue>(double(v.uint64()));
    case v2::Value::kFloat:
      return std::optional<ecu::PhysicalValue>(double(v.float_()));
    case v2::Value::kDouble:
      return std::optional<ecu::PhysicalValue>(v.double_());
    case v2::Value::TYPED_VALUE_NOT_SET:
      return std::optional<ecu::PhysicalValue>();
    default:
      return absl::UnimplementedError(
          fmt::format("{} is an array: an OBD DID holds one value", path));
  }
}

}  // namespace

KuksaSignalSource::KuksaSignalSource(std::string address, std::string token)
    : address_(std::move(address)),
      token_(std::move(token)),
      stub_(v2::VAL::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()))) {}

std::string KuksaSignalSource::Describe() const {
  return fmt::format("pharos-broker at {}", address_);
}

awaitable<absl::StatusOr<std::vector<std::optional<ecu::PhysicalValue>>>> KuksaSignalSource::Read(
    const std::vector<std::string>& paths, transport::CallContext& call) {
  auto pending = std::make_shared<Pending>(co_await asio::this_coro::executor);
  for (const std::string& path : paths) pending->request.add_signal_ids()->set_path(path);
  if (!token_.empty()) pending->context.AddMetadata("authorization", "Bearer " + token_);
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
  pending->context.set_deadline(deadline);
  stub_->async()->GetValues(&pending->context, &pending->request, &pending->response,
                            [pending](grpc::Status status) {
                              asio::post(pending->executor, [pending, status] {
                                pending->status = status;
                                pending->done.Set();
                              });
                            });
  transport::WaitResult r = co_await pending->done.Wait(transport::SteadyTime::max(), &call);
  if (r != transport::WaitResult::kSet) {
    pending->context.TryCancel();  // the callback still comes; `pending` waits for it
    if (r == transport::WaitResult::kCancelled)
      co_return absl::CancelledError("the call was cancelled");
    co_return absl::DeadlineExceededError(
        fmt::format("the command's timeout passed while waiting for {}", Describe()));
  }
  const grpc::Status& s = pending->status;
  if (!s.ok()) {
    std::string message = fmt::format("{}: {}", Describe(), s.error_message());
    switch (s.error_code()) {
      case grpc::StatusCode::NOT_FOUND:
        co_return absl::NotFoundError(message);
      case grpc::StatusCode::PERMISSION_DENIED:
      case grpc::StatusCode::UNAUTHENTICATED:
        co_return absl::PermissionDeniedError(message);
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        co_return absl::DeadlineExceededError(message);
      default:
        co_return absl::UnavailableError(message);
    }
  }
  if (pending->response.data_points_size() != static_cast<int>(paths.size())) {
    co_return absl::InternalError(fmt::format("{} answered {} values for {} signals", Describe(),
                                              pending->response.data_points_size(), paths.size()));
  }
  std::vector<std::optional<ecu::PhysicalValue>> out;
  for (int i = 0; i < pending->response.data_points_size(); ++i) {
    auto value = FromKuksa(paths[i], pending->response.data_points(i));
    if (!value.ok()) co_return value.status();
    out.push_back(std::move(*value));
  }
  co_return out;
}

}  // namespace pharos::sovd::broker
