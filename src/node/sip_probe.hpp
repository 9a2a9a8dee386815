// Whether a SIP server still answers at an address and port: the health
// check a steward runs on each proxy peer the overlay's zone names.
//
// - UDP: an OPTIONS request (RFC 3261 §11), sent again every T1 (500 ms)
//   until `timeout`, like Timer E without its doubling, since the whole
//   wait is short. Any response to it, of any status, means a SIP server
//   is there: a proxy peer that answers 483 or 404 is alive. The socket is
//   connected, so an ICMP port unreachable ends the wait at once.
// - TCP and TLS: a TCP connection that is accepted within `timeout`. No
//   TLS handshake: whether the peer's certificate suits a caller is not
//   for the steward to judge, only whether something serves the port.
//
// Everything runs on the caller's io_context; no thread, nothing blocks.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

namespace p2psip::node {

struct probe_settings {
  std::chrono::milliseconds timeout{2000};  // of one probe, retransmissions included
  std::chrono::milliseconds t1{500};        // RFC 3261's T1: the first retransmission
};

// The identifiers that tie a response to its OPTIONS.
struct probe_ids {
  std::string branch;  // starts with RFC 3261's magic cookie "z9hG4bK"
  std::string call_id;
  std::string from_tag;
};

// Fresh random identifiers; throws secrets::random_failure when the
// generator fails.
probe_ids random_probe_ids();

// The OPTIONS request sent from `local` to `target` over UDP (RFC 3261
// §8.1.1: Request-URI, To, From with a tag, Call-ID, CSeq, Max-Forwards 70,
// Via with the branch and rport (RFC 3581)).
std::string options_request(const asio::ip::udp::endpoint& target,
                            const asio::ip::udp::endpoint& local, const probe_ids& ids);

// Whether `datagram` is a SIP response to the OPTIONS sent with `ids`.
bool answers_options(std::string_view datagram, const probe_ids& ids);

class sip_probe {
 public:
  // Called once with the verdict, from the io_context, never inside the
  // probe call, and not after the sip_probe is destroyed.
  using handler = std::function<void(bool alive)>;

  sip_probe(asio::io_context& io, probe_settings settings);
  // Ends every probe in flight; their handlers are not called.
  ~sip_probe();
  sip_probe(const sip_probe&) = delete;
  sip_probe& operator=(const sip_probe&) = delete;

  void probe_udp(const asio::ip::udp::endpoint& target, handler done);
  void probe_tcp(const asio::ip::tcp::endpoint& target, handler done);

  const probe_settings& settings() const { return settings_; }

  class check;  // one probe in flight (sip_probe.cpp)

 private:
  friend class check;
  void forget(const std::shared_ptr<check>& c) { in_flight_.erase(c); }

  asio::io_context& io_;
  probe_settings settings_;
  std::unordered_set<std::shared_ptr<check>> in_flight_;
};

}  // namespace p2psip::node
