#include "overlay/error.hpp"

#include <string>

namespace p2psip::overlay {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "p2psip.overlay"; }
  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::not_stored:
        return "the overlay acknowledged the put but does not return the record";
      case error::no_service:
        return "no valid record under any of the service's keys";
      case error::stopped:
        return "the overlay node was stopped";
    }
    return "unknown overlay error";
  }
};

}  // namespace

const std::error_category& overlay_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), overlay_category()};
}

}  // namespace p2psip::overlay
