#include "overlay/record_verifier.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <type_traits>

#include "sip/uri.hpp"

namespace p2psip::overlay {
namespace {

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The domain of a canonical AOR ("sip:alice@p2psip.test" -> "p2psip.test").
std::optional<std::string_view> aor_domain(std::string_view aor) {
  std::optional<sip::uri> u = sip::parse_uri(aor);
  if (!u || !u->is_sip() || u->user.empty()) return std::nullopt;
  return u->host;
}

std::int64_t unix_now(wall_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

// Everything a verdict depends on besides time: the key, the value's type,
// id and bytes, as their SHA-256. The digest rather than the bytes: a node
// remembers thousands of values, each with its signer's certificate inside
// (about 1 KiB), and the soak saw the table grow RSS by tens of megabytes.
std::string remembered_identity(const key& k, const value& v) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned size = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, k.bytes.data(), k.bytes.size()) == 1 &&
                  EVP_DigestUpdate(ctx, &v.id, sizeof v.id) == 1 &&
                  EVP_DigestUpdate(ctx, &v.type, sizeof v.type) == 1 &&
                  EVP_DigestUpdate(ctx, v.data.data(), v.data.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};  // not remembered: checked afresh every time
  out.resize(size);
  return out;
}

// A valid record stays valid until it expires or its signer's certificate or
// the CA's does: the other checks do not depend on time (a lifetime longer
// than storers keep only shrinks as time passes).
std::int64_t valid_until(const envelope& env, const identity::trust_anchor& anchor) {
  return std::min(
      {expires_at(env.body), unix_now(env.signer.not_after()), unix_now(anchor.ca().not_after())});
}

}  // namespace

std::chrono::seconds lifetimes::of(value_type type) const {
  switch (type) {
    case value_type::binding:
      return binding;
    case value_type::node:
      return node;
    case value_type::service:
      return service;
    case value_type::user:
      return user;
  }
  return binding;
}

std::string_view to_string(verdict v) {
  switch (v) {
    case verdict::valid:
      return "valid";
    case verdict::malformed:
      return "malformed";
    case verdict::bad_content:
      return "bad_content";
    case verdict::bad_signature:
      return "bad_signature";
    case verdict::untrusted_signer:
      return "untrusted_signer";
    case verdict::wrong_name:
      return "wrong_name";
    case verdict::expired:
      return "expired";
    case verdict::superseded:
      return "superseded";
    case verdict::withdrawn:
      return "withdrawn";
  }
  return "unknown";
}

std::string record_identity(const record& body) {
  return std::visit(
      [](const auto& b) -> std::string {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, binding_record>)
          return b.identity();
        else if constexpr (std::is_same_v<T, user_record>)
          return "user";  // one record per user: each version replaces the last
        else
          return b.node_id;
      },
      body);
}

std::uint64_t value_id(const key& k, const record& body) {
  std::string name = record_identity(body);
  if (const auto* b = std::get_if<binding_record>(&body)) {
    // Where the binding leads is part of its id: OpenDHT tells listeners
    // about new ids but not about a changed value under a known id, and a
    // binding that moved to another node or was withdrawn must reach them.
    name += '\0';
    name += b->removed ? std::string{"removed"} : b->contact;
    for (const std::string& hop : b->path) name += '\0' + hop;
  }
  key h = make_key(k.hex(), "value-id", name);
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | h.bytes[i];
  return id;
}

record_verifier::record_verifier(std::string overlay_id, identity::trust_anchor anchor,
                                 lifetimes life, std::size_t max_remembered)
    : overlay_id_(std::move(overlay_id)),
      anchor_(std::move(anchor)),
      life_(life),
      max_remembered_(max_remembered) {}

checked_value record_verifier::check(const key& k, const value& v,
                                     wall_clock::time_point now) const {
  std::string identity = remembered_identity(k, v);
  const std::int64_t t = unix_now(now);
  if (auto hit = valid_.find(identity); hit != valid_.end()) {
    if (t < hit->second.until) return hit->second.result;
    valid_.erase(hit);
  }
  checked_value out = check_anew(k, v, now);
  if (out.status != verdict::valid) ++refused_[static_cast<std::size_t>(out.status)];
  if (out.status == verdict::valid && max_remembered_ > 0 && !identity.empty()) {
    if (valid_.size() >= max_remembered_) valid_.clear();
    remembered_valid kept{out, valid_until(*out.env, anchor_)};
    // What the signature covered is needed to check it, not after.
    std::vector<std::uint8_t>().swap(kept.result.env->signed_bytes);
    valid_.emplace(std::move(identity), std::move(kept));
  }
  return out;
}

