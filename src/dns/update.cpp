#include "dns/update.hpp"

#include <algorithm>
#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <vector>

#include "dns/update_wire.hpp"
#include "secrets/random.hpp"

namespace p2psip::dns {
namespace {

// RFC 1035 §4.2.1: a UDP message carries at most 512 bytes (we send no
// EDNS0 OPT to say otherwise).
constexpr std::size_t udp_limit = 512;

std::uint16_t random_id() {
  std::array<unsigned char, 2> b{};
  secrets::fill_random(b, "a DNS message id");
  return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

}  // namespace

class update_client::exchange : public std::enable_shared_from_this<exchange> {
 public:
  exchange(update_client& client, signed_request request, handler done)
      : client_(&client),
        request_(std::move(request)),
        udp_(client.io_),
        tcp_(client.io_),
        timer_(client.io_),
        tries_left_(std::max(1u, client.settings_.tries)),
        done_(std::move(done)) {}

  void start() {
    if (request_.error) return fail_soon(request_.error);
    if (request_.wire.size() > udp_limit) return start_tcp();
    std::error_code ec;
    udp_.open(settings().server.protocol(), ec);
    if (!ec) udp_.connect(settings().server, ec);
    if (ec) return fail_soon(ec);
    receive_datagram();
    send_try();
  }

  // The client is going away: end every operation without a word.
  void stop() {
    finished_ = true;
    done_ = nullptr;
    close();
  }

 private:
  const update_settings& settings() const { return client_->settings_; }

  bool over(const std::error_code& ec) const {
    return finished_ || ec == asio::error::operation_aborted;
  }

  // send() promises not to call back from inside itself.
  void fail_soon(std::error_code ec) {
    asio::post(client_->io_, [self = shared_from_this(), ec] {
      if (!self->finished_) self->finish(ec);
    });
  }

  void send_try() {
    --tries_left_;
    udp_.async_send(asio::buffer(request_.wire),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (!self->over(ec) && ec) self->finish(ec);
                    });
    timer_.expires_after(settings().timeout);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (self->over(ec)) return;
      if (self->tries_left_ > 0) return self->send_try();
      self->finish(self->saw_unverified_ ? update_error::bad_response : update_error::timeout);
    });
  }

  void receive_datagram() {
    buffer_.resize(65535);
    udp_.async_receive(asio::buffer(buffer_),
                       [self = shared_from_this()](std::error_code ec, std::size_t n) {
                         if (self->over(ec)) return;
                         if (ec) return self->finish(ec);
                         self->on_datagram(n);
                       });
  }

  void on_datagram(std::size_t n) {
    const auto check = judge(n);
    switch (check.kind) {
      case response_kind::answer:
        return finish(check.result);
      case response_kind::truncated:
        return start_tcp();
      case response_kind::ignored:
        saw_unverified_ = true;
        return receive_datagram();
    }
  }

  response_check judge(std::size_t n) const {
    return check_response({buffer_.data(), n}, request_, client_->key_,
                          std::chrono::system_clock::now(), settings().fudge);
  }

  // RFC 1035 §4.2.2: over TCP each message is preceded by its length.
  void start_tcp() {
    std::error_code ignored;
    udp_.close(ignored);
    timer_.expires_after(settings().timeout * std::max(1u, settings().tries));
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!self->over(ec)) self->finish(update_error::timeout);
    });
    const auto size = request_.wire.size();
    frame_ = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size & 0xff)};
    frame_.insert(frame_.end(), request_.wire.begin(), request_.wire.end());
    const asio::ip::tcp::endpoint server(settings().server.address(), settings().server.port());
    tcp_.async_connect(server, [self = shared_from_this()](std::error_code ec) {
      if (self->over(ec)) return;
      if (ec) return self->finish(ec);
      self->write_request();
    });
  }

  void write_request() {
    asio::async_write(tcp_, asio::buffer(frame_),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (self->over(ec)) return;
                        if (ec) return self->finish(ec);
                        self->read_length();
                      });
  }

  void read_length() {
    asio::async_read(
        tcp_, asio::buffer(length_), [self = shared_from_this()](std::error_code ec, std::size_t) {
          if (self->over(ec)) return;
          if (ec) return self->finish(ec);
          self->read_answer(static_cast<std::size_t>(self->length_[0] << 8 | self->length_[1]));
        });
  }

  void read_answer(std::size_t size) {
    buffer_.resize(size);
    asio::async_read(tcp_, asio::buffer(buffer_),
                     [self = shared_from_this()](std::error_code ec, std::size_t n) {
                       if (self->over(ec)) return;
                       if (ec) return self->finish(ec);
                       // Nobody else writes into our connection: an answer
                       // that does not verify will not be followed by one that does.
                       const auto check = self->judge(n);
                       self->finish(check.kind == response_kind::answer
                                        ? check.result
                                        : make_error_code(update_error::bad_response));
                     });
  }

  void close() {
    std::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
    timer_.cancel();
  }

  void finish(std::error_code result) {
    finished_ = true;
    close();
    auto done = std::move(done_);
    auto self = shared_from_this();
    client_->forget(self);
    // Last: the handler may destroy the client.
    done(result);
  }

  update_client* client_;
  signed_request request_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::socket tcp_;
  asio::steady_timer timer_;
  unsigned tries_left_;
  handler done_;
  bool finished_ = false;
  bool saw_unverified_ = false;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> frame_;
  std::array<std::uint8_t, 2> length_{};
};

update_client::update_client(asio::io_context& io, update_settings settings, tsig_key key)
    : io_(io), settings_(std::move(settings)), key_(std::move(key)) {}

update_client::~update_client() {
  for (const auto& e : in_flight_) e->stop();
}

void update_client::send(const update_message& m, handler done) {
  signed_request request;
  try {
    request = sign_update(m, key_, random_id(), settings_.fudge);
  } catch (const secrets::random_failure&) {
    // No id is better than a guessable one; the caller retries later.
    request.error = std::make_error_code(std::errc::resource_unavailable_try_again);
  }
  auto e = std::make_shared<exchange>(*this, std::move(request), std::move(done));
  in_flight_.insert(e);
  e->start();
}

}  // namespace p2psip::dns
