#include "relay/rest_credential.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "secrets/private_file.hpp"

namespace p2psip::relay {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

rest_credential make_rest_credential(std::string_view secret, std::string_view user,
                                     std::int64_t now_unix, std::chrono::seconds ttl) {
  rest_credential c;
  c.expires_at = now_unix + ttl.count();
  c.username = std::to_string(c.expires_at) + ":" + std::string(user);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), mac.data(),
       &size);
  c.password = base64(mac.data(), size);
  return c;
}

turn_secret read_turn_secret(const std::filesystem::path& path) {
  auto file = secrets::read_private_file(path);
  if (!file) return {{}, std::move(file.error)};
  auto& text = file.text;
  if (text.ends_with('\n')) text.pop_back();
  if (text.ends_with('\r')) text.pop_back();
  if (text.empty()) return {{}, path.string() + ": the TURN secret is empty"};
  // coturn's static-auth-secret is one line: a second one is a mistake
  // that would only show as every credential being refused.
  if (text.find('\n') != std::string::npos)
    return {{}, path.string() + ": the TURN secret has more than one line"};
  return {std::move(text), {}};
}

}  // namespace p2psip::relay
