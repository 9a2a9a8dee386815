// Checks one TURN server the way a relay peer must before it advertises
// it, on the caller's executor (no thread, nothing blocks):
//
//   binding    a STUN Binding request, answered with XOR-MAPPED-ADDRESS;
//   challenge  an Allocate without credentials, answered 401 with REALM
//              and NONCE (a relay that allocates for anyone is refused);
//   allocate   an Allocate with a REST credential made from the shared
//              secret, answered with XOR-RELAYED-ADDRESS under a
//              MESSAGE-INTEGRITY that verifies (so the server knows the
//              secret: a relay with another secret would turn every user away);
//   refresh    a Refresh with LIFETIME 0 that releases the allocation; its
//              failure does not fail the probe, the allocation just expires.
//
// A 438 Stale Nonce is retried once with the new nonce. Over UDP a request
// is sent again after first_resend, then after twice that, and so on
// (RFC 8489 §6.2.1) until the transaction's timeout; datagrams from other
// addresses, answers to other transactions and messages that do not decode
// are dropped and the wait goes on. Over TCP all four use one connection,
// as an allocation belongs to it (RFC 8656 §2.1), and a bad message ends it.
#pragma once

#include <array>
#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "relay/stun_message.hpp"
#include "relay/turn_uri.hpp"

namespace p2psip::relay {

struct probe_target {
  asio::ip::address address;
  std::uint16_t port = turn_default_port;
  turn_transport transport = turn_transport::udp;
};

// The target of a turn: URI whose host is an IP literal. A name has to be
// resolved first (RFC 5928); turns: needs TLS, which the probe does not speak.
std::optional<probe_target> literal_target(const turn_uri& uri);

struct probe_settings {
  std::chrono::milliseconds timeout{3000};      // one transaction, its retransmissions included
  std::chrono::milliseconds first_resend{250};  // RTO; doubled after each resend
  std::string user = "p2psip-probe";            // the user part of the REST username
  std::chrono::seconds credential_ttl{60};      // how long the probe's credential is valid
  std::chrono::seconds lifetime{60};            // the LIFETIME asked for the test allocation
};

enum class probe_step { binding, challenge, allocate, refresh };
std::string_view to_string(probe_step step);

struct probe_result {
  bool ok = false;
  probe_step step = probe_step::binding;  // when !ok: the step that failed
  // When !ok: a relay::error (timeout, malformed_response, server_error,
  // no_challenge, bad_integrity, missing_address, no_secret) or the
  // socket's (connection_refused over TCP when nothing listens).
  std::error_code error;
  std::uint16_t server_code = 0;  // server_error: the ERROR-CODE, e.g. 401
  std::string server_reason;
  std::optional<transport_address> mapped;   // from the Binding answer
  std::optional<transport_address> relayed;  // from the Allocate answer
  std::chrono::milliseconds rtt{0};          // of the Binding, from its first send
  bool released = false;                     // the Refresh to 0 was answered with success
  std::error_code release_error;             // when not: why
};

class turn_probe {
 public:
  using handler = std::function<void(probe_result)>;

  turn_probe(asio::any_io_executor executor, probe_settings settings = {});
  // Ends the probe in flight; its handler is not called.
  ~turn_probe() = default;
  turn_probe(const turn_probe&) = delete;
  turn_probe& operator=(const turn_probe&) = delete;

  // Probes `target` with credentials made from `secret`. `done` is called
  // exactly once, on the executor and never from inside run(), unless the
  // probe is destroyed first. One run at a time: call again after `done`.
  void run(const probe_target& target, std::string secret, handler done);

 private:
  using on_answer = void (turn_probe::*)(const stun_message&);

  void start_tcp();
  void binding();
  void on_binding(const stun_message& m);
  void challenge();
  void on_challenge(const stun_message& m);
  void allocate();
  void on_allocate(const stun_message& m);
  void release();
  void on_release(const stun_message& m);
  bool retry_stale_nonce(const stun_message& m, void (turn_probe::*again)());

  void transact(probe_step step, const stun_request& request, std::string key, on_answer next);
  void send_datagram();
  void arm_resend();
  void receive_datagram();
  void read_header();
  void read_body(std::size_t size);
  void on_message(std::size_t size);
  bool fits(const stun_message& m) const;

  void fail(std::error_code ec);
  void fail_server(const stun_message& m);
  void finish();
  bool stale(std::uint64_t run) const { return run != run_; }

  asio::any_io_executor executor_;
  probe_settings settings_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::socket tcp_;
  asio::steady_timer timer_;

  probe_target target_;
  std::string secret_;
  handler done_;
  probe_result result_;
  std::uint64_t run_ = 0;  // ends with each run: late completions of an earlier one are dropped

  // The transaction in flight.
  probe_step step_ = probe_step::binding;
  transaction_id id_{};
  std::vector<std::uint8_t> wire_;
  std::string key_;  // checks MESSAGE-INTEGRITY of its answer; empty before the allocate step
  on_answer next_ = nullptr;
  std::chrono::steady_clock::time_point first_sent_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds resend_after_{0};
  std::uint64_t serial_ = 0;  // one per transaction: a timer of an earlier one is dropped
  bool saw_malformed_ = false;
  std::vector<std::uint8_t> buffer_;
  asio::ip::udp::endpoint sender_;

  // The long-term credential, once the challenge gave realm and nonce.
  long_term_auth auth_;
  bool retried_stale_ = false;

  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::relay
