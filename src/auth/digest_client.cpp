#include "auth/digest_client.hpp"

#include <cstdio>

#include "sip/charset.hpp"
#include "sip/headers.hpp"

namespace p2psip::auth {
namespace {

using sip::charset::iequals;

// A quoted-string's content with its quoted-pairs undone: the text itself,
// which the digest is computed over.
std::string unquoted(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

// qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT
bool offers_auth(std::string_view list) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, "auth")) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// A quoted-string's content: '"' and '\' escaped (RFC 3261 §25.1).
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::optional<digest_challenge> parse_challenge(std::string_view value) {
  const auto parsed = sip::parse_credentials(value);
  if (!parsed || !iequals(parsed->scheme, "Digest")) return std::nullopt;
  digest_challenge c;
  const auto realm = parsed->param("realm");
  const auto nonce = parsed->param("nonce");
  if (!realm || !nonce || nonce->empty()) return std::nullopt;
  c.realm = unquoted(*realm);
  c.nonce = unquoted(*nonce);
  if (const auto opaque = parsed->param("opaque")) c.opaque = unquoted(*opaque);
  if (const auto name = parsed->param("algorithm")) {
    const auto a = algorithm_from(*name);
    if (!a) return std::nullopt;
    c.algo = *a;
  }
  if (const auto qop = parsed->param("qop")) {
    // A server that offers only auth-int asks for what we do not do.
    if (!offers_auth(*qop)) return std::nullopt;
    c.qop_auth = true;
  }
  if (const auto stale = parsed->param("stale")) c.stale = iequals(*stale, "true");
  return c;
}

std::optional<digest_challenge> first_supported(const std::vector<std::string_view>& values) {
  for (auto v : values)
    if (auto c = parse_challenge(v)) return c;
  return std::nullopt;
}

std::string answer(const digest_challenge& c, const digest_answer_input& in) {
  char nc[9];
  std::snprintf(nc, sizeof nc, "%08x", in.nc);
  const std::string key = ha1(c.algo, in.username, c.realm, in.password);
  const std::string response =
      request_digest(c.algo, key,
                     {.method = in.method,
                      .uri = in.uri,
                      .nonce = c.nonce,
                      .nc = c.qop_auth ? std::string_view(nc) : std::string_view(),
                      .cnonce = c.qop_auth ? in.cnonce : std::string_view(),
                      .qop = c.qop_auth ? "auth" : ""});
  std::string out = "Digest username=" + quoted(in.username) + ", realm=" + quoted(c.realm) +
                    ", nonce=" + quoted(c.nonce) + ", uri=" + quoted(in.uri) + ", response=\"" +
                    response + "\", algorithm=" + std::string(algorithm_name(c.algo));
  if (c.qop_auth) out += ", cnonce=" + quoted(in.cnonce) + ", qop=auth, nc=" + nc;
  if (!c.opaque.empty()) out += ", opaque=" + quoted(c.opaque);
  return out;
}

}  // namespace p2psip::auth
