#include "sip/message.hpp"

#include <array>
#include <cstring>

#include "sip/charset.hpp"

namespace p2psip::sip {
namespace {

constexpr std::array<std::string_view, 15> method_names{
    "",        "ACK",   "BYE",     "CANCEL", "INFO",     "INVITE",    "MESSAGE", "NOTIFY",
    "OPTIONS", "PRACK", "PUBLISH", "REFER",  "REGISTER", "SUBSCRIBE", "UPDATE"};

}  // namespace

method method_from(std::string_view text) noexcept {
  for (std::size_t i = 1; i < method_names.size(); ++i)
    if (method_names[i] == text) return static_cast<method>(i);
  return method::other;
}

std::string_view method_name(method m) noexcept {
  return method_names[static_cast<std::size_t>(m)];
}

std::pair<std::string_view, std::string_view> split_first_value(std::string_view list) {
  // Most values hold no comma at all; only those need the careful scan.
  if (std::memchr(list.data(), ',', list.size()) == nullptr)
    return {list, list.substr(list.size())};
  bool quoted = false;
  bool bracketed = false;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      bracketed = true;
    } else if (c == '>') {
      bracketed = false;
    } else if (c == ',' && !bracketed) {
      auto first = list.substr(0, i);
      auto rest = list.substr(i + 1);
      while (!first.empty() && charset::is_wsp(first.back())) first.remove_suffix(1);
      while (!rest.empty() &&
             (charset::is_wsp(rest.front()) || rest.front() == '\r' || rest.front() == '\n'))
        rest.remove_prefix(1);
      return {first, rest};
    }
  }
  return {list, list.substr(list.size())};
}

value_range::iterator::iterator(std::span<const header_field> fields, header_id id)
    : fields_(fields), id_(id) {
  if (!next_field_from(0)) *this = iterator();
}

// Moves to the first value of the next field with our id at or after `index`.
bool value_range::iterator::next_field_from(std::size_t index) {
  for (; index < fields_.size(); ++index) {
    if (fields_[index].id != id_) continue;
    field_index_ = index;
    rest_ = fields_[index].value;
    current_.index_in_field = 0;
    done_ = false;
    if (!is_list_header(id_)) {
      current_ = {rest_, &fields_[index], 0};
      rest_ = rest_.substr(rest_.size());
      return true;
    }
    auto [first, rest] = split_first_value(rest_);
    current_ = {first, &fields_[index], 0};
    rest_ = rest;
    return true;
  }
  return false;
}

value_range::iterator& value_range::iterator::operator++() {
  if (!rest_.empty()) {
    auto [first, rest] = split_first_value(rest_);
    current_ = {first, &fields_[field_index_], current_.index_in_field + 1};
    rest_ = rest;
    return *this;
  }
  if (!next_field_from(field_index_ + 1)) *this = iterator();
  return *this;
}

std::optional<std::string_view> value_range::front() const {
  const auto it = begin();
  if (it == end()) return std::nullopt;
  return it->text;
}

void message::reset() {
  is_request_ = false;
  request_ = {};
  status_ = {};
  start_line_ = {};
  header_count_ = 0;
  top_via_ = {};
  call_id_ = {};
  cseq_ = {};
  from_ = {};
  to_ = {};
  max_forwards_.reset();
  content_length_.reset();
  body_ = {};
  raw_ = {};
  via_ok_ = from_ok_ = to_ok_ = call_id_ok_ = cseq_ok_ = false;
}

const header_field* message::find(header_id id) const {
  for (const auto& h : headers())
    if (h.id == id) return &h;
  return nullptr;
}

const header_field* message::find(std::string_view name) const {
  const auto id = lookup_header(name);
  if (id != header_id::other) return find(id);
  for (const auto& h : headers())
    if (h.id == header_id::other && charset::iequals(h.name, name)) return &h;
  return nullptr;
}

std::size_t message::count(header_id id) const {
  std::size_t n = 0;
  for (const auto& h : headers()) n += h.id == id ? 1 : 0;
  return n;
}

bool message::answerable() const {
  return find(header_id::via) && find(header_id::from) && find(header_id::to) &&
         find(header_id::call_id) && find(header_id::cseq);
}

}  // namespace p2psip::sip
