#include "sip/header_name.hpp"

#include <array>

#include "sip/charset.hpp"

namespace p2psip::sip {
namespace {

struct entry {
  header_id id;
  std::string_view name;
  char compact;  // '\0' when the header has no compact form
};

// Indexed by header_id. The compact forms are those registered with IANA
// (RFC 3261 §7.3.3, RFC 3841, RFC 3892, RFC 4028, RFC 3515, RFC 4474, RFC 3265).
constexpr std::array<entry, header_id_count> entries{{
    {header_id::other, "", '\0'},
    {header_id::accept, "Accept", '\0'},
    {header_id::accept_contact, "Accept-Contact", 'a'},
    {header_id::accept_encoding, "Accept-Encoding", '\0'},
    {header_id::accept_language, "Accept-Language", '\0'},
    {header_id::alert_info, "Alert-Info", '\0'},
    {header_id::allow, "Allow", '\0'},
    {header_id::allow_events, "Allow-Events", 'u'},
    {header_id::authentication_info, "Authentication-Info", '\0'},
    {header_id::authorization, "Authorization", '\0'},
    {header_id::call_id, "Call-ID", 'i'},
    {header_id::call_info, "Call-Info", '\0'},
    {header_id::contact, "Contact", 'm'},
    {header_id::content_disposition, "Content-Disposition", '\0'},
    {header_id::content_encoding, "Content-Encoding", 'e'},
    {header_id::content_language, "Content-Language", '\0'},
    {header_id::content_length, "Content-Length", 'l'},
    {header_id::content_type, "Content-Type", 'c'},
    {header_id::cseq, "CSeq", '\0'},
    {header_id::date, "Date", '\0'},
    {header_id::error_info, "Error-Info", '\0'},
    {header_id::event, "Event", 'o'},
    {header_id::expires, "Expires", '\0'},
    {header_id::flow_timer, "Flow-Timer", '\0'},
    {header_id::from, "From", 'f'},
    {header_id::identity, "Identity", 'y'},
    {header_id::identity_info, "Identity-Info", 'n'},
    {header_id::in_reply_to, "In-Reply-To", '\0'},
    {header_id::max_forwards, "Max-Forwards", '\0'},
    {header_id::mime_version, "MIME-Version", '\0'},
    {header_id::min_expires, "Min-Expires", '\0'},
    {header_id::min_se, "Min-SE", '\0'},
    {header_id::organization, "Organization", '\0'},
    {header_id::path, "Path", '\0'},
    {header_id::priority, "Priority", '\0'},
    {header_id::proxy_authenticate, "Proxy-Authenticate", '\0'},
    {header_id::proxy_authorization, "Proxy-Authorization", '\0'},
    {header_id::proxy_require, "Proxy-Require", '\0'},
    {header_id::rack, "RAck", '\0'},
    {header_id::reason, "Reason", '\0'},
    {header_id::record_route, "Record-Route", '\0'},
    {header_id::refer_to, "Refer-To", 'r'},
    {header_id::referred_by, "Referred-By", 'b'},
    {header_id::reject_contact, "Reject-Contact", 'j'},
    {header_id::replaces, "Replaces", '\0'},
    {header_id::reply_to, "Reply-To", '\0'},
    {header_id::request_disposition, "Request-Disposition", 'd'},
    {header_id::require, "Require", '\0'},
    {header_id::retry_after, "Retry-After", '\0'},
    {header_id::route, "Route", '\0'},
    {header_id::rseq, "RSeq", '\0'},
    {header_id::server, "Server", '\0'},
    {header_id::service_route, "Service-Route", '\0'},
    {header_id::session_expires, "Session-Expires", 'x'},
    {header_id::sip_etag, "SIP-ETag", '\0'},
    {header_id::sip_if_match, "SIP-If-Match", '\0'},
    {header_id::subject, "Subject", 's'},
    {header_id::subscription_state, "Subscription-State", '\0'},
    {header_id::supported, "Supported", 'k'},
    {header_id::timestamp, "Timestamp", '\0'},
    {header_id::to, "To", 't'},
    {header_id::unsupported, "Unsupported", '\0'},
    {header_id::user_agent, "User-Agent", '\0'},
    {header_id::via, "Via", 'v'},
    {header_id::warning, "Warning", '\0'},
    {header_id::www_authenticate, "WWW-Authenticate", '\0'},
}};

constexpr bool table_is_indexed_by_id() {
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (static_cast<std::size_t>(entries[i].id) != i) return false;
  return true;
}
static_assert(table_is_indexed_by_id(), "entries must be in header_id order");

// Open-addressing hash over the lower-cased name, built at compile time.
// 256 slots for ~65 names keeps probe chains at one or two.
constexpr std::size_t slot_count = 256;

// Case is folded with `| 0x20`: exact for letters, and the names in the
// table are letters and '-' only. Other bytes may collide in the hash, which
// the comparison below settles.
constexpr std::uint32_t hash_name(std::string_view name) {
  std::uint32_t h = 2166136261u;
  for (char c : name) h = (h ^ (static_cast<unsigned char>(c) | 0x20u)) * 16777619u;
  return h;
}

constexpr std::array<header_id, slot_count> build_slots() {
  std::array<header_id, slot_count> slots{};
  auto insert = [&slots](std::string_view name, header_id id) {
    auto i = hash_name(name) % slot_count;
    while (slots[i] != header_id::other) i = (i + 1) % slot_count;
    slots[i] = id;
  };
  for (const auto& e : entries) {
    if (e.id == header_id::other) continue;
    insert(e.name, e.id);
    if (e.compact != '\0') insert(std::string_view(&e.compact, 1), e.id);
  }
  return slots;
}
constexpr auto slots = build_slots();

// For a letter t, (c | 0x20) == (t | 0x20) holds exactly when c is t in
// either case; '-' must match itself.
bool same_folded(char table_char, char c) {
  if (table_char == '-') return c == '-';
  return (static_cast<unsigned char>(c) | 0x20u) ==
         (static_cast<unsigned char>(table_char) | 0x20u);
}

bool matches(const entry& e, std::string_view name) {
  if (name.size() == 1) return e.compact != '\0' && same_folded(e.compact, name[0]);
  if (name.size() != e.name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!same_folded(e.name[i], name[i])) return false;
  return true;
}

}  // namespace

header_id lookup_header(std::string_view name) noexcept {
  if (name.empty()) return header_id::other;
  for (auto i = hash_name(name) % slot_count;; i = (i + 1) % slot_count) {
    const auto id = slots[i];
    if (id == header_id::other) return header_id::other;
    if (matches(entries[static_cast<std::size_t>(id)], name)) return id;
  }
}

std::string_view canonical_name(header_id id) noexcept {
  return entries[static_cast<std::size_t>(id)].name;
}

bool is_list_header(header_id id) noexcept {
  switch (id) {
    case header_id::accept:
    case header_id::accept_contact:
    case header_id::accept_encoding:
    case header_id::accept_language:
    case header_id::alert_info:
    case header_id::allow:
    case header_id::allow_events:
    case header_id::call_info:
    case header_id::contact:
    case header_id::content_encoding:
    case header_id::content_language:
    case header_id::error_info:
    case header_id::in_reply_to:
    case header_id::path:
    case header_id::proxy_require:
    case header_id::reason:
    case header_id::record_route:
    case header_id::reject_contact:
    case header_id::request_disposition:
    case header_id::require:
    case header_id::route:
    case header_id::service_route:
    case header_id::supported:
    case header_id::unsupported:
    case header_id::via:
    case header_id::warning:
      return true;
    default:
      return false;
  }
}

std::optional<char> compact_form(header_id id) noexcept {
  const char c = entries[static_cast<std::size_t>(id)].compact;
  if (c == '\0') return std::nullopt;
  return c;
}

}  // namespace p2psip::sip
