// pharosctl's commands. Each returns an ExitCode.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "output.h"

namespace pharosctl {

struct Context {
  std::string server;
  bool json = false;
  Style style;
  std::string interface_prefix = "ph-";
  std::shared_ptr<grpc::Channel> Channel() const;
};

int Validate(const Context& ctx, const std::string& file, bool local);
int Apply(const Context& ctx, const std::string& file, bool dry_run);
int Plan(const Context& ctx, const std::string& file, const std::string& version);
int Diff(const Context& ctx, const std::string& from, const std::string& to,
         const std::string& file);
int Rollback(const Context& ctx, const std::string& version);
int Versions(const Context& ctx);
int Status(const Context& ctx, const std::string& filter);

}  // namespace pharosctl
