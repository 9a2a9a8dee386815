#include "node/gateway_role.hpp"

#include <algorithm>

#include "secrets/private_file.hpp"

namespace p2psip::node {

std::optional<proxy::trunk> gateway_trunk(const node_config& c) {
  if (std::find(c.roles.begin(), c.roles.end(), role::gateway) == c.roles.end())
    return std::nullopt;
  return proxy::trunk{c.gateway_trunk, c.gateway_numbers};
}

std::string check_trunk_credentials(const node_config& c) {
  if (c.gateway_password_file.empty()) return {};
  const auto read = secrets::read_private_file(c.gateway_password_file);
  return read ? std::string() : read.error;
}

gateway_role::gateway_role(gateways& directory, std::string node_link_uri, proxy::trunk trunk)
    : directory_(directory), node_link_uri_(std::move(node_link_uri)), trunk_(std::move(trunk)) {}

void gateway_role::start() {
  directory_.offer(node_link_uri_, trunk_.numbers);
}

void gateway_role::stop(std::function<void()> done) {
  directory_.withdraw([done = std::move(done)](std::error_code) { done(); });
}

}  // namespace p2psip::node
