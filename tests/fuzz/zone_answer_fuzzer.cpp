// The steward's zone reader (dns/zone_query's decode_answer) on arbitrary
// responses: what comes back over TCP from whoever answers at the
// primary's address. The first byte picks the question (dns_seeds.hpp);
// the id asked with is the response's own. Beyond not crashing:
// - decoding is a function of the bytes, and another id is bad_response;
// - an answer with records holds only records of the asked name and type,
//   in printable text (tabs allowed);
// - every record it returns can be written back into an UPDATE, as the
//   steward does when it deletes a dead peer's records (presence::remove_peer).
#include <cctype>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "dns/records.hpp"
#include "dns/update_error.hpp"
#include "dns/update_message.hpp"
#include "dns/update_wire.hpp"
#include "dns/zone_query.hpp"
#include "dns_seeds.hpp"

namespace {

using namespace p2psip::dns;
using p2psip::fuzz::check;

// ldns writes every other control byte as \DDD, but a tab inside a
// <character-string> as it is: harmless in a log line or an UPDATE, unlike
// CR, LF or NUL.
bool printable(const std::string& text) {
  for (const char c : text)
    if ((c < ' ' && c != '\t') || c > '~') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto& q = p2psip::fuzz::zone_questions[data[0] % p2psip::fuzz::zone_questions.size()];
  const std::span<const std::uint8_t> wire(data + 1, size - 1);
  const auto id = static_cast<std::uint16_t>(wire[0] << 8 | wire[1]);
  const auto a = decode_answer(wire, id, q.name, q.type);

  const auto again = decode_answer(wire, id, q.name, q.type);
  check(again.error == a.error && again.records == a.records);
  check(decode_answer(wire, static_cast<std::uint16_t>(id ^ 1), q.name, q.type).error ==
        update_error::bad_response);

  if (a.error) {
    check(a.records.empty());
    return 0;
  }
  if (a.records.empty()) return 0;
  update_message removal("p2psip.test.");
  for (const auto& r : a.records) {
    check(same_name(r.owner, q.name) && r.type == q.type);
    check(printable(r.owner) && printable(r.rdata));
    removal.delete_rr(r);
  }
  const auto request =
      sign_update(removal, p2psip::fuzz::update_key(), 1, p2psip::fuzz::update_fudge);
  check(!request.error);
  return 0;
}
