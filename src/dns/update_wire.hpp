// An UPDATE on the wire, without I/O: the request encoded and signed with
// TSIG (RFC 8945 §5.1), and an answer judged against it (§5.3). The
// transport (update.hpp) only moves the bytes these produce and consume.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "dns/tsig_key.hpp"
#include "dns/update_message.hpp"

namespace p2psip::dns {

struct signed_request {
  std::vector<std::uint8_t> wire;
  // The request's MAC with its two-byte size: the answer's MAC covers it
  // (RFC 8945 §5.3.1), which binds the answer to this request.
  std::vector<std::uint8_t> mac;
  std::uint16_t id = 0;
  std::error_code error;  // bad_request when a record cannot be encoded
};

// Encodes `m` with message id `id` and signs it with `key`, time signed now
// and `fudge` the clock difference the server may accept (§5.2.3).
signed_request sign_update(const update_message& m, const tsig_key& key, std::uint16_t id,
                           std::chrono::seconds fudge);

// What a datagram or TCP message read from the server is.
enum class response_kind {
  answer,     // the server's answer: `result` says how the update ended
  truncated,  // the answer did not fit a datagram: ask again over TCP
  ignored,    // not an answer to this request, or its TSIG does not verify
};

struct response_check {
  response_kind kind = response_kind::ignored;
  std::error_code result;  // for answers: empty for NOERROR; for ignored: bad_response
};

// Judges `wire` as the answer to `request`. An answer counts only when it
// carries our key's TSIG with a MAC over it and the request's MAC, signed
// within `fudge` of `now`, so nobody without the key can fake a success or
// a failure on the path. Two exceptions, by RFC 8945 §5.3.2: BADSIG and
// BADKEY answers are unsigned (the server could not use the key), and are
// taken as they come: believing a forged one costs no more than a lost
// answer would, a retry later.
response_check check_response(std::span<const std::uint8_t> wire, const signed_request& request,
                              const tsig_key& key, std::chrono::system_clock::time_point now,
                              std::chrono::seconds fudge);

}  // namespace p2psip::dns
