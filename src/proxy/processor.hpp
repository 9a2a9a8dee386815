// Routing is an ordered chain of small processors (RFC 3261 §16.3-16.5 are
// its first links). Each looks at the request and either lets the chain go
// on, answers it and stops it, or waits for something (a location lookup)
// and resumes the chain later through proxy_core::resume().
#pragma once

#include <string_view>

#include "proxy/context.hpp"

namespace p2psip::proxy {

class proxy_core;

enum class processor_result : std::uint8_t {
  next,  // go on with the next processor
  stop,  // the request was answered (or handed on); the chain ends here
  wait,  // resume() will be called for this request later
};

class processor {
 public:
  virtual ~processor() = default;
  virtual std::string_view name() const = 0;
  virtual processor_result process(request_context& ctx, proxy_core& core) = 0;
};

}  // namespace p2psip::proxy
