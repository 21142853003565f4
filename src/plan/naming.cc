#include "plan/naming.h"

#include <fmt/format.h>

#include <cstdint>

#include "common/strings.h"

namespace pharos::plan {
namespace {

constexpr size_t kMaxName = 15;

uint32_t Fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

std::string InterfaceName(std::string_view prefix, std::string_view base) {
  if (prefix.size() + base.size() <= kMaxName) return StrCat(prefix, base);
  size_t keep = kMaxName > prefix.size() + 5 ? kMaxName - prefix.size() - 5 : 0;
  return StrCat(prefix, base.substr(0, keep), "-",
                      fmt::format("{:04x}", Fnv1a(base) & 0xffff));
}

std::string NamespaceName(std::string_view prefix, std::string_view node) {
  return StrCat(prefix, node);
}

std::optional<std::string> NodeNamespaces::Of(std::string_view node) const {
  if (host_node.empty()) return NamespaceName(interface_prefix, node);
  if (node == host_node) return "";
  return std::nullopt;
}

}  // namespace pharos::plan
