#include "transport/detail/layer_core.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <cstdint>

#include "transport/detail/asio_endpoint.hpp"
#include "transport/detail/stream_connection.hpp"
#include "transport/detail/stream_listener.hpp"
#include "transport/detail/tls_context.hpp"
#include "transport/detail/udp_socket.hpp"

namespace p2psip::transport::detail {
namespace {

std::string named(std::string_view operation, const listen_spec& spec) {
  return std::string(operation) + " " + to_string(endpoint{spec.proto, spec.address, spec.port});
}

}  // namespace

layer_core::layer_core(asio::any_io_executor executor, config settings,
                       transport_layer::message_handler handler)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      inbound_(settings_, stats_, std::move(handler)) {}

layer_core::~layer_core() = default;

start_error layer_core::start() {
  if (running_) return {};
  if (auto failed = load_tls()) return failed;
  for (const auto& spec : settings_.listen) {
    auto failed = spec.proto == protocol::udp ? open_udp(spec) : open_listener(spec);
    if (failed) {
      release_sockets();
      return failed;
    }
  }
  running_ = true;
  inbound_.enable(true);
  for (auto& socket : udp_) socket->start();
  for (auto& listener : listeners_) listener->start();
  return {};
}

void layer_core::stop() {
  running_ = false;
  inbound_.enable(false);
  release_sockets();
  for (auto& c : connections_.take_all())
    c->close(close_reason::stopped, asio::error::operation_aborted);
}

void layer_core::release_sockets() {
  for (auto& socket : udp_) socket->close();
  for (auto& listener : listeners_) listener->close();
  udp_.clear();
  listeners_.clear();
  bound_.clear();
}

start_error layer_core::load_tls() {
  const auto tls_listener_without_certificate =
      std::find_if(settings_.listen.begin(), settings_.listen.end(), [&](const listen_spec& spec) {
        return spec.proto == protocol::tls &&
               (!settings_.tls || settings_.tls->certificate.empty());
      });
  if (tls_listener_without_certificate != settings_.listen.end())
    return {error::tls_not_configured, named("listen", *tls_listener_without_certificate)};
  if (!settings_.tls) return {};
  tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls);
  return configure_tls(*tls_, *settings_.tls);
}

start_error layer_core::open_udp(const listen_spec& spec) {
  const asio::ip::udp::endpoint where(spec.address, spec.port);
  asio::ip::udp::socket socket(executor_);
  std::error_code ec;
  socket.open(where.protocol(), ec);
  // [::] then holds IPv6 alone and 0.0.0.0 can be bound beside it.
  if (!ec && spec.address.is_v6()) socket.set_option(asio::ip::v6_only(true), ec);
  if (!ec && settings_.udp_receive_buffer_bytes != 0) {
    // A smaller buffer than asked is not an error: the kernel caps it.
    std::error_code ignored;
    socket.set_option(asio::socket_base::receive_buffer_size(
                          static_cast<int>(settings_.udp_receive_buffer_bytes)),
                      ignored);
  }
  if (!ec) socket.bind(where, ec);
  if (ec) return {ec, named("bind", spec)};
  record_receive_buffer(socket);
  udp_.push_back(std::make_shared<udp_socket>(shared_from_this(), std::move(socket)));
  bound_.push_back(udp_.back()->local());
  return {};
}

// What the kernel granted, read back: Linux doubles the size asked (for
// its bookkeeping) and caps the ask at net.core.rmem_max, so an operator
// sees here whether that limit must be raised. Read with getsockopt itself:
// asio halves SO_RCVBUF on Linux to give back the size that was asked.
void layer_core::record_receive_buffer(asio::ip::udp::socket& socket) {
  int granted = 0;
  socklen_t size = sizeof granted;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &granted, &size) != 0) return;
  const auto bytes = static_cast<std::uint64_t>(granted);
  auto& smallest = stats_.udp_receive_buffer_bytes;
  smallest = smallest == 0 ? bytes : std::min(smallest, bytes);
}

