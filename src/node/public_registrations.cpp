#include "node/public_registrations.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>

#include "node/log_text.hpp"
#include "secrets/random.hpp"
#include "sip/headers.hpp"
#include "sip/parser.hpp"
#include "sip/uri.hpp"

namespace p2psip::node {
namespace {

using std::chrono::steady_clock;

// RFC 3261 §10.2: the Request-URI names the domain of the location service,
// without user: sip:example.test for sip:alice@example.test.
std::optional<std::string> registrar_uri(std::string_view public_aor) {
  const auto u = sip::parse_uri(public_aor);
  if (!u || !u->is_sip() || u->user.empty()) return std::nullopt;
  std::string out = u->scheme == sip::uri_scheme::sips ? "sips:" : "sip:";
  out += u->host_text();
  if (u->has_port) out += ":" + std::to_string(u->port);
  return out;
}

// How long the registrar keeps `contact`: its expires in the 2xx's Contact
// list (§10.3 step 8), else the Expires header, else nullopt.
std::optional<std::uint32_t> granted(const sip::message& ok, std::string_view contact) {
  const auto ours = sip::parse_uri(contact);
  for (const auto& v : ok.values(sip::header_id::contact)) {
    const auto c = sip::parse_name_addr(v.text);
    if (!c || !ours || !sip::uri_equal(c->address, *ours)) continue;
    if (const auto e = c->params.find("expires"))
      return sip::parse_delta_seconds(e->value, UINT32_MAX);
  }
  if (const auto* e = ok.find(sip::header_id::expires))
    return sip::parse_delta_seconds(e->value, UINT32_MAX);
  return std::nullopt;
}

}  // namespace

struct public_registrations::registration {
  explicit registration(asio::io_context& io) : timer(io) {}

  std::string user;
  overlay::public_link link;
  std::string request_uri;
  std::string call_id = secrets::random_hex(12, "a public registration's Call-ID");
  std::string from_tag = secrets::random_hex(6, "a public registration's From tag");
  std::uint32_t cseq = 0;
  std::uint32_t expires = 0;  // asked for; 0 while removing
  // What this link's registrar wants at least (its 423's Min-Expires, §10.2.8).
  std::uint32_t min_expires = 0;
  bool removing = false;
  bool in_flight = false;
  bool registered = false;
  // The last challenge, answered again (nc counting up) until the server
  // sends a new one; and how many challenges in a row were answered.
  std::optional<auth::digest_challenge> challenge;
  bool proxy_challenge = false;
  std::uint32_t nc = 0;
  int challenges_in_a_row = 0;
  std::chrono::seconds backoff{0};
  steady_clock::time_point expires_at{};
  std::uint16_t last_status = 0;
  std::string last_error;
  asio::steady_timer timer;
};

public_registrations::public_registrations(asio::io_context& io, public_registrations_io node_io,
                                           public_registrations_settings settings)
    : io_(io), node_io_(std::move(node_io)), settings_(std::move(settings)), recheck_(io) {}

public_registrations::~public_registrations() {
  stop();
}

void public_registrations::start() {
  schedule_recheck();
}

void public_registrations::stop() {
  recheck_.cancel();
  for (auto& [k, r] : registrations_) r->timer.cancel();
  alive_ = std::make_shared<int>(0);
}

std::string public_registrations::aor_of(std::string_view user) const {
  return "sip:" + std::string(user) + "@" + settings_.overlay_id;
}

void public_registrations::schedule_recheck() {
  recheck_.expires_after(settings_.recheck);
  recheck_.async_wait([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (ec || alive.expired()) return;
    std::vector<std::string> users;
    for (const auto& [k, r] : registrations_)
      if (users.empty() || users.back() != k.first) users.push_back(k.first);
    for (const auto& user : users) follow(user);
    schedule_recheck();
  });
}

void public_registrations::bindings_changed(const std::string& aor) {
  const auto at = aor.find('@');
  if (!aor.starts_with("sip:") || at == std::string::npos) return;
  const std::string user = aor.substr(4, at - 4);
  if (!node_io_.serves(aor)) return let_go(user);
  // The record may have changed since the phone was authenticated (a
  // link pushed meanwhile): read it again first.
  if (!node_io_.current(user)) return follow(user);
  sync(user);
}

void public_registrations::user_changed(const std::string& user) {
  if (node_io_.serves(aor_of(user))) follow(user);
}

void public_registrations::follow(const std::string& user) {
  if (!node_io_.serves(aor_of(user))) return let_go(user);
  node_io_.read_user(user, [this, user, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) sync(user);
  });
}

