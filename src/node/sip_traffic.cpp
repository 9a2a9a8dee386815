#include "node/sip_traffic.hpp"

#include <algorithm>

namespace p2psip::node {
namespace {

constexpr std::string_view sip_version = "SIP/2.0 ";

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2):
// the three digits after the version, or -1.
int status_code_of(std::string_view start) {
  if (start.size() < sip_version.size() + 3) return -1;
  int code = 0;
  for (std::size_t i = sip_version.size(); i < sip_version.size() + 3; ++i) {
    const char c = start[i];
    if (c < '0' || c > '9') return -1;
    code = code * 10 + (c - '0');
  }
  return code;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

// message-header = field-name HCOLON field-value CRLF (RFC 3261 §7.3.1); the
// header section ends at the first empty line. What we send is our own
// serializer's output: no folded lines.
std::string_view call_id_of(std::string_view message) {
  std::size_t at = message.find("\r\n");
  while (at != std::string_view::npos && at + 2 < message.size()) {
    const auto start = at + 2;
    const auto end = message.find("\r\n", start);
    const auto line = message.substr(start, end == std::string_view::npos ? end : end - start);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      const auto name = trimmed(line.substr(0, colon));
      if (same_name(name, "Call-ID") || same_name(name, "i"))
        return trimmed(line.substr(colon + 1));
    }
    at = end;
  }
  return {};
}

void sip_traffic::seen(const sip_event& e) {
  count(e.way, e.bytes);
  for (const auto& t : taps_) t(e);
}

void sip_traffic::count(direction way, std::string_view bytes) {
  const auto line = bytes.substr(0, bytes.find('\r'));
  if (line.starts_with(sip_version)) {
    const int code = status_code_of(line);
    if (code < lowest_code || code > highest_code) {
      ++unreadable_;
      return;
    }
    ++responses_[index(way)][static_cast<std::size_t>(code - lowest_code)];
    return;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (§7.1).
  const auto space = line.find(' ');
  if (space == std::string_view::npos || space == 0) {
    ++unreadable_;
    return;
  }
  const auto method = line.substr(0, space);
  const auto known = std::find(methods.begin(), methods.end(), method);
  ++requests_[index(way)][static_cast<std::size_t>(known - methods.begin())];
}

}  // namespace p2psip::node
