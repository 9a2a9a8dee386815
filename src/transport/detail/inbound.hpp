// What happens to a received message between the socket and the handler:
// parse, refuse (counted, 400 when it can be answered), admit against the
// source's rate (503), stamp the top Via, hand up. The same for every
// transport; only the way back differs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sip/message.hpp"
#include "sip/parser.hpp"
#include "transport/config.hpp"
#include "transport/counters.hpp"
#include "transport/rate_limiter.hpp"
#include "transport/transport_layer.hpp"

namespace p2psip::transport::detail {

// The way back to whoever sent a message: a connection answers on itself,
// a UDP socket from itself to the datagram's source.
class reply_path {
 public:
  virtual void reply(std::string bytes, const endpoint& to) = 0;

 protected:
  ~reply_path() = default;
};

class inbound_processor {
 public:
  // `settings` and `stats` belong to the layer and outlive this.
  inbound_processor(const config& settings, counters& stats,
                    transport_layer::message_handler handler);

  // One datagram, or one message the stream framer delimited.
  void on_message(std::string_view bytes, sip::framing how, const endpoint& source,
                  const endpoint& local, reply_path& back);

  // The stream could not be framed; `buffered` is what was read of it. The
  // request is answered when its header section is whole enough to be.
  void on_framing_error(std::string_view buffered, sip::parse_error e, const endpoint& source,
                        reply_path& back);

  // While disabled (a stopped layer) messages are neither answered nor handed up.
  void enable(bool on) { enabled_ = on; }

 private:
  void refuse(const sip::parse_result& result, const sip::message& msg, const endpoint& source,
              reply_path& back);
  bool admit(const sip::message& request, const endpoint& source, reply_path& back);
  void deliver_request(const sip::message& request, sip::framing how, const endpoint& source,
                       const endpoint& local);
  void deliver(const sip::message& msg, const endpoint& source, const endpoint& local);
  void answer_400(const sip::message& request, sip::parse_error e, const endpoint& source,
                  reply_path& back);

  const config& settings_;
  counters& stats_;
  transport_layer::message_handler handler_;
  rate_limiter limiter_;
  // One tag for every response this layer builds itself, so a retransmitted
  // request gets the same To tag (RFC 3261 §8.2.6.2).
  std::string to_tag_;
  // About 8 KiB each (inline header index): allocated once, reused.
  std::unique_ptr<sip::message> parsed_;
  std::unique_ptr<sip::message> stamped_;
  bool enabled_ = false;
};

}  // namespace p2psip::transport::detail
