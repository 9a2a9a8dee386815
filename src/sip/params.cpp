#include "sip/params.hpp"

#include "sip/charset.hpp"

namespace p2psip::sip {
namespace {

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Index of the first ';' outside a quoted string, or npos.
std::size_t next_separator(std::string_view s) {
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ';' && !quoted) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

void param_list::iterator::advance() {
  for (;;) {
    const auto start = rest_.find(';');
    if (start == std::string_view::npos) {
      at_end_ = true;
      rest_ = {};
      return;
    }
    rest_.remove_prefix(start + 1);
    const auto end = next_separator(rest_);
    const auto item = trim(rest_.substr(0, end));
    if (item.empty()) continue;
    at_end_ = false;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      current_ = {item, {}, false};
    } else {
      current_ = {trim(item.substr(0, eq)), trim(item.substr(eq + 1)), true};
    }
    if (end != std::string_view::npos) {
      // Keep rest_ pointing at the next ';' so the following advance finds it.
      rest_.remove_prefix(end);
    } else {
      rest_ = rest_.substr(rest_.size());
    }
    return;
  }
}

std::optional<param> param_list::find(std::string_view name) const {
  for (const auto& p : *this)
    if (charset::iequals(p.name, name)) return p;
  return std::nullopt;
}

}  // namespace p2psip::sip
