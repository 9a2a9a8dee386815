#include "txn/detail/matching.hpp"

#include <array>
#include <charconv>
#include <initializer_list>
#include <numeric>

namespace p2psip::txn::detail {
namespace {

constexpr char separator = '\0';

std::string join(std::initializer_list<std::string_view> fields) {
  std::string key;
  key.reserve(std::accumulate(fields.begin(), fields.end(), fields.size(),
                              [](std::size_t sum, std::string_view f) { return sum + f.size(); }));
  for (const auto f : fields) key.append(f).push_back(separator);
  key.pop_back();
  return key;
}

// Decimal digits in a caller's buffer, so a key is built with one allocation.
class decimal {
 public:
  explicit decimal(std::uint32_t n)
      : size_(static_cast<std::size_t>(
            std::to_chars(digits_.data(), digits_.data() + digits_.size(), n).ptr -
            digits_.data())) {}
  std::string_view view() const { return {digits_.data(), size_}; }

 private:
  std::array<char, 10> digits_{};
  std::size_t size_;
};

}  // namespace

std::string client_key(std::string_view branch, std::string_view cseq_method) {
  return join({branch, cseq_method});
}

std::string server_key(const sip::message& request, std::string_view method) {
  const auto& via = request.top_via();
  if (via.rfc3261_branch()) {
    // sent-by = host [ COLON port ]
    const decimal port(via.port);
    return join({via.branch, via.host, via.has_port ? port.view() : std::string_view{}, method});
  }
  // A leading empty field marks the RFC 2543 form: a magic-cookie branch
  // never starts with the separator.
  const decimal cseq(request.cseq().number);
  return join({{},
               request.request().uri_text,
               request.from().tag(),
               request.call_id(),
               cseq.view(),
               via.text,
               method,
               request.to().tag()});
}

std::string legacy_ack_key(std::string_view invite_key, std::string_view response_to_tag) {
  if (invite_key.empty() || invite_key.front() != separator) return {};
  // The To tag is the last field of an RFC 2543 key.
  const auto without_tag = invite_key.substr(0, invite_key.rfind(separator) + 1);
  if (invite_key.substr(without_tag.size()) == response_to_tag) return {};
  std::string key(without_tag);
  key.append(response_to_tag);
  return key;
}

}  // namespace p2psip::txn::detail
