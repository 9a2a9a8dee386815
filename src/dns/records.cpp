#include "dns/records.hpp"

namespace p2psip::dns {
namespace {

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view without_trailing_dot(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  return name;
}

}  // namespace

std::string_view to_string(rr_type t) {
  switch (t) {
    case rr_type::a:
      return "A";
    case rr_type::aaaa:
      return "AAAA";
    case rr_type::srv:
      return "SRV";
    case rr_type::naptr:
      return "NAPTR";
  }
  return "?";
}

std::string canonical_name(std::string_view name) {
  const auto bare = without_trailing_dot(name);
  std::string out(bare.size(), '\0');
  for (std::size_t i = 0; i < bare.size(); ++i) out[i] = to_lower(bare[i]);
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  a = without_trailing_dot(a);
  b = without_trailing_dot(b);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

}  // namespace p2psip::dns
