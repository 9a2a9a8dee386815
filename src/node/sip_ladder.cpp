#include "node/sip_ladder.hpp"

#include <algorithm>

namespace p2psip::node {

sip_ladder::sip_ladder(std::size_t capacity, std::size_t max_bytes)
    : capacity_(capacity), max_bytes_(max_bytes) {}

void sip_ladder::add(const sip_event& e) {
  if (capacity_ == 0) return;
  if (entries_.size() == capacity_) entries_.pop_front();
  ladder_entry entry;
  entry.seq = next_seq_++;
  entry.at = e.at;
  entry.way = e.way;
  entry.local = e.local;
  entry.remote = e.remote;
  entry.call_id = std::string(e.call_id.substr(0, 256));
  entry.cut = e.bytes.size() > max_bytes_;
  entry.message = std::string(e.bytes.substr(0, max_bytes_));
  entries_.push_back(std::move(entry));
}

std::vector<ladder_entry> sip_ladder::since(std::uint64_t after) const {
  const auto first = std::find_if(entries_.begin(), entries_.end(),
                                  [after](const ladder_entry& x) { return x.seq > after; });
  return {first, entries_.end()};
}

}  // namespace p2psip::node
