// The whole server core — transaction layer and proxy core with its full
// request chain — fed arbitrary datagrams, stream bytes, downstream answers
// and the passing of time, all in virtual time (the core is sans-I/O).
//
// Input: a program of operations, each one byte of opcode then its operand:
//   0  datagram from the caller: 2 length bytes, then that many bytes
//   1  stream bytes from a TCP peer: 2 length bytes, then the bytes
//   2  time passes: 1 byte, times 50 ms
//   3  downstream answers the last request the proxy sent: 2 bytes of status
// Beyond not crashing: once an hour of virtual time has passed, every
// transaction and every request the proxy was handling must be gone.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "node/glue.hpp"
#include "proxy/processors.hpp"
#include "sip/editor.hpp"
#include "sip/parser.hpp"

namespace {

using namespace p2psip;
using namespace std::chrono_literals;

transport::endpoint endpoint_of(transport::protocol p, const char* ip, std::uint16_t port,
                                transport::flow_id flow = 0) {
  return {p, asio::ip::make_address(ip), port, flow};
}

struct harness {
  txn::time_point now{};
  proxy::wall_clock::time_point wall = proxy::wall_clock::time_point{} + 1'700'000'000s;
  std::vector<std::pair<std::string, transport::endpoint>> sent;  // requests sent downstream
  proxy::memory_location location;
  auth::user_file users;
  std::unique_ptr<auth::authenticator> authenticator;
  node::txn_gateway_adapter gateway{[](std::string, const transport::endpoint&) {},
                                    [this] { return now; }};
  proxy::proxy_core core{{{"p2psip.test"},
                          {endpoint_of(transport::protocol::udp, "127.0.0.1", 5060),
                           endpoint_of(transport::protocol::tcp, "127.0.0.1", 5060)},
                          {},
                          true,
                          false},
                         gateway,
                         [this] { return now; }};
  node::proxy_transaction_user tu{core};
  txn::transaction_layer txn{
      txn::timer_config{},
      [this](std::string_view bytes, const transport::endpoint& to, txn::transaction_id) {
        if (bytes.starts_with("SIP/")) return;
        sent.emplace_back(std::string(bytes), to);
      },
      tu};
  sip::stream_framer framer;
  std::string stream;

  harness() {
    users.add("alice", "wonderland");
    users.add("bob", "builder");
    authenticator = std::make_unique<auth::authenticator>(
        auth::authenticator::settings{"p2psip.test", "fuzz", 300s, {auth::algorithm::md5}}, users);
    gateway.attach(txn);
    proxy::chain_settings chain;
    chain.authenticator = authenticator.get();
    chain.store = &location;
    chain.registrar = {{"p2psip.test"}, 3600, 60, 86400, 8};
    chain.now = [this] { return wall; };
    chain.known_user = [this](std::string_view u) { return users.password(u).has_value(); };
    proxy::install_standard_chain(core, chain);
    // bob is reachable, so INVITEs to him fork and wait for answers.
    proxy::binding b;
    b.contact = "sip:bob@127.0.0.1:5062";
    b.expires = wall + 3600s;
    b.flow = endpoint_of(transport::protocol::udp, "127.0.0.1", 5062);
    location.store("sip:bob@p2psip.test", {b}, [](std::error_code) {});
  }

  void deliver(std::string_view bytes, const transport::endpoint& from, sip::framing how) {
    sip::message m;
    if (!sip::parse(bytes, m, how)) return;  // the transport answers or drops those
    txn.receive(m, from, now);
  }

  void feed_stream(std::string_view bytes) {
    stream.append(bytes);
    for (;;) {
      const auto f = framer.next(stream);
      if (f.what == sip::stream_framer::kind::need_more) return;
      if (f.what == sip::stream_framer::kind::error) {
        stream.clear();
        framer = sip::stream_framer();
        return;
      }
      if (f.what == sip::stream_framer::kind::message)
        deliver(std::string_view(stream).substr(0, f.length),
                endpoint_of(transport::protocol::tcp, "127.0.0.1", 40000, 7), sip::framing::stream);
      stream.erase(0, f.length);
    }
  }

  void answer_last(std::uint16_t status) {
    if (sent.empty()) return;
    const auto [request, hop] = sent.back();
    sip::message m;
    if (!sip::parse(request, m) || m.method() == sip::method::ack) return;
    const auto response = sip::make_response(m, status, "Fuzz", "downstream");
    deliver(response, hop, sip::framing::datagram);
  }

  void pass(std::chrono::milliseconds d) {
    now += d;
    wall += d;
    txn.advance(now);
    core.advance(now);
  }
};

std::uint16_t u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness h;
  std::size_t i = 0;
  const auto caller = endpoint_of(transport::protocol::udp, "192.0.2.10", 5060);
  while (i < size) {
    const auto op = data[i++] % 4;
    if (op == 2) {
      if (i >= size) break;
      h.pass(std::chrono::milliseconds(50 * data[i++]));
      continue;
    }
    if (i + 2 > size) break;
    const auto operand = u16(data + i);
    i += 2;
    if (op == 3) {
      h.answer_last(static_cast<std::uint16_t>(100 + operand % 600));
      continue;
    }
    const std::size_t length = std::min<std::size_t>(operand, size - i);
    const std::string_view bytes(reinterpret_cast<const char*>(data + i), length);
    i += length;
    if (op == 0) h.deliver(bytes, caller, sip::framing::datagram);
    if (op == 1) h.feed_stream(bytes);
  }
  // An hour later every timer has run its course.
  for (int step = 0; step < 120; ++step) h.pass(30s);
  if (h.txn.size() != 0 || h.core.active_requests() != 0) std::abort();
  return 0;
}
