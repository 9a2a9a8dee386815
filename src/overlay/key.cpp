#include "overlay/key.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string>

namespace p2psip::overlay {
namespace {

using digest = std::array<std::uint8_t, 32>;  // SHA-256

// The fields are joined with NUL so that ("ab","c") and ("a","bc") differ.
digest hash_fields(std::initializer_list<std::string_view> fields) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) EVP_DigestUpdate(ctx.get(), "", 1);
    EVP_DigestUpdate(ctx.get(), f.data(), f.size());
    first = false;
  }
  digest out{};
  EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr);
  return out;
}

}  // namespace

std::string key::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

key make_key(std::string_view overlay_id, std::string_view kind, std::string_view name) {
  digest d = hash_fields({"p2psip", overlay_id, kind, name});
  key k;
  std::copy_n(d.begin(), k.bytes.size(), k.bytes.begin());
  return k;
}

key binding_key(std::string_view overlay_id, std::string_view aor) {
  return make_key(overlay_id, "aor", aor);
}

key node_key(std::string_view overlay_id, std::string_view node_id) {
  return make_key(overlay_id, "node", node_id);
}

key user_key(std::string_view overlay_id, std::string_view aor) {
  return make_key(overlay_id, "user", aor);
}

key service_key(std::string_view overlay_id, std::string_view service, unsigned index) {
  std::string name{service};
  name += '#';
  name += std::to_string(index);
  return make_key(overlay_id, "service", name);
}

std::uint64_t network_id(std::string_view overlay_id) {
  digest d = hash_fields({"p2psip-network", overlay_id});
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | d[i];
  return id == 0 ? 1 : id;  // 0 is OpenDHT's public network
}

}  // namespace p2psip::overlay
