#include "transport/detail/stream_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <type_traits>
#include <vector>

#include "transport/detail/asio_endpoint.hpp"
#include "transport/detail/layer_core.hpp"

namespace p2psip::transport::detail {
namespace {

// Most SIP messages fit; the buffer grows toward the cap only for larger ones.
constexpr std::size_t initial_buffer = 4096;
// Never read into less room than this while the cap allows more.
constexpr std::size_t least_read = 1024;

// The longest partial message the framer lets through before it answers
// with a message or an error: a header section of max_header_section bytes
// still searched for its end, or a whole message of max_message_size.
std::size_t buffer_cap(const sip::limits& l) {
  return std::max(l.max_message_size, l.max_header_section + 1);
}

}  // namespace

template <typename Stream>
stream_connection<Stream>::stream_connection(std::shared_ptr<layer_core> core, Stream stream,
                                             const endpoint& remote, const endpoint& local,
                                             bool accepted)
    : connection(remote, accepted),
      core_(std::move(core)),
      stream_(std::move(stream)),
      local_(local),
      framer_(core_->settings().message_limits),
      buffer_(std::min(initial_buffer, buffer_cap(core_->settings().message_limits))),
      buffer_cap_(buffer_cap(core_->settings().message_limits)),
      idle_timer_(stream_.get_executor()),
      last_activity_(std::chrono::steady_clock::now()) {}

template <typename Stream>
void stream_connection<Stream>::start_accepted() {
  arm_idle_timer();
  handshake(true);
}

template <typename Stream>
void stream_connection<Stream>::start_connect() {
  arm_idle_timer();
  stream_.lowest_layer().async_connect(
      tcp_endpoint(remote()), [self = this->shared_from_this()](std::error_code ec) {
        if (self->state_ == state::closed) return;
        if (ec) return self->close(close_reason::connect_failed, ec);
        self->touch();
        std::error_code ignored;
        const auto local = self->stream_.lowest_layer().local_endpoint(ignored);
        self->local_ = to_endpoint(self->remote().proto, local);
        self->handshake(false);
      });
}

namespace {

// The peer is authenticated when it presented a certificate, the chain
// verified against the CA, and the layer above accepts the leaf.
bool peer_authenticated(SSL* ssl, const tls_files& files) {
  if (!files.verify_peer) return false;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return false;
  if (!files.authenticate) return true;
  const int size = i2d_X509(leaf, nullptr);
  if (size <= 0) return false;
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  auto* out = der.data();
  if (i2d_X509(leaf, &out) != size) return false;
  return files.authenticate(der);
}

}  // namespace

template <typename Stream>
void stream_connection<Stream>::handshake(bool as_server) {
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    state_ = state::handshaking;
    // A client whose certificate does not verify is still a client, as one
    // without a certificate is (a phone): it is only not authenticated.
    // The verdict stays in SSL_get_verify_result.
    if (as_server) {
      std::error_code ignored;
      stream_.set_verify_callback([](bool, asio::ssl::verify_context&) { return true; }, ignored);
    }
    const auto role = as_server ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
    stream_.async_handshake(role, [self = this->shared_from_this()](std::error_code ec) {
      if (self->state_ == state::closed) return;
      // A peer that connected and closed without a word (a port probe, a
      // proxy peer's health check) failed no handshake.
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
        return self->close(close_reason::peer_closed, ec);
      if (ec) return self->close(close_reason::handshake_failed, ec);
      self->touch();
      self->set_authenticated(
          peer_authenticated(self->stream_.native_handle(), *self->core_->settings().tls));
      self->established();
    });
  } else {
    established();
  }
}

template <typename Stream>
void stream_connection<Stream>::established() {
  state_ = state::open;
  // Each write is a whole message: Nagle would only hold a response back
  // behind the peer's delayed ACK.
  std::error_code ignored;
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  read_more();
  write_next();
}

template <typename Stream>
void stream_connection<Stream>::read_more() {
  make_room();
  if (buffered_ == buffer_.size()) {
    // Unreachable while the framer keeps its limits; refuse rather than grow.
    const std::string_view all(buffer_.data(), buffered_);
    core_->inbound().on_framing_error(all, sip::parse_error::message_too_large, remote(), *this);
    return close_after_flush(close_reason::framing_error, error::framing_error);
  }
  stream_.async_read_some(asio::buffer(buffer_.data() + buffered_, buffer_.size() - buffered_),
                          [self = this->shared_from_this()](std::error_code ec, std::size_t size) {
                            self->on_read(ec, size);
                          });
}

template <typename Stream>
void stream_connection<Stream>::make_room() {
  const auto room = buffer_.size() - buffered_;
  if (room >= least_read || buffer_.size() == buffer_cap_) return;
  buffer_.resize(std::min(buffer_cap_, std::max(buffer_.size() * 2, buffered_ + least_read)));
}

template <typename Stream>
void stream_connection<Stream>::on_read(std::error_code ec, std::size_t size) {
  if (state_ != state::open) return;
  if (ec) return close(close_reason::peer_closed, ec);
  touch();
  core_->stats().of(remote().proto).bytes_received += size;
  buffered_ += size;
  if (drain_frames()) read_more();
}

