// One record per call for the operator's log: who called whom, how it
// ended, how long it took to be answered and how long it lasted. The proxy
// core feeds it at the moments it sees: the final response to an INVITE
// leaves, and the final response to the BYE of an answered call leaves.
// An answered call whose BYE never passes here (it took another route, or
// the phones vanished) is reported without a duration when it is evicted:
// after `max_open` newer answered calls, or `max_age` after its answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>

#include "sip/message.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::proxy {

struct call_summary {
  // As the caller sent them: untrusted text, for the sink to cut and escape.
  std::string caller;  // the From URI
  std::string callee;  // the To URI
  std::string call_id;
  std::uint16_t status = 0;  // the final response to the INVITE
  std::chrono::milliseconds setup{};
  std::optional<std::chrono::milliseconds> duration;  // from the answer to the BYE
  transport::endpoint source;                         // where the INVITE came from
};

class call_log {
 public:
  using sink = std::function<void(const call_summary&)>;
  using time_point = std::chrono::steady_clock::time_point;

  explicit call_log(sink s, std::size_t max_open = 65536,
                    std::chrono::hours max_age = std::chrono::hours(12));

  // The final response `status` to an initial INVITE received at `received`.
  void invite_answered(const sip::message& invite, const transport::endpoint& source,
                       std::uint16_t status, time_point received, time_point now);
  // A final response to a BYE.
  void bye_answered(const sip::message& bye, time_point now);

  std::size_t open_calls() const { return open_.size(); }

 private:
  struct open_call {
    call_summary summary;
    time_point answered;
    std::list<std::string>::iterator age;
  };
  void evict(time_point now);

  sink sink_;
  std::size_t max_open_;
  std::chrono::hours max_age_;
  std::map<std::string, open_call, std::less<>> open_;  // by Call-ID
  std::list<std::string> by_age_;                       // answered longest ago first
};

}  // namespace p2psip::proxy