void public_registrations::sync(const std::string& user) {
  const auto links = node_io_.links(user);
  // Links gone (unlinked, the user removed): their bindings are removed.
  for (auto it = registrations_.lower_bound({user, ""});
       it != registrations_.end() && it->first.first == user; ++it) {
    auto& r = *it->second;
    const auto wanted = std::find_if(links.begin(), links.end(),
                                     [&](const auto& l) { return l.aor == r.link.aor; });
    if (wanted == links.end() && !r.removing) {
      r.removing = true;
      r.challenges_in_a_row = 0;
      if (!r.in_flight) send(r);
    } else if (wanted != links.end() && !(*wanted == r.link)) {
      // New credentials: used at once.
      r.link = *wanted;
      r.challenges_in_a_row = 0;
      if (!r.in_flight) send(r);
    }
  }
  for (const auto& l : links) {
    const key k{user, l.aor};
    if (const auto it = registrations_.find(k); it != registrations_.end()) {
      it->second->removing = false;  // a link that was being removed is wanted again
      continue;
    }
    auto uri = registrar_uri(l.aor);
    if (!uri) {
      spdlog::warn("public registration: {} links {}, which is not a sip: AOR with a user",
                   log_text(aor_of(user)), log_text(l.aor));
      continue;
    }
    auto r = std::make_unique<registration>(io_);
    r->user = user;
    r->link = l;
    r->request_uri = std::move(*uri);
    auto& ref = *r;
    registrations_.emplace(k, std::move(r));
    spdlog::info("public registration: {} as {} at {}", log_text(l.aor), log_text(aor_of(user)),
                 log_text(ref.request_uri));
    send(ref);
  }
}

void public_registrations::let_go(const std::string& user) {
  auto first = registrations_.lower_bound({user, ""});
  if (first == registrations_.end() || first->first.first != user) return;
  const auto aor = aor_of(user);
  node_io_.elsewhere(aor, [this, user, aor, alive = std::weak_ptr<int>(alive_)](bool others) {
    if (alive.expired() || node_io_.serves(aor)) return;
    for (auto it = registrations_.lower_bound({user, ""});
         it != registrations_.end() && it->first.first == user;) {
      auto& r = *it->second;
      if (others) {
        // Another node serves the user now, and keeps her registered.
        spdlog::info("public registration: {} left to the node that serves {} now",
                     log_text(r.link.aor), log_text(aor));
        r.timer.cancel();
        if (!r.in_flight) {
          it = registrations_.erase(it);
          continue;
        }
        r.removing = false;
        r.registered = false;
      } else if (!r.removing) {
        r.removing = true;
        r.challenges_in_a_row = 0;
        if (!r.in_flight) send(r);
      }
      ++it;
    }
  });
}

void public_registrations::send(registration& r) {
  r.timer.cancel();
  r.expires = r.removing
                  ? 0
                  : std::max(r.min_expires, static_cast<std::uint32_t>(settings_.expires.count()));
  const std::string contact = "<" + aor_of(r.user) + ">";
  std::string request = "REGISTER " + r.request_uri +
                        " SIP/2.0\r\n"
                        "Max-Forwards: 70\r\n"
                        "To: <" +
                        r.link.aor + ">\r\nFrom: <" + r.link.aor + ">;tag=" + r.from_tag +
                        "\r\nCall-ID: " + r.call_id + "\r\nCSeq: " + std::to_string(++r.cseq) +
                        " REGISTER\r\nContact: " + contact +
                        "\r\nExpires: " + std::to_string(r.expires) + "\r\n";
  if (r.challenge) {
    const std::string cnonce = secrets::random_hex(8, "a digest cnonce");
    request += r.proxy_challenge ? "Proxy-Authorization: " : "Authorization: ";
    request += auth::answer(*r.challenge, {.method = "REGISTER",
                                           .uri = r.request_uri,
                                           .username = r.link.username,
                                           .password = r.link.password,
                                           .cnonce = cnonce,
                                           .nc = ++r.nc});
    request += "\r\n";
  }
  request += "User-Agent: p2psip\r\nContent-Length: 0\r\n\r\n";
  const key k{r.user, r.link.aor};
  r.in_flight = true;
  ++counters_.sent;
  // The answer arrives inside the core's handling of a response: it is
  // taken up from the event loop, outside the core.
  const bool taken = node_io_.originate(
      std::move(request), r.user,
      [this, k, alive = std::weak_ptr<int>(alive_)](const sip::message& response) {
        asio::post(io_, [this, k, alive, status = response.status().code,
                         bytes = std::string(response.raw())]() mutable {
          if (!alive.expired()) answered(k, status, std::move(bytes));
        });
      });
  if (!taken) {
    r.in_flight = false;
    failed(r, 503, "this node is too busy to send it");
  }
}

