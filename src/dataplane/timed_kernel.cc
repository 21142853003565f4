#include "dataplane/timed_kernel.h"

namespace pharos::dataplane {
std::map<std::string, KernelOpStats> TimedKernel::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void TimedKernel::Reset() {
  std::lock_guard lock(mu_);
  stats_.clear();
}

absl::StatusOr<std::vector<std::string>> TimedKernel::ListNamespaces() {
  return Timed("ListNamespaces", [&] { return inner_->ListNamespaces(); });
}

bool TimedKernel::NamespaceExists(const std::string& ns) {
  return Timed("NamespaceExists", [&] { return inner_->NamespaceExists(ns); });
}

absl::Status TimedKernel::CreateNamespace(const std::string& ns, const std::string& marker, const std::string& attach_to) {
  return Timed("CreateNamespace", [&] { return inner_->CreateNamespace(ns, marker, attach_to); });
}

absl::StatusOr<std::string> TimedKernel::NamespaceMarkerOf(const std::string& ns) {
  return Timed("NamespaceMarkerOf", [&] { return inner_->NamespaceMarkerOf(ns); });
}

absl::Status TimedKernel::MarkNamespace(const std::string& ns, const std::string& marker) {
  return Timed("MarkNamespace", [&] { return inner_->MarkNamespace(ns, marker); });
}

absl::Status TimedKernel::DeleteNamespace(const std::string& ns) {
  return Timed("DeleteNamespace", [&] { return inner_->DeleteNamespace(ns); });
}

absl::StatusOr<ObservedNamespace> TimedKernel::Observe(const std::string& ns) {
  return Timed("Observe", [&] { return inner_->Observe(ns); });
}

absl::Status TimedKernel::SetForwarding(const std::string& ns, bool enabled) {
  return Timed("SetForwarding", [&] { return inner_->SetForwarding(ns, enabled); });
}

absl::Status TimedKernel::CreateBridge(const std::string& ns, const std::string& name) {
  return Timed("CreateBridge", [&] { return inner_->CreateBridge(ns, name); });
}

absl::Status TimedKernel::CreateVeth(const plan::VethObject& v) {
  return Timed("CreateVeth", [&] { return inner_->CreateVeth(v); });
}

absl::Status TimedKernel::SetLinkMac(const std::string& ns, const std::string& name,
                                     const MacAddress& mac) {
  return Timed("SetLinkMac", [&] { return inner_->SetLinkMac(ns, name, mac); });
}

absl::Status TimedKernel::ConfigureLink(const std::string& ns, const std::string& name, const std::string& master, bool up) {
  return Timed("ConfigureLink", [&] { return inner_->ConfigureLink(ns, name, master, up); });
}

absl::Status TimedKernel::DeleteLink(const std::string& ns, const std::string& name) {
  return Timed("DeleteLink", [&] { return inner_->DeleteLink(ns, name); });
}

absl::Status TimedKernel::AddAddress(const std::string& ns, const plan::AddressObject& a) {
  return Timed("AddAddress", [&] { return inner_->AddAddress(ns, a); });
}

absl::Status TimedKernel::DeleteAddress(const std::string& ns, const netlink::AddressEntry& a) {
  return Timed("DeleteAddress", [&] { return inner_->DeleteAddress(ns, a); });
}

absl::Status TimedKernel::AddRoute(const std::string& ns, const plan::RouteObject& r) {
  return Timed("AddRoute", [&] { return inner_->AddRoute(ns, r); });
}

absl::Status TimedKernel::DeleteRoute(const std::string& ns, const netlink::RouteEntry& r) {
  return Timed("DeleteRoute", [&] { return inner_->DeleteRoute(ns, r); });
}

absl::Status TimedKernel::AddRule(const std::string& ns, const plan::RuleObject& r) {
  return Timed("AddRule", [&] { return inner_->AddRule(ns, r); });
}

absl::Status TimedKernel::DeleteRule(const std::string& ns, const netlink::RuleEntry& r) {
  return Timed("DeleteRule", [&] { return inner_->DeleteRule(ns, r); });
}

absl::Status TimedKernel::ReplaceNat(const std::string& ns, const std::vector<plan::NatObject>& nats) {
  return Timed("ReplaceNat", [&] { return inner_->ReplaceNat(ns, nats); });
}

absl::StatusOr<netlink::RouteEntry> TimedKernel::LookupRoute(const std::string& ns, Ipv4Address destination) {
  return Timed("LookupRoute", [&] { return inner_->LookupRoute(ns, destination); });
}

absl::StatusOr<std::vector<netlink::Link>> TimedKernel::Links(const std::string& ns) {
  return Timed("Links", [&] { return inner_->Links(ns); });
}

void TimedKernel::Forget(const std::string& ns) { inner_->Forget(ns); }

}  // namespace pharos::dataplane
