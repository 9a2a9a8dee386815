// Bounds on untrusted input, checked before anything is indexed or buffered.
#pragma once

#include <cstddef>

namespace p2psip::sip {

struct limits {
  // Storage for header fields is inline in each message, so this is also the
  // highest max_headers a configuration may ask for.
  static constexpr std::size_t header_capacity = 128;

  std::size_t max_message_size = 65535;    // the largest UDP payload
  std::size_t max_header_section = 16384;  // start line and headers, CRLFs included
  std::size_t max_line_length = 8192;      // one header field, folds included
  std::size_t max_headers = 100;
  std::size_t max_body_size = 49152;
};

}  // namespace p2psip::sip
