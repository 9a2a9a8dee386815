#include "dns/update_error.hpp"

#include <string>

namespace p2psip::dns {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "p2psip.dns_update"; }
  std::string message(int value) const override {
    switch (static_cast<update_error>(value)) {
      case update_error::formerr:
        return "FORMERR: the server could not parse the update";
      case update_error::servfail:
        return "SERVFAIL: the server failed to apply the update";
      case update_error::nxdomain:
        return "NXDOMAIN: a name required to be in use is not";
      case update_error::notimp:
        return "NOTIMP: the server does not implement UPDATE";
      case update_error::refused:
        return "REFUSED: the server's policy does not let this key make the change";
      case update_error::yxdomain:
        return "YXDOMAIN: a name required to be unused is in use";
      case update_error::yxrrset:
        return "YXRRSET: an RRset required to be absent exists";
      case update_error::nxrrset:
        return "NXRRSET: an RRset required to exist (with these records) does not";
      case update_error::notauth:
        return "NOTAUTH: the server is not authoritative for the zone";
      case update_error::notzone:
        return "NOTZONE: a name of the update is outside the zone";
      case update_error::badsig:
        return "BADSIG: the server's secret for this key differs";
      case update_error::badkey:
        return "BADKEY: the server does not know this key or its algorithm";
      case update_error::badtime:
        return "BADTIME: the clocks of server and client differ by more than the fudge";
      case update_error::unexpected_rcode:
        return "the server answered with an RCODE UPDATE does not define";
      case update_error::timeout:
        return "no answer from the server";
      case update_error::bad_response:
        return "the only answers were unsigned or their TSIG did not verify";
      case update_error::bad_request:
        return "a record of the update is malformed";
    }
    return "unknown DNS UPDATE error";
  }
};

}  // namespace

const std::error_category& update_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(update_error e) noexcept {
  return {static_cast<int>(e), update_category()};
}

}  // namespace p2psip::dns