// Hands up every whole message buffered. False once reading is over: the
// stream failed to frame, or the handler stopped the layer.
template <typename Stream>
bool stream_connection<Stream>::drain_frames() {
  using kind = sip::stream_framer::kind;
  std::size_t used = 0;
  while (state_ == state::open) {
    const std::string_view rest(buffer_.data() + used, buffered_ - used);
    const auto frame = framer_.next(rest);
    switch (frame.what) {
      case kind::need_more:
        discard_front(used);
        return true;
      case kind::skip:
        used += frame.length;
        break;
      case kind::ping:
        // RFC 5626 §4.4.1: the pong is a single CRLF.
        ++core_->stats().keepalive_pings;
        used += frame.length;
        send("\r\n", {});
        break;
      case kind::message:
        core_->inbound().on_message(rest.substr(0, frame.length), sip::framing::stream, remote(),
                                    local_, *this);
        used += frame.length;
        break;
      case kind::error:
        core_->inbound().on_framing_error(rest, frame.error, remote(), *this);
        close_after_flush(close_reason::framing_error, error::framing_error);
        return false;
    }
  }
  return false;
}

template <typename Stream>
void stream_connection<Stream>::discard_front(std::size_t used) {
  if (used == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + used, buffered_ - used);
  buffered_ -= used;
  // An idle connection goes back to a small buffer after a large message.
  if (buffered_ == 0 && buffer_.size() > initial_buffer) {
    buffer_.resize(initial_buffer);
    buffer_.shrink_to_fit();
  }
}

template <typename Stream>
void stream_connection<Stream>::send(std::string bytes, transport_layer::send_handler done) {
  if (state_ == state::closed || state_ == state::draining)
    return core_->complete(std::move(done), error::flow_gone);
  if (queued_bytes_ + bytes.size() > core_->settings().max_write_queue_bytes) {
    core_->complete(std::move(done), error::write_backlog);
    return close(close_reason::write_backlog, error::write_backlog);
  }
  queued_bytes_ += bytes.size();
  writes_.push_back({std::move(bytes), std::move(done)});
  if (state_ == state::open) write_next();
}

template <typename Stream>
void stream_connection<Stream>::write_next() {
  if (writing_) return;
  if (writes_.empty()) {
    if (state_ == state::draining) close(drain_reason_, drain_error_);
    return;
  }
  writing_ = true;
  asio::async_write(stream_, asio::buffer(writes_.front().bytes),
                    [self = this->shared_from_this()](std::error_code ec, std::size_t size) {
                      self->on_written(ec, size);
                    });
}

template <typename Stream>
void stream_connection<Stream>::on_written(std::error_code ec, std::size_t size) {
  writing_ = false;
  auto item = std::move(writes_.front());
  writes_.pop_front();
  queued_bytes_ -= item.bytes.size();
  auto& traffic = core_->stats().of(remote().proto);
  if (ec) {
    ++traffic.send_failures;
    close(close_reason::peer_closed, ec);
  } else {
    touch();
    ++traffic.messages_sent;
    traffic.bytes_sent += size;
    if (state_ != state::closed) write_next();
  }
  if (item.done) item.done(ec);
}

template <typename Stream>
void stream_connection<Stream>::close_after_flush(close_reason reason, std::error_code why) {
  state_ = state::draining;
  drain_reason_ = reason;
  drain_error_ = why;
  write_next();
}

template <typename Stream>
void stream_connection<Stream>::close(close_reason reason, std::error_code why) {
  if (state_ == state::closed) return;
  // The table may hold the last reference; finish with this alive.
  const auto self = this->shared_from_this();
  state_ = state::closed;
  count(reason);
  idle_timer_.cancel();
  std::error_code ignored;
  stream_.lowest_layer().close(ignored);
  fail_queued(why);
  --core_->stats().connections_open;
  core_->closed(*this);
}

// The write in flight keeps its buffer until its handler runs; it
// completes there, with operation_aborted.
template <typename Stream>
void stream_connection<Stream>::fail_queued(std::error_code why) {
  const auto first = writes_.begin() + (writing_ ? 1 : 0);
  for (auto it = first; it != writes_.end(); ++it) {
    queued_bytes_ -= it->bytes.size();
    core_->complete(std::move(it->done), why);
  }
  writes_.erase(first, writes_.end());
}

template <typename Stream>
void stream_connection<Stream>::count(close_reason reason) const {
  auto& stats = core_->stats();
  switch (reason) {
    case close_reason::stopped:
      break;
    case close_reason::peer_closed:
      ++stats.closed_by_peer;
      break;
    case close_reason::idle:
      ++stats.closed_idle;
      break;
    case close_reason::framing_error:
      ++stats.closed_framing_error;
      break;
    case close_reason::write_backlog:
      ++stats.closed_write_backlog;
      break;
    case close_reason::connect_failed:
      ++stats.connect_failures;
      break;
    case close_reason::handshake_failed:
      ++stats.tls_handshake_failures;
      break;
  }
}

// Checks the clock when it fires instead of being pushed back on every
// read: one timer wait per idle period, not one per message.
template <typename Stream>
void stream_connection<Stream>::arm_idle_timer() {
  idle_timer_.expires_at(last_activity_ + core_->settings().idle_timeout);
  idle_timer_.async_wait([self = this->shared_from_this()](std::error_code ec) {
    if (ec || self->state_ == state::closed) return;
    const auto idle_for = std::chrono::steady_clock::now() - self->last_activity_;
    if (idle_for >= self->core_->settings().idle_timeout)
      return self->close(close_reason::idle, error::idle_timeout);
    self->arm_idle_timer();
  });
}

template class stream_connection<tcp_stream>;
template class stream_connection<tls_stream>;

}  // namespace p2psip::transport::detail
