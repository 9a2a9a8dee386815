// URI and name-addr parsing on arbitrary text. A URI that parses equals
// itself, and parsing is a pure function of the text.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/headers.hpp"
#include "sip/uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2psip::sip;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto u = parse_uri(text)) {
    if (!uri_equal(*u, *u)) std::abort();
    const std::string copy(text);
    const auto again = parse_uri(copy);
    if (!again || !uri_equal(*u, *again) || !uri_equal(*again, *u)) std::abort();
    for (const auto& p : u->params) (void)p;
    (void)unescape(u->user);
  }
  if (const auto n = parse_name_addr(text)) (void)n->tag();
  (void)parse_via(text);
  (void)parse_contact(text);
  (void)parse_credentials(text).has_value();
  return 0;
}
