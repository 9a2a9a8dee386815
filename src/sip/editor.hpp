// Editing a received message the way a proxy does (RFC 3261 §16.6, §16.7)
// without re-parsing it: each edit is recorded against the received bytes
// and applied while writing, so untouched parts are copied as they are.
//
// Edits address the message as received. pop_value() removes the topmost
// value not yet removed; pushes and additions always appear in the output,
// even over a removed range.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace p2psip::sip {

class message_editor {
 public:
  // `m` and the buffer it views must outlive the editor.
  explicit message_editor(const message& m) : msg_(m) {}

  // A new topmost Via; a later push lands above an earlier one.
  void push_via(std::string_view value);
  // A new topmost Record-Route value (§16.6 step 4).
  void add_record_route(std::string_view value);
  // A new topmost Route value (§16.6 step 6: a registered Path, a pre-loaded route).
  void push_route(std::string_view value);
  // Removes the topmost remaining value of a list header (Via on a response,
  // Route on a request). Returns false when no value is left.
  bool pop_value(header_id id);
  bool pop_via() { return pop_value(header_id::via); }
  bool pop_route() { return pop_value(header_id::route); }

  void set_request_uri(std::string_view uri);
  // §16.6 step 3: decrement, or add "Max-Forwards: 70" when absent. The
  // caller has already answered 483 to a request that arrived with 0.
  void decrement_max_forwards();

  // Appended after the last header.
  void add_header(header_id id, std::string_view value);
  void add_header(std::string_view name, std::string_view value);
  // Removes every field of that header.
  void remove_headers(header_id id);
  // Removes one field of the received message.
  void remove_field(const header_field& field) { erase_field(field); }
  void remove_headers(std::string_view name);

  // Replaces the body and keeps Content-Type and Content-Length in step.
  void set_body(std::string_view content_type, std::string_view body);

  // Appends the edited message to `out`.
  void write_to(std::string& out) const;
  std::string str() const;

 private:
  struct edit {
    std::size_t offset = 0;  // into msg_.raw()
    std::size_t erase = 0;
    std::string insert;
    std::int64_t order = 0;  // among edits at one offset: lower goes first
  };

  std::size_t offset_of(std::string_view part) const;
  std::size_t header_section_end() const;
  std::size_t first_line_of(header_id id, std::size_t fallback) const;
  void insert_on_top(std::size_t offset, std::string text);
  void append_header_text(std::string text);
  void erase_field(const header_field& field);
  void add_pop_edits(header_id id, std::size_t popped, std::vector<edit>& out) const;

  const message& msg_;
  std::vector<edit> edits_;
  std::array<std::uint16_t, header_id_count> popped_{};
  std::int64_t sequence_ = 0;
};

// The message rewritten field by field: canonical header names for known
// headers, folded values joined onto one line, body as received.
std::string write_normalized(const message& m);

// A response to `request` built as §8.2.6 asks: Via, From, To, Call-ID and
// CSeq copied, a To tag added when the request had none and one is given.
// `extra_headers` is written as given before Content-Length: whole lines,
// each ending in CRLF ("Retry-After: 5\r\n").
std::string make_response(const message& request, std::uint16_t code, std::string_view reason,
                          std::string_view to_tag = {}, std::string_view extra_headers = {});

}  // namespace p2psip::sip
