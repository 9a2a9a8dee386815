#include "node/srv_bootstrap.hpp"

#include <spdlog/spdlog.h>

namespace p2psip::node {

std::string srv_bootstrap_name(std::string_view overlay) {
  return "_p2psip._udp." + std::string(overlay);
}

srv_bootstrap::srv_bootstrap(asio::io_context& io, dns::resolver& dns,
                             srv_bootstrap_settings settings, std::function<bool()> joined,
                             contacts_handler found)
    : dns_(dns),
      settings_(std::move(settings)),
      joined_(std::move(joined)),
      found_(std::move(found)),
      retry_(io) {}

void srv_bootstrap::start() {
  look_up();
}

void srv_bootstrap::look_up() {
  ++counters_.lookups;
  dns_.query(settings_.name, dns::rr_type::srv,
             [this, alive = std::weak_ptr<bool>(alive_)](std::error_code ec, dns::answer answer) {
               if (alive.lock()) on_srv(ec, answer);
             });
  schedule_retry();
}

void srv_bootstrap::on_srv(std::error_code ec, const dns::answer& answer) {
  if (ec) {
    ++counters_.failures;
    spdlog::warn("overlay bootstrap: no SRV records at {}: {}", settings_.name, ec.message());
    return;
  }
  for (const auto& r : answer.srvs) {
    if (r.target == "." || r.target.empty()) continue;
    dns_.query(r.target, dns::rr_type::a,
               [this, alive = std::weak_ptr<bool>(alive_), target = r.target, port = r.port](
                   std::error_code a_ec, dns::answer addresses) {
                 if (!alive.lock()) return;
                 if (a_ec) {
                   ++counters_.failures;
                   spdlog::warn("overlay bootstrap: {} (SRV target of {}): {}", target,
                                settings_.name, a_ec.message());
                   return;
                 }
                 std::vector<asio::ip::udp::endpoint> contacts;
                 for (const auto& address : addresses.addresses)
                   if (address.is_v4()) contacts.emplace_back(address, port);
                 counters_.contacts += contacts.size();
                 spdlog::info("overlay bootstrap: {} contacts at {} (SRV {})", contacts.size(),
                              target, settings_.name);
                 if (!contacts.empty()) found_(contacts);
               });
  }
}

void srv_bootstrap::schedule_retry() {
  retry_.expires_after(settings_.retry_every);
  retry_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](std::error_code ec) {
    if (ec || !alive.lock()) return;
    if (joined_())
      schedule_retry();
    else
      look_up();
  });
}

}  // namespace p2psip::node
