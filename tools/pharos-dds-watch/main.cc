// pharos-dds-watch: DDS discovery for pharosd, one process per network
// interface watched. Cyclone DDS binds its sockets in the network
// namespace it starts in and allows one instance of a domain per process,
// so pharosd runs one of these per bridge, inside that bridge's namespace.
// It joins the domain on that interface, reads the built-in participant
// and publication topics, and prints one JSON object per line:
//
//   {"kind":"participant","guid":"…","alive":true,"address":"10.2.1.2","port":57136,
//    "hostname":"…"}
//   {"kind":"publication","guid":"…","participant":"…","topic":"…","type":"…","alive":true}
//
// It exits when pharosd does (parent-death signal) or stdout closes.
#include <dds/dds.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace {

std::string Hex(const dds_guid_t& g) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned char b : g.v) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::string Property(const dds_qos_t* qos, const char* name) {
  char* value = nullptr;
  if (!qos || !dds_qget_prop(qos, name, &value) || !value) return "";
  std::string s = value;
  dds_free(value);
  return s;
}

// The first unicast IPv4 locator in Cyclone's "__NetworkAddresses"
// property ("udp/239.255.0.1:7400@2,udp/10.2.1.2:57136@2").
std::pair<std::string, int> UnicastLocator(const std::string& addresses) {
  static const std::regex locator(R"((\d{1,3})(\.\d{1,3}){3}:(\d+))");
  for (auto it = std::sregex_iterator(addresses.begin(), addresses.end(), locator);
       it != std::sregex_iterator(); ++it) {
    if (std::stoi((*it)[1].str()) >= 224) continue;  // multicast
    std::string s = it->str();
    return {s.substr(0, s.find(':')), std::stoi((*it)[3].str())};
  }
  return {"", 0};
}

bool Emit(const nlohmann::json& j) {
  std::string line = j.dump() + "\n";
  return fwrite(line.data(), 1, line.size(), stdout) == line.size() && fflush(stdout) == 0;
}

int Usage() {
  fprintf(stderr,
          "usage: pharos-dds-watch --interface IF [--netns NAME] [--domain ID] [--parent PID]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string netns, interface;
  dds_domainid_t domain = 0;
  pid_t parent = 0;  // pharosd: the watcher lives no longer than it
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--netns")
      netns = argv[i + 1];
    else if (flag == "--interface")
      interface = argv[i + 1];
    else if (flag == "--domain")
      domain = static_cast<dds_domainid_t>(atoi(argv[i + 1]));
    else if (flag == "--parent")
      parent = static_cast<pid_t>(atoi(argv[i + 1]));
    else
      return Usage();
  }
  if (interface.empty() || interface.find_first_of("<>\"&") != std::string::npos) return Usage();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  // pharosd may have died before the line above: then no signal comes.
  if (parent > 0 && getppid() != parent) return 0;
  signal(SIGPIPE, SIG_DFL);
  if (!netns.empty()) {
    int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
      fprintf(stderr, "pharos-dds-watch: cannot enter network namespace %s: %s\n", netns.c_str(),
              strerror(errno));
      return 1;
    }
    close(fd);
  }
  std::string config =
      "<CycloneDDS><Domain Id=\"any\"><General><Interfaces><NetworkInterface name=\"" + interface +
      "\"/></Interfaces></General></Domain></CycloneDDS>";
  if (dds_create_domain(domain, config.c_str()) < 0) {
    fprintf(stderr, "pharos-dds-watch: cannot join domain %d on %s\n", static_cast<int>(domain),
            interface.c_str());
    return 1;
  }
  dds_entity_t participant = dds_create_participant(domain, nullptr, nullptr);
  if (participant < 0) return 1;
  dds_guid_t self;
  dds_get_guid(participant, &self);
  dds_entity_t participants =
      dds_create_reader(participant, DDS_BUILTIN_TOPIC_DCPSPARTICIPANT, nullptr, nullptr);
  dds_entity_t publications =
      dds_create_reader(participant, DDS_BUILTIN_TOPIC_DCPSPUBLICATION, nullptr, nullptr);
  dds_entity_t waitset = dds_create_waitset(participant);
  dds_waitset_attach(waitset, dds_create_readcondition(participants, DDS_ANY_STATE), 0);
  dds_waitset_attach(waitset, dds_create_readcondition(publications, DDS_ANY_STATE), 1);
  auto is_self = [&](const dds_guid_t& g) { return memcmp(g.v, self.v, 12) == 0; };
  constexpr int kBatch = 32;
  while (true) {
    dds_waitset_wait(waitset, nullptr, 0, DDS_SECS(1));
    void* samples[kBatch] = {};
    dds_sample_info_t infos[kBatch];
    int n = dds_take(participants, samples, infos, kBatch, kBatch);
    for (int i = 0; i < n; ++i) {
      auto* p = static_cast<dds_builtintopic_participant_t*>(samples[i]);
      if (is_self(p->key)) continue;
      bool alive = infos[i].instance_state == DDS_IST_ALIVE;
      nlohmann::json j = {{"kind", "participant"}, {"guid", Hex(p->key)}, {"alive", alive}};
      if (infos[i].valid_data) {
        auto [address, port] = UnicastLocator(Property(p->qos, "__NetworkAddresses"));
        j["address"] = address;
        j["port"] = port;
        j["hostname"] = Property(p->qos, "__Hostname");
      }
      if (!Emit(j)) return 0;
    }
    if (n > 0) dds_return_loan(participants, samples, n);
    void* pubs[kBatch] = {};
    n = dds_take(publications, pubs, infos, kBatch, kBatch);
    for (int i = 0; i < n; ++i) {
      auto* e = static_cast<dds_builtintopic_endpoint_t*>(pubs[i]);
      if (is_self(e->key)) continue;
      nlohmann::json j = {{"kind", "publication"},
                          {"guid", Hex(e->key)},
                          {"alive", infos[i].instance_state == DDS_IST_ALIVE}};
      if (infos[i].valid_data) {
        j["participant"] = Hex(e->participant_key);
        j["topic"] = e->topic_name ? e->topic_name : "";
        j["type"] = e->type_name ? e->type_name : "";
      }
      if (!Emit(j)) return 0;
    }
    if (n > 0) dds_return_loan(publications, pubs, n);
  }
}
