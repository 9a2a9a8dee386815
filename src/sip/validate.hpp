// The checks a UAS (RFC 3261 §8.2) or proxy (§16.3) makes on a request that
// parsed, before acting on it: the answer when the request cannot be served
// as it stands. The parser only reads what routing needs; this reads every
// header the project has a grammar for.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace p2psip::sip {

struct validation_policy {
  // Option tags this element implements: a Require naming another gets 420.
  std::span<const std::string_view> supported;
  // Proxies check Proxy-Require (§16.3 step 5); UASs check Require (§8.2.2.3).
  bool acting_as_proxy = false;
  bool accept_tel = true;
};

struct verdict {
  std::uint16_t code = 0;   // 0: the request may proceed
  std::string_view reason;  // reason phrase for the response
  std::string_view detail;  // the offending header value or option tag, for logs

  bool acceptable() const { return code == 0; }
};

verdict validate_request(const message& request, const validation_policy& policy = {});

// The option tags of Require (or Proxy-Require, for a proxy) that the policy
// does not support, comma-separated: the value of the Unsupported header of
// a 420 (§8.2.2.3).
std::string unsupported_option_tags(const message& request, const validation_policy& policy);

}  // namespace p2psip::sip
