#include "relay/turn_probe.hpp"

#include <algorithm>
#include <asio/buffer.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "relay/error.hpp"
#include "relay/rest_credential.hpp"
#include "secrets/random.hpp"

namespace p2psip::relay {
namespace {

using std::chrono::steady_clock;

// A UDP answer larger than this is no answer to our requests; over TCP it
// ends the connection before its body is read.
constexpr std::size_t max_answer = 4096;

constexpr std::uint16_t unauthorized = 401;
constexpr std::uint16_t stale_nonce = 438;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds since(steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - t);
}

}  // namespace

std::optional<probe_target> literal_target(const turn_uri& uri) {
  if (uri.scheme != turn_scheme::turn) return std::nullopt;
  std::error_code ec;
  const auto address = asio::ip::make_address(uri.host, ec);
  if (ec) return std::nullopt;
  return probe_target{address, uri.port, uri.effective_transport()};
}

std::string_view to_string(probe_step step) {
  switch (step) {
    case probe_step::binding:
      return "binding";
    case probe_step::challenge:
      return "challenge";
    case probe_step::allocate:
      return "allocate";
    case probe_step::refresh:
      return "refresh";
  }
  return "unknown";
}

turn_probe::turn_probe(asio::any_io_executor executor, probe_settings settings)
    : executor_(executor),
      settings_(std::move(settings)),
      udp_(executor),
      tcp_(executor),
      timer_(executor) {}

