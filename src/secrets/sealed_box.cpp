#include "secrets/sealed_box.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "secrets/random.hpp"

namespace p2psip::secrets {
namespace {

using cipher_context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

cipher_context new_context() {
  cipher_context ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  if (!ctx) throw std::bad_alloc{};
  return ctx;
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::vector<std::uint8_t> seal_box(const box_key& key, std::span<const std::uint8_t> plaintext,
                                   std::string_view associated) {
  std::vector<std::uint8_t> box(box_nonce_size + plaintext.size() + box_tag_size);
  fill_random({box.data(), box_nonce_size}, "a sealed box's nonce");
  cipher_context ctx = new_context();
  int n = 0;
  int ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), box.data());
  ok = ok && EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes_of(associated),
                               static_cast<int>(associated.size()));
  ok = ok && EVP_EncryptUpdate(ctx.get(), box.data() + box_nonce_size, &n, plaintext.data(),
                               static_cast<int>(plaintext.size()));
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), box.data() + box_nonce_size + n, &n);
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, box_tag_size,
                                 box.data() + box_nonce_size + plaintext.size());
  if (!ok) throw std::runtime_error("AES-256-GCM sealing failed");
  return box;
}

std::optional<std::vector<std::uint8_t>> open_box(const box_key& key,
                                                  std::span<const std::uint8_t> box,
                                                  std::string_view associated) {
  if (box.size() < box_overhead) return std::nullopt;
  const std::size_t size = box.size() - box_overhead;
  std::vector<std::uint8_t> plaintext(size);
  std::array<std::uint8_t, box_tag_size> tag{};
  std::copy_n(box.data() + box_nonce_size + size, box_tag_size, tag.begin());
  cipher_context ctx = new_context();
  int n = 0;
  int ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), box.data());
  ok = ok && EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes_of(associated),
                               static_cast<int>(associated.size()));
  ok = ok && EVP_DecryptUpdate(ctx.get(), plaintext.data(), &n, box.data() + box_nonce_size,
                               static_cast<int>(size));
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, box_tag_size, tag.data());
  // The tag is checked here: a failure means the wrong key, other associated
  // data or changed bytes, and nothing decrypted may be used.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + n, &n) > 0;
  if (!ok) return std::nullopt;
  return plaintext;
}

}  // namespace p2psip::secrets
