// The stream framer on arbitrary bytes, split at a fuzzer-chosen offset:
// the frames must be the same as for the bytes in one piece, and every
// message frame must lie inside what was buffered.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sip/parser.hpp"

namespace {

using p2psip::sip::stream_framer;

struct frame_seen {
  stream_framer::kind what;
  std::size_t length;
  p2psip::sip::parse_error error;
  bool operator==(const frame_seen&) const = default;
};

std::vector<frame_seen> drain(std::string_view a, std::string_view b) {
  p2psip::sip::limits bounds;
  bounds.max_header_section = 2048;
  bounds.max_body_size = 4096;
  stream_framer framer(bounds);
  std::string buffer;
  std::vector<frame_seen> seen;
  for (auto piece : {a, b}) {
    buffer.append(piece);
    for (;;) {
      const auto f = framer.next(buffer);
      if (f.what == stream_framer::kind::need_more) break;
      seen.push_back({f.what, f.length, f.error});
      if (f.what == stream_framer::kind::error) return seen;
      if (f.length == 0 || f.length > buffer.size()) std::abort();
      if (f.what == stream_framer::kind::message) {
        p2psip::sip::message m;
        (void)p2psip::sip::parse(std::string_view(buffer).substr(0, f.length), m,
                                 p2psip::sip::framing::stream, bounds);
      }
      buffer.erase(0, f.length);
    }
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t split = data[0] % size;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto cut = split < bytes.size() ? split : bytes.size();
  if (drain(bytes, {}) != drain(bytes.substr(0, cut), bytes.substr(cut))) std::abort();
  return 0;
}
