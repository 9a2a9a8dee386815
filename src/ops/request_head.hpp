// The request head of HTTP/1.1 (RFC 9112 §2-5) as a pure function over the
// bytes received so far: the connection only appends bytes and asks again.
// The head is bounded before it is parsed, and the server refuses a request
// with a body, so nothing the client sends is buffered beyond `max_head` bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2psip::ops {

struct http_request;

struct head_result {
  enum class outcome : std::uint8_t {
    incomplete,  // no blank line yet, and still below the limit: read more
    complete,    // `request` is filled in
    rejected,    // answer `status` with `reason` and close
  };
  outcome what = outcome::incomplete;
  int status = 0;        // rejected: 400 malformed, 431 head too large
  std::string reason;    // rejected: for the JSON error body, never echoes the input
  std::size_t size = 0;  // complete: bytes of the head, its blank line included
  // complete: Content-Length > 0 or Transfer-Encoding. Left to the server so
  // that a POST is told 405, what it needs to know, rather than 413.
  bool has_body = false;
};

// `bytes` are everything received on the connection. The method is returned
// as sent (the server answers 405 to anything but GET); the path and each
// query name and value are percent-decoded, a name given twice is rejected.
head_result parse_request_head(std::string_view bytes, std::size_t max_head, http_request& request);

}  // namespace p2psip::ops