void turn_probe::run(const probe_target& target, std::string secret, handler done) {
  ++run_;
  step_ = probe_step::binding;
  target_ = target;
  secret_ = std::move(secret);
  done_ = std::move(done);
  result_ = {};
  auth_ = {};
  retried_stale_ = false;
  if (target_.transport == turn_transport::tcp) return start_tcp();
  std::error_code ec;
  udp_.open(target_.address.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  if (ec) return fail(ec);
  // Not connected: an ICMP error must not end the wait early, as a lost
  // datagram would not either (and anyone could forge one).
  receive_datagram();
  binding();
}

void turn_probe::start_tcp() {
  step_ = probe_step::binding;
  const auto serial = ++serial_;
  timer_.expires_after(settings_.timeout);
  timer_.async_wait([this, alive = std::weak_ptr(alive_), serial](std::error_code ec) {
    if (alive.expired() || ec || serial != serial_) return;
    fail(error::timeout);
  });
  tcp_.async_connect({target_.address, target_.port},
                     [this, alive = std::weak_ptr(alive_), run = run_](std::error_code ec) {
                       if (alive.expired() || stale(run)) return;
                       if (ec) return fail(ec);
                       binding();
                     });
}

// --- the four steps ---

void turn_probe::binding() {
  transact(probe_step::binding, binding_request({}), {}, &turn_probe::on_binding);
}

void turn_probe::on_binding(const stun_message& m) {
  if (m.cls == stun_class::error) return fail_server(m);
  if (!m.mapped) return fail(error::missing_address);
  result_.rtt = since(first_sent_);
  result_.mapped = m.mapped;
  challenge();
}

void turn_probe::challenge() {
  transact(probe_step::challenge, allocate_request({}, settings_.lifetime, std::nullopt), {},
           &turn_probe::on_challenge);
}

void turn_probe::on_challenge(const stun_message& m) {
  if (m.cls == stun_class::error && m.error_code != unauthorized) return fail_server(m);
  if (m.cls != stun_class::error || !m.realm || !m.nonce) return fail(error::no_challenge);
  if (secret_.empty()) return fail(error::no_secret);
  const auto credential =
      make_rest_credential(secret_, settings_.user, unix_now(), settings_.credential_ttl);
  auth_ = {credential.username, *m.realm, *m.nonce,
           long_term_key(credential.username, *m.realm, credential.password)};
  allocate();
}

void turn_probe::allocate() {
  transact(probe_step::allocate, allocate_request({}, settings_.lifetime, auth_), auth_.key,
           &turn_probe::on_allocate);
}

void turn_probe::on_allocate(const stun_message& m) {
  if (retry_stale_nonce(m, &turn_probe::allocate)) return;
  if (m.cls == stun_class::error) return fail_server(m);
  if (m.integrity_state != integrity::verified) return fail(error::bad_integrity);
  if (!m.relayed) return fail(error::missing_address);
  result_.relayed = m.relayed;
  retried_stale_ = false;
  release();
}

void turn_probe::release() {
  transact(probe_step::refresh, refresh_request({}, std::chrono::seconds{0}, auth_), auth_.key,
           &turn_probe::on_release);
}

void turn_probe::on_release(const stun_message& m) {
  if (retry_stale_nonce(m, &turn_probe::release)) return;
  if (m.cls == stun_class::error) return fail_server(m);
  if (m.integrity_state != integrity::verified) return fail(error::bad_integrity);
  result_.released = true;
  result_.ok = true;
  finish();
}

// A nonce the server no longer takes (RFC 8489 §9.2.5): once per step,
// the request goes again with the one the 438 carries.
bool turn_probe::retry_stale_nonce(const stun_message& m, void (turn_probe::*again)()) {
  if (m.cls != stun_class::error || m.error_code != stale_nonce || !m.nonce || retried_stale_)
    return false;
  retried_stale_ = true;
  auth_.nonce = *m.nonce;
  (this->*again)();
  return true;
}

// --- one transaction ---

// Sends `request` under a fresh transaction id; `next` gets the answer.

void turn_probe::transact(probe_step step, const stun_request& request, std::string key,
                          on_answer next) {
  step_ = step;
  try {
    secrets::fill_random(id_, "a STUN transaction id");
  } catch (const secrets::random_failure&) {
    return fail(error::no_secret);
  }
  auto r = request;
  r.id = id_;
  auto encoded = encode(r);
  if (encoded.error) return fail(encoded.error);
  wire_ = std::move(encoded.wire);
  key_ = std::move(key);
  next_ = next;
  saw_malformed_ = false;
  first_sent_ = steady_clock::now();
  deadline_ = first_sent_ + settings_.timeout;
  if (target_.transport == turn_transport::udp) {
    resend_after_ = settings_.first_resend;
    send_datagram();
    return arm_resend();
  }
  const auto serial = ++serial_;
  timer_.expires_at(deadline_);
  timer_.async_wait([this, alive = std::weak_ptr(alive_), serial](std::error_code ec) {
    if (alive.expired() || ec || serial != serial_) return;
    fail(error::timeout);
  });
  asio::async_write(
      tcp_, asio::buffer(wire_),
      [this, alive = std::weak_ptr(alive_), run = run_](std::error_code ec, std::size_t) {
        if (alive.expired() || stale(run)) return;
        if (ec) return fail(ec);
        read_header();
      });
}

void turn_probe::send_datagram() {
  udp_.async_send_to(
      asio::buffer(wire_), {target_.address, target_.port},
      [this, alive = std::weak_ptr(alive_), run = run_](std::error_code ec, std::size_t) {
        if (alive.expired() || stale(run)) return;
        if (ec) fail(ec);
      });
}

// RFC 8489 §6.2.1: the wait doubles after each send; the last one lasts
// until the transaction's time is up.
void turn_probe::arm_resend() {
  const auto serial = ++serial_;
  const auto now = steady_clock::now();
  timer_.expires_at(std::min(now + resend_after_, deadline_));
  timer_.async_wait([this, alive = std::weak_ptr(alive_), serial](std::error_code ec) {
    if (alive.expired() || ec || serial != serial_) return;
    if (steady_clock::now() >= deadline_)
      return fail(saw_malformed_ ? error::malformed_response : error::timeout);
    resend_after_ *= 2;
    send_datagram();
    arm_resend();
  });
}

void turn_probe::receive_datagram() {
  buffer_.resize(max_answer);
  udp_.async_receive_from(
      asio::buffer(buffer_), sender_,
      [this, alive = std::weak_ptr(alive_), run = run_](std::error_code ec, std::size_t n) {
        if (alive.expired() || stale(run)) return;
        if (ec) return fail(ec);
        const bool from_server =
            sender_.address() == target_.address && sender_.port() == target_.port;
        // The datagram may end the run; the next receive belongs to it only if not.
        if (from_server) on_message(n);
        if (!stale(run)) receive_datagram();
      });
}

void turn_probe::read_header() {
  buffer_.resize(stun_header_size);
  asio::async_read(
      tcp_, asio::buffer(buffer_),
      [this, alive = std::weak_ptr(alive_), run = run_](std::error_code ec, std::size_t) {
        if (alive.expired() || stale(run)) return;
        if (ec) return fail(ec);
        const auto frame = frame_size(buffer_);
        if (frame.error || frame.size > max_answer) return fail(error::malformed_response);
        read_body(frame.size);
      });
}

void turn_probe::read_body(std::size_t size) {
  buffer_.resize(size);
  asio::async_read(
      tcp_, asio::buffer(buffer_.data() + stun_header_size, size - stun_header_size),
      [this, alive = std::weak_ptr(alive_), run = run_](std::error_code ec, std::size_t) {
        if (alive.expired() || stale(run)) return;
        if (ec) return fail(ec);
        on_message(buffer_.size());
      });
}

// Whether a decoded message answers the request in flight.
bool turn_probe::fits(const stun_message& m) const {
  const auto request_method =
      static_cast<std::uint16_t>(step_ == probe_step::binding   ? stun_method::binding
                                 : step_ == probe_step::refresh ? stun_method::refresh
                                                                : stun_method::allocate);
  return m.id == id_ && m.method == request_method &&
         (m.cls == stun_class::success || m.cls == stun_class::error);
}

void turn_probe::on_message(std::size_t size) {
  if (next_ == nullptr) return;
  const auto decoded = decode({buffer_.data(), size}, key_);
  const bool answer = !decoded.error && fits(decoded.message);
  if (!answer) {
    // Nobody else writes into our connection: what came is the answer.
    if (target_.transport == turn_transport::tcp) return fail(error::malformed_response);
    // A late copy of an earlier answer is no fault of the server's.
    if (decoded.error || decoded.message.id == id_) saw_malformed_ = true;
    return;
  }
  const auto& m = decoded.message;
  if (m.cls == stun_class::success && !m.unknown_required.empty())
    return fail(error::malformed_response);
  ++serial_;  // the timer of this transaction no longer counts
  const auto next = std::exchange(next_, nullptr);
  (this->*next)(m);
}

// --- the end ---

void turn_probe::fail_server(const stun_message& m) {
  result_.server_code = m.error_code.value_or(0);
  result_.server_reason = m.error_reason;
  fail(error::server_error);
}

void turn_probe::fail(std::error_code ec) {
  if (step_ == probe_step::refresh) {
    // The allocation is made: the server works. Unreleased, it expires.
    result_.ok = true;
    result_.release_error = ec;
    result_.server_code = 0;
    result_.server_reason.clear();
  } else {
    result_.ok = false;
    result_.step = step_;
    result_.error = ec;
  }
  finish();
}

void turn_probe::finish() {
  ++run_;
  ++serial_;
  next_ = nullptr;
  std::error_code ignored;
  udp_.close(ignored);
  tcp_.close(ignored);
  timer_.cancel();
  asio::post(executor_, [alive = std::weak_ptr(alive_), done = std::move(done_),
                         result = std::move(result_)]() mutable {
    if (!alive.expired()) done(std::move(result));
  });
  done_ = nullptr;
}

}  // namespace p2psip::relay
