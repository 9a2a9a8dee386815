#include "overlay/record_codec.hpp"

#include <msgpack.hpp>
#include <string>
#include <type_traits>

namespace p2psip::overlay {
namespace {

enum class kind : std::uint8_t { binding = 1, node = 2, service = 3, user = 4 };

using packer = msgpack::packer<msgpack::sbuffer>;

void pack_strings(packer& p, const std::vector<std::string>& list) {
  p.pack_array(static_cast<std::uint32_t>(list.size()));
  for (const auto& s : list) p.pack(s);
}

void pack_body(packer& p, const binding_record& b) {
  p.pack_array(8);
  p.pack(b.aor);
  p.pack(b.contact);
  pack_strings(p, b.path);
  p.pack(b.instance);
  p.pack(b.reg_id);
  p.pack(b.q);
  p.pack(b.expires_at);
  p.pack(b.removed);
}

void pack_body(packer& p, const node_record& n) {
  p.pack_array(3);
  p.pack(n.node_id);
  pack_strings(p, n.uris);
  p.pack(n.expires_at);
}

void pack_body(packer& p, const service_record& s) {
  p.pack_array(10);
  p.pack(s.service);
  p.pack(s.index);
  p.pack(s.node_id);
  pack_strings(p, s.uris);
  p.pack(s.capacity);
  p.pack(s.load);
  p.pack(s.realm);
  p.pack(s.auth_scheme);
  p.pack(s.expires_at);
  pack_strings(p, s.numbers);
}

kind kind_of(const record& body) {
  return std::visit(
      [](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, binding_record>) return kind::binding;
        if constexpr (std::is_same_v<T, node_record>) return kind::node;
        if constexpr (std::is_same_v<T, user_record>) return kind::user;
        return kind::service;
      },
      body);
}

void pack_bin(packer& p, std::span<const std::uint8_t> bytes) {
  p.pack_bin(static_cast<std::uint32_t>(bytes.size()));
  p.pack_bin_body(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::uint32_t>(bytes.size()));
}

void pack_body(packer& p, const user_record& u) {
  p.pack_array(3);
  p.pack(u.epoch);
  pack_bin(p, u.sealed);
  p.pack(u.expires_at);
}

// Reading: msgpack's `as<T>()` throws msgpack::type_error on a mismatch,
// which open() turns into "malformed"; these helpers only add the shapes.
using fields = std::span<const msgpack::object>;

fields array_of(const msgpack::object& o, std::size_t at_least) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < at_least) throw msgpack::type_error{};
  return {o.via.array.ptr, o.via.array.size};
}

std::vector<std::string> strings_of(const msgpack::object& o) {
  std::vector<std::string> out;
  for (const auto& item : array_of(o, 0)) out.push_back(item.as<std::string>());
  return out;
}

std::span<const std::uint8_t> bin_of(const msgpack::object& o) {
  if (o.type != msgpack::type::BIN) throw msgpack::type_error{};
  return {reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr), o.via.bin.size};
}

binding_record binding_of(const msgpack::object& o) {
  fields f = array_of(o, 8);
  return binding_record{.aor = f[0].as<std::string>(),
                        .contact = f[1].as<std::string>(),
                        .path = strings_of(f[2]),
                        .instance = f[3].as<std::string>(),
                        .reg_id = f[4].as<std::uint32_t>(),
                        .q = f[5].as<std::uint16_t>(),
                        .expires_at = f[6].as<unix_seconds>(),
                        .removed = f[7].as<bool>()};
}

node_record node_of(const msgpack::object& o) {
  fields f = array_of(o, 3);
  return node_record{.node_id = f[0].as<std::string>(),
                     .uris = strings_of(f[1]),
                     .expires_at = f[2].as<unix_seconds>()};
}

// Nine fields before gateway peers, which appended their numbers: a record
// of an older node has none.
service_record service_of(const msgpack::object& o) {
  fields f = array_of(o, 9);
  return service_record{.service = f[0].as<std::string>(),
                        .index = f[1].as<std::uint32_t>(),
                        .node_id = f[2].as<std::string>(),
                        .uris = strings_of(f[3]),
                        .capacity = f[4].as<std::uint32_t>(),
                        .load = f[5].as<std::uint32_t>(),
                        .realm = f[6].as<std::string>(),
                        .auth_scheme = f[7].as<std::string>(),
                        .expires_at = f[8].as<unix_seconds>(),
                        .numbers = f.size() > 9 ? strings_of(f[9]) : std::vector<std::string>{}};
}

