// What the proxy unit tests share: a fake transaction layer that records
// what the core sends, and helpers to build endpoints and read messages.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core.hpp"
#include "proxy/processors.hpp"
#include "sip/parser.hpp"

namespace p2psip::proxy::test_support {

struct sent_request {
  transaction_id id;
  std::string bytes;
  transport::endpoint hop;
};

class fake_txn final : public txn_gateway {
 public:
  // Refusing, it takes no request, as the real layer refuses one past the
  // message limits.
  transaction_id send_request(std::string request, const transport::endpoint& hop) override {
    if (refuse_requests) return 0;
    requests.push_back({next_id, std::move(request), hop});
    return next_id++;
  }
  void send_response(transaction_id server, std::string response) override {
    responses[server].push_back(std::move(response));
  }
  void send_stateless(std::string request, const transport::endpoint& hop) override {
    stateless.push_back({0, std::move(request), hop});
  }
  void abandon(transaction_id client) override { abandoned.push_back(client); }

  std::vector<transaction_id> abandoned;

  std::vector<sent_request> requests;
  std::map<transaction_id, std::vector<std::string>> responses;
  std::vector<sent_request> stateless;
  transaction_id next_id = 1000;
  bool refuse_requests = false;
};

inline transport::endpoint udp(std::string_view ip, std::uint16_t port,
                               transport::flow_id flow = 0) {
  return {transport::protocol::udp, asio::ip::make_address(std::string(ip)), port, flow};
}

inline transport::endpoint tcp(std::string_view ip, std::uint16_t port,
                               transport::flow_id flow = 0) {
  return {transport::protocol::tcp, asio::ip::make_address(std::string(ip)), port, flow};
}

// Parses and keeps the bytes alive for the view.
struct parsed {
  std::string bytes;
  sip::message msg;
  explicit parsed(std::string text) : bytes(std::move(text)) {
    const auto r = sip::parse(bytes, msg);
    EXPECT_TRUE(r) << sip::describe(r.error) << "\n" << bytes;
  }
};

inline std::uint16_t status_of(const std::string& response) {
  parsed p(response);
  return p.msg.status().code;
}

// The standard chain of a node of p2psip.test whose users are `users`, at
// the wall-clock time `now` points to (the tests move it).
inline chain_settings standard_chain(location_store& store, auth::authenticator& authenticator,
                                     const auth::user_file& users,
                                     const wall_clock::time_point& now) {
  chain_settings chain;
  chain.authenticator = &authenticator;
  chain.store = &store;
  chain.registrar = {{"p2psip.test"}, 3600, 60, 86400, 8};
  chain.now = [&now] { return now; };
  chain.known_user = [&users](std::string_view u) { return users.password(u).has_value(); };
  return chain;
}

}  // namespace p2psip::proxy::test_support
