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

  std::string encode(const transport::endpoint& flow) const;
  // nullopt when the text is not a token of this node's (tampered, or
  // another node's).
  std::optional<transport::endpoint> decode(std::string_view token) const;

 private:
  std::string mac(std::string_view payload) const;
  std::string secret_;
};

}  // namespace p2psip::proxy
