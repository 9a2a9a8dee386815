// Flow tokens (RFC 5626 §5.2): the user part of the Path URI a node puts in
// a binding it publishes, naming the flow the phone registered over. Any
// node that routes to the binding sends the request to this node with the
// token in the topmost Route, and this node sends it on over that flow:
// the phone behind a NAT is reached on the connection it opened.
//
// The token is the flow (protocol, address, port, connection id) followed
// by an HMAC over it with this node's secret, in hex: a token cannot be
// forged to make the node send to an address of the sender's choosing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "transport/endpoint.hpp"

namespace p2psip::proxy {

class flow_tokens {
 public:
  // `secret`: at least 16 random bytes. A node keeps it in its state
  // directory (flow.secret), so the tokens in the Paths it published still
  // verify after a restart: a UDP flow (the phone's address and port) is
  // reached again at once, while a TCP or TLS flow names a connection of
  // the earlier run, which is gone (430 Flow Failed, RFC 5626 §5.3) until
  // the phone registers again.
  explicit flow_tokens(std::string secret);

  // Who may follow a token (proxy_core::may_follow_token). The tokens of
  // published Paths and of Record-Routes are for other nodes (and the
  // dialog's own UA): anyone who reads the DHT can read them. A redirect
  // node hands a caller a token of one of its own phones' flows on purpose:
  // that one is for anyone, as a call to the AOR through the node would be.
  enum class scope : std::uint8_t { nodes, anyone };
  struct opened {
    transport::endpoint flow;
    flow_tokens::scope scope = scope::nodes;
  };

  std::string encode(const transport::endpoint& flow, scope s = scope::nodes) const;
  // nullopt when the text is not a token of this node's (tampered, or
  // another node's).
  std::optional<opened> open(std::string_view token) const;
  std::optional<transport::endpoint> decode(std::string_view token) const;

 private:
  // The scope is under the MAC: a token for nodes cannot be turned into one
  // for anyone. A token for nodes is MACed as before scopes existed.
  std::string mac(std::string_view payload, scope s) const;
  std::string secret_;
};

}  // namespace p2psip::proxy
