#include "api/grpc/grpc_status.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "common/strings.h"
#include "common/text.h"
#include "google/rpc/status.pb.h"
#include "pharos/api/v1/pharos_common.pb.h"

namespace pharos::api {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A client accepts at most 8 KiB of metadata by default (gRPC's
// GRPC_ARG_MAX_METADATA_SIZE). The status message travels percent-encoded
// and the details base64-encoded in trailers, so both are capped well
// below it: a rejection always arrives as itself, never as
// RESOURCE_EXHAUSTED "metadata size exceeds limit".
constexpr size_t kMaxMessageBytes = 1024;
constexpr size_t kMaxDetailsBytes = 4096;  // serialised; ~5.5 KiB as base64
constexpr size_t kMaxFieldBytes = 256;     // each string of a detail

// Every string of `m`, nested messages included, cut to kMaxFieldBytes.
void TruncateStrings(Message& m) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        f->type() != FieldDescriptor::TYPE_BYTES) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          r->SetRepeatedString(&m, f, i, Truncated(r->GetRepeatedString(m, f, i), kMaxFieldBytes));
        }
      } else {
        r->SetString(&m, f, Truncated(r->GetString(m, f), kMaxFieldBytes));
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i)
          TruncateStrings(*r->MutableRepeatedMessage(&m, f, i));
      } else {
        TruncateStrings(*r->MutableMessage(&m, f));
      }
    }
  }
}

// The longest repeated field of `m` (top level), or null when none has
// elements left.
const FieldDescriptor* LongestRepeated(const Message& m) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  const FieldDescriptor* longest = nullptr;
  for (const FieldDescriptor* f : fields) {
    if (f->is_repeated() && r->FieldSize(m, f) > 0 &&
        (!longest || r->FieldSize(m, f) > r->FieldSize(m, longest))) {
      longest = f;
    }
  }
  return longest;
}

// `m` made to fit `budget` bytes: strings cut, then the longest lists cut
// from the end, with a last ValidationIssue saying how many were left out
// where the message has a list of them. False when even that is too big.
bool FitDetail(Message& m, size_t budget) {
  if (m.ByteSizeLong() <= budget) return true;
  TruncateStrings(m);
  constexpr size_t kNoteRoom = 256;
  size_t dropped = 0;
  const Reflection* r = m.GetReflection();
  const FieldDescriptor* issues = nullptr;
  while (m.ByteSizeLong() + (dropped ? kNoteRoom : 0) > budget) {
    const FieldDescriptor* f = LongestRepeated(m);
    if (!f) return false;
    if (f->message_type() == v1::ValidationIssue::descriptor()) issues = f;
    r->RemoveLast(&m, f);
    ++dropped;
  }
  if (issues) {
    auto* note = static_cast<v1::ValidationIssue*>(r->AddMessage(&m, issues));
    note->set_severity("INFO");
    note->set_description(StrCat(dropped,
                                 " more finding(s) not shown: error details are capped at ",
                                 kMaxDetailsBytes, " bytes"));
    note->set_recommendation("pharosctl validate --local FILE lists every finding");
  }
  return true;
}

}  // namespace

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  // absl and gRPC share the canonical code numbers.
  return static_cast<grpc::StatusCode>(static_cast<int>(code));
}

grpc::Status ToGrpcStatus(const absl::Status& status,
                          std::initializer_list<const google::protobuf::Message*> details) {
  if (status.ok()) return grpc::Status::OK;
  std::string message = Truncated(std::string(status.message()), kMaxMessageBytes);
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(message);
  size_t present = std::count_if(details.begin(), details.end(), [](auto* d) { return d; });
  size_t budget = present ? (kMaxDetailsBytes - message.size()) / present : 0;
  for (const google::protobuf::Message* d : details) {
    if (!d) continue;
    if (d->ByteSizeLong() <= budget) {
      rich.add_details()->PackFrom(*d);
      continue;
    }
    std::unique_ptr<Message> fitted(d->New());
    fitted->CopyFrom(*d);
    if (FitDetail(*fitted, budget)) rich.add_details()->PackFrom(*fitted);
  }
  return grpc::Status(ToGrpcCode(status.code()), message, rich.SerializeAsString());
}

}  // namespace pharos::api
