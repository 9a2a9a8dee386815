#include "transport/detail/stream_listener.hpp"

#include <chrono>

#include "transport/detail/asio_endpoint.hpp"
#include "transport/detail/layer_core.hpp"

namespace p2psip::transport::detail {
namespace {

// Out of descriptors or memory, accept() fails at once again: retrying
// without a pause would spin the loop until something closes.
bool out_of_resources(std::error_code ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec == std::errc::too_many_files_open_in_system;
}

constexpr auto accept_backoff = std::chrono::milliseconds(100);

}  // namespace

stream_listener::stream_listener(std::shared_ptr<layer_core> core, protocol proto,
                                 asio::ip::tcp::acceptor acceptor)
    : core_(std::move(core)),
      acceptor_(std::move(acceptor)),
      backoff_(acceptor_.get_executor()),
      local_(to_endpoint(proto, acceptor_.local_endpoint())) {}

void stream_listener::close() {
  std::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void stream_listener::accept() {
  acceptor_.async_accept(
      [self = shared_from_this()](std::error_code ec, asio::ip::tcp::socket socket) {
        if (!self->acceptor_.is_open()) return;
        if (ec) {
          ++self->core_->stats().accept_failures;
          if (out_of_resources(ec)) return self->accept_later();
        } else {
          self->core_->accepted(self->local_.proto, std::move(socket), self->local_);
        }
        self->accept();
      });
}

void stream_listener::accept_later() {
  backoff_.expires_after(accept_backoff);
  backoff_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec && self->acceptor_.is_open()) self->accept();
  });
}

}  // namespace p2psip::transport::detail