user_record user_of(const msgpack::object& o) {
  fields f = array_of(o, 3);
  std::span<const std::uint8_t> sealed = bin_of(f[1]);
  return user_record{.epoch = f[0].as<std::uint32_t>(),
                     .sealed = {sealed.begin(), sealed.end()},
                     .expires_at = f[2].as<unix_seconds>()};
}

// Bounds for untrusted input: no container, string or blob can be larger
// than the value itself allows, and nesting is shallow.
msgpack::unpack_limit limits() {
  return msgpack::unpack_limit(/*array*/ 64, /*map*/ 0, /*str*/ 1024, /*bin*/ max_record_bytes,
                               /*ext*/ 0,
                               /*depth*/ 4);
}

msgpack::object_handle unpack(std::span<const std::uint8_t> bytes) {
  return msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size(), nullptr,
                         nullptr, limits());
}

}  // namespace

value_type type_of(const record& body) {
  switch (kind_of(body)) {
    case kind::binding:
      return value_type::binding;
    case kind::node:
      return value_type::node;
    case kind::service:
      return value_type::service;
    case kind::user:
      return value_type::user;
  }
  return value_type::binding;
}

std::vector<std::uint8_t> seal(const key& k, const record& body, std::uint64_t sequence,
                               const identity::private_key& key,
                               const identity::certificate& cert) {
  msgpack::sbuffer tbs;
  packer inner{tbs};
  inner.pack_array(4);
  inner.pack(record_version);
  inner.pack(static_cast<std::uint8_t>(kind_of(body)));
  inner.pack(sequence);
  std::visit([&](const auto& b) { pack_body(inner, b); }, body);

  std::vector<std::uint8_t> signed_bytes(k.bytes.begin(), k.bytes.end());
  signed_bytes.insert(signed_bytes.end(), tbs.data(), tbs.data() + tbs.size());
  std::vector<std::uint8_t> signature = key.sign(signed_bytes);

  msgpack::sbuffer out;
  packer outer{out};
  outer.pack_array(3);
  pack_bin(outer, {reinterpret_cast<const std::uint8_t*>(tbs.data()), tbs.size()});
  pack_bin(outer, cert.der());
  pack_bin(outer, signature);
  return {out.data(), out.data() + out.size()};
}

identity::certificate certificate_cache::get(std::span<const std::uint8_t> der,
                                             std::error_code& ec) {
  std::string bytes(reinterpret_cast<const char*>(der.data()), der.size());
  auto it = by_der_.find(bytes);
  if (it != by_der_.end()) return it->second;
  identity::certificate cert = identity::certificate::from_der(der, ec);
  if (ec) return cert;
  if (by_der_.size() >= bound_) by_der_.clear();
  by_der_.emplace(std::move(bytes), cert);
  return cert;
}

std::optional<envelope> open(const key& k, std::span<const std::uint8_t> data,
                             certificate_cache* certificates) {
  if (data.size() > max_record_bytes) return std::nullopt;
  try {
    msgpack::object_handle outer = unpack(data);
    fields parts = array_of(outer.get(), 3);
    std::span<const std::uint8_t> tbs = bin_of(parts[0]);

    envelope env;
    std::error_code ec;
    std::span<const std::uint8_t> der = bin_of(parts[1]);
    env.signer =
        certificates ? certificates->get(der, ec) : identity::certificate::from_der(der, ec);
    if (ec) return std::nullopt;
    std::span<const std::uint8_t> signature = bin_of(parts[2]);
    env.signature.assign(signature.begin(), signature.end());

    msgpack::object_handle inner = unpack(tbs);
    fields head = array_of(inner.get(), 4);
    if (head[0].as<std::uint8_t>() != record_version) return std::nullopt;
    env.sequence = head[2].as<std::uint64_t>();
    switch (static_cast<kind>(head[1].as<std::uint8_t>())) {
      case kind::binding:
        env.body = binding_of(head[3]);
        break;
      case kind::node:
        env.body = node_of(head[3]);
        break;
      case kind::service:
        env.body = service_of(head[3]);
        break;
      case kind::user:
        env.body = user_of(head[3]);
        break;
      default:
        return std::nullopt;
    }
    env.signed_bytes.assign(k.bytes.begin(), k.bytes.end());
    env.signed_bytes.insert(env.signed_bytes.end(), tbs.begin(), tbs.end());
    return env;
  } catch (const std::exception&) {
    // msgpack reports malformed input, exceeded limits and type mismatches
    // by exception; all three mean "not a record".
    return std::nullopt;
  }
}

}  // namespace p2psip::overlay
