#include "broker/viss/dialect.h"

#include "broker/viss/viss_values.h"

namespace pharos::broker::viss {
namespace {

class V2 final : public Dialect {
 public:
  std::string_view subprotocol() const override { return "VISSv2"; }
  Parsed Parse(std::string_view payload) const override { return ParseRequest(payload); }
  std::string Render(nlohmann::json message, const RenderContext&) const override {
    message.erase("echo");
    return VissText(message);
  }
};

}  // namespace

const Dialect& V2Dialect() {
  static const V2 v2;
  return v2;
}

const Dialect* DialectFor(std::string_view subprotocol) {
  for (const Dialect* d : {&V2Dialect(), &DraftDialect(), &V3Dialect()}) {
    if (d->subprotocol() == subprotocol) return d;
  }
  return nullptr;
}

}  // namespace pharos::broker::viss
