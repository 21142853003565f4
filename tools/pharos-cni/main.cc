// pharos-cni: the CNI plugin (specification 1.0.0) that lets container
// runtimes (containerd, CRI-O, podman with the CNI backend) put their
// containers on the vehicle network. It does no networking itself: it
// forwards each call to pharosd over a local socket and prints the answer
// in the format the specification prescribes.
//
//   CNI_COMMAND   ADD | CHECK | DEL | STATUS | VERSION
//   CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH
//   stdin         the network configuration (JSON); its "socket" names
//                 pharosd's socket (default /run/pharos/cni.sock)
//
// Exit 0 with the result (ADD) or nothing (CHECK, DEL, STATUS) on stdout;
// exit 1 with a CNI error object on stdout otherwise.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "cni/protocol.h"

namespace {

using nlohmann::json;
namespace cni = pharos::cni;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int Fail(const std::string& version, int code, const std::string& msg,
         const std::string& details = "") {
  std::cout << cni::ErrorObject(version.empty() ? cni::kLatestVersion : version, code, msg, details)
                   .dump(2)
            << "\n";
  return 1;
}

}  // namespace

int main() {
  std::string command = Env("CNI_COMMAND");
  if (command == "VERSION") {
    std::cout << json{{"cniVersion", cni::kLatestVersion},
                      {"supportedVersions", cni::SupportedVersions()}}
                     .dump()
              << "\n";
    return 0;
  }
  if (command.empty()) {
    return Fail("", cni::kInvalidEnvironment, "CNI_COMMAND is not set",
                "pharos-cni is run by a container runtime; see docs/cni.md");
  }
  std::string stdin_text((std::istreambuf_iterator<char>(std::cin)),
                         std::istreambuf_iterator<char>());
  json config = json::parse(stdin_text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    if (command == "STATUS" && stdin_text.empty())
      config = json::object();
    else
      return Fail("", cni::kDecodingFailure, "the network configuration on stdin is not JSON");
  }
  std::string version = config.value("cniVersion", "");
  std::string socket = config.value("socket", cni::kDefaultSocket);
  // The longest wait is ADD building the pod; pharosd bounds it itself.
  int timeout_ms = config.value("timeoutMs", 60000);
  json request = {{"command", command},        {"containerId", Env("CNI_CONTAINERID")},
                  {"netns", Env("CNI_NETNS")}, {"ifname", Env("CNI_IFNAME")},
                  {"args", Env("CNI_ARGS")},   {"config", config}};
  cni::ExchangeResult exchanged =
      cni::Exchange(socket, request, std::chrono::milliseconds(timeout_ms));
  if (!exchanged.ok) {
    int code = command == "STATUS" ? cni::kPluginNotAvailable : cni::kTryAgainLater;
    return Fail(version, code, "pharosd is not reachable", exchanged.error);
  }
  const json& answer = exchanged.answer;
  int code = answer.value("code", 999);
  if (code != 0) {
    return Fail(version, code, answer.value("msg", "pharosd refused"), answer.value("details", ""));
  }
  if (command == "ADD") std::cout << answer["result"].dump(2) << "\n";
  return 0;
}
