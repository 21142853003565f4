// NAT objects of one namespace as one libnftables JSON transaction that
// replaces Pharos's own table atomically. Pure: unit-tested without nft.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace pharos::dataplane {

inline constexpr char kNatTable[] = "pharos_nat";

// Identifies the desired NAT content; stored in every rule's comment so
// the reconciler can tell from the kernel whether the table is current.
std::string NatFingerprint(const std::vector<plan::NatObject>& nats);

// {"nftables": [...]}: (re)create table ip pharos_nat with a dstnat
// prerouting chain and a srcnat postrouting chain holding the rules.
std::string NatRulesetJson(const std::vector<plan::NatObject>& nats);
// Removes the table if it exists (add + delete in one transaction).
std::string NatDeleteJson();

}  // namespace pharos::dataplane
