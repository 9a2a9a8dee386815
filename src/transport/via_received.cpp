#include "transport/via_received.hpp"

#include "sip/charset.hpp"
#include "sip/editor.hpp"

namespace p2psip::transport {
namespace {

// The sent-by host is the source when it is that IP address literally; a
// domain name never is (§18.2.1 wants received= even if it would resolve).
bool sent_by_is(const sip::via& top, const asio::ip::address& source) {
  if (top.host_type != sip::host_kind::ipv4 && top.host_type != sip::host_kind::ipv6) return false;
  auto host = top.host;
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address == source;
}

// RFC 5118 §4.5: received= holds the IPv6 address without brackets; a zone
// index is local to this host and has no place in it.
std::string received_text(const asio::ip::address& source) {
  if (source.is_v4()) return source.to_string();
  auto v6 = source.to_v6();
  v6.scope_id(0);
  return v6.to_string();
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> stamped_top_via(const sip::via& top, const asio::ip::address& source,
                                           std::uint16_t source_port) {
  if (!top.has_rport && top.received.empty() && sent_by_is(top, source)) return std::nullopt;

  const auto params = top.params.raw();
  const auto prefix_length =
      params.empty() ? top.text.size() : static_cast<std::size_t>(params.data() - top.text.data());
  std::string out(trim_right(top.text.substr(0, prefix_length)));
  for (const auto& p : top.params) {
    if (sip::charset::iequals(p.name, "received")) continue;
    out.append(";").append(p.name);
    if (sip::charset::iequals(p.name, "rport")) {
      out.append("=").append(std::to_string(source_port));
    } else if (p.has_value) {
      out.append("=").append(p.value);
    }
  }
  out.append(";received=").append(received_text(source));
  return out;
}

std::string with_top_via(const sip::message& request, std::string_view value) {
  sip::message_editor editor(request);
  editor.pop_via();
  editor.push_via(value);
  return editor.str();
}

}  // namespace p2psip::transport
