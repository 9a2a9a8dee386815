#include "transport/endpoint.hpp"

namespace p2psip::transport {

std::string_view via_token(protocol p) {
  switch (p) {
    case protocol::udp:
      return "UDP";
    case protocol::tcp:
      return "TCP";
    case protocol::tls:
      return "TLS";
  }
  return "UDP";
}

std::string to_string(const endpoint& e) {
  std::string out;
  switch (e.proto) {
    case protocol::udp:
      out = "udp:";
      break;
    case protocol::tcp:
      out = "tcp:";
      break;
    case protocol::tls:
      out = "tls:";
      break;
  }
  if (e.address.is_v6()) {
    out.append("[").append(e.address.to_string()).append("]");
  } else {
    out.append(e.address.to_string());
  }
  out.append(":").append(std::to_string(e.port));
  if (e.flow != 0) out.append("#").append(std::to_string(e.flow));
  return out;
}

}  // namespace p2psip::transport
