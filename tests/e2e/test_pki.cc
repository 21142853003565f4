#include "e2e/test_pki.h"

#include "e2e/daemon_process.h"

namespace pharos::e2e {

bool MakeCa(const std::string& dir, const std::string& name, std::string* log) {
  return RunCommand("cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " + name +
                        ".key -out " + name + ".pem -days 1 -subj /CN=" + name,
                    log) == 0;
}

bool MakeCertificate(const std::string& dir, const std::string& ca, const std::string& name,
                     const std::string& subject_alt_name, std::string* log) {
  std::string script = "set -e; cd " + dir + "; openssl req -newkey rsa:2048 -nodes -keyout " +
                       name + ".key -out " + name + ".csr -subj /CN=" + name + "; : > " + name +
                       ".ext";
  if (!subject_alt_name.empty()) {
    script += "; printf 'subjectAltName=" + subject_alt_name + "' > " + name + ".ext";
  }
  script += "; openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
            ".key -CAcreateserial -out " + name + ".pem -days 1 -extfile " + name + ".ext";
  return RunCommand(script, log) == 0;
}

}  // namespace pharos::e2e
