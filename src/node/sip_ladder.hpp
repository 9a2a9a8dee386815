// The node's recent SIP messages, kept for the dashboard's ladder diagram
// (the way sngrep and Homer draw a call: one column per party, one arrow
// per message, the message itself on a click). A sip_traffic tap.
//
// Bounded twice: the last `capacity` messages, each cut to `max_bytes`, so
// a flood or a huge message costs a fixed amount of memory. Each message
// has a sequence number, so a page that polls asks only for what is newer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "node/sip_traffic.hpp"

namespace p2psip::node {

struct ladder_entry {
  std::uint64_t seq = 0;
  std::chrono::system_clock::time_point at;
  direction way = direction::received;
  transport::endpoint local;
  transport::endpoint remote;
  std::string call_id;
  std::string message;  // cut to max_bytes
  bool cut = false;
};

class sip_ladder {
 public:
  explicit sip_ladder(std::size_t capacity = 500, std::size_t max_bytes = 8192);

  void add(const sip_event& e);
  // Entries with seq > after, oldest first.
  std::vector<ladder_entry> since(std::uint64_t after) const;
  std::uint64_t last_seq() const { return next_seq_ - 1; }

 private:
  std::size_t capacity_;
  std::size_t max_bytes_;
  std::uint64_t next_seq_ = 1;
  std::deque<ladder_entry> entries_;
};

}  // namespace p2psip::node
