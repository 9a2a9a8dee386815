// Why an overlay operation failed, beyond what the DHT itself reports.
#pragma once

#include <system_error>

namespace p2psip::overlay {

enum class error : int {
  not_stored = 1,  // the put was acknowledged but reading back did not find it
  no_service,      // none of a service's keys held a valid record
  stopped,         // the node was stopped before the operation ended
};

const std::error_category& overlay_category() noexcept;
std::error_code make_error_code(error e) noexcept;

}  // namespace p2psip::overlay

template <>
struct std::is_error_code_enum<p2psip::overlay::error> : std::true_type {};
