// Parsing a SIP message from a received buffer, and framing messages out of
// a byte stream. Both are pure functions of their input: the socket code
// calls them and acts on the result.
#pragma once

#include <cstddef>
#include <string_view>

#include "sip/error.hpp"
#include "sip/limits.hpp"
#include "sip/message.hpp"

namespace p2psip::sip {

// How the message arrived decides how its body is delimited (RFC 3261 §18.3):
// a datagram's body runs to the end of the packet unless Content-Length says
// less; on a stream Content-Length is mandatory and exact.
enum class framing : std::uint8_t { datagram, stream };

struct parse_result {
  parse_error error = parse_error::ok;
  disposition action = disposition::drop;  // what to do when error != ok
  std::size_t consumed = 0;                // bytes that belonged to the message

  explicit operator bool() const { return error == parse_error::ok; }
};

// Parses one message from `bytes` into `out`. `out` refers into `bytes`
// afterwards. Never allocates; every limit is checked before the data it
// bounds is indexed.
parse_result parse(std::string_view bytes, message& out, framing how = framing::datagram,
                   const limits& bounds = {});

// Finds message boundaries in a stream (TCP, TLS). Feed it what is buffered,
// starting at a message boundary; it answers with what the front of the
// buffer is. It remembers how far it has searched, so feeding a growing
// buffer one byte at a time stays linear.
class stream_framer {
 public:
  enum class kind : std::uint8_t {
    need_more,  // read more bytes, then call next() again with the larger buffer
    skip,       // `length` bytes of CRLF between messages: consume them
    ping,       // a CRLFCRLF keep-alive (RFC 5626 §4.4.1): consume and answer CRLF
    message,    // a whole message of `length` bytes: parse it with framing::stream
    error,      // the stream cannot be framed: answer if possible and close
  };
  struct frame {
    kind what = kind::need_more;
    std::size_t length = 0;
    parse_error error = parse_error::ok;
  };

  explicit stream_framer(const limits& bounds = {}) : limits_(bounds) {}

  frame next(std::string_view buffered);

 private:
  frame locate_body(std::string_view buffered, std::size_t header_end);

  limits limits_;
  std::size_t searched_ = 0;      // bytes already searched for the empty line
  std::size_t message_size_ = 0;  // known once the header section is complete
};

}  // namespace p2psip::sip
