#include "node/sip_probe.hpp"

#include <array>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "secrets/random.hpp"
#include "sip/parser.hpp"

namespace p2psip::node {
namespace {

// host or [host] as RFC 3261's hostport wants it (§25.1, RFC 5118).
std::string hostport(const asio::ip::udp::endpoint& e) {
  const auto a = e.address();
  const auto host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  return host + ":" + std::to_string(e.port());
}

}  // namespace

probe_ids random_probe_ids() {
  constexpr auto purpose = "a SIP probe's identifiers";
  return {"z9hG4bK" + secrets::random_hex(12, purpose), secrets::random_hex(16, purpose),
          secrets::random_hex(8, purpose)};
}

std::string options_request(const asio::ip::udp::endpoint& target,
                            const asio::ip::udp::endpoint& local, const probe_ids& ids) {
  const auto uri = "sip:" + hostport(target);
  const auto self = hostport(local);
  return "OPTIONS " + uri + " SIP/2.0\r\n" +                                    //
         "Via: SIP/2.0/UDP " + self + ";branch=" + ids.branch + ";rport\r\n" +  //
         "Max-Forwards: 70\r\n" +                                               //
         "From: <sip:steward@" + self + ">;tag=" + ids.from_tag + "\r\n" +      //
         "To: <" + uri + ">\r\n" +                                              //
         "Call-ID: " + ids.call_id + "\r\n" +                                   //
         "CSeq: 1 OPTIONS\r\n" +                                                //
         "Accept: application/sdp\r\n" +                                        //
         "Content-Length: 0\r\n\r\n";
}

bool answers_options(std::string_view datagram, const probe_ids& ids) {
  sip::message m;
  if (!sip::parse(datagram, m)) return false;
  return m.is_response() && m.top_via().branch == ids.branch && m.call_id() == ids.call_id &&
         m.cseq().method == "OPTIONS";
}

class sip_probe::check : public std::enable_shared_from_this<check> {
 public:
  check(sip_probe& owner, handler done)
      : owner_(&owner),
        udp_(owner.io_),
        tcp_(owner.io_),
        timer_(owner.io_),
        deadline_(owner.io_),
        done_(std::move(done)) {}

  void start_udp(const asio::ip::udp::endpoint& target) {
    std::error_code ec;
    udp_.open(target.protocol(), ec);
    if (!ec) udp_.connect(target, ec);
    const auto local = ec ? asio::ip::udp::endpoint{} : udp_.local_endpoint(ec);
    if (ec) return fail_soon();
    try {
      ids_ = random_probe_ids();
    } catch (const secrets::random_failure&) {
      return fail_soon();
    }
    request_ = options_request(target, local, ids_);
    arm_deadline();
    receive();
    send(owner_->settings_.t1);
  }

  void start_tcp(const asio::ip::tcp::endpoint& target) {
    arm_deadline();
    tcp_.async_connect(target, [self = shared_from_this()](std::error_code ec) {
      if (self->over(ec)) return;
      self->finish(!ec);
    });
  }

  void stop() {
    finished_ = true;
    done_ = nullptr;
    close();
  }

 private:
  bool over(const std::error_code& ec) const {
    return finished_ || ec == asio::error::operation_aborted;
  }

  void fail_soon() {
    asio::post(owner_->io_, [self = shared_from_this()] {
      if (!self->finished_) self->finish(false);
    });
  }

  void arm_deadline() {
    deadline_.expires_after(owner_->settings_.timeout);
    deadline_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!self->over(ec)) self->finish(false);
    });
  }

  void send(std::chrono::milliseconds again_in) {
    udp_.async_send(asio::buffer(request_),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (!self->over(ec) && ec) self->finish(false);
                    });
    timer_.expires_after(again_in);
    timer_.async_wait([self = shared_from_this(), again_in](std::error_code ec) {
      if (!self->over(ec)) self->send(again_in);
    });
  }

  void receive() {
    udp_.async_receive(asio::buffer(buffer_),
                       [self = shared_from_this()](std::error_code ec, std::size_t n) {
                         if (self->over(ec)) return;
                         // Refused: an ICMP port unreachable came back.
                         if (ec) return self->finish(false);
                         if (answers_options({self->buffer_.data(), n}, self->ids_))
                           return self->finish(true);
                         self->receive();
                       });
  }

  void close() {
    std::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
    timer_.cancel();
    deadline_.cancel();
  }

  void finish(bool alive) {
    finished_ = true;
    close();
    auto done = std::move(done_);
    auto self = shared_from_this();
    owner_->forget(self);
    // Last: the handler may destroy the probe.
    if (done) done(alive);
  }

  sip_probe* owner_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::socket tcp_;
  asio::steady_timer timer_;
  asio::steady_timer deadline_;
  handler done_;
  bool finished_ = false;
  probe_ids ids_;
  std::string request_;
  std::array<char, 4096> buffer_{};
};

sip_probe::sip_probe(asio::io_context& io, probe_settings settings)
    : io_(io), settings_(settings) {}

sip_probe::~sip_probe() {
  for (const auto& c : in_flight_) c->stop();
}

void sip_probe::probe_udp(const asio::ip::udp::endpoint& target, handler done) {
  auto c = std::make_shared<check>(*this, std::move(done));
  in_flight_.insert(c);
  c->start_udp(target);
}

void sip_probe::probe_tcp(const asio::ip::tcp::endpoint& target, handler done) {
  auto c = std::make_shared<check>(*this, std::move(done));
  in_flight_.insert(c);
  c->start_tcp(target);
}

}  // namespace p2psip::node
