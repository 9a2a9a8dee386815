// A proxy peer's UPDATE client judging what comes back (dns/update_wire's
// check_response), on arbitrary responses to a fixed signed request with a
// fixed key (dns_seeds.hpp). The first six bytes are the reader's clock.
// Beyond not crashing:
// - judging is a function of the bytes; what is ignored says bad_response,
//   a truncation says nothing else, an answer never says bad_response;
// - only BADSIG and BADKEY are believed unsigned (RFC 8945 §5.3.2): any
//   other answer is bound to the request and the key, so the same bytes
//   are ignored as the answer to a request with another MAC, or under a
//   key with another secret;
// - a verified answer is believed only within the fudge: the same bytes
//   read a fudge and more later are BADTIME.
#include <chrono>
#include <cstdint>
#include <span>

#include "dns/update_error.hpp"
#include "dns/update_wire.hpp"
#include "dns_seeds.hpp"

namespace {

using namespace p2psip::dns;
using namespace p2psip::fuzz;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < clock_bytes) return 0;
  const auto now = read_clock({data, clock_bytes});
  const std::span<const std::uint8_t> wire(data + clock_bytes, size - clock_bytes);
  const auto request = update_request();
  const auto key = update_key();
  const auto r = check_response(wire, request, key, now, update_fudge);

  const auto again = check_response(wire, request, key, now, update_fudge);
  check(again.kind == r.kind && again.result == r.result);
  switch (r.kind) {
    case response_kind::ignored:
      check(r.result == update_error::bad_response);
      return 0;
    case response_kind::truncated:
      check(!r.result);
      return 0;
    case response_kind::answer:
      check(r.result != update_error::bad_response);
      break;
  }
  if (r.result == update_error::badsig || r.result == update_error::badkey) return 0;

  check(check_response(wire, other_update_request(), key, now, update_fudge).kind ==
        response_kind::ignored);
  auto forged = key;
  forged.secret[0] = forged.secret[0] == 'A' ? 'B' : 'A';
  check(check_response(wire, request, forged, now, update_fudge).kind == response_kind::ignored);
  if (r.result == update_error::badtime) return 0;  // signed too early or too late, or said so
  const auto later = now + 2 * update_fudge + std::chrono::seconds{1};
  const auto stale = check_response(wire, request, key, later, update_fudge);
  check(stale.kind == response_kind::answer && stale.result == update_error::badtime);
  return 0;
}
