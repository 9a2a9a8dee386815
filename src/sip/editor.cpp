#include "sip/editor.hpp"

#include <algorithm>
#include <charconv>

#include "sip/charset.hpp"

namespace p2psip::sip {
namespace {

std::string field_text(std::string_view name, std::string_view value) {
  std::string line;
  line.reserve(name.size() + value.size() + 4);
  line.append(name).append(": ").append(value).append("\r\n");
  return line;
}

std::string decimal(std::uint64_t n) {
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  return std::string(buf.data(), end);
}

}  // namespace

std::size_t message_editor::offset_of(std::string_view part) const {
  return static_cast<std::size_t>(part.data() - msg_.raw().data());
}

std::size_t message_editor::header_section_end() const {
  const auto headers = msg_.headers();
  if (headers.empty()) return offset_of(msg_.start_line()) + msg_.start_line().size() + 2;
  const auto& last = headers.back();
  return offset_of(last.line) + last.line.size();
}

std::size_t message_editor::first_line_of(header_id id, std::size_t fallback) const {
  const auto* field = msg_.find(id);
  return field ? offset_of(field->line) : fallback;
}

void message_editor::insert_on_top(std::size_t offset, std::string text) {
  edits_.push_back({offset, 0, std::move(text), -(++sequence_)});
}

void message_editor::append_header_text(std::string text) {
  edits_.push_back({header_section_end(), 0, std::move(text), ++sequence_});
}

void message_editor::erase_field(const header_field& field) {
  edits_.push_back({offset_of(field.line), field.line.size(), {}, ++sequence_});
}

void message_editor::push_via(std::string_view value) {
  const auto after_start_line = offset_of(msg_.start_line()) + msg_.start_line().size() + 2;
  insert_on_top(first_line_of(header_id::via, after_start_line), field_text("Via", value));
}

void message_editor::add_record_route(std::string_view value) {
  insert_on_top(first_line_of(header_id::record_route, header_section_end()),
                field_text("Record-Route", value));
}

void message_editor::push_route(std::string_view value) {
  insert_on_top(first_line_of(header_id::route, header_section_end()), field_text("Route", value));
}

bool message_editor::pop_value(header_id id) {
  auto& popped = popped_[static_cast<std::size_t>(id)];
  std::size_t available = 0;
  for (auto it = msg_.values(id).begin(); it != msg_.values(id).end(); ++it) ++available;
  if (popped >= available) return false;
  ++popped;
  return true;
}

// Turns "the first `popped` values of `id`" into erasures: a field whose
// values are all gone is erased whole, otherwise its leading values are.
void message_editor::add_pop_edits(header_id id, std::size_t popped, std::vector<edit>& out) const {
  const header_field* field = nullptr;
  std::string_view first_removed;
  auto flush = [&](std::string_view next_kept) {
    if (field == nullptr) return;
    if (next_kept.empty()) {
      out.push_back({offset_of(field->line), field->line.size(), {}, 0});
    } else {
      out.push_back({offset_of(first_removed),
                     static_cast<std::size_t>(next_kept.data() - first_removed.data()),
                     {},
                     0});
    }
    field = nullptr;
  };
  std::size_t index = 0;
  for (const auto& v : msg_.values(id)) {
    if (field != nullptr && v.field != field) flush({});
    if (index == popped) {
      if (v.field == field) flush(v.text);
      break;
    }
    if (field == nullptr) {
      field = v.field;
      first_removed = v.text;
    }
    ++index;
  }
  flush({});
}

void message_editor::set_request_uri(std::string_view uri) {
  const auto target = msg_.request().uri_text;
  edits_.push_back({offset_of(target), target.size(), std::string(uri), ++sequence_});
}

void message_editor::decrement_max_forwards() {
  const auto* field = msg_.find(header_id::max_forwards);
  if (field == nullptr || !msg_.max_forwards()) {
    add_header(header_id::max_forwards, "70");
    return;
  }
  const auto value = *msg_.max_forwards();
  edits_.push_back({offset_of(field->value), field->value.size(),
                    decimal(value == 0 ? 0 : value - 1), ++sequence_});
}

void message_editor::add_header(header_id id, std::string_view value) {
  append_header_text(field_text(canonical_name(id), value));
}

void message_editor::add_header(std::string_view name, std::string_view value) {
  append_header_text(field_text(name, value));
}

void message_editor::remove_headers(header_id id) {
  for (const auto& h : msg_.headers())
    if (h.id == id) erase_field(h);
}

void message_editor::remove_headers(std::string_view name) {
  const auto id = lookup_header(name);
  for (const auto& h : msg_.headers())
    if (h.id == id && (id != header_id::other || charset::iequals(h.name, name))) erase_field(h);
}

void message_editor::set_body(std::string_view content_type, std::string_view body) {
  remove_headers(header_id::content_type);
  remove_headers(header_id::content_length);
  if (!body.empty()) add_header(header_id::content_type, content_type);
  add_header(header_id::content_length, decimal(body.size()));
  const auto old = msg_.body();
  edits_.push_back({offset_of(old), old.size(), std::string(body), ++sequence_});
}

void message_editor::write_to(std::string& out) const {
  std::vector<edit> all = edits_;
  for (std::size_t i = 0; i < popped_.size(); ++i)
    if (popped_[i] != 0) add_pop_edits(static_cast<header_id>(i), popped_[i], all);
  std::stable_sort(all.begin(), all.end(), [](const edit& a, const edit& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.order < b.order;
  });

  const auto raw = msg_.raw();
  std::size_t size = raw.size();
  for (const auto& e : all) size += e.insert.size();
  out.reserve(out.size() + size);

  std::size_t cursor = 0;
  for (const auto& e : all) {
    if (e.offset > cursor) {
      out.append(raw.substr(cursor, e.offset - cursor));
      cursor = e.offset;
    }
    out.append(e.insert);
    // An erasure inside one already applied only erases what is left of it.
    cursor = std::max(cursor, e.offset + e.erase);
  }
  out.append(raw.substr(std::min(cursor, raw.size())));
}

std::string message_editor::str() const {
  std::string out;
  write_to(out);
  return out;
}

std::string write_normalized(const message& m) {
  std::string out;
  out.reserve(m.raw().size());
  out.append(m.start_line()).append("\r\n");
  for (const auto& h : m.headers()) {
    out.append(h.id == header_id::other ? h.name : canonical_name(h.id)).append(": ");
    // LWS that folds a value onto the next line reads as one SP (§7.3.1).
    for (std::size_t i = 0; i < h.value.size(); ++i) {
      if (h.value[i] == '\r' || h.value[i] == '\n') {
        while (!out.empty() && charset::is_wsp(out.back())) out.pop_back();
        while (i + 1 < h.value.size() && (charset::is_wsp(h.value[i + 1]) ||
                                          h.value[i + 1] == '\r' || h.value[i + 1] == '\n'))
          ++i;
        out.push_back(' ');
      } else {
        out.push_back(h.value[i]);
      }
    }
    out.append("\r\n");
  }
  out.append("\r\n").append(m.body());
  return out;
}

std::string make_response(const message& request, std::uint16_t code, std::string_view reason,
                          std::string_view to_tag, std::string_view extra_headers) {
  std::string out;
  out.reserve(512);
  out.append("SIP/2.0 ").append(decimal(code)).append(" ").append(reason).append("\r\n");
  for (const auto& h : request.headers()) {
    switch (h.id) {
      case header_id::via:
      case header_id::from:
      case header_id::call_id:
      case header_id::cseq:
        out.append(field_text(canonical_name(h.id), h.value));
        break;
      case header_id::to:
        out.append("To: ").append(h.value);
        if (!to_tag.empty() && request.to().tag().empty()) out.append(";tag=").append(to_tag);
        out.append("\r\n");
        break;
      default:
        break;
    }
  }
  out.append(extra_headers);
  out.append("Content-Length: 0\r\n\r\n");
  return out;
}

}  // namespace p2psip::sip
