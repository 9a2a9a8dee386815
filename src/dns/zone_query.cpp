#include "dns/zone_query.hpp"

#include <strings.h>

#include <array>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "dns/detail/ldns_handles.hpp"
#include "dns/detail/read_packet.hpp"
#include "secrets/random.hpp"

namespace p2psip::dns {
namespace {

using detail::bytes_ptr;
using detail::pkt_ptr;
using detail::rdf_ptr;
using detail::rr_list_ptr;
using detail::text_ptr;

std::string text_of(const ldns_rdf* rdf) {
  text_ptr s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

std::string rdata_text(const ldns_rr* rr) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    if (!out.empty()) out += ' ';
    out += text_of(ldns_rr_rdf(rr, i));
  }
  return out;
}

bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && ::strncasecmp(a.c_str(), b.c_str(), a.size()) == 0;
}

}  // namespace

std::vector<std::uint8_t> encode_query(const std::string& name, const std::string& type,
                                       std::uint16_t id) {
  const auto t = ldns_get_rr_type_by_name(type.c_str());
  rdf_ptr qname(ldns_dname_new_frm_str(name.c_str()));
  if (!qname || t == 0 || name.empty() || name.back() != '.') return {};
  pkt_ptr p(ldns_pkt_query_new(qname.release(), t, LDNS_RR_CLASS_IN, 0));
  if (!p) return {};
  ldns_pkt_set_id(p.get(), id);
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, p.get(), &size) != LDNS_STATUS_OK) return {};
  bytes_ptr owned(wire);
  return {wire, wire + size};
}

query_answer decode_answer(std::span<const std::uint8_t> wire, std::uint16_t id,
                           const std::string& name, const std::string& type) {
  query_answer out;
  const auto p = detail::read_packet(wire);
  if (!p) {
    out.error = update_error::bad_response;
    return out;
  }
  const auto t = ldns_get_rr_type_by_name(type.c_str());
  const auto* question = ldns_rr_list_rr(ldns_pkt_question(p.get()), 0);
  if (ldns_pkt_id(p.get()) != id || !ldns_pkt_qr(p.get()) || question == nullptr ||
      ldns_rr_get_type(question) != t || !same_name(text_of(ldns_rr_owner(question)), name)) {
    out.error = update_error::bad_response;
    return out;
  }
  const auto rcode = static_cast<int>(ldns_pkt_get_rcode(p.get()));
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
    out.error = rcode <= 18 ? make_error_code(static_cast<update_error>(rcode))
                            : make_error_code(update_error::unexpected_rcode);
    return out;
  }
  // A cache or a secondary lagging behind could hide a removal or a peer.
  if (!ldns_pkt_aa(p.get())) {
    out.error = update_error::notauth;
    return out;
  }
  rr_list_ptr rrs(ldns_pkt_rr_list_by_type(p.get(), t, LDNS_SECTION_ANSWER));
  const auto* descriptor = ldns_rr_descript(static_cast<std::uint16_t>(t));
  for (std::size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs.get()); ++i) {
    const auto* rr = ldns_rr_list_rr(rrs.get(), i);
    auto owner = text_of(ldns_rr_owner(rr));
    if (!same_name(owner, name)) continue;  // no CNAMEs in the overlay's zone
    // ldns stops reading RDATA where RDLENGTH ends, so a record cut short
    // parses with fields missing: a steward would watch a peer it cannot
    // name, and a removal built from it could not be encoded.
    if (descriptor == nullptr || ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(descriptor)) {
      out = {update_error::bad_response, {}};
      return out;
    }
    out.records.push_back({std::move(owner), type, rdata_text(rr), ldns_rr_ttl(rr)});
  }
  return out;
}

class zone_reader::exchange : public std::enable_shared_from_this<exchange> {
 public:
  exchange(zone_reader& reader, std::string name, std::string type, handler done)
      : reader_(&reader),
        name_(std::move(name)),
        type_(std::move(type)),
        socket_(reader.io_),
        timer_(reader.io_),
        done_(std::move(done)) {}

  void start() {
    std::array<unsigned char, 2> b{};
    try {
      secrets::fill_random(b, "a DNS message id");
    } catch (const secrets::random_failure&) {
      return fail_soon(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    id_ = static_cast<std::uint16_t>(b[0] << 8 | b[1]);
    const auto query = encode_query(name_, type_, id_);
    if (query.empty()) return fail_soon(update_error::bad_request);
    // RFC 1035 §4.2.2: over TCP each message is preceded by its length.
    frame_ = {static_cast<std::uint8_t>(query.size() >> 8),
              static_cast<std::uint8_t>(query.size() & 0xff)};
    frame_.insert(frame_.end(), query.begin(), query.end());
    timer_.expires_after(reader_->settings_.timeout);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!self->over(ec)) self->finish(update_error::timeout);
    });
    socket_.async_connect(reader_->settings_.server,
                          [self = shared_from_this()](std::error_code ec) {
                            if (self->over(ec)) return;
                            if (ec) return self->finish(ec);
                            self->write_query();
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

  void fail_soon(std::error_code ec) {
    asio::post(reader_->io_, [self = shared_from_this(), ec] {
      if (!self->finished_) self->finish(ec);
    });
  }

  void write_query() {
    asio::async_write(socket_, asio::buffer(frame_),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (self->over(ec)) return;
                        if (ec) return self->finish(ec);
                        self->read_length();
                      });
  }

  void read_length() {
    asio::async_read(
        socket_, asio::buffer(length_),
        [self = shared_from_this()](std::error_code ec, std::size_t) {
          if (self->over(ec)) return;
          if (ec) return self->finish(ec);
          self->read_answer(static_cast<std::size_t>(self->length_[0] << 8 | self->length_[1]));
        });
  }

  void read_answer(std::size_t size) {
    buffer_.resize(size);
    asio::async_read(socket_, asio::buffer(buffer_),
                     [self = shared_from_this()](std::error_code ec, std::size_t n) {
                       if (self->over(ec)) return;
                       if (ec) return self->finish(ec);
                       auto answer = decode_answer({self->buffer_.data(), n}, self->id_,
                                                   self->name_, self->type_);
                       self->finish(answer.error, std::move(answer.records));
                     });
  }

  void close() {
    std::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

  void finish(std::error_code result, std::vector<record> records = {}) {
    finished_ = true;
    close();
    auto done = std::move(done_);
    auto self = shared_from_this();
    reader_->forget(self);
    // Last: the handler may destroy the reader.
    if (done) done(result, std::move(records));
  }

  zone_reader* reader_;
  std::string name_;
  std::string type_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  handler done_;
  std::uint16_t id_ = 0;
  bool finished_ = false;
  std::vector<std::uint8_t> frame_;
  std::array<std::uint8_t, 2> length_{};
  std::vector<std::uint8_t> buffer_;
};

zone_reader::zone_reader(asio::io_context& io, query_settings settings)
    : io_(io), settings_(std::move(settings)) {}

zone_reader::~zone_reader() {
  for (const auto& e : in_flight_) e->stop();
}

void zone_reader::query(const std::string& name, const std::string& type, handler done) {
  auto e = std::make_shared<exchange>(*this, name, type, std::move(done));
  in_flight_.insert(e);
  e->start();
}

}  // namespace p2psip::dns
