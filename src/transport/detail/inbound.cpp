#include "transport/detail/inbound.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "sip/editor.hpp"
#include "transport/via_received.hpp"

namespace p2psip::transport::detail {
namespace {

std::string random_tag() {
  std::random_device device;
  const auto value = (std::uint64_t{device()} << 32) | device();
  std::array<char, 17> text{};
  std::snprintf(text.data(), text.size(), "%016llx", static_cast<unsigned long long>(value));
  return std::string(text.data(), 16);
}

// RFC 3261 §21.5.4: 503 with Retry-After tells the client when to come
// back instead of letting it retransmit into the overload.
std::string service_unavailable(const sip::message& request, std::chrono::seconds retry_after,
                                std::string_view to_tag) {
  auto response = sip::make_response(request, 503, "Service Unavailable", to_tag);
  // Before the empty line that ends the header section.
  response.insert(response.size() - 2,
                  "Retry-After: " + std::to_string(retry_after.count()) + "\r\n");
  return response;
}

std::size_t index(sip::parse_error e) {
  return static_cast<std::size_t>(e);
}

// ACK, CANCEL and requests inside a dialog (the To has a tag) finish calls
// this node already took: they are charged to the source like any request
// but may run its bucket into debt, so an overloaded source loses new calls,
// not the ends of the ones in progress (RFC 3261 §21.5.4's 503 is for work
// not yet accepted).
bool continues_accepted_work(const sip::message& request) {
  const auto m = request.method();
  return m == sip::method::ack || m == sip::method::cancel || !request.to().tag().empty();
}

}  // namespace

inbound_processor::inbound_processor(const config& settings, counters& stats,
                                     transport_layer::message_handler handler)
    : settings_(settings),
      stats_(stats),
      handler_(std::move(handler)),
      limiter_(settings.requests_per_second_per_source, settings.burst),
      to_tag_(random_tag()),
      parsed_(std::make_unique<sip::message>()),
      stamped_(std::make_unique<sip::message>()) {}

void inbound_processor::on_message(std::string_view bytes, sip::framing how, const endpoint& source,
                                   const endpoint& local, reply_path& back) {
  if (!enabled_) return;
  auto& msg = *parsed_;
  const auto result = sip::parse(bytes, msg, how, settings_.message_limits);
  if (!result) return refuse(result, msg, source, back);
  if (msg.is_response()) {
    if (!limiter_.has_token(source.address, rate_limiter::clock::now()))
      ++stats_.responses_over_rate;
    return deliver(msg, source, local);
  }
  if (admit(msg, source, back)) deliver_request(msg, how, source, local);
}

void inbound_processor::on_framing_error(std::string_view buffered, sip::parse_error e,
                                         const endpoint& source, reply_path& back) {
  if (!enabled_) return;
  ++stats_.rejected[index(e)];
  // A bad or missing Content-Length leaves the header section whole: parsed
  // as a datagram it yields the fields a 400 copies.
  const auto end = buffered.find("\r\n\r\n");
  if (end == std::string_view::npos) return;
  auto& msg = *parsed_;
  const auto result = sip::parse(buffered.substr(0, end + 4), msg, sip::framing::datagram,
                                 settings_.message_limits);
  const bool answerable = result || result.action == sip::disposition::reply_400;
  if (!answerable || !msg.is_request() || msg.method() == sip::method::ack) return;
  answer_400(msg, e, source, back);
}

void inbound_processor::refuse(const sip::parse_result& result, const sip::message& msg,
                               const endpoint& source, reply_path& back) {
  ++stats_.rejected[index(result.error)];
  // No response to an ACK (RFC 3261 §17.1.1.1), nor to what cannot be answered.
  if (result.action != sip::disposition::reply_400 || msg.method() == sip::method::ack) return;
  answer_400(msg, result.error, source, back);
}

// Answering costs us as much as a request: over the rate, silence.
void inbound_processor::answer_400(const sip::message& request, sip::parse_error e,
                                   const endpoint& source, reply_path& back) {
  if (!limiter_.take(source.address, rate_limiter::clock::now())) {
    ++stats_.requests_over_rate;
    return;
  }
  ++stats_.replies_400;
  back.reply(sip::make_response(request, 400, sip::describe(e), to_tag_), source);
}

bool inbound_processor::admit(const sip::message& request, const endpoint& source,
                              reply_path& back) {
  const auto now = rate_limiter::clock::now();
  const bool admitted = continues_accepted_work(request)
                            ? limiter_.take_continuing(source.address, now)
                            : limiter_.take(source.address, now);
  if (admitted) return true;
  ++stats_.requests_over_rate;
  if (request.method() != sip::method::ack) {
    ++stats_.replies_503;
    back.reply(service_unavailable(request, settings_.retry_after, to_tag_), source);
  }
  return false;
}

// The request is rewritten only when its Via needs received= or rport=; the
// copy is parsed again so the handler sees one consistent message.
void inbound_processor::deliver_request(const sip::message& request, sip::framing how,
                                        const endpoint& source, const endpoint& local) {
  const auto via = stamped_top_via(request.top_via(), source.address, source.port);
  if (!via) return deliver(request, source, local);

  const auto rewritten = with_top_via(request, *via);
  const auto growth =
      rewritten.size() > request.raw().size() ? rewritten.size() - request.raw().size() : 0;
  auto bounds = settings_.message_limits;
  bounds.max_message_size += growth;
  bounds.max_header_section += growth;
  bounds.max_line_length += growth;
  const auto result = sip::parse(rewritten, *stamped_, how, bounds);
  if (!result) {
    ++stats_.rejected[index(result.error)];
    return;
  }
  deliver(*stamped_, source, local);
}

void inbound_processor::deliver(const sip::message& msg, const endpoint& source,
                                const endpoint& local) {
  ++stats_.of(source.proto).messages_received;
  handler_(received{msg, source, local});
}

}  // namespace p2psip::transport::detail
