#include "transport/transport_layer.hpp"

#include "transport/detail/layer_core.hpp"

namespace p2psip::transport {

transport_layer::transport_layer(asio::any_io_executor executor, config settings,
                                 message_handler on_message)
    : core_(std::make_shared<detail::layer_core>(std::move(executor), std::move(settings),
                                                 std::move(on_message))) {}

transport_layer::~transport_layer() {
  core_->stop();
}

start_error transport_layer::start() {
  return core_->start();
}

void transport_layer::stop() {
  core_->stop();
}

std::vector<endpoint> transport_layer::local_endpoints() const {
  return core_->local_endpoints();
}

void transport_layer::send(std::string bytes, const endpoint& to, send_handler done) {
  core_->send(std::move(bytes), to, std::move(done));
}

bool transport_layer::authenticated(const endpoint& source) const {
  return core_->authenticated(source);
}

bool transport_layer::behind() const {
  return core_->behind();
}

counters transport_layer::stats() const {
  return core_->stats();
}

}  // namespace p2psip::transport
