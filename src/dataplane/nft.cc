#include "dataplane/nft.h"

#include <nftables/libnftables.h>

#include "common/strings.h"
#include "netlink/netns.h"

namespace pharos::dataplane {

absl::Status RunNftInNamespace(const std::string& ns, const std::string& commands,
                               NftSyntax syntax, std::string* output) {
  // An nftables context talks to the namespace it was used in: create,
  // use and free it inside the namespace.
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(ns);
  if (!inside.ok()) return inside.status();
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return absl::InternalError("nft_ctx_new failed");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  if (syntax == NftSyntax::kJson) nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
  int rc = nft_run_cmd_from_buffer(ctx, commands.c_str());
  absl::Status status = absl::OkStatus();
  if (rc != 0) {
    const char* err = nft_ctx_get_error_buffer(ctx);
    status = absl::InternalError(StrCat(ns.empty() ? std::string("host namespace") : ns,
                                        ": nftables: ", err ? err : "failed"));
  } else if (output) {
    const char* out = nft_ctx_get_output_buffer(ctx);
    *output = out ? out : "";
  }
  nft_ctx_free(ctx);
  return status;
}

}  // namespace pharos::dataplane
