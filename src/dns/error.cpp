#include "dns/error.hpp"

#include <string>

namespace p2psip::dns {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dns"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::not_found:
        return "no such domain name";
      case error::no_data:
        return "no records of that type";
      case error::timeout:
        return "DNS query timed out";
      case error::server_failure:
        return "DNS server failure";
      case error::refused:
        return "DNS query refused or servers unreachable";
      case error::bad_response:
        return "malformed DNS response";
      case error::bad_name:
        return "malformed domain name";
      case error::cancelled:
        return "DNS query cancelled";
      case error::bad_configuration:
        return "bad DNS resolver configuration";
      case error::bad_uri:
        return "not a SIP or SIPS URI";
      case error::unsupported_transport:
        return "no supported transport for the URI";
      case error::all_blocklisted:
        return "every destination is blocklisted";
    }
    return "unknown DNS error";
  }
};

}  // namespace

const std::error_category& dns_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), dns_category()};
}

bool is_transient(std::error_code ec) noexcept {
  return ec == error::timeout || ec == error::server_failure || ec == error::refused ||
         ec == error::bad_response || ec == error::cancelled;
}

}  // namespace p2psip::dns
