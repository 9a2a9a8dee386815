// The two adapters that join the proxy core and the transaction layer:
// the core's txn_gateway implemented by the layer, and the layer's
// transaction_user implemented by the core. Time comes from a function, so
// the server passes the steady clock and a fuzzer passes virtual time.
#pragma once

#include <functional>
#include <string>

#include "proxy/core.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::node {

class txn_gateway_adapter final : public proxy::txn_gateway {
 public:
  using stateless_send = std::function<void(std::string bytes, const transport::endpoint& to)>;
  using time_source = std::function<txn::time_point()>;

  txn_gateway_adapter(stateless_send send, time_source now)
      : send_(std::move(send)), now_(std::move(now)) {}
  // The layer is made after the core it serves, so it is attached later.
  void attach(txn::transaction_layer& txn) { txn_ = &txn; }

  proxy::transaction_id send_request(std::string request,
                                     const transport::endpoint& next_hop) override {
    return txn_->send_request(std::move(request), next_hop, now_());
  }
  void send_response(proxy::transaction_id server, std::string response) override {
    txn_->send_response(server, std::move(response), now_());
  }
  void send_stateless(std::string request, const transport::endpoint& next_hop) override {
    send_(std::move(request), next_hop);
  }
  void abandon(proxy::transaction_id client) override { txn_->abandon(client); }

 private:
  stateless_send send_;
  time_source now_;
  txn::transaction_layer* txn_ = nullptr;
};

class proxy_transaction_user final : public txn::transaction_user {
 public:
  explicit proxy_transaction_user(proxy::proxy_core& core) : core_(core) {}
  void on_request(txn::transaction_id server, const sip::message& request,
                  const transport::endpoint& source) override {
    core_.on_request(server, request, source);
  }
  void on_ack(const sip::message& ack, const transport::endpoint& source) override {
    core_.on_ack(ack, source);
  }
  void on_cancel(txn::transaction_id cancel_server, txn::transaction_id invite_server,
                 const sip::message& cancel, const transport::endpoint&) override {
    core_.on_cancel(cancel_server, invite_server, cancel);
  }
  void on_response(txn::transaction_id client, const sip::message& response) override {
    core_.on_response(client, response);
  }
  void on_timeout(txn::transaction_id client) override { core_.on_timeout(client); }
  void on_transport_error(txn::transaction_id id) override { core_.on_transport_error(id); }
  void on_terminated(txn::transaction_id id) override { core_.on_terminated(id); }

 private:
  proxy::proxy_core& core_;
};

}  // namespace p2psip::node
