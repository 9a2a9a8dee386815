#include "transport_test_support.hpp"

#include <algorithm>
#include <asio/write.hpp>

#include "sip/editor.hpp"

namespace p2psip::transport::test {

recording_layer::recording_layer(event_loop& loop, config settings)
    : layer(loop.executor(), std::move(settings), [this](const received& r) {
        messages.push_back({std::string(r.msg.raw()), r.source, r.local});
        if (react) react(r);
      }) {
  const auto failed = layer.start();
  EXPECT_FALSE(failed) << failed.message();
}

endpoint recording_layer::bound(protocol p) const {
  const auto all = layer.local_endpoints();
  const auto found =
      std::find_if(all.begin(), all.end(), [&](const endpoint& e) { return e.proto == p; });
  if (found != all.end()) return *found;
  ADD_FAILURE() << "no listener for that protocol";
  return {};
}

config listening_on(protocol p, const asio::ip::address& address) {
  config c;
  c.listen.push_back({p, address, 0});
  return c;
}

void answer_200(recording_layer& server) {
  server.react = [&server](const received& r) {
    if (r.msg.is_request()) server.layer.send(sip::make_response(r.msg, 200, "OK"), r.source);
  };
}

udp_peer::udp_peer(event_loop& loop, const asio::ip::address& address)
    : socket_(loop.context(), asio::ip::udp::endpoint(address, 0)) {
  receive();
}

void udp_peer::send(std::string_view bytes, const endpoint& to) {
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), {to.address, to.port});
}

void udp_peer::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), sender_,
                             [this](std::error_code ec, std::size_t size) {
                               if (ec) return;  // aborted: this may be gone
                               datagrams.emplace_back(buffer_.data(), size);
                               receive();
                             });
}

tcp_peer::tcp_peer(event_loop& loop, const endpoint& server) : socket_(loop.context()) {
  // The kernel completes the handshake from the listen backlog, so a
  // blocking connect returns without the loop running.
  socket_.connect({server.address, server.port});
  read();
}

void tcp_peer::write(std::string_view bytes) {
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()));
}

void tcp_peer::read() {
  socket_.async_read_some(asio::buffer(buffer_), [this](std::error_code ec, std::size_t size) {
    if (ec == asio::error::operation_aborted) return;  // this may be gone
    if (ec) {
      closed = true;
      return;
    }
    received.append(buffer_.data(), size);
    read();
  });
}

std::string options_request(std::string_view transport, std::string_view sent_by, int cseq,
                            std::string_view via_params) {
  std::string m;
  m.append("OPTIONS sip:bob@p2psip.test SIP/2.0\r\n");
  m.append("Via: SIP/2.0/").append(transport).append(" ").append(sent_by);
  m.append(";branch=z9hG4bK-test-").append(std::to_string(cseq)).append(via_params).append("\r\n");
  m.append("Max-Forwards: 70\r\n");
  m.append("To: <sip:bob@p2psip.test>\r\n");
  m.append("From: <sip:alice@p2psip.test>;tag=1928301774\r\n");
  m.append("Call-ID: a84b4c76e66710@pc33.p2psip.test\r\n");
  m.append("CSeq: ").append(std::to_string(cseq)).append(" OPTIONS\r\n");
  m.append("Content-Length: 0\r\n\r\n");
  return m;
}

parsed::parsed(std::string text) : bytes(std::move(text)) {
  result = sip::parse(bytes, *msg, sip::framing::datagram);
}

bool ipv6_loopback_available() {
  asio::io_context io;
  asio::ip::udp::socket socket(io);
  std::error_code ec;
  socket.open(asio::ip::udp::v6(), ec);
  if (!ec) socket.bind({asio::ip::address_v6::loopback(), 0}, ec);
  return !ec;
}

}  // namespace p2psip::transport::test
