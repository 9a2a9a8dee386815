// Files that hold secrets — private keys, the passwords of the user file,
// HMAC keys — are read only when nobody but their owner may read or write
// them, as ssh does with its keys: a secret that others can read is one no
// longer, and the operator hears of it before the node runs with it.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace p2psip::secrets {

struct private_text {
  std::string text;
  std::string error;     // one line naming the file (and the fix); empty when read
  std::error_code code;  // why it was not read: errno, or permission_denied when exposed
  bool exposed = false;  // refused for its mode: group or others may access it
  explicit operator bool() const { return error.empty(); }
};

// Reads `path` when its mode gives group and others nothing (mode & 077 == 0).
private_text read_private_file(const std::filesystem::path& path);

// Why the open file `fd`, known as `path`, may not hold a secret: group or
// others have some access to it. Empty when only its owner has.
std::string exposure(int fd, const std::filesystem::path& path);

}  // namespace p2psip::secrets
