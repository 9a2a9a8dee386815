#include "node/relay_role.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace p2psip::node {
namespace {

std::string failure_text(const relay::probe_result& r) {
  std::string out(relay::to_string(r.step));
  out += ": ";
  if (r.server_code != 0)
    out += std::to_string(r.server_code) + " " + r.server_reason;
  else
    out += r.error.message();
  return out;
}

std::string address_text(const relay::transport_address& a) {
  const auto host = a.address.is_v6() ? "[" + a.address.to_string() + "]" : a.address.to_string();
  return host + ":" + std::to_string(a.port);
}

}  // namespace

relay_role::relay_role(asio::io_context& io, service_directory& relays,
                       relay_role_settings settings)
    : relays_(relays), settings_(std::move(settings)), timer_(io) {
  for (const auto& uri : settings_.servers) {
    const auto parsed = relay::parse_turn_uri(uri);
    const auto target = parsed.error ? std::nullopt : relay::literal_target(parsed.uri);
    if (!target) throw std::invalid_argument("a TURN server the relay role cannot check: " + uri);
    targets_.push_back(*target);
    probes_.push_back(std::make_unique<relay::turn_probe>(io.get_executor(), settings_.probe));
    health_.push_back({.uri = uri});
  }
}

relay_role::~relay_role() {
  timer_.cancel();
}

void relay_role::start() {
  check_all();
}

void relay_role::check_all() {
  if (stopped_) return;
  ++counters_.rounds;
  pending_ = targets_.size();
  for (std::size_t i = 0; i < targets_.size(); ++i)
    probes_[i]->run(targets_[i], settings_.secret,
                    [this, i](relay::probe_result result) { checked(i, result); });
}

void relay_role::checked(std::size_t i, const relay::probe_result& result) {
  auto& h = health_[i];
  ++h.checks;
  h.last_check = std::chrono::steady_clock::now();
  if (result.ok) {
    if (!h.healthy && h.checks > 1) spdlog::warn("relay {}: works again, advertised", h.uri);
    h.healthy = true;
    h.rtt = result.rtt;
    if (result.relayed) h.relayed = address_text(*result.relayed);
  } else {
    ++h.failures;
    h.last_failure = failure_text(result);
    if (h.healthy || h.checks == 1)
      spdlog::warn("relay {}: check failed ({}), not advertised", h.uri, h.last_failure);
    h.healthy = false;
  }
  if (--pending_ != 0 || stopped_) return;
  advertise();
  timer_.expires_after(settings_.check_every);
  timer_.async_wait([this](std::error_code ec) {
    if (!ec) check_all();
  });
}

void relay_role::advertise() {
  std::vector<std::string> healthy;
  for (const auto& h : health_)
    if (h.healthy) healthy.push_back(h.uri);
  if (advertised_once_ && healthy == advertised_) return;
  advertised_once_ = true;
  advertised_ = healthy;
  if (healthy.empty()) {
    // Nothing to offer: a version with no URI, which readers skip at once.
    if (!relays_.offering() && counters_.publications == 0) return;
    ++counters_.withdrawals;
    return relays_.withdraw([](std::error_code) {});
  }
  ++counters_.publications;
  overlay::service_record offer;
  offer.uris = std::move(healthy);
  offer.realm = settings_.realm;
  offer.auth_scheme = "turn-rest";
  offer.capacity = static_cast<std::uint32_t>(settings_.servers.size());
  relays_.offer(std::move(offer));
}

void relay_role::stop(std::function<void()> done) {
  stopped_ = true;
  timer_.cancel();
  if (!relays_.offering()) return done();
  ++counters_.withdrawals;
  relays_.withdraw([done = std::move(done)](std::error_code) { done(); });
}

}  // namespace p2psip::node
