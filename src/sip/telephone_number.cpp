#include "sip/telephone_number.hpp"

#include <algorithm>

#include "sip/charset.hpp"

namespace p2psip::sip {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "+"? DIGIT+: the shape of a number once its separators are gone.
bool is_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

}  // namespace

std::optional<std::string> normalize_number(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '-' || c == '.' || c == '(' || c == ')') continue;
    out.push_back(c);
  }
  if (!is_number(out)) return std::nullopt;
  return out;
}

bool names_telephone_number(const uri& u) {
  if (u.scheme == uri_scheme::tel) return true;
  if (!u.is_sip()) return false;
  const auto user = u.params.find("user");
  return user && charset::iequals(user->value, "phone");
}

std::optional<std::string> telephone_number(const uri& u) {
  if (!names_telephone_number(u)) return std::nullopt;
  // RFC 3261 §19.1.6: the user part of a user=phone URI is a
  // telephone-subscriber, which may carry its own parameters after ";".
  const auto subscriber = u.scheme == uri_scheme::tel ? std::string(u.user) : unescape(u.user);
  return normalize_number(std::string_view(subscriber).substr(0, subscriber.find(';')));
}

bool valid_number_pattern(std::string_view pattern) {
  if (pattern.size() > max_number_pattern) return false;
  const bool open = pattern.ends_with('*');
  if (open) pattern.remove_suffix(1);
  if (open && (pattern.empty() || pattern == "+")) return true;
  return is_number(pattern);
}

std::optional<std::size_t> number_match(std::string_view pattern, std::string_view number) {
  if (!valid_number_pattern(pattern)) return std::nullopt;
  if (pattern.ends_with('*')) {
    pattern.remove_suffix(1);
    if (!number.starts_with(pattern)) return std::nullopt;
  } else if (number != pattern) {
    return std::nullopt;
  }
  return pattern.size();
}

}  // namespace p2psip::sip
