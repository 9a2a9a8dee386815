#include "txn/detail/ack.hpp"

#include <string_view>

namespace p2psip::txn::detail {
namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

std::string make_ack(const sip::message& invite, const sip::message& response) {
  std::string out;
  out.reserve(512);
  out.append("ACK ").append(invite.request().uri_text).append(" SIP/2.0\r\n");
  append_field(out, "Via", invite.top_via().text);
  for (const auto& h : invite.headers())
    if (h.id == sip::header_id::route) append_field(out, "Route", h.value);
  append_field(out, "Max-Forwards", std::to_string(invite.max_forwards().value_or(70)));
  append_field(out, "From", invite.from().text);
  append_field(out, "To", response.to().text);
  append_field(out, "Call-ID", invite.call_id());
  append_field(out, "CSeq", std::to_string(invite.cseq().number) + " ACK");
  out.append("Content-Length: 0\r\n\r\n");
  return out;
}

}  // namespace p2psip::txn::detail
