#include "node/server_core.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

#include "node/log_text.hpp"
#include "node/server_config.hpp"
#include "proxy/processors.hpp"
#include "secrets/random.hpp"

namespace p2psip::node {
namespace {

// Throws secrets::random_failure rather than key nonces with zeroes.
std::string random_secret() {
  return secrets::random_key(32, "the nonce key");
}

// One line per call, at its end: who called whom, how it ended, how long
// the answer took and how long the call lasted.
void log_call(const proxy::call_summary& c) {
  const auto duration = c.duration       ? ", lasted " + std::to_string(c.duration->count()) + " ms"
                        : c.status < 300 ? std::string(", no BYE seen here")
                                         : std::string();
  spdlog::info("call {} -> {}: {} after {} ms{}, call-id \"{}\" from {}", log_text(c.caller),
               log_text(c.callee), c.status, c.setup.count(), duration, log_text(c.call_id, 64),
               transport::to_string(c.source));
}

void log_auth_failure(const proxy::auth_failure& f) {
  spdlog::warn("authentication failed ({}): {} {} from {}", f.reason, log_text(f.method, 16),
               log_text(f.claimed), transport::to_string(f.source));
}

}  // namespace

// The location store as the request chain sees it: every answer that comes
// back later runs inside an entry of the core, so the transactions it
// starts or ends get their timers armed.
class server_core::waking_location final : public proxy::location_store {
 public:
  waking_location(server_core& core, proxy::location_store& store) : core_(core), store_(store) {}

  void fetch(const std::string& aor, proxy::wall_clock::time_point now,
             fetch_handler done) override {
    store_.fetch(aor, now,
                 [this, alive = std::weak_ptr(alive_), done = std::move(done)](
                     std::vector<proxy::binding> b, std::error_code ec) {
                   if (alive.expired()) return;
                   const entry scope(core_);
                   done(std::move(b), ec);
                 });
  }
  void store(const std::string& aor, std::vector<proxy::binding> bindings,
             store_handler done) override {
    store_.store(aor, std::move(bindings),
                 [this, alive = std::weak_ptr(alive_), done = std::move(done)](std::error_code ec) {
                   if (alive.expired()) return;
                   const entry scope(core_);
                   done(ec);
                 });
  }

 private:
  server_core& core_;
  proxy::location_store& store_;
  // A store that answers after the core is gone finds it expired.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The resolver as the proxy core sees it: answers that come back later run
// inside an entry of the core, like the location store's.
class server_core::waking_resolver final : public proxy::next_hop_resolver {
 public:
  waking_resolver(server_core& core, proxy::next_hop_resolver& resolver)
      : core_(core), resolver_(resolver) {}

  void resolve(const std::string& uri, done_handler done) override {
    resolver_.resolve(uri, [this, alive = std::weak_ptr(alive_), done = std::move(done)](
                               std::vector<transport::endpoint> hops, proxy::resolve_failure why) {
      if (alive.expired()) return;
      const entry scope(core_);
      done(std::move(hops), why);
    });
  }
  void failed(const transport::endpoint& hop, proxy::hop_failure why,
              std::optional<std::chrono::seconds> retry_after) override {
    resolver_.failed(hop, why, retry_after);
  }

 private:
  server_core& core_;
  proxy::next_hop_resolver& resolver_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The gateway peers as the request chain sees them: answers that come back
// later run inside an entry of the core, like the location store's.
class server_core::waking_gateways final : public proxy::gateway_finder {
 public:
  waking_gateways(server_core& core, proxy::gateway_finder& finder)
      : core_(core), finder_(finder) {}

  void find(const std::string& number, found_handler done) override {
    finder_.find(number, [this, alive = std::weak_ptr(alive_),
                          done = std::move(done)](std::vector<transport::endpoint> gateways) {
      if (alive.expired()) return;
      const entry scope(core_);
      done(std::move(gateways));
    });
  }

