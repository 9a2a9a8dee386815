#include "node/sip_server.hpp"

#include <spdlog/spdlog.h>

namespace p2psip::node {

sip_server::sip_server(asio::io_context& io, server_config config,
                       const auth::credentials_store* users)
    : io_(io), config_(std::move(config)), users_(users), timer_(io), watch_timer_(io) {
  transport_ = std::make_unique<transport::transport_layer>(
      io_.get_executor(), config_.transport,
      [this](const transport::received& r) { on_message(r); });
}

sip_server::~sip_server() {
  stop();
}

transport::start_error sip_server::start() {
  if (auto error = transport_->start()) return error;
  locals_ = transport_->local_endpoints();
  server_core_io hooks;
  hooks.send = [this](std::string bytes, const transport::endpoint& to, txn::transaction_id id) {
    traffic_.seen({direction::sent, bytes, local_for(to), to, std::chrono::system_clock::now(),
                   traffic_.tapped() ? call_id_of(bytes) : std::string_view()});
    transport_->send(std::move(bytes), to, [this, id](std::error_code ec) {
      if (!ec || id == 0 || !core_) return;
      spdlog::debug("send failed for transaction {}: {}", id, ec.message());
      core_->transport_failed(id);
    });
  };
  hooks.now = [] { return txn::clock::now(); };
  hooks.wall_now = [] { return proxy::wall_clock::now(); };
  hooks.wake_at = [this](std::optional<txn::time_point> deadline) { wake_at(deadline); };
  hooks.from_node = [this](const transport::endpoint& source) {
    return config_.plain_links || transport_->authenticated(source);
  };
  hooks.behind = [this] { return draining_ || transport_->behind(); };
  try {
    core_ = std::make_unique<server_core>(config_, transport_->local_endpoints(), std::move(hooks),
                                          users_);
  } catch (const std::invalid_argument& e) {
    return {std::make_error_code(std::errc::invalid_argument), e.what()};
  }
  for (const auto& e : local_endpoints()) spdlog::info("listening on {}", transport::to_string(e));
  watch_refusals();
  return {};
}

void sip_server::stop() {
  timer_.cancel();
  watch_timer_.cancel();
  if (transport_) transport_->stop();
}

bool sip_server::originate(std::string request, std::string user,
                           proxy::proxy_core::local_answer answered) {
  return core_ && core_->originate(std::move(request), std::move(user), std::move(answered));
}

std::vector<transport::endpoint> sip_server::local_endpoints() const {
  return transport_->local_endpoints();
}

const proxy::proxy_core::counters& sip_server::proxy_stats() const {
  return core_->proxy_stats();
}
transport::counters sip_server::transport_stats() const {
  return transport_->stats();
}
const txn::transaction_layer::counters& sip_server::txn_stats() const {
  return core_->txn_stats();
}

void sip_server::on_message(const transport::received& r) {
  if (!core_) return;
  if (spdlog::should_log(spdlog::level::debug)) {
    const auto& m = r.msg;
    // At most ~100 bytes of what the peer sent goes into a log line.
    const auto first = m.start_line().substr(0, 100);
    spdlog::debug("recv \"{}\" call-id={} from {}", first, m.call_id().substr(0, 64),
                  transport::to_string(r.source));
  }
  traffic_.seen({direction::received, r.msg.raw(), r.local, r.source,
                 std::chrono::system_clock::now(), r.msg.call_id()});
  core_->receive(r.msg, r.source);
}

transport::endpoint sip_server::local_for(const transport::endpoint& to) const {
  for (const auto& e : locals_)
    if (e.proto == to.proto && e.address.is_v4() == to.address.is_v4()) return e;
  return locals_.empty() ? transport::endpoint{} : locals_.front();
}

// Refusals come in floods: one line per kind and period, with the count,
// tells the operator without letting a flood write the log.
void sip_server::watch_refusals() {
  watch_timer_.expires_after(std::chrono::seconds(10));
  watch_timer_.async_wait([this](std::error_code ec) {
    if (ec || !core_) return;
    const auto t = transport_->stats();
    const refusals now{t.requests_over_rate, t.tls_handshake_failures,
                       t.refused_connection_limit + t.refused_source_limit,
                       core_->proxy_stats().overloaded + core_->txn_stats().overloaded,
                       core_->txn_stats().shed};
    if (now.over_rate > logged_.over_rate)
      spdlog::warn(
          "rate limit: {} requests over their source's rate in 10 s, answered 503 or "
          "dropped",
          now.over_rate - logged_.over_rate);
    if (now.tls_failed > logged_.tls_failed)
      spdlog::warn("tls: {} handshakes failed in 10 s", now.tls_failed - logged_.tls_failed);
    if (now.connections > logged_.connections)
      spdlog::warn("limits: {} connections refused in 10 s (per-source or total bound)",
                   now.connections - logged_.connections);
    if (now.overloaded > logged_.overloaded)
      spdlog::warn("overload: {} requests answered 503 in 10 s (requests or transactions bound)",
                   now.overloaded - logged_.overloaded);
    if (now.shed > logged_.shed)
      spdlog::warn(
          "overload: {} new requests answered 503 in 10 s: input queued faster than served "
          "(UDP queue fell behind {} times in all)",
          now.shed - logged_.shed, t.udp_behind);
    logged_ = now;
    watch_refusals();
  });
}

// One timer for the whole core, always at the instant it last asked for.
void sip_server::wake_at(std::optional<txn::time_point> deadline) {
  // Never is an expiry too, so a later deadline equal to the one
  // withdrawn here still arms the timer.
  if (!deadline) {
    timer_.expires_at(txn::time_point::max());
    return;
  }
  if (timer_.expiry() == *deadline) return;
  timer_.expires_at(*deadline);
  timer_.async_wait([this](std::error_code ec) {
    if (ec || !core_) return;
    core_->advance();
  });
}

}  // namespace p2psip::node