void public_registrations::answered(const key& k, std::uint16_t status, std::string response) {
  const auto it = registrations_.find(k);
  if (it == registrations_.end()) return;
  auto& r = *it->second;
  r.in_flight = false;
  r.last_status = status;
  sip::message m;
  if (!sip::parse(response, m)) return failed(r, status, "an unreadable answer");
  if (status >= 200 && status < 300) return succeeded(r, m);
  if (status == 401 || status == 407) {
    std::vector<std::string_view> values;
    for (const auto& v : m.values(status == 401 ? sip::header_id::www_authenticate
                                                : sip::header_id::proxy_authenticate))
      values.push_back(v.text);
    auto c = auth::first_supported(values);
    if (!c) return failed(r, status, "a challenge it cannot answer");
    // A challenge right after our answer, and not for a stale nonce: the
    // registrar refuses these credentials.
    if (++r.challenges_in_a_row > 2 || (r.challenges_in_a_row > 1 && !c->stale))
      return failed(r, status, "wrong credentials for " + c->realm);
    ++counters_.challenged;
    r.challenge = std::move(c);
    r.proxy_challenge = status == 407;
    r.nc = 0;
    return send(r);
  }
  if (status == 423 && !r.removing) {
    // §10.2.8: the registrar's Min-Expires, asked for next time.
    if (const auto* min = m.find(sip::header_id::min_expires))
      if (const auto s = sip::parse_delta_seconds(min->value, UINT32_MAX);
          s && *s > r.expires && *s <= 86400) {
        r.min_expires = *s;
        return send(r);
      }
  }
  failed(r, status, std::string(m.status().reason));
}

void public_registrations::succeeded(registration& r, const sip::message& response) {
  r.challenges_in_a_row = 0;
  r.backoff = std::chrono::seconds(0);
  r.last_error.clear();
  const key k{r.user, r.link.aor};
  if (r.removing) {
    ++counters_.unregistered;
    spdlog::info("public registration: {} removed from {}", log_text(r.link.aor),
                 log_text(r.request_uri));
    registrations_.erase(k);
    return;
  }
  ++counters_.registered;
  const auto granted_s = granted(response, aor_of(r.user)).value_or(r.expires);
  if (granted_s == 0) return failed(r, 200, "the registrar kept no binding");
  if (!r.registered)
    spdlog::info("public registration: {} -> {} for {} s", log_text(r.link.aor),
                 log_text(aor_of(r.user)), granted_s);
  r.registered = true;
  r.expires_at = steady_clock::now() + std::chrono::seconds(granted_s);
  schedule(r, std::chrono::seconds(std::max<std::uint32_t>(1, granted_s / 2)));
}

void public_registrations::failed(registration& r, std::uint16_t status, std::string why) {
  ++counters_.failed;
  r.last_status = status;
  r.last_error = why;
  r.challenges_in_a_row = 0;
  r.challenge.reset();
  r.backoff =
      r.backoff.count() == 0 ? settings_.retry : std::min(settings_.max_retry, r.backoff * 2);
  spdlog::warn("public registration: {} {} failed: {} {}; again in {} s", log_text(r.link.aor),
               r.removing ? "removal" : "registration", status, log_text(why), r.backoff.count());
  schedule(r, r.backoff);
}

void public_registrations::schedule(registration& r, steady_clock::duration after) {
  const key k{r.user, r.link.aor};
  r.timer.expires_after(after);
  r.timer.async_wait([this, k, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (ec || alive.expired()) return;
    const auto it = registrations_.find(k);
    if (it != registrations_.end() && !it->second->in_flight) send(*it->second);
  });
}

std::vector<public_registrations::view> public_registrations::list() const {
  std::vector<view> out;
  const auto now = steady_clock::now();
  for (const auto& [k, r] : registrations_) {
    view v{.user = r->user,
           .public_aor = r->link.aor,
           .state = r->removing             ? "removing"
                    : r->registered         ? "registered"
                    : r->last_error.empty() ? "registering"
                                            : "failed",
           .last_status = r->last_status,
           .last_error = r->last_error};
    if (r->registered && r->expires_at > now)
      v.expires_in = std::chrono::duration_cast<std::chrono::seconds>(r->expires_at - now).count();
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace p2psip::node
