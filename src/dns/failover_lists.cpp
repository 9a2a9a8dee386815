#include "dns/failover_lists.hpp"

#include <algorithm>

namespace p2psip::dns {

void failover_lists::block(const transport::endpoint& d, std::chrono::seconds retry_after,
                           clock::time_point now) {
  const auto span = std::clamp(retry_after, std::chrono::seconds{0}, settings_.max_retry_after);
  if (span.count() == 0) return;
  add(blocked_, d, now + span, now);
}

void failover_lists::greylist(const transport::endpoint& d, clock::time_point now) {
  if (settings_.greylist_for.count() <= 0) return;
  add(greylisted_, d, now + settings_.greylist_for, now);
}

bool failover_lists::blocked(const transport::endpoint& d, clock::time_point now) const {
  return listed(blocked_, d, now);
}

bool failover_lists::greylisted(const transport::endpoint& d, clock::time_point now) const {
  return listed(greylisted_, d, now);
}

std::vector<transport::endpoint> failover_lists::apply(const std::vector<transport::endpoint>& ds,
                                                       clock::time_point now) {
  expire(blocked_, now);
  expire(greylisted_, now);
  std::vector<transport::endpoint> good;
  std::vector<transport::endpoint> grey;
  for (const auto& d : ds) {
    if (blocked(d, now)) continue;
    (greylisted(d, now) ? grey : good).push_back(d);
  }
  good.insert(good.end(), grey.begin(), grey.end());
  return good;
}

bool failover_lists::listed(const list& l, const transport::endpoint& d, clock::time_point now) {
  const auto it = l.find(key_of(d));
  return it != l.end() && it->second > now;
}

void failover_lists::add(list& l, const transport::endpoint& d, clock::time_point until,
                         clock::time_point now) {
  if (settings_.max_entries == 0) return;
  const auto k = key_of(d);
  if (!l.contains(k) && l.size() >= settings_.max_entries) {
    expire(l, now);
    if (l.size() >= settings_.max_entries) {
      l.erase(std::min_element(l.begin(), l.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
  }
  auto& entry = l[k];
  entry = std::max(entry, until);
}

void failover_lists::expire(list& l, clock::time_point now) {
  std::erase_if(l, [now](const auto& entry) { return entry.second <= now; });
}

}  // namespace p2psip::dns
