#include "node/sip_server.hpp"

#include <spdlog/spdlog.h>

#include "node/glue.hpp"
#include "proxy/processors.hpp"
#include "secrets/random.hpp"

namespace p2psip::node {
namespace {

// Throws secrets::random_failure rather than key nonces with zeroes.
std::string random_secret() {
  return secrets::random_key(32, "the nonce key");
}

}  // namespace

sip_server::sip_server(asio::io_context& io, server_config config,
                       const auth::credentials_store* users)
    : io_(io), config_(std::move(config)), users_(users), timer_(io) {
  config_.registrar.domains = config_.domains;
  transport_ = std::make_unique<transport::transport_layer>(
      io_.get_executor(), config_.transport,
      [this](const transport::received& r) { on_message(r); });
}

sip_server::~sip_server() {
  stop();
}

transport::start_error sip_server::start() {
  if (auto error = transport_->start()) return error;
  const bool authenticates =
      config_.authenticate_registrations || config_.authenticate_local_requests;
  if (authenticates && users_ == nullptr)
    return {std::make_error_code(std::errc::invalid_argument),
            "authentication without a user file"};

  proxy::proxy_config pc;
  pc.domains = config_.domains;
  pc.local = transport_->local_endpoints();
  pc.record_route = config_.record_route;
  pc.advertise = config_.advertise;
  pc.tokens = config_.flow_tokens;
  gateway_ = std::make_unique<txn_gateway_adapter>(
      [this](std::string bytes, const transport::endpoint& to) {
        transport_->send(std::move(bytes), to);
      },
      [] { return txn::clock::now(); });
  core_ = std::make_unique<proxy::proxy_core>(pc, *gateway_, [] { return txn::clock::now(); });
  tu_ = std::make_unique<proxy_transaction_user>(*core_);
  txn_ = std::make_unique<txn::transaction_layer>(
      config_.timers,
      [this](std::string_view bytes, const transport::endpoint& to, txn::transaction_id id) {
        transport_->send(std::string(bytes), to, [this, id](std::error_code ec) {
          if (!ec || !txn_) return;
          spdlog::debug("send failed for transaction {}: {}", id, ec.message());
          txn_->transport_failed(id);
          arm_timer();
        });
      },
      *tu_);
  gateway_->attach(*txn_);

  proxy::chain_settings chain;
  chain.store = config_.location != nullptr ? config_.location : &location_;
  chain.registrar_role = config_.registrar_role;
  chain.located = config_.redirect ? proxy::location_lookup::answer::redirect
                                   : proxy::location_lookup::answer::forward;
  chain.registrar = config_.registrar;
  chain.now = [] { return proxy::wall_clock::now(); };
  if (authenticates) {
    authenticator_ = std::make_unique<auth::authenticator>(
        auth::authenticator::settings{
            config_.domains.front(),
            config_.nonce_secret.empty() ? random_secret() : config_.nonce_secret,
            std::chrono::seconds(300), config_.digest_algorithms},
        *users_);
    chain.authenticator = authenticator_.get();
    chain.authentication = {config_.authenticate_registrations,
                            config_.authenticate_local_requests};
  }
  chain.known_user = [this](std::string_view u) {
    return (users_ != nullptr && users_->password(u).has_value()) ||
           (config_.known_user && config_.known_user(u));
  };
  proxy::install_standard_chain(*core_, chain);
  for (const auto& e : local_endpoints()) spdlog::info("listening on {}", transport::to_string(e));
  return {};
}

void sip_server::stop() {
  timer_.cancel();
  if (transport_) transport_->stop();
}

std::vector<transport::endpoint> sip_server::local_endpoints() const {
  return transport_->local_endpoints();
}

const proxy::proxy_core::counters& sip_server::proxy_stats() const {
  return core_->stats();
}
transport::counters sip_server::transport_stats() const {
  return transport_->stats();
}
const txn::transaction_layer::counters& sip_server::txn_stats() const {
  return txn_->stats();
}

void sip_server::on_message(const transport::received& r) {
  if (!txn_) return;
  if (spdlog::should_log(spdlog::level::debug)) {
    const auto& m = r.msg;
    // At most ~100 bytes of what the peer sent goes into a log line.
    const auto first = m.start_line().substr(0, 100);
    spdlog::debug("recv \"{}\" call-id={} from {}", first, m.call_id().substr(0, 64),
                  transport::to_string(r.source));
  }
  txn_->receive(r.msg, r.source, txn::clock::now());
  arm_timer();
}

// One timer for the transaction layer and the proxy core: it always waits
// for the earlier of their deadlines.
void sip_server::arm_timer() {
  auto next = txn_->next_deadline();
  if (const auto core_next = core_->next_deadline(); core_next && (!next || *core_next < *next))
    next = core_next;
  if (!next) return;
  if (timer_.expiry() == *next) return;
  timer_.expires_at(*next);
  timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    const auto now = txn::clock::now();
    txn_->advance(now);
    core_->advance(now);
    arm_timer();
  });
}

}  // namespace p2psip::node
