// Between our endpoint and asio's socket addresses.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include "transport/endpoint.hpp"

namespace p2psip::transport::detail {

template <typename AsioEndpoint>
endpoint to_endpoint(protocol proto, const AsioEndpoint& e, flow_id flow = 0) {
  return {proto, e.address(), e.port(), flow};
}

inline asio::ip::udp::endpoint udp_endpoint(const endpoint& e) {
  return {e.address, e.port};
}
inline asio::ip::tcp::endpoint tcp_endpoint(const endpoint& e) {
  return {e.address, e.port};
}

}  // namespace p2psip::transport::detail
