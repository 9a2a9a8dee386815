#include "node/log_text.hpp"

namespace p2psip::node {

std::string log_text(std::string_view untrusted, std::size_t max_bytes) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  const auto kept = untrusted.substr(0, max_bytes);
  out.reserve(kept.size() + 8);
  for (const unsigned char c : kept) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  if (untrusted.size() > max_bytes) out += "...";
  return out;
}

}  // namespace p2psip::node