 private:
  server_core& core_;
  proxy::gateway_finder& finder_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

server_core::entry::~entry() {
  if (--core_.depth_ == 0 && core_.io_.wake_at) core_.io_.wake_at(core_.next_deadline());
}

server_core::server_core(const server_config& config, std::vector<transport::endpoint> local,
                         server_core_io io, const auth::credentials_store* users)
    : io_(std::move(io)), users_(users) {
  const bool authenticates =
      config.authenticate_registrations || config.authenticate_local_requests;
  if (authenticates && users_ == nullptr)
    throw std::invalid_argument("authentication without a user file");

  location_ = std::make_unique<waking_location>(
      *this, config.location != nullptr ? *config.location : memory_);

  proxy::proxy_config pc;
  pc.domains = config.domains;
  pc.local = std::move(local);
  pc.record_route = config.record_route;
  pc.advertise = config.advertise;
  pc.tokens = config.flow_tokens;
  pc.timer_c = config.timer_c;
  pc.max_requests = config.max_requests;
  pc.call_ended = log_call;
  pc.call_answered = [this](std::uint16_t status, std::chrono::milliseconds setup) {
    if (status < 300)
      ++calls_.answered;
    else
      ++calls_.failed[status];
    calls_.setup.observe(setup);
  };
  pc.from_node = io_.from_node;
  if (config.resolver != nullptr) {
    resolver_ = std::make_unique<waking_resolver>(*this, *config.resolver);
    pc.resolver = resolver_.get();
  }
  if (config.proxy_peer) {
    pc.local_names.push_back(config.overlay);
    pc.boundary_name = config.overlay;
  }
  gateway_ = std::make_unique<txn_gateway_adapter>(
      [this](std::string bytes, const transport::endpoint& to) {
        io_.send(std::move(bytes), to, 0);
      },
      io_.now);
  core_ = std::make_unique<proxy::proxy_core>(pc, *gateway_, io_.now);
  tu_ = std::make_unique<proxy_transaction_user>(*core_);
  txn_ = std::make_unique<txn::transaction_layer>(
      config.timers,
      [this](std::string_view bytes, const transport::endpoint& to, txn::transaction_id id) {
        io_.send(std::string(bytes), to, id);
      },
      *tu_, txn::layer_limits{config.max_transactions, pc.retry_after, io_.behind});
  gateway_->attach(*txn_);

  proxy::chain_settings chain;
  chain.store = location_.get();
  chain.registrar_role = config.registrar_role;
  chain.proxy_role = config.proxy_role;
  chain.overlay = config.overlay;
  chain.proxy_peer = config.proxy_peer;
  if (config.gateways != nullptr) {
    gateways_ = std::make_unique<waking_gateways>(*this, *config.gateways);
    chain.gateways = gateways_.get();
  }
  chain.own_trunk = config.trunk;
  chain.located = config.redirect ? proxy::location_lookup::answer::redirect
                                  : proxy::location_lookup::answer::forward;
  chain.registrar = config.registrar;
  chain.registrar.domains = config.domains;
  chain.now = io_.wall_now;
  if (authenticates) {
    authenticator_ = std::make_unique<auth::authenticator>(
        auth::authenticator::settings{
            config.domains.front(),
            config.nonce_secret.empty() ? random_secret() : config.nonce_secret,
            std::chrono::seconds(300), config.digest_algorithms},
        *users_);
    chain.authenticator = authenticator_.get();
    chain.authentication = {config.authenticate_registrations, config.authenticate_local_requests};
    chain.auth_failed = log_auth_failure;
    chain.users = config.users;
  }
  known_user_ = config.known_user;
  chain.known_user = [this, realm = config.domains.front()](std::string_view u) {
    return (users_ != nullptr && users_->ha1(u, auth::algorithm::md5, realm).has_value()) ||
           (known_user_ && known_user_(u));
  };
  proxy::install_standard_chain(*core_, chain);
}

server_core::~server_core() = default;

void server_core::receive(const sip::message& m, const transport::endpoint& source) {
  const entry scope(*this);
  txn_->receive(m, source, io_.now());
}

bool server_core::originate(std::string request, std::string user,
                            proxy::proxy_core::local_answer answered) {
  const entry scope(*this);
  return core_->originate(std::move(request), std::move(user), std::move(answered));
}

void server_core::transport_failed(txn::transaction_id id) {
  const entry scope(*this);
  txn_->transport_failed(id);
}

void server_core::advance() {
  const entry scope(*this);
  const auto now = io_.now();
  txn_->advance(now);
  core_->advance(now);
}

// The earlier of the transaction layer's and the proxy core's deadlines.
std::optional<txn::time_point> server_core::next_deadline() const {
  auto next = txn_->next_deadline();
  if (const auto core_next = core_->next_deadline(); core_next && (!next || *core_next < *next))
    next = core_next;
  return next;
}

}  // namespace p2psip::node
