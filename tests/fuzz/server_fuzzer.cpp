// The whole server core — node::server_core, the composition p2psipd runs:
// transaction layer and proxy core with its full request chain — fed
// arbitrary datagrams, stream bytes, downstream answers and the passing of
// time, all in virtual time (the core is sans-I/O).
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "node/server_config.hpp"
#include "node/server_core.hpp"
#include "sip/editor.hpp"
#include "sip/parser.hpp"

namespace {

using namespace p2psip;
using namespace std::chrono_literals;

transport::endpoint endpoint_of(transport::protocol p, const char* ip, std::uint16_t port,
                                transport::flow_id flow = 0) {
  return {p, asio::ip::make_address(ip), port, flow};
}

// The node's own composition (node::server_core) on a virtual event loop:
// time only moves the core where a real loop would, to the deadlines the
// core asked to be woken at, so a timer nobody armed never fires.
struct harness {
  txn::time_point now{};
  proxy::wall_clock::time_point wall = proxy::wall_clock::time_point{} + 1'700'000'000s;
  std::optional<txn::time_point> wake;
  std::vector<std::pair<std::string, transport::endpoint>> sent;  // requests sent downstream
  proxy::memory_location location;
  auth::user_file users;
  std::unique_ptr<node::server_core> server;
  sip::stream_framer framer;
  std::string stream;

  harness() {
    users.add("alice", "wonderland");
    users.add("bob", "builder");
    node::server_config config;
    config.domains = {"p2psip.test"};
    config.nonce_secret = "fuzz";
    config.digest_algorithms = {auth::algorithm::md5};
    config.registrar = {{"p2psip.test"}, 3600, 60, 86400, 8};
    config.location = &location;
    node::server_core_io io;
    io.send = [this](std::string bytes, const transport::endpoint& to, txn::transaction_id) {
      if (bytes.starts_with("SIP/")) return;
      sent.emplace_back(std::move(bytes), to);
    };
    io.now = [this] { return now; };
    io.wall_now = [this] { return wall; };
    io.wake_at = [this](std::optional<txn::time_point> at) { wake = at; };
    server = std::make_unique<node::server_core>(
        config,
        std::vector{endpoint_of(transport::protocol::udp, "127.0.0.1", 5060),
                    endpoint_of(transport::protocol::tcp, "127.0.0.1", 5060)},
        std::move(io), &users);
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
    server->receive(m, from);
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

  // The loop wakes the core at each deadline it asked for, in order.
  void pass(std::chrono::milliseconds d) {
    const auto until = now + d;
    while (wake && *wake <= until) {
      wall += std::chrono::duration_cast<std::chrono::milliseconds>(*wake - now);
      now = *wake;
      server->advance();
    }
    wall += std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
    now = until;
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
  if (h.server->transactions() != 0 || h.server->active_requests() != 0) std::abort();
  return 0;
}
