// One SIP node as a single process sees it: the transports and the node's
// server_core (transaction layer, proxy core, request chain) on one asio
// io_context, with one timer for the core's deadlines. The location store
// is the overlay's when the node is a peer (node/overlay_location.hpp),
// otherwise one in memory.
//
// All work runs on the io_context's thread; the server starts no thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "auth/digest.hpp"
#include "node/server_config.hpp"
#include "node/server_core.hpp"
#include "node/sip_traffic.hpp"
#include "transport/transport_layer.hpp"

namespace p2psip::node {

class sip_server {
 public:
  // `users` may be null only when no authentication is asked for.
  sip_server(asio::io_context& io, server_config config, const auth::credentials_store* users);
  ~sip_server();

  transport::start_error start();
  void stop();
  // The first step of a clean stop: new requests are answered 503 with
  // Retry-After (as when the node is behind), while CANCELs, in-dialog
  // requests and responses still pass, so what it took gets its answers.
  // Done when active_requests() is 0.
  void drain() { draining_ = true; }

  std::vector<transport::endpoint> local_endpoints() const;
  const proxy::proxy_core::counters& proxy_stats() const;
  transport::counters transport_stats() const;
  const txn::transaction_layer::counters& txn_stats() const;
  const server_config& config() const { return config_; }
  // Every message in and out, counted and shown to taps (HEP, dashboard).
  sip_traffic& traffic() { return traffic_; }
  const sip_traffic& traffic() const { return traffic_; }
  const call_counts& calls() const { return core_->calls(); }
  std::size_t transactions() const { return core_->transactions(); }
  std::size_t active_requests() const { return core_->active_requests(); }
  // A request of a UA inside the node, run through its proxy core
  // (proxy_core::originate); false before start() or when refused.
  bool originate(std::string request, std::string user, proxy::proxy_core::local_answer answered);

 private:
  void on_message(const transport::received& r);
  void wake_at(std::optional<txn::time_point> deadline);
  void watch_refusals();
  // The socket a message to `to` leaves from: the one of its protocol and
  // address family (the transport chooses the same way).
  transport::endpoint local_for(const transport::endpoint& to) const;

  // What was refused, as last logged: watch_refusals() logs what grew.
  struct refusals {
    std::uint64_t over_rate = 0;
    std::uint64_t tls_failed = 0;
    std::uint64_t connections = 0;
    std::uint64_t overloaded = 0;
    std::uint64_t shed = 0;
  };

  asio::io_context& io_;
  server_config config_;
  const auth::credentials_store* users_;
  std::unique_ptr<transport::transport_layer> transport_;
  std::unique_ptr<server_core> core_;
  asio::steady_timer timer_;
  asio::steady_timer watch_timer_;
  refusals logged_;
  sip_traffic traffic_;
  std::vector<transport::endpoint> locals_;  // as bound by start()
  bool draining_ = false;
};

}  // namespace p2psip::node
