// Certificates for TLS tests, made by the openssl command line in a test's
// own directory: <name>.pem (certificate) and <name>.key (private key).
#pragma once

#include <string>

namespace pharos::e2e {

// A self-signed CA named `name`.
bool MakeCa(const std::string& dir, const std::string& name, std::string* log);
// A certificate with CN `name` signed by the CA `ca` (made by MakeCa in the
// same directory); `subject_alt_name` e.g. "IP:127.0.0.1", "" for none.
bool MakeCertificate(const std::string& dir, const std::string& ca, const std::string& name,
                     const std::string& subject_alt_name, std::string* log);

}  // namespace pharos::e2e
