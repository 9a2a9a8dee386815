#include "transport/error.hpp"

#include <string>

namespace p2psip::transport {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "transport"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::stopped:
        return "transport stopped";
      case error::flow_gone:
        return "flow closed";
      case error::no_transport:
        return "no socket for that protocol and address family";
      case error::tls_not_configured:
        return "TLS not configured";
      case error::too_many_connections:
        return "too many connections";
      case error::write_backlog:
        return "peer not reading: write queue full";
      case error::idle_timeout:
        return "connection idle";
      case error::framing_error:
        return "stream framing error";
    }
    return "unknown transport error";
  }
};

}  // namespace

const std::error_category& transport_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), transport_category()};
}

}  // namespace p2psip::transport
