#include "ops/request_head.hpp"

#include <charconv>
#include <optional>

#include "ops/http_server.hpp"
#include "ops/percent_encoding.hpp"

namespace p2psip::ops {
namespace {

head_result rejected(int status, std::string reason) {
  head_result r;
  r.what = head_result::outcome::rejected;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

head_result malformed(std::string reason) {
  return rejected(400, std::move(reason));
}

// tchar of RFC 9110 §5.6.2.
bool is_tchar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Where the head ends (after its blank line), or npos. RFC 9112 §2.2 lets a
// recipient take a bare LF as a line end, which curl never sends but netcat does.
std::size_t head_end(std::string_view bytes) {
  for (std::size_t at = bytes.find('\n'); at != std::string_view::npos;
       at = bytes.find('\n', at + 1)) {
    if (at + 1 < bytes.size() && bytes[at + 1] == '\n') return at + 2;
    if (at + 2 < bytes.size() && bytes[at + 1] == '\r' && bytes[at + 2] == '\n') return at + 3;
  }
  return std::string_view::npos;
}

// Splits off the next line of the head, without its CR LF or LF.
std::string_view next_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  auto line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// origin-form = absolute-path [ "?" query ] (RFC 9112 §3.2.1): the only form
// a client sends to a server that is not a proxy.
std::optional<std::string> parse_target(std::string_view target, http_request& request) {
  if (target.empty() || target.front() != '/') return "the request target is not a path";
  for (const char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '#')
      return "the request target has a character a URI cannot have";
  const auto question = target.find('?');
  auto path = percent_decode(target.substr(0, question));
  if (!path) return "the path has a bad percent-escape";
  request.path = std::move(*path);
  if (question == std::string_view::npos) return std::nullopt;
  auto query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value) return "the query has a bad percent-escape";
    // Two values for one name would leave the handler to guess which one counts.
    if (!request.query.emplace(std::move(*name), std::move(*value)).second)
      return "a query parameter is given twice";
  }
  return std::nullopt;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
std::optional<std::string> parse_request_line(std::string_view line, http_request& request) {
  const auto first = line.find(' ');
  const auto last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return "malformed request line";
  const auto method = line.substr(0, first);
  const auto target = line.substr(first + 1, last - first - 1);
  const auto version = line.substr(last + 1);
  if (!is_token(method)) return "malformed request line";
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return "unsupported HTTP version";
  request.method = std::string(method);
  return parse_target(target, request);
}

}  // namespace

head_result parse_request_head(std::string_view bytes, std::size_t max_head,
                               http_request& request) {
  const auto end = head_end(bytes);
  if (end == std::string_view::npos) {
    if (bytes.size() >= max_head) return rejected(431, "request head too large");
    return {};
  }
  if (end > max_head) return rejected(431, "request head too large");

  head_result done;
  done.what = head_result::outcome::complete;
  done.size = end;
  auto rest = bytes.substr(0, end);
  request = {};
  if (auto error = parse_request_line(next_line(rest), request)) return malformed(*error);

  bool seen_authorization = false;
  for (auto line = next_line(rest); !line.empty(); line = next_line(rest)) {
    const auto colon = line.find(':');
    // A name must touch its colon (RFC 9112 §5.1), and obs-fold lines start with
    // white space; both are how request smuggling begins, so neither is guessed at.
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return malformed("malformed header field");
    const auto name = line.substr(0, colon);
    const auto value = trim_ows(line.substr(colon + 1));
    if (iequals(name, "Authorization")) {
      // Two credentials would leave the server to guess which one counts.
      if (seen_authorization) return malformed("Authorization given twice");
      seen_authorization = true;
      request.authorization = std::string(value);
    }
    if (iequals(name, "Transfer-Encoding")) done.has_body = true;
    if (iequals(name, "Content-Length")) {
      std::uint64_t length = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc{} || ptr != value.data() + value.size() || value.empty())
        return malformed("malformed Content-Length");
      if (length > 0) done.has_body = true;
    }
  }

  return done;
}

}  // namespace p2psip::ops
