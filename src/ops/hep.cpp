#include "ops/hep.hpp"

#include <asio/buffer.hpp>
#include <limits>

namespace p2psip::ops {
namespace {

// Chunk types of the generic vendor (HEP3 specification, "Chunk types").
enum chunk : std::uint16_t {
  ip_family = 0x0001,
  ip_protocol = 0x0002,
  ipv4_source = 0x0003,
  ipv4_destination = 0x0004,
  ipv6_source = 0x0005,
  ipv6_destination = 0x0006,
  source_port = 0x0007,
  destination_port = 0x0008,
  seconds = 0x0009,
  microseconds = 0x000a,
  protocol_type = 0x000b,
  capture_id = 0x000c,
  auth_key = 0x000e,
  payload = 0x000f,
  correlation_id = 0x0011,
};
constexpr std::uint8_t family_ipv4 = 2;   // AF_INET
constexpr std::uint8_t family_ipv6 = 10;  // AF_INET6
constexpr std::uint8_t protocol_sip = 1;
constexpr std::size_t chunk_header = 6;

class writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }

  // vendor 0, type, length (header included), then what `value` writes.
  template <class Value>
  void chunk(std::uint16_t type, std::size_t length, Value value) {
    u16(0);
    u16(type);
    u16(static_cast<std::uint16_t>(chunk_header + length));
    value();
  }

  std::vector<std::uint8_t>& out() { return out_; }

 private:
  std::vector<std::uint8_t> out_;
};

void addresses(writer& w, const hep_message& m) {
  if (m.source.is_v4()) {
    const auto s = m.source.to_v4().to_bytes();
    const auto d = m.destination.to_v4().to_bytes();
    w.chunk(ip_family, 1, [&] { w.u8(family_ipv4); });
    w.chunk(ipv4_source, s.size(), [&] { w.bytes(s.data(), s.size()); });
    w.chunk(ipv4_destination, d.size(), [&] { w.bytes(d.data(), d.size()); });
  } else {
    const auto s = m.source.to_v6().to_bytes();
    const auto d =
        m.destination.is_v6()
            ? m.destination.to_v6().to_bytes()
            : asio::ip::make_address_v6(asio::ip::v4_mapped, m.destination.to_v4()).to_bytes();
    w.chunk(ip_family, 1, [&] { w.u8(family_ipv6); });
    w.chunk(ipv6_source, s.size(), [&] { w.bytes(s.data(), s.size()); });
    w.chunk(ipv6_destination, d.size(), [&] { w.bytes(d.data(), d.size()); });
  }
}

}  // namespace

std::optional<std::vector<std::uint8_t>> encode_hep3(const hep_message& m) {
  const auto since_epoch = m.at.time_since_epoch();
  const auto whole = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - whole);
  writer w;
  w.bytes("HEP3", 4);
  w.u16(0);  // the total length, once known
  addresses(w, m);
  w.chunk(ip_protocol, 1, [&] { w.u8(m.over_tcp ? 6 : 17); });
  w.chunk(source_port, 2, [&] { w.u16(m.source_port); });
  w.chunk(destination_port, 2, [&] { w.u16(m.destination_port); });
  w.chunk(seconds, 4, [&] { w.u32(static_cast<std::uint32_t>(whole.count())); });
  w.chunk(microseconds, 4, [&] { w.u32(static_cast<std::uint32_t>(micros.count())); });
  w.chunk(protocol_type, 1, [&] { w.u8(protocol_sip); });
  w.chunk(capture_id, 4, [&] { w.u32(m.capture_id); });
  if (!m.password.empty())
    w.chunk(auth_key, m.password.size(), [&] { w.bytes(m.password.data(), m.password.size()); });
  if (!m.correlation.empty())
    w.chunk(correlation_id, m.correlation.size(),
            [&] { w.bytes(m.correlation.data(), m.correlation.size()); });
  // The payload's length must fit its chunk's 16 bits, and the whole the packet's.
  constexpr std::size_t most = std::numeric_limits<std::uint16_t>::max();
  if (w.out().size() + chunk_header + m.payload.size() > most) return std::nullopt;
  w.chunk(payload, m.payload.size(), [&] { w.bytes(m.payload.data(), m.payload.size()); });
  auto& out = w.out();
  out[4] = static_cast<std::uint8_t>(out.size() >> 8);
  out[5] = static_cast<std::uint8_t>(out.size());
  return std::move(out);
}

hep_sender::hep_sender(asio::io_context& io, asio::ip::udp::endpoint collector)
    : socket_(io, collector.protocol()), collector_(collector) {
  socket_.non_blocking(true);
}

// A non-blocking send on the caller's turn: no queue to grow while the
// collector is away; a datagram the kernel will not take now is dropped.
void hep_sender::send(const hep_message& m) {
  const auto packet = encode_hep3(m);
  if (!packet) {
    ++counters_.too_big;
    return;
  }
  std::error_code ec;
  socket_.send_to(asio::buffer(*packet), collector_, 0, ec);
  ++(ec ? counters_.failed : counters_.sent);
}

}  // namespace p2psip::ops
