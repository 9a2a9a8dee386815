// Lazy views over ";name=value" parameter lists: URI parameters
// (RFC 3261 §19.1.1, no whitespace) and header generic-params (§25.1,
// SWS around ";" and "="). The list was validated when its owner was parsed;
// iterating only splits it.
#pragma once

#include <iterator>
#include <optional>
#include <string_view>

namespace p2psip::sip {

struct param {
  std::string_view name;
  std::string_view value;  // raw: escapes and quotes as received
  bool has_value = false;
};

class param_list {
 public:
  constexpr param_list() = default;
  // `raw` starts at the first ';' (or is empty).
  explicit constexpr param_list(std::string_view raw) : raw_(raw) {}

  class iterator {
   public:
    using value_type = param;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(std::string_view rest) : rest_(rest) { advance(); }
    const param& operator*() const { return current_; }
    const param* operator->() const { return &current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    iterator operator++(int) {
      auto copy = *this;
      advance();
      return copy;
    }
    bool operator==(const iterator& other) const {
      return at_end_ == other.at_end_ && (at_end_ || rest_.data() == other.rest_.data());
    }

   private:
    void advance();
    std::string_view rest_;
    param current_;
    bool at_end_ = true;
  };

  iterator begin() const { return iterator(raw_); }
  iterator end() const { return iterator(); }
  bool empty() const { return begin() == end(); }

  // Names compare case-insensitively (RFC 3261 §7.3.1, §19.1.4).
  std::optional<param> find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }

  std::string_view raw() const { return raw_; }

 private:
  std::string_view raw_;
};

}  // namespace p2psip::sip
