#include "node/hep_mirror.hpp"

namespace p2psip::node {

hep_mirror::hep_mirror(asio::io_context& io, asio::ip::udp::endpoint collector,
                       std::uint32_t capture_id, std::string password)
    : sender_(io, collector), capture_id_(capture_id), password_(std::move(password)) {}

void hep_mirror::copy(const sip_event& e) {
  const bool in = e.way == direction::received;
  const auto& from = in ? e.remote : e.local;
  const auto& to = in ? e.local : e.remote;
  ops::hep_message m;
  m.source = from.address;
  m.source_port = from.port;
  m.destination = to.address;
  m.destination_port = to.port;
  m.over_tcp = e.remote.proto != transport::protocol::udp;
  m.at = e.at;
  m.capture_id = capture_id_;
  m.password = password_;
  m.correlation = e.call_id;
  m.payload = e.bytes;
  sender_.send(m);
}

}  // namespace p2psip::node
