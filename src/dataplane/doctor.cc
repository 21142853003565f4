#include "dataplane/doctor.h"

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <nftables/libnftables.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/strings.h"
#include "netlink/netns.h"
#include "netlink/socket.h"

namespace pharos::dataplane {
namespace {

struct Probe {
  const char* feature;
  const char* without;
};

// What each missing feature means for Pharos.
constexpr Probe kNetns{"network namespaces",
                       "emulated mode is impossible; use host mode on real nodes"};
constexpr Probe kVeth{"veth", "emulated mode cannot join namespaces; use host mode"};
constexpr Probe kBridge{"bridge", "subnets cannot be emulated; use host mode"};
constexpr Probe kNftables{"nftables", "no NAT and no security policy: applies are refused "
                                      "when the configuration has NAT"};
constexpr Probe kNat{"nftables NAT", "configurations with `nat:` are refused"};
constexpr Probe kNflog{"NFLOG (log group)", "denied packets cannot be reported as security "
                                            "events; counters only"};
constexpr Probe kBrNetfilter{"br_netfilter (bridged IPv4 to nftables)",
                             "traffic between pods on one bridge is not judged by the security "
                             "policy; only routed traffic is"};
constexpr Probe kVlan{"802.1Q VLAN devices", "VLAN tags in the YAML are planned and validated "
                                            "but not built; the twin uses untagged bridges"};
constexpr Probe kTaprio{"taprio qdisc (TSN 802.1Qbv)", "time-aware shaping is planned, not "
                                                     "applied; htb/tbf shape by rate instead"};
constexpr Probe kCbs{"cbs qdisc (TSN 802.1Qav)", "credit-based shaping falls back to htb"};
constexpr Probe kEtf{"etf qdisc (launch time)", "launch-time scheduling is not applied"};
constexpr Probe kHtb{"htb qdisc", "no rate shaping at all"};
constexpr Probe kXdp{"XDP on veth (native)", "the fast path falls back to the kernel's "
                                           "normal forwarding"};

FeatureCheck Result(const Probe& p, const absl::Status& s) {
  return {p.feature, s.ok(), s.ok() ? "" : std::string(s.message()), p.without};
}

// Inside the probe namespace: the sysctl exists per namespace once the
// module is loaded, and must be on (new namespaces start with it on).
absl::Status BrNetfilter() {
  FILE* f = fopen("/proc/sys/net/bridge/bridge-nf-call-iptables", "r");
  if (!f) return absl::UnavailableError("br_netfilter is not loaded (modprobe br_netfilter)");
  int c = fgetc(f);
  fclose(f);
  return c == '1' ? absl::OkStatus()
                  : absl::UnavailableError("net.bridge.bridge-nf-call-iptables is 0");
}

absl::Status Nft(const char* commands) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return absl::InternalError("nft_ctx_new failed");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  int rc = nft_run_cmd_from_buffer(ctx, commands);
  absl::Status s = absl::OkStatus();
  if (rc != 0) {
    const char* err = nft_ctx_get_error_buffer(ctx);
    s = absl::UnavailableError(err ? err : "nft failed");
  }
  nft_ctx_free(ctx);
  return s;
}

// Loads "return XDP_PASS" and attaches it to `ifindex` in driver mode.
absl::Status TryXdp(netlink::Socket& socket, int ifindex) {
  bpf_insn program[2] = {};
  program[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
  program[0].dst_reg = BPF_REG_0;
  program[0].imm = XDP_PASS;
  program[1].code = BPF_JMP | BPF_EXIT;
  static const char kLicense[] = "GPL";
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_XDP;
  attr.insns = reinterpret_cast<uint64_t>(program);
  attr.insn_cnt = 2;
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  int fd = static_cast<int>(syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
  if (fd < 0) return absl::UnavailableError(StrCat("BPF_PROG_LOAD: ", std::strerror(errno)));
  netlink::Request r(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_index = ifindex;
  nlattr* xdp = r.BeginNest(IFLA_XDP);
  r.PutU32(IFLA_XDP_FD, static_cast<uint32_t>(fd));
  r.PutU32(IFLA_XDP_FLAGS, XDP_FLAGS_DRV_MODE);
  r.EndNest(xdp);
  absl::Status s = socket.Execute(r);
  close(fd);
  return s;
}

}  // namespace

absl::StatusOr<std::vector<FeatureCheck>> ProbeKernelFeatures() {
  if (geteuid() != 0) {
    return absl::PermissionDeniedError(
        "doctor tries each feature in a throwaway network namespace and needs root");
  }
  std::vector<FeatureCheck> out;
  std::string ns = StrCat("pharos-doctor-", getpid());
  absl::Status created = netlink::CreateNamedNetns(ns);
  out.push_back(Result(kNetns, created));
  if (!created.ok()) return out;
  {
    absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(ns);
    if (!inside.ok()) return inside.status();
    absl::StatusOr<std::unique_ptr<netlink::Socket>> socket = netlink::Socket::Open();
    if (!socket.ok()) return socket.status();
    netlink::Socket& nl = **socket;
    auto index_of = [&](const char* name) {
      int index = 0;
      netlink::Request get = netlink::GetLink(name);
      (void)nl.Query(get, [&](const nlmsghdr* m) {
        if (auto l = netlink::ParseLink(m)) index = l->index;
      });
      return index;
    };
    netlink::Request veth = netlink::NewVeth("doc0", "doc1", -1);
    absl::Status veth_ok = nl.Execute(veth);
    out.push_back(Result(kVeth, veth_ok));
    netlink::Request bridge = netlink::NewBridge("docbr");
    out.push_back(Result(kBridge, nl.Execute(bridge)));
    int doc0 = index_of("doc0");
    netlink::Request vlan = netlink::NewVlan("doc0.10", doc0, 10);
    out.push_back(Result(kVlan, doc0 ? nl.Execute(vlan) : veth_ok));
    for (const Probe* q : {&kTaprio, &kCbs, &kEtf, &kHtb}) {
      // Only "unknown kind" (ENOENT) means missing; a kind that exists
      // refuses the missing options with EINVAL.
      std::string kind = std::string(q->feature).substr(0, std::string(q->feature).find(' '));
      netlink::Request qdisc = netlink::NewRootQdisc(index_of("doc1"), kind);
      absl::Status s = nl.Execute(qdisc);
      if (absl::IsInvalidArgument(s)) s = absl::OkStatus();
      out.push_back(Result(*q, s));
      netlink::Request del(RTM_DELQDISC, NLM_F_ACK);
      auto* tc = del.PutFamilyHeader<tcmsg>();
      tc->tcm_ifindex = index_of("doc1");
      tc->tcm_parent = TC_H_ROOT;
      (void)nl.Execute(del);
    }
    out.push_back(Result(kNftables, Nft("add table ip pharos_doctor")));
    out.push_back(Result(kNat, Nft("add chain ip pharos_doctor post "
                                   "{ type nat hook postrouting priority 100; }")));
    out.push_back(Result(kNflog, Nft("add chain ip pharos_doctor f; "
                                     "add rule ip pharos_doctor f log group 7")));
    out.push_back(Result(kBrNetfilter, BrNetfilter()));
    out.push_back(Result(kXdp, doc0 ? TryXdp(nl, doc0) : veth_ok));
  }
  (void)netlink::DeleteNamedNetns(ns);
  return out;
}

}  // namespace pharos::dataplane
