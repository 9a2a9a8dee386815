#include "identity/detail/openssl.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace p2psip::identity::detail {

void throw_openssl(const char* operation) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::string what = std::string{"OpenSSL: "} + operation + " failed";
  if (code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    what += std::string{": "} + reason;
  }
  throw std::runtime_error(what);
}

bio_ptr memory_bio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("identity: text too large for a memory BIO");
  bio_ptr bio{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
  if (!bio) throw_openssl("BIO_new_mem_buf");
  return bio;
}

bio_ptr memory_bio() {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio) throw_openssl("BIO_new");
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(size));
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  // X.509 dates reach year 9999; system_clock counts nanoseconds in 64 bits,
  // about 292 years either side of 1970. A date beyond is held at the edge
  // rather than overflowing: a certificate valid "until 2612" is, for us,
  // valid until the clock's last instant.
  using clock = std::chrono::system_clock;
  const auto limit = std::chrono::duration_cast<std::chrono::seconds>(clock::duration::max());
  const auto seconds = std::clamp<std::int64_t>(timegm(&tm), -limit.count(), limit.count());
  return clock::time_point(
      std::chrono::duration_cast<clock::duration>(std::chrono::seconds(seconds)));
}

}  // namespace p2psip::identity::detail
