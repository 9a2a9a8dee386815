#include "secrets/random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <climits>

namespace p2psip::secrets {

void fill_random(std::span<unsigned char> out, const std::string& purpose) {
  if (out.size() > INT_MAX) throw random_failure("cannot generate " + purpose + ": too many bytes");
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) == 1) return;
  const auto code = ERR_get_error();
  ERR_clear_error();
  std::array<char, 256> reason{};
  if (code != 0) ERR_error_string_n(code, reason.data(), reason.size());
  throw random_failure("cannot generate " + purpose + ": OpenSSL's random generator failed" +
                       (code != 0 ? std::string(" (") + reason.data() + ")" : std::string()));
}

std::string random_key(std::size_t size, const std::string& purpose) {
  std::string key(size, '\0');
  fill_random({reinterpret_cast<unsigned char*>(key.data()), key.size()}, purpose);
  return key;
}

std::string random_hex(std::size_t size, const std::string& purpose) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : random_key(size, purpose)) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

}  // namespace p2psip::secrets
