#include "identity/error.hpp"

#include <string>

namespace p2psip::identity {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "p2psip.identity"; }

  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::malformed_certificate:
        return "malformed certificate";
      case error::malformed_key:
        return "malformed or unsupported private key";
      case error::malformed_request:
        return "malformed certificate request or bad request signature";
      case error::untrusted_certificate:
        return "certificate not issued by the overlay CA";
      case error::certificate_expired:
        return "certificate outside its validity period";
      case error::not_a_leaf:
        return "CA certificate where a user or node certificate is required";
      case error::bad_signature:
        return "signature does not verify";
      case error::io_failure:
        return "cannot read or write the file";
      case error::already_exists:
        return "a CA already exists in this directory";
      case error::exposed_key:
        return "group or others may access the private key file (chmod 600 it)";
    }
    return "unknown identity error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& identity_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), identity_category()};
}

}  // namespace p2psip::identity
