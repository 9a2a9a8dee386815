// The operations API's request-head parser and its percent decoder on
// arbitrary bytes. Beyond not crashing:
// - the verdict matches where the head really ends (its first blank line)
//   and the size limit: more bytes are asked for only when there is no
//   blank line yet and the limit is not reached;
// - the verdict depends only on the head, never on what follows it, and a
//   head that fits at a limit is refused one byte below it, so a client
//   cannot make the server hold more than the limit;
// - a parsed request says what the request line said: the method is its
//   first word, and writing the decoded path and query out again and parsing
//   that gives the same request;
// - decoding never lengthens the text, and undoes encoding unless the text
//   holds NUL, which the decoder refuses in any form;
// - Basic credentials (RFC 7617, the Get Relay endpoint's) read from any
//   Authorization value have a user without ':', and encoding them again
//   gives back what was read.
#include <openssl/evp.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ops/basic_auth.hpp"
#include "ops/http_server.hpp"
#include "ops/percent_encoding.hpp"
#include "ops/request_head.hpp"

namespace {

using namespace p2psip::ops;
using outcome = head_result::outcome;

void check(bool ok) {
  if (!ok) std::abort();
}

// Where the head ends, by RFC 9112 §2.2 read directly: after the first empty
// line, a line end being LF or CR LF. npos while there is none.
std::size_t reference_head_end(std::string_view bytes) {
  const auto lf_lf = bytes.find("\n\n");
  const auto lf_crlf = bytes.find("\n\r\n");
  if (lf_lf == std::string_view::npos && lf_crlf == std::string_view::npos)
    return std::string_view::npos;
  if (lf_crlf == std::string_view::npos || (lf_lf != std::string_view::npos && lf_lf < lf_crlf))
    return lf_lf + 2;
  return lf_crlf + 3;
}

bool same_verdict(const head_result& a, const head_result& b) {
  return a.what == b.what && a.status == b.status && a.reason == b.reason && a.size == b.size &&
         a.has_body == b.has_body;
}

head_result parse(std::string_view bytes, std::size_t max_head) {
  http_request request;
  return parse_request_head(bytes, max_head, request);
}

// The reason goes into the JSON error body: a fixed text, never the input.
bool plain_reason(const std::string& reason) {
  if (reason.empty() || reason.size() > 100) return false;
  for (const char c : reason)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

// The request line a client would send for `request`: the path encoded
// segment by segment, so its slashes stay separators.
std::string request_line_for(const http_request& request) {
  std::string target;
  std::string_view path = request.path;
  while (!path.empty()) {
    path.remove_prefix(1);
    const auto slash = path.find('/');
    target += '/';
    target += percent_encode(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  char separator = '?';
  for (const auto& [name, value] : request.query) {
    target += separator;
    target += percent_encode(name) + "=" + percent_encode(value);
    separator = '&';
  }
  return request.method + " " + target + " HTTP/1.1\r\n\r\n";
}

void check_complete(std::string_view bytes, const head_result& r, const http_request& request) {
  check(r.size <= bytes.size());
  check(request.method.size() < r.size && bytes.starts_with(request.method) &&
        bytes[request.method.size()] == ' ');
  check(!request.path.empty() && request.path.front() == '/' && request.path.size() < r.size);
  for (const auto& [name, value] : request.query) check(name.size() + value.size() < r.size);

  const auto line = request_line_for(request);
  http_request again;
  const auto r2 = parse_request_head(line, line.size(), again);
  check(r2.what == outcome::complete && r2.size == line.size() && !r2.has_body);
  check(again.method == request.method && again.path == request.path &&
        again.query == request.query);
}

void check_head(std::string_view bytes) {
  const std::size_t max_head = http_limits{}.max_head;
  http_request request;
  const auto r = parse_request_head(bytes, max_head, request);
  const auto end = reference_head_end(bytes);

  switch (r.what) {
    case outcome::incomplete:
      check(end == std::string_view::npos && bytes.size() < max_head);
      check(r.status == 0 && r.reason.empty());
      // At a limit the bytes reach, waiting becomes refusing.
      check(parse(bytes, bytes.size() + 1).what == outcome::incomplete);
      check(parse(bytes, bytes.size()).status == 431);
      return;
    case outcome::rejected:
      check(plain_reason(r.reason));
      check(r.status == 400 || r.status == 431);
      if (r.status == 431) {
        check(end == std::string_view::npos ? bytes.size() >= max_head : end > max_head);
        return;
      }
      check(end != std::string_view::npos && end <= max_head);
      break;
    case outcome::complete:
      check(r.size == end && end <= max_head);
      check(r.status == 0 && r.reason.empty());
      check_complete(bytes, r, request);
      break;
  }

  // A head, well-formed or not, is judged on its own bytes: one byte short
  // it is still awaited, and what follows it changes nothing.
  check(parse(bytes.substr(0, end - 1), max_head).what == outcome::incomplete);
  check(same_verdict(parse(bytes.substr(0, end), max_head), r));
  check(same_verdict(parse(bytes, end), r));
  check(parse(bytes, end - 1).status == 431);
}

void check_percent(std::string_view text) {
  const bool has_nul = text.find('\0') != std::string_view::npos;
  if (const auto decoded = percent_decode(text)) {
    check(decoded->size() <= text.size());
    check(has_nul == (decoded->find('\0') != std::string::npos));
    if (text.find('%') == std::string_view::npos) check(*decoded == text);
  } else {
    check(text.find('%') != std::string_view::npos);
  }

  const auto encoded = percent_encode(text);
  check(encoded.size() >= text.size() && encoded.size() <= 3 * text.size());
  check(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-._~%") == std::string::npos);
  const auto back = percent_decode(encoded);
  check(has_nul ? !back.has_value() : back == text);
}

std::string base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void check_basic(std::string_view authorization) {
  const auto given = parse_basic(authorization);
  if (!given) return;
  check(!given->user.empty() && given->user.find(':') == std::string::npos);
  const auto again = parse_basic("Basic " + base64(given->user + ":" + given->password));
  check(again && again->user == given->user && again->password == given->password);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_head(bytes);
  check_percent(bytes);
  check_basic(bytes);
  return 0;
}
