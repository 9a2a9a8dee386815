#include "dns/client.hpp"

#include <chrono>
#include <utility>

namespace p2psip::dns {

std::unique_ptr<client> client::create(asio::any_io_executor executor, client_settings s,
                                       random_source random, std::error_code& ec) {
  auto network = cares_resolver::create(std::move(executor), s.network, ec);
  if (!network) return nullptr;
  return std::unique_ptr<client>(new client(std::move(network), s, std::move(random)));
}

client::client(std::unique_ptr<cares_resolver> network, const client_settings& s,
               random_source random)
    : network_(std::move(network)),
      cached_(*network_, s.caching, [] { return std::chrono::steady_clock::now(); }),
      locator_(cached_, s.locating, std::move(random),
               [] { return std::chrono::steady_clock::now(); }) {}

}  // namespace p2psip::dns
