// A transaction layer in virtual time: a fake clock the test moves, a send
// function that records every send with its instant, and a transaction user
// that logs every callback as one line ("timeout 1 at 32000ms"), so a test
// states the whole expected history and any difference fails it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/editor.hpp"
#include "sip/parser.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::txn::test {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

inline transport::endpoint udp_peer(std::string_view address = "192.0.2.20",
                                    std::uint16_t port = 5060) {
  return {transport::protocol::udp, asio::ip::make_address(address), port, 0};
}

inline transport::endpoint tcp_peer(transport::flow_id flow = 7) {
  return {transport::protocol::tcp, asio::ip::make_address("192.0.2.30"), 5060, flow};
}

// A request as a UA or proxy writes it; each field can be changed.
struct request_spec {
  std::string method = "INVITE";
  std::string uri = "sip:bob@p2psip.test";
  std::vector<std::string> vias = {"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-uac-1"};
  std::vector<std::string> extra_headers;  // whole lines without CRLF, after the Vias
  std::string from_tag = "a1";
  std::string to_tag;
  std::string call_id = "call-1@192.0.2.10";
  std::uint32_t cseq = 1;
  std::string cseq_method;  // the method when empty
  unsigned max_forwards = 70;
};

inline std::string make_request(const request_spec& spec) {
  std::string out = spec.method + " " + spec.uri + " SIP/2.0\r\n";
  for (const auto& via : spec.vias) out += "Via: " + via + "\r\n";
  for (const auto& line : spec.extra_headers) out += line + "\r\n";
  out += "Max-Forwards: " + std::to_string(spec.max_forwards) + "\r\n";
  out += "From: \"Alice\" <sip:alice@p2psip.test>;tag=" + spec.from_tag + "\r\n";
  out += "To: <sip:bob@p2psip.test>";
  if (!spec.to_tag.empty()) out += ";tag=" + spec.to_tag;
  out += "\r\n";
  out += "Call-ID: " + spec.call_id + "\r\n";
  out += "CSeq: " + std::to_string(spec.cseq) + " " +
         (spec.cseq_method.empty() ? spec.method : spec.cseq_method) + "\r\n";
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

// The response a server would build for `request` (§8.2.6.2).
inline std::string response_to(std::string_view request, std::uint16_t code,
                               std::string_view reason, std::string_view to_tag = {}) {
  sip::message parsed;
  EXPECT_TRUE(sip::parse(request, parsed)) << request;
  return sip::make_response(parsed, code, reason, to_tag);
}

// The ACK a UAC sends for a non-2xx final response: the INVITE's branch and
// the response's To tag.
inline std::string ack_for(request_spec invite, std::string_view to_tag) {
  invite.method = "ACK";
  invite.to_tag = std::string(to_tag);
  invite.cseq_method = "ACK";
  return make_request(invite);
}

inline std::string_view first_line(std::string_view bytes) {
  return bytes.substr(0, bytes.find("\r\n"));
}

struct sent_message {
  std::string bytes;
  transport::endpoint to;
  transaction_id id = 0;
  ms at{};
};

class harness;

class recording_user : public transaction_user {
 public:
  explicit recording_user(const harness& h) : harness_(h) {}

  std::vector<std::string> log;
  // Lets a test act as the TU would, from inside the callback.
  std::function<void(transaction_id, const sip::message&)> answer_request;
  std::function<void(transaction_id, const sip::message&)> answer_response;
  std::function<void(transaction_id)> answer_timeout;

  void on_request(transaction_id server, const sip::message& request,
                  const transport::endpoint&) override {
    record("request " + std::to_string(server) + " " + std::string(request.request().method_text));
    if (answer_request) answer_request(server, request);
  }
  void on_ack(const sip::message& ack, const transport::endpoint&) override {
    const auto branch = ack.top_via().branch;
    record("ack " + (branch.empty() ? std::string("-") : std::string(branch)));
  }
  void on_cancel(transaction_id cancel_server, transaction_id invite_server, const sip::message&,
                 const transport::endpoint&) override {
    record("cancel " + std::to_string(cancel_server) + " of " + std::to_string(invite_server));
  }
  void on_response(transaction_id client, const sip::message& response) override {
    record("response " + std::to_string(client) + " " + std::to_string(response.status().code) +
           (response.to().tag().empty() ? "" : " tag=" + std::string(response.to().tag())));
    if (answer_response) answer_response(client, response);
  }
  void on_timeout(transaction_id client) override {
    record("timeout " + std::to_string(client));
    if (answer_timeout) answer_timeout(client);
  }
  void on_transport_error(transaction_id id) override {
    record("transport error " + std::to_string(id));
  }
  void on_ack_timeout(transaction_id invite_server) override {
    record("ack timeout " + std::to_string(invite_server));
  }
  void on_terminated(transaction_id id) override { record("terminated " + std::to_string(id)); }

 private:
  void record(std::string line);
  const harness& harness_;
};

class harness {
 public:
  explicit harness(timer_config config = {}, layer_limits limits = {})
      : layer(
            config,
            [this](std::string_view bytes, const transport::endpoint& to, transaction_id id) {
              sent.push_back({std::string(bytes), to, id, elapsed()});
            },
            tu, std::move(limits)) {}

  ms elapsed() const { return std::chrono::duration_cast<ms>(now - start); }

  // Runs every timer due up to `until` (since the start) at its exact
  // instant, as an event loop with one timer would.
  void run_until(ms until) {
    while (const auto deadline = layer.next_deadline()) {
      if (*deadline > start + until) break;
      now = *deadline;
      layer.advance(now);
    }
    now = start + until;
  }

  // The next deadline, in time since the start.
  std::optional<ms> next_deadline() const {
    const auto deadline = layer.next_deadline();
    if (!deadline) return std::nullopt;
    return std::chrono::duration_cast<ms>(*deadline - start);
  }

  void receive(const std::string& bytes, const transport::endpoint& from) {
    sip::message m;
    ASSERT_TRUE(sip::parse(bytes, m)) << bytes;
    layer.receive(m, from, now);
  }

  transaction_id send_request(std::string request, const transport::endpoint& next_hop) {
    return layer.send_request(std::move(request), next_hop, now);
  }

  bool send_response(transaction_id server, std::string response) {
    return layer.send_response(server, std::move(response), now);
  }

  // Instants of the sends whose first line is `line`.
  std::vector<ms> times_of(std::string_view line) const {
    std::vector<ms> out;
    for (const auto& s : sent)
      if (first_line(s.bytes) == line) out.push_back(s.at);
    return out;
  }

  const time_point start = time_point{} + std::chrono::hours(1);
  time_point now = start;
  std::vector<sent_message> sent;
  recording_user tu{*this};
  transaction_layer layer;
};

inline void recording_user::record(std::string line) {
  log.push_back(std::move(line) + " at " + std::to_string(harness_.elapsed().count()) + "ms");
}

}  // namespace p2psip::txn::test
