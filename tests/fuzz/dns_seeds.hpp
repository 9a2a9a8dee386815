// What the DNS fuzzers and the program that writes their seeds
// (dns_seeds.cpp) share: how a fuzz input is laid out, the questions a
// selector byte picks, and the fixed request and key an UPDATE answer is
// judged against.
//
// Inputs:
// - answer_parser_fuzzer: one byte choosing the question's type
//   (answer_types[byte % 4]), then a DNS response;
// - zone_answer_fuzzer: one byte choosing the question
//   (zone_questions[byte % 4]), then a DNS response; the message id asked
//   with is the response's own, so mutations reach past the id check;
// - update_response_fuzzer: six bytes of the reader's clock (seconds since
//   the epoch, big-endian, 48 bits like a TSIG time), then a DNS response.
//   Carrying the clock lets a seed signed at any time stay inside the
//   fudge, and lets the fuzzer move it outside.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "dns/records.hpp"
#include "dns/tsig_key.hpp"
#include "dns/update_wire.hpp"

namespace p2psip::fuzz {

// Aborts, naming the fuzzer's line, when a property does not hold.
inline void check(bool ok, int line = __builtin_LINE()) {
  if (ok) return;
  std::fprintf(stderr, "property at line %d does not hold\n", line);
  std::abort();
}

inline constexpr std::array<dns::rr_type, 4> answer_types = {
    dns::rr_type::a, dns::rr_type::aaaa, dns::rr_type::srv, dns::rr_type::naptr};

struct zone_question {
  const char* name;
  const char* type;
};

// What a steward asks the overlay's zone (steward.hpp).
inline constexpr std::array<zone_question, 4> zone_questions = {{
    {"_sip._udp.p2psip.test.", "SRV"},
    {"pp1.p2psip.test.", "A"},
    {"pp1.p2psip.test.", "AAAA"},
    {"p2psip.test.", "NAPTR"},
}};

inline dns::tsig_key update_key() {
  return {"pp1-key.", dns::tsig_algorithm::hmac_sha256,
          "c2VlZC1rZXktZm9yLXRoZS11cGRhdGUtZnV6emVyLTE="};
}

inline constexpr std::chrono::seconds update_fudge{300};

// check_response reads of the request only its id and MAC (the answer's
// MAC covers the request's, RFC 8945 §5.3.1), so a fixed MAC stands for a
// request signed once; its two leading bytes are the MAC's size.
inline dns::signed_request update_request() {
  dns::signed_request r;
  r.id = 0x5150;
  r.mac = {0x00, 0x20};
  for (std::uint8_t i = 0; i < 32; ++i) r.mac.push_back(static_cast<std::uint8_t>(0xA0 + i));
  return r;
}

// The request's MAC as a request from another time would have it.
inline dns::signed_request other_update_request() {
  auto r = update_request();
  r.mac.back() ^= 0x01;
  return r;
}

inline constexpr std::size_t clock_bytes = 6;

// The clock, kept below 2^33 s (the year 2242): system_clock counts
// nanoseconds in 64 bits and holds no more than 292 years.
inline std::chrono::system_clock::time_point read_clock(std::span<const std::uint8_t> bytes) {
  std::int64_t seconds = 0;
  for (std::size_t i = 0; i < clock_bytes; ++i) seconds = (seconds << 8) | bytes[i];
  return std::chrono::system_clock::time_point{
      std::chrono::seconds{seconds % (std::int64_t{1} << 33)}};
}

}  // namespace p2psip::fuzz
