// The CNI side of Pharos: what pharos-cni (the plugin a container runtime
// executes) and pharosd (which does the work) say to each other over a
// local socket, and the pieces of the CNI specification both need.
//
// The exchange is one JSON object each way on a fresh connection: the
// plugin writes the request and shuts its side down, pharosd answers and
// closes. Request: {"command", "containerId", "netns", "ifname", "args",
// "config"}, all as the runtime gave them. Answer: {"code": 0, "result":
// {...}} or {"code": N, "msg": "...", "details": "..."} with N a CNI error
// code; the plugin prints the result or the CNI error object.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pharos::cni {

inline constexpr char kDefaultSocket[] = "/run/pharos/cni.sock";
inline constexpr char kLatestVersion[] = "1.0.0";

// CNI error codes (CNI specification 1.0, "Error"; 50 is from 1.1's STATUS).
enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodingFailure = 6,
  kInvalidNetworkConfig = 7,
  kTryAgainLater = 11,
  kPluginNotAvailable = 50,
  // Pharos's own (100 and up, as the specification reserves them).
  kAddressUnavailable = 101,  // the subnet is exhausted or the static address taken
  kSetupFailed = 102,         // the dataplane could not build the pod
  kCheckFailed = 103,         // CHECK found the pod not as it was set up
};

// The versions whose result format pharos-cni writes (VERSION lists them).
const std::vector<std::string>& SupportedVersions();
bool IsSupportedVersion(std::string_view version);

// "K8S_POD_NAME=web;IgnoreUnknown=1" → {K8S_POD_NAME: web, IgnoreUnknown: 1}.
std::map<std::string, std::string> ParseCniArgs(std::string_view args);

nlohmann::json ErrorAnswer(int code, std::string_view msg, std::string_view details = "");

// The CNI error object a plugin prints.
nlohmann::json ErrorObject(std::string_view cni_version, int code, std::string_view msg,
                           std::string_view details);

// Plugin side: one request, one answer, within `timeout`. (No abseil
// here: the plugin is started per container, and every shared library it
// loads is paid for on each start.)
struct ExchangeResult {
  bool ok = false;
  std::string error;  // why, when !ok
  nlohmann::json answer;
};
ExchangeResult Exchange(const std::string& socket_path, const nlohmann::json& request,
                        std::chrono::milliseconds timeout);

}  // namespace pharos::cni
