// The node's SIP messages as an operator counts and watches them. Every
// message received or sent passes through seen(): counted by method or by
// status code in its direction (the /metrics families), then shown to the
// taps that want it whole (HEP mirroring to Homer or sngrep, the
// dashboard's ladder of recent messages).
//
// Methods are counted under the RFC 3261 and extension methods a node
// meets and one "OTHER": a method is a token from the network, and a label
// per token would let anyone grow the metrics without bound.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "transport/endpoint.hpp"

namespace p2psip::node {

enum class direction : std::uint8_t { received, sent };

struct sip_event {
  direction way = direction::received;
  std::string_view bytes;      // the whole message, valid during the call only
  transport::endpoint local;   // this node's socket
  transport::endpoint remote;  // the peer
  std::chrono::system_clock::time_point at;
  std::string_view call_id;  // ties the messages of a call together
};

// The Call-ID (or compact "i") header's value in a whole message as sent,
// empty when it has none: what a sent message's tap needs without parsing
// it again.
std::string_view call_id_of(std::string_view message);

class sip_traffic {
 public:
  static constexpr std::array<std::string_view, 14> methods = {
      "INVITE", "ACK",   "BYE",       "CANCEL", "REGISTER", "OPTIONS", "INFO",
      "UPDATE", "PRACK", "SUBSCRIBE", "NOTIFY", "REFER",    "MESSAGE", "PUBLISH"};
  static constexpr std::size_t other_method = methods.size();
  static constexpr int lowest_code = 100;
  static constexpr int highest_code = 699;

  using tap = std::function<void(const sip_event&)>;
  void add_tap(tap t) { taps_.push_back(std::move(t)); }
  bool tapped() const { return !taps_.empty(); }

  void seen(const sip_event& e);

  // Requests of methods[i] (other_method: the rest) in that direction.
  std::uint64_t requests(direction way, std::size_t method) const {
    return requests_[index(way)][method];
  }
  // Responses with that status code in that direction.
  std::uint64_t responses(direction way, int code) const {
    return responses_[index(way)][static_cast<std::size_t>(code - lowest_code)];
  }
  // Messages whose start line was neither a request's nor a response's
  // (only what the node sends can be: received ones were parsed).
  std::uint64_t unreadable() const { return unreadable_; }

 private:
  static std::size_t index(direction way) { return way == direction::received ? 0 : 1; }
  void count(direction way, std::string_view bytes);

  std::array<std::array<std::uint64_t, methods.size() + 1>, 2> requests_{};
  std::array<std::array<std::uint64_t, highest_code - lowest_code + 1>, 2> responses_{};
  std::uint64_t unreadable_ = 0;
  std::vector<tap> taps_;
};

}  // namespace p2psip::node
