#include "overlay/user_secrets.hpp"

#include <msgpack.hpp>

#include "overlay/key.hpp"
#include "overlay/record_codec.hpp"

namespace p2psip::overlay {
namespace {

std::string associated_data(std::string_view aor) {
  std::string ad = "p2psip user secrets";
  ad += '\0';
  ad += aor;
  return ad;
}

std::vector<std::uint8_t> encode(const user_secrets& s) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p{buffer};
  p.pack_array(5);
  p.pack(s.aor);
  p.pack(s.removed);
  p.pack(s.ha1_md5);
  p.pack(s.ha1_sha256);
  p.pack_array(static_cast<std::uint32_t>(s.links.size()));
  for (const auto& l : s.links) {
    p.pack_array(3);
    p.pack(l.aor);
    p.pack(l.username);
    p.pack(l.password);
  }
  return {buffer.data(), buffer.data() + buffer.size()};
}

std::optional<user_secrets> decode(std::span<const std::uint8_t> bytes) {
  try {
    const msgpack::unpack_limit limits(/*array*/ max_public_links, /*map*/ 0, /*str*/ 512,
                                       /*bin*/ 0, /*ext*/ 0, /*depth*/ 3);
    msgpack::object_handle h = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()),
                                               bytes.size(), nullptr, nullptr, limits);
    const msgpack::object& o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 4) return std::nullopt;
    const msgpack::object* f = o.via.array.ptr;
    user_secrets s{.aor = f[0].as<std::string>(),
                   .removed = f[1].as<bool>(),
                   .ha1_md5 = f[2].as<std::string>(),
                   .ha1_sha256 = f[3].as<std::string>()};
    // Records made before public links had four fields.
    if (o.via.array.size < 5) return s;
    const msgpack::object& links = f[4];
    if (links.type != msgpack::type::ARRAY) return std::nullopt;
    for (const auto& l : std::span(links.via.array.ptr, links.via.array.size)) {
      if (l.type != msgpack::type::ARRAY || l.via.array.size < 3) return std::nullopt;
      s.links.push_back({.aor = l.via.array.ptr[0].as<std::string>(),
                         .username = l.via.array.ptr[1].as<std::string>(),
                         .password = l.via.array.ptr[2].as<std::string>()});
    }
    return s;
  } catch (const std::exception&) {
    // msgpack reports malformed input and type mismatches by exception.
    return std::nullopt;
  }
}

}  // namespace

std::vector<std::uint8_t> make_user_value(std::string_view overlay_id, const user_secrets& user,
                                          const identity::users_keyring& keys,
                                          std::uint64_t sequence, unix_seconds expires_at,
                                          const identity::private_key& ca_key,
                                          const identity::certificate& ca_cert) {
  const auto& current = keys.current();
  user_record sealed_record{
      .epoch = current.epoch,
      .sealed = secrets::seal_box(current.key, encode(user), associated_data(user.aor)),
      .expires_at = expires_at};
  return seal(user_key(overlay_id, user.aor), sealed_record, sequence, ca_key, ca_cert);
}

std::string_view to_string(unsealing_failure f) {
  switch (f) {
    case unsealing_failure::unknown_epoch:
      return "sealed under a users key this node does not hold";
    case unsealing_failure::bad_box:
      return "does not open with the users key";
    case unsealing_failure::malformed:
      return "opened, but holds no user secrets";
    case unsealing_failure::wrong_aor:
      return "names another user";
  }
  return "unknown";
}

std::variant<user_secrets, unsealing_failure> open_user_secrets(
    const user_record& stored, std::string_view aor, const identity::users_keyring& keys) {
  const secrets::box_key* key = keys.find(stored.epoch);
  if (!key) return unsealing_failure::unknown_epoch;
  std::optional<std::vector<std::uint8_t>> plain =
      secrets::open_box(*key, stored.sealed, associated_data(aor));
  if (!plain) return unsealing_failure::bad_box;
  std::optional<user_secrets> s = decode(*plain);
  if (!s) return unsealing_failure::malformed;
  if (s->aor != aor) return unsealing_failure::wrong_aor;
  return *s;
}

}  // namespace p2psip::overlay
