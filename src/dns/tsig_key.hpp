// A TSIG key (RFC 8945) as BIND's tsig-keygen writes it:
//
//   key "pp1-key" {
//           algorithm hmac-sha256;
//           secret "base64…";
//   };
//
// The same file goes into named.conf and to the proxy peer, so an operator
// makes one key per peer with one command. The secret signs changes to the
// overlay's zone: a file others may read is refused like any other secret.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace p2psip::dns {

// Only the algorithms a server and ldns 1.8 agree on: hmac-sha256 is the
// one RFC 8945 §6 says every implementation MUST have; ldns also knows
// hmac-sha512. ldns 1.8 spells SHA-384 "hmac-shac384.", a name no server
// knows, and has no SHA-224.
enum class tsig_algorithm { hmac_sha256, hmac_sha512 };

struct tsig_key {
  std::string name;  // absolute and lower case: "pp1-key."
  tsig_algorithm algorithm = tsig_algorithm::hmac_sha256;
  std::string secret;  // base64, as in the file
};

struct tsig_key_file {
  tsig_key key;
  std::string error;  // one line naming the file and why it was refused; empty when read
  explicit operator bool() const { return error.empty(); }
};

// Reads the one key of a BIND key file that only its owner may access.
tsig_key_file read_tsig_key(const std::filesystem::path& path);

// The key in `text`; `source` names it in the error.
tsig_key_file parse_tsig_key(std::string_view text, const std::string& source);

// The algorithm's domain name on the wire (RFC 8945 §6), as ldns wants it.
const char* wire_name(tsig_algorithm a);

}  // namespace p2psip::dns
