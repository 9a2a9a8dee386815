#include "node/node_links.hpp"

#include <algorithm>
#include <string>
#include <system_error>

#include "identity/certificate.hpp"

namespace p2psip::node {

bool is_node_certificate(std::span<const std::uint8_t> leaf_der) {
  std::error_code ec;
  const auto leaf = identity::certificate::from_der(leaf_der, ec);
  if (ec || leaf.is_ca()) return false;
  const auto prefix = identity::node_uri("");
  const auto names = leaf.uri_names();
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    return name.size() > prefix.size() && name.starts_with(prefix);
  });
}

transport::tls_files node_link_tls(const std::filesystem::path& state_dir) {
  transport::tls_files files;
  files.certificate = (state_dir / "node.crt").string();
  files.private_key = (state_dir / "node.key").string();
  files.ca = (state_dir / "ca.crt").string();
  files.verify_peer = true;
  files.authenticate = is_node_certificate;
  return files;
}

}  // namespace p2psip::node
