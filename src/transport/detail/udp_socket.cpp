#include "transport/detail/udp_socket.hpp"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <algorithm>

#include "relay/stun_message.hpp"
#include "transport/detail/asio_endpoint.hpp"
#include "transport/detail/layer_core.hpp"
#include "transport/keepalive.hpp"

namespace p2psip::transport::detail {
namespace {

// No UDP payload exceeds 65507 bytes: a larger buffer would never fill.
constexpr std::size_t largest_datagram = 65536;

// The socket's backlog is read every this many datagrams: often enough to
// notice within a few milliseconds at any rate that matters, rarely enough
// that the system call costs nothing measurable.
constexpr unsigned backlog_check_every = 8;
// Behind: more bytes queued than about 450 requests take in the kernel's
// accounting (each datagram is charged a buffer of ~2 KiB), i.e. 15-25 ms of
// work at the rates a node sustains, long before a client's retransmission
// timer (T1, 500 ms) fires. Less would shed calls on a pause of the process
// alone: with 256 KiB, bench/proxy saw a node at 30-60% of its CPU shed
// requests at 2,000-5,000 calls/s whenever its VM stalled a few ms. Caught up again when the queue
// is a quarter of that. Where the kernel granted a smaller buffer (stock
// rmem_max: 416 KiB) half of it is the threshold.
constexpr std::uint32_t behind_bytes = 1024 * 1024;
constexpr std::uint32_t caught_up_bytes = behind_bytes / 4;

}  // namespace

udp_socket::udp_socket(std::shared_ptr<layer_core> core, asio::ip::udp::socket socket)
    : core_(std::move(core)),
      socket_(std::move(socket)),
      local_(to_endpoint(protocol::udp, socket_.local_endpoint())),
      buffer_(std::min(core_->settings().message_limits.max_message_size + 1, largest_datagram)) {}

void udp_socket::close() {
  std::error_code ignored;
  socket_.close(ignored);
}

void udp_socket::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), sender_,
                             [self = shared_from_this()](std::error_code ec, std::size_t size) {
                               if (!self->socket_.is_open()) return;
                               if (!ec) self->on_datagram(size);
                               self->receive();
                             });
}

void udp_socket::on_datagram(std::size_t size) {
  if (++since_check_ >= backlog_check_every) {
    since_check_ = 0;
    check_backlog();
  }
  auto& stats = core_->stats();
  stats.of(protocol::udp).bytes_received += size;
  const std::string_view datagram(buffer_.data(), size);
  if (is_stun_message(datagram)) return on_stun(datagram);
  if (is_crlf_keepalive(datagram)) {
    ++stats.keepalives_ignored;
    return;
  }
  const auto source = to_endpoint(protocol::udp, sender_);
  core_->inbound().on_message(datagram, sip::framing::datagram, source, local_, *this);
}

// Bytes queued in the kernel for this socket (SO_MEMINFO), against the
// thresholds above, with hysteresis so that a node at its limit does not
// flap at every check. The receive buffer is bounded by what the kernel
// granted (SO_RCVBUF), so the threshold is too.
void udp_socket::check_backlog() {
  std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t size = sizeof meminfo;
  if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_MEMINFO, meminfo, &size) != 0) return;
  const std::uint32_t queued = meminfo[SK_MEMINFO_RMEM_ALLOC];
  const std::uint32_t limit = std::min(behind_bytes, meminfo[SK_MEMINFO_RCVBUF] / 2);
  const bool was_behind = behind_;
  behind_ = behind_ ? queued > std::min(caught_up_bytes, limit / 4) : queued > limit;
  if (behind_ && !was_behind) ++core_->stats().udp_behind;
}

// RFC 5626 §4.4.2: a phone keeps its NAT binding with STUN Binding requests
// to the SIP port, and takes a missing answer for a dead flow (baresip then
// fails its registration). The answer says where the request came from
// (RFC 8489 §7.3.1); anything else that looks like STUN is dropped.
void udp_socket::on_stun(std::string_view datagram) {
  auto& stats = core_->stats();
  const auto decoded =
      relay::decode({reinterpret_cast<const std::uint8_t*>(datagram.data()), datagram.size()});
  const auto& m = decoded.message;
  if (decoded.error || m.cls != relay::stun_class::request ||
      m.method != relay::stun_method::binding || !m.unknown_required.empty()) {
    ++stats.keepalives_ignored;
    return;
  }
  ++stats.stun_keepalives_answered;
  const auto answer = relay::binding_success(m.id, {sender_.address(), sender_.port()});
  send(std::string(answer.begin(), answer.end()), sender_, [](std::error_code) {});
}

void udp_socket::send(std::string bytes, const asio::ip::udp::endpoint& to,
                      transport_layer::send_handler done) {
  // The bytes live on the heap, where moving the handler does not move them.
  auto data = std::make_unique<std::string>(std::move(bytes));
  const auto buffer = asio::buffer(*data);
  socket_.async_send_to(buffer, to,
                        [self = shared_from_this(), data = std::move(data), done = std::move(done)](
                            std::error_code ec, std::size_t sent) {
                          auto& traffic = self->core_->stats().of(protocol::udp);
                          if (ec) {
                            ++traffic.send_failures;
                          } else {
                            ++traffic.messages_sent;
                            traffic.bytes_sent += sent;
                          }
                          if (done) done(ec);
                        });
}

void udp_socket::reply(std::string bytes, const endpoint& to) {
  send(std::move(bytes), udp_endpoint(to), {});
}

}  // namespace p2psip::transport::detail
