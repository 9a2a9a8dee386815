// The SIP work of one node without its sockets and clock: the transaction
// layer, the proxy core with its request chain, the authenticator, and the
// location store they share. sip_server puts it on asio; the unit tests and
// server_fuzzer drive the same object in virtual time, so they exercise the
// wiring the daemon runs.
//
// Time. The core says when it next wants advance() through wake_at(),
// after every call into it and after every asynchronous completion of the
// location store (a DHT lookup or store that finishes later and starts or
// ends transactions). An event loop that arms one timer for the last
// instant it was told never misses a Timer A, B or C.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "auth/digest.hpp"
#include "node/glue.hpp"
#include "ops/histogram.hpp"
#include "proxy/core.hpp"
#include "proxy/location.hpp"
#include "sip/message.hpp"
#include "transport/endpoint.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::node {

struct server_config;

// What the core asks of the event loop around it.
struct server_core_io {
  // Sends bytes on behalf of transaction `id` (0: a stateless ACK); a
  // failure is reported later, through transport_failed(id).
  std::function<void(std::string bytes, const transport::endpoint& to, txn::transaction_id id)>
      send;
  std::function<txn::time_point()> now;
  std::function<proxy::wall_clock::time_point()> wall_now;
  // The instant advance() is next due; nullopt: nothing is.
  std::function<void(std::optional<txn::time_point>)> wake_at;
  // Whether `source` is another node of the overlay on an authenticated
  // link (proxy_config::from_node); unset: no source is.
  std::function<bool(const transport::endpoint& source)> from_node;
  // Whether the node is behind on its input (txn::layer_limits::behind);
  // unset: never.
  std::function<bool()> behind;
};

// Calls whose initial INVITE got its final response here, for /metrics.
struct call_counts {
  std::uint64_t answered = 0;                        // 2xx
  std::map<std::uint16_t, std::uint64_t> failed;     // by final status, 300-699
  ops::histogram setup = ops::histogram::seconds();  // INVITE in to final response out
};

class server_core {
 public:
  // `local` are the endpoints the transports listen on. Throws
  // std::invalid_argument when authentication is asked for without `users`.
  server_core(const server_config& config, std::vector<transport::endpoint> local,
              server_core_io io, const auth::credentials_store* users);
  ~server_core();
  server_core(const server_core&) = delete;
  server_core& operator=(const server_core&) = delete;

  void receive(const sip::message& m, const transport::endpoint& source);
  void transport_failed(txn::transaction_id id);
  // A request of a UA inside the node (proxy_core::originate).
  bool originate(std::string request, std::string user, proxy::proxy_core::local_answer answered);
  // Fires what is due at the io's now().
  void advance();

  std::optional<txn::time_point> next_deadline() const;
  const proxy::proxy_core::counters& proxy_stats() const { return core_->stats(); }
  const txn::transaction_layer::counters& txn_stats() const { return txn_->stats(); }
  std::size_t transactions() const { return txn_->size(); }
  std::size_t active_requests() const { return core_->active_requests(); }
  const call_counts& calls() const { return calls_; }

 private:
  class waking_location;
  class waking_resolver;
  class waking_gateways;
  // Marks a call into the core; the outermost one tells the loop when to
  // wake once it returns.
  class entry {
   public:
    explicit entry(server_core& core) : core_(core) { ++core_.depth_; }
    ~entry();
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

   private:
    server_core& core_;
  };

  server_core_io io_;
  const auth::credentials_store* users_;
  std::function<bool(std::string_view)> known_user_;
  std::unique_ptr<auth::authenticator> authenticator_;
  proxy::memory_location memory_;
  std::unique_ptr<waking_location> location_;
  std::unique_ptr<waking_resolver> resolver_;
  std::unique_ptr<waking_gateways> gateways_;
  std::unique_ptr<txn_gateway_adapter> gateway_;
  std::unique_ptr<proxy::proxy_core> core_;
  std::unique_ptr<proxy_transaction_user> tu_;
  std::unique_ptr<txn::transaction_layer> txn_;
  call_counts calls_;
  int depth_ = 0;
};

}  // namespace p2psip::node
