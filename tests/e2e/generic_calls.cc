#include "e2e/generic_calls.h"

#include <google/protobuf/unknown_field_set.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pharos::e2e {
namespace {

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

GenericAnswer Unary(grpc::GenericStub& stub, grpc::ClientContext* ctx, const std::string& method,
                    const std::string& request) {
  grpc::ByteBuffer req = Buffer(request), resp;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  GenericAnswer answer;
  stub.UnaryCall(ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    std::lock_guard lock(mu);
    answer.status = s;
    answer.got_message = s.ok();
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  return answer;
}

// One operation of the async streaming call, waited for.
bool Await(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

GenericAnswer Streaming(grpc::GenericStub& stub, grpc::ClientContext* ctx,
                        const std::string& method, std::string* first, const std::string& request) {
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(ctx, method, &cq);
  GenericAnswer answer;
  call->StartCall(nullptr);
  if (Await(cq)) {
    call->Write(Buffer(request), nullptr);
    if (Await(cq)) {
      call->WritesDone(nullptr);
      Await(cq);
    }
    grpc::ByteBuffer response;
    call->Read(&response, nullptr);
    answer.got_message = Await(cq);
    if (answer.got_message && first) *first = Bytes(response);
    if (answer.got_message) ctx->TryCancel();  // a watch would go on
  }
  call->Finish(&answer.status, nullptr);
  Await(cq);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return answer;
}

}  // namespace

GenericAnswer CallGeneric(grpc::GenericStub& stub, grpc::ClientContext* ctx,
                          const std::string& method, const std::string& request, bool streaming) {
  return streaming ? Streaming(stub, ctx, method, nullptr, request)
                   : Unary(stub, ctx, method, request);
}

std::vector<std::string> ReflectedServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // ServerReflectionRequest { list_services = 7: "" }
  const std::string request("\x3a\x00", 2);
  std::string response;
  GenericAnswer a =
      Streaming(stub, &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                &response, request);
  std::vector<std::string> out;
  if (!a.got_message) return out;
  // ServerReflectionResponse { list_services_response = 6 { service = 1 { name = 1 } } }
  google::protobuf::UnknownFieldSet top;
  if (!top.ParseFromString(response)) return out;
  for (int i = 0; i < top.field_count(); ++i) {
    if (top.field(i).number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    if (!list.ParseFromString(top.field(i).length_delimited())) continue;
    for (int j = 0; j < list.field_count(); ++j) {
      if (list.field(j).number() != 1) continue;
      google::protobuf::UnknownFieldSet service;
      if (!service.ParseFromString(list.field(j).length_delimited())) continue;
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) out.push_back(service.field(k).length_delimited());
      }
    }
  }
  return out;
}

}  // namespace pharos::e2e