checked_value record_verifier::check_anew(const key& k, const value& v,
                                          wall_clock::time_point now) const {
  checked_value out;
  out.id = v.id;
  out.env = open(k, v.data, &certificates_);
  if (!out.env || type_of(out.env->body) != v.type) {
    out.env.reset();
    out.status = verdict::malformed;
    return out;
  }
  const envelope& env = *out.env;
  out.fault = content_fault_of(env.body);
  if (out.fault != content_fault::none) {
    out.status = verdict::bad_content;
  } else if (!env.signer.verify(env.signed_bytes, env.signature)) {
    out.status = verdict::bad_signature;
  } else if (!trusted(env.signer, env.body, now)) {
    out.status = verdict::untrusted_signer;
  } else if (!entitled(env.signer, env.body) || !belongs_under(k, env.body) ||
             v.id != value_id(k, env.body)) {
    out.status = verdict::wrong_name;
  } else if (expires_at(env.body) <= unix_now(now)) {
    out.status = verdict::expired;
  } else if (expires_at(env.body) > unix_now(now) + life_.of(type_of(env.body)).count()) {
    // Storers would drop it before it says it ends; a reader must not
    // believe a lifetime the overlay cannot give.
    out.status = verdict::wrong_name;
  } else {
    out.status = verdict::valid;
  }
  return out;
}

// A user record is the enrollment authority's word, so its signer is the
// overlay CA itself (the certificate every node holds as its anchor); any
// other record is signed by a leaf the CA issued.
bool record_verifier::trusted(const identity::certificate& signer, const record& body,
                              wall_clock::time_point now) const {
  if (std::holds_alternative<user_record>(body)) {
    const identity::certificate& ca = anchor_.ca();
    return signer.der() == ca.der() && ca.not_before() <= now && now <= ca.not_after();
  }
  return !anchor_.verify(signer, now);
}

// Who may sign what (docs/identity.md): a user certificate its own AOR's
// bindings; a node certificate its own node and service records, and any
// binding of the overlay's domain when the CA gave it the domain's name.
bool record_verifier::entitled(const identity::certificate& signer, const record& body) const {
  return std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, binding_record>) {
          std::optional<std::string_view> domain = aor_domain(b.aor);
          if (!domain || *domain != overlay_id_) return false;
          return contains(signer.uri_names(), b.aor) || contains(signer.dns_names(), overlay_id_);
        } else if constexpr (std::is_same_v<T, user_record>) {
          return true;  // the CA, as trusted() checked
        } else {
          return contains(signer.uri_names(), identity::node_uri(b.node_id));
        }
      },
      body);
}

bool record_verifier::belongs_under(const key& k, const record& body) const {
  return std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, binding_record>)
          return k == binding_key(overlay_id_, b.aor);
        else if constexpr (std::is_same_v<T, node_record>)
          return k == node_key(overlay_id_, b.node_id);
        else if constexpr (std::is_same_v<T, user_record>)
          // The AOR is sealed; the signature covers the key, so the CA made it
          // for this key, and the reader checks the AOR it opens against it.
          return true;
        else {
          bool known_service = b.service == "sip:" + overlay_id_ ||
                               b.service == "turn:" + overlay_id_ ||
                               b.service == "tel:" + overlay_id_;
          return known_service && k == service_key(overlay_id_, b.service, b.index);
        }
      },
      body);
}

std::vector<type_policy> storage_policies(std::shared_ptr<const record_verifier> verifier,
                                          std::function<wall_clock::time_point()> now) {
  auto accept_store = [verifier, now](const key& k, const value& v) {
    return verifier->check(k, v, now()).status == verdict::valid;
  };
  auto accept_edit = [verifier, now](const key& k, const value& stored, const value& replacement) {
    checked_value fresh = verifier->check(k, replacement, now());
    if (fresh.status != verdict::valid) return false;
    std::optional<envelope> old = open(k, stored.data);
    // The same id under the same key is the same record identity (value_id),
    // so only the sequence decides.
    return !old || fresh.env->sequence > old->sequence;
  };
  const lifetimes& life = verifier->life();
  std::vector<type_policy> types;
  for (auto [type, lifetime] :
       {std::pair{value_type::binding, life.binding}, std::pair{value_type::node, life.node},
        std::pair{value_type::service, life.service}, std::pair{value_type::user, life.user}}) {
    types.push_back(type_policy{type, lifetime, accept_store, accept_edit});
  }
  return types;
}

}  // namespace p2psip::overlay
