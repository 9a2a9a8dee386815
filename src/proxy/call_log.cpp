#include "proxy/call_log.hpp"

namespace p2psip::proxy {
namespace {

std::chrono::milliseconds since(call_log::time_point start, call_log::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
}

}  // namespace

call_log::call_log(sink s, std::size_t max_open, std::chrono::hours max_age)
    : sink_(std::move(s)), max_open_(max_open), max_age_(max_age) {}

void call_log::invite_answered(const sip::message& invite, const transport::endpoint& source,
                               std::uint16_t status, time_point received, time_point now) {
  evict(now);
  call_summary s;
  s.caller = std::string(invite.from().address.text);
  s.callee = std::string(invite.to().address.text);
  s.call_id = std::string(invite.call_id());
  s.status = status;
  s.setup = since(received, now);
  s.source = source;
  // A failed call ends here; an answered one when its BYE is answered.
  if (status >= 300 || max_open_ == 0 || open_.contains(s.call_id)) {
    if (sink_) sink_(s);
    return;
  }
  if (open_.size() >= max_open_) {
    const auto oldest = open_.find(by_age_.front());
    if (sink_) sink_(oldest->second.summary);
    open_.erase(oldest);
    by_age_.pop_front();
  }
  auto id = s.call_id;
  const auto age = by_age_.insert(by_age_.end(), id);
  open_.emplace(std::move(id), open_call{std::move(s), now, age});
}

void call_log::bye_answered(const sip::message& bye, time_point now) {
  const auto it = open_.find(bye.call_id());
  if (it == open_.end()) return;
  auto& call = it->second;
  call.summary.duration = since(call.answered, now);
  if (sink_) sink_(call.summary);
  by_age_.erase(call.age);
  open_.erase(it);
}

void call_log::evict(time_point now) {
  while (!by_age_.empty()) {
    const auto it = open_.find(by_age_.front());
    if (now - it->second.answered < max_age_) return;
    if (sink_) sink_(it->second.summary);
    open_.erase(it);
    by_age_.pop_front();
  }
}

}  // namespace p2psip::proxy