start_error layer_core::open_listener(const listen_spec& spec) {
  const asio::ip::tcp::endpoint where(spec.address, spec.port);
  asio::ip::tcp::acceptor acceptor(executor_);
  std::error_code ec;
  acceptor.open(where.protocol(), ec);
  if (!ec && spec.address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  // A restarted node must rebind its port while old connections linger in
  // TIME_WAIT.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return {ec, named("listen", spec)};
  listeners_.push_back(
      std::make_shared<stream_listener>(shared_from_this(), spec.proto, std::move(acceptor)));
  bound_.push_back(listeners_.back()->local());
  return {};
}

void layer_core::send(std::string bytes, const endpoint& to, transport_layer::send_handler done) {
  if (!running_) return complete(std::move(done), error::stopped);
  if (to.proto == protocol::udp) {
    auto* socket = udp_for(to.address);
    if (socket == nullptr) return complete(std::move(done), error::no_transport);
    return socket->send(std::move(bytes), udp_endpoint(to), std::move(done));
  }
  if (to.flow != 0) {
    const auto c = connections_.find(to.flow);
    if (!c) return complete(std::move(done), error::flow_gone);
    return c->send(std::move(bytes), std::move(done));
  }
  // RFC 3261 §18.1.1: an open connection to the destination is reused.
  if (const auto c = connections_.find_peer(to)) return c->send(std::move(bytes), std::move(done));
  open_connection(std::move(bytes), to, std::move(done));
}

bool layer_core::authenticated(const endpoint& source) const {
  if (source.proto != protocol::tls || source.flow == 0) return false;
  const auto c = connections_.find(source.flow);
  return c && c->remote() == source && c->authenticated();
}

bool layer_core::behind() const {
  return std::any_of(udp_.begin(), udp_.end(), [](const auto& socket) { return socket->behind(); });
}

udp_socket* layer_core::udp_for(const asio::ip::address& to) const {
  const auto found = std::find_if(udp_.begin(), udp_.end(), [&](const auto& socket) {
    return socket->local().address.is_v6() == to.is_v6();
  });
  return found == udp_.end() ? nullptr : found->get();
}

void layer_core::open_connection(std::string bytes, const endpoint& to,
                                 transport_layer::send_handler done) {
  if (to.proto == protocol::tls && !tls_)
    return complete(std::move(done), error::tls_not_configured);
  if (connections_.size() >= settings_.max_connections)
    return complete(std::move(done), error::too_many_connections);
  auto remote = to;
  remote.flow = connections_.next_flow();
  ++stats_.connections_opened;
  // Queued while it connects; later sends to the same address find it and
  // queue behind.
  const auto c = make_connection(asio::ip::tcp::socket(executor_), remote,
                                 endpoint{to.proto, {}, 0, 0}, false);
  c->send(std::move(bytes), std::move(done));
}

void layer_core::accepted(protocol proto, asio::ip::tcp::socket socket,
                          const endpoint& listener_local) {
  if (!running_) return;
  std::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // gone before we looked
  // A refused socket closes as it goes out of scope.
  if (connections_.size() >= settings_.max_connections) {
    ++stats_.refused_connection_limit;
    return;
  }
  if (connections_.accepted_from(peer.address()) >= settings_.max_connections_per_source) {
    ++stats_.refused_source_limit;
    return;
  }
  ++stats_.connections_accepted;
  // The listener may be bound to a wildcard; the socket knows the address.
  const auto local = socket.local_endpoint(ec);
  make_connection(std::move(socket), to_endpoint(proto, peer, connections_.next_flow()),
                  ec ? listener_local : to_endpoint(proto, local), true);
}

std::shared_ptr<connection> layer_core::make_connection(asio::ip::tcp::socket socket,
                                                        const endpoint& remote,
                                                        const endpoint& local, bool accepted) {
  const auto add_and_start = [&](auto c) -> std::shared_ptr<connection> {
    connections_.add(c);
    ++stats_.connections_open;
    if (accepted) {
      c->start_accepted();
    } else {
      c->start_connect();
    }
    return c;
  };
  if (remote.proto == protocol::tls) {
    return add_and_start(std::make_shared<stream_connection<tls_stream>>(
        shared_from_this(), tls_stream(std::move(socket), *tls_), remote, local, accepted));
  }
  return add_and_start(std::make_shared<stream_connection<tcp_stream>>(
      shared_from_this(), std::move(socket), remote, local, accepted));
}

void layer_core::closed(const connection& c) {
  connections_.remove(c);
}

void layer_core::complete(transport_layer::send_handler done, std::error_code ec) const {
  if (!done) return;
  asio::post(executor_, [done = std::move(done), ec] { done(ec); });
}

std::vector<endpoint> layer_core::local_endpoints() const {
  return bound_;
}

}  // namespace p2psip::transport::detail
