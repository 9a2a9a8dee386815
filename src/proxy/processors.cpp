#include "proxy/processors.hpp"

#include <cctype>

#include "proxy/routing.hpp"
#include "sip/charset.hpp"
#include "sip/validate.hpp"

namespace p2psip::proxy {

bool addressed_to_us(const sip::uri& u, const proxy_core& core) {
  return core.is_local_domain(u.host) || core.is_local_host(u.host_text(), u.port, u.has_port);
}

bool leaves_domains(const sip::message& m, const proxy_core& core) {
  return !addressed_to_us(m.request().uri, core) && !first_foreign_route(m, core);
}

namespace {

bool from_local_user(const sip::message& m, const proxy_core& core) {
  return m.from().address.is_sip() && core.is_local_domain(m.from().address.host);
}

std::vector<std::string_view> header_values(const sip::message& m, sip::header_id id) {
  std::vector<std::string_view> out;
  for (const auto& h : m.headers())
    if (h.id == id) out.push_back(h.value);
  return out;
}

}  // namespace

std::optional<std::string> local_aor(const sip::uri& u, const proxy_core& core) {
  if (!u.is_sip() || u.user.empty() || !addressed_to_us(u, core)) return std::nullopt;
  const auto& domains = core.config().domains;
  const std::string domain =
      core.is_local_domain(u.host) || domains.empty() ? std::string(u.host) : domains.front();
  std::string aor = "sip:" + sip::unescape(u.user) + "@";
  for (char c : domain) aor.push_back(sip::charset::to_lower(c));
  return aor;
}

void install_standard_chain(proxy_core& core, const chain_settings& s) {
  core.add_processor(std::make_unique<request_validation>(s.supported));
  core.add_processor(std::make_unique<loop_detection>());
  core.add_processor(std::make_unique<route_preprocessing>());
  if (core.config().tokens != nullptr) core.add_processor(std::make_unique<flow_route>());
  core.add_processor(std::make_unique<local_options>());
  if (s.authenticator != nullptr && s.users.fetch)
    core.add_processor(std::make_unique<credentials_refresh>(*s.authenticator, s.users));
  const bool numbers = s.gateways != nullptr || s.own_trunk.has_value();
  if (s.authenticator != nullptr) {
    auto authentication = s.authentication;
    authentication.numbers = numbers;
    authentication.public_registrations = !s.overlay.empty();
    core.add_processor(std::make_unique<digest_authentication>(*s.authenticator, authentication,
                                                               s.now, s.auth_failed));
  }
  if (numbers) core.add_processor(std::make_unique<number_routing>(s.gateways, s.own_trunk));
  if (!s.overlay.empty())
    core.add_processor(std::make_unique<interworking>(s.overlay, s.proxy_peer));
  if (s.registrar_role)
    core.add_processor(std::make_unique<registrar_processor>(*s.store, s.registrar, s.now));
  else
    core.add_processor(std::make_unique<no_registrar>());
  if (!s.proxy_role && s.located != location_lookup::answer::redirect)
    core.add_processor(std::make_unique<no_proxy>());
  core.add_processor(std::make_unique<location_lookup>(*s.store, s.now, s.known_user, s.located));
  if (core.config().resolver != nullptr)
    core.add_processor(std::make_unique<next_hop_resolution>(*core.config().resolver));
}

// ---------------------------------------------------------------- validation

request_validation::request_validation(std::vector<std::string> supported)
    : supported_(std::move(supported)) {
  for (const auto& s : supported_) supported_views_.push_back(s);
}

processor_result request_validation::process(request_context& ctx, proxy_core& core) {
  const sip::validation_policy policy{supported_views_, true, true};
  const auto v = sip::validate_request(ctx.msg(), policy);
  if (v.acceptable()) return processor_result::next;
  std::string extra;
  if (v.code == 420)
    extra = "Unsupported: " + sip::unsupported_option_tags(ctx.msg(), policy) + "\r\n";
  core.respond(ctx, v.code, v.reason, extra);
  return processor_result::stop;
}

// ------------------------------------------------------------ loop detection

processor_result loop_detection::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  const std::string ours = std::string(magic_cookie) + loop_hash(m) + ".";
  for (const auto& v : m.values(sip::header_id::via)) {
    const auto via = sip::parse_via(v.text);
    if (!via || !via->branch.starts_with(ours)) continue;
    if (core.is_local_host(via->host, via->port, via->has_port)) {
      core.respond(ctx, 482, "Loop Detected");
      return processor_result::stop;
    }
  }
  return processor_result::next;
}

// ------------------------------------------------------- route preprocessing

processor_result route_preprocessing::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  const auto& uri = m.request().uri;
  // A Request-URI that is one of our Record-Route values (no user part)
  // came from a strict router: the real target is the last Route value.
  if (!uri.user.empty() || !core.is_local_host(uri.host_text(), uri.port, uri.has_port))
    return processor_result::next;
  std::optional<std::string_view> last;
  std::size_t fields = 0;
  for (const auto& h : m.headers())
    if (h.id == sip::header_id::route) {
      last = h.value;
      ++fields;
    }
  if (!last) return processor_result::next;
  const auto [first, rest] = sip::split_first_value(*last);
  const auto route = sip::parse_name_addr(first);
  if (!rest.empty() || !route) {
    core.respond(ctx, 400, "Unsupported Strict Route");
    return processor_result::stop;
  }
  ctx.strict_route = true;
  ctx.targets.push_back({std::string(route->address.text), {}, std::nullopt, 1000});
  return processor_result::next;
}

// ---------------------------------------------------------------- flow route

processor_result flow_route::process(request_context& ctx, proxy_core& core) {
  if (!ctx.targets.empty()) return processor_result::next;
  const auto by_token = core.route_by_token(ctx.msg(), ctx.source);
  if (by_token.forged) {
    // RFC 5626 §5.3: a token this node did not make is refused, never followed.
    core.respond(ctx, 403, "Forbidden - Unknown Flow Token");
    return processor_result::stop;
  }
  // No token, or only the one of the flow the request arrived on: the
  // request goes on along its route like any other, our Routes removed.
  if (!by_token.flow) return processor_result::next;
  if (!core.may_follow_token(by_token, ctx.source)) {
    core.respond(ctx, 403, "Forbidden - Not From A Node Of The Overlay");
    return processor_result::stop;
  }
  target t{std::string(ctx.msg().request().uri_text), {}, by_token.flow, 1000};
  t.by_token = true;
  ctx.targets.push_back(std::move(t));
  return processor_result::next;
}

// ------------------------------------------------------------- local OPTIONS

processor_result local_options::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  const auto& uri = m.request().uri;
  if (m.method() != sip::method::options || !uri.user.empty() || !addressed_to_us(uri, core) ||
      ctx.strict_route)
    return processor_result::next;
  core.respond(ctx, 200, "OK",
               "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, "
               "SUBSCRIBE, NOTIFY, REFER, MESSAGE\r\nAccept: application/sdp\r\n"
               "Supported: path, outbound\r\n");
  return processor_result::stop;
}

// ----------------------------------------------------------- authentication

processor_result credentials_refresh::process(request_context& ctx, proxy_core& core) {
  std::vector<std::string_view> values = header_values(ctx.msg(), sip::header_id::authorization);
  for (auto v : header_values(ctx.msg(), sip::header_id::proxy_authorization)) values.push_back(v);
  std::vector<std::string> stale;
  for (auto& user : authenticator_.claimed_users(values))
    if (!source_.current(user)) stale.push_back(std::move(user));
  if (stale.empty()) return processor_result::next;
  // Usually one user; each read ends in its own callback, the last resumes.
  auto left = std::make_shared<std::size_t>(stale.size());
  const auto server = ctx.server;
  for (auto& user : stale)
    source_.fetch(std::move(user), [left, server, &core] {
      if (--*left == 0 && core.find(server) != nullptr) core.resume(server);
    });
  return processor_result::wait;
}

digest_authentication::digest_authentication(auth::authenticator& authenticator, settings s,
                                             wall_now now, auth_failure_sink failed)
    : authenticator_(authenticator),
      settings_(s),
      now_(std::move(now)),
      failed_(std::move(failed)) {}

processor_result digest_authentication::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  if (m.method() == sip::method::register_) {
    if (core.is_local_domain(m.request().uri.host))
      return settings_.registrations ? check(ctx, core, false) : processor_result::next;
    // A REGISTER for a public AOR leaves through a proxy peer (interwork
    // §4.2): only a user of the overlay may send one, so it is challenged
    // like any request that leaves (407; the public registrar's 401 is the
    // public AOR's own). A node passing one on authenticated its user.
    if (!settings_.public_registrations || !ctx.authenticated_user.empty() ||
        core.from_node(ctx.source) || !leaves_domains(m, core))
      return processor_result::next;
    return check(ctx, core, true);
  }
  // ACK and CANCEL cannot be challenged (§22.1); in-dialog requests were
  // authorized when the dialog was made; a node of the overlay authenticated
  // its user before it passed a request on.
  const bool challengeable =
      m.method() != sip::method::ack && m.method() != sip::method::cancel && m.to().tag().empty();
  if (!challengeable || !from_local_user(m, core) || core.from_node(ctx.source))
    return processor_result::next;
  // A request leaving for another domain is always challenged: only users
  // of the overlay may go out through it (interwork §5.2, no open relay).
  if (settings_.local_requests || leaves_domains(m, core) ||
      (settings_.numbers && dials_number(m, core)))
    return check(ctx, core, true);
  return processor_result::next;
}

void digest_authentication::failed(const request_context& ctx, std::string_view reason) const {
  if (failed_)
    failed_({reason, ctx.msg().from().address.text, ctx.msg().request().method_text, ctx.source});
}

processor_result digest_authentication::check(request_context& ctx, proxy_core& core,
                                              bool proxy_auth) {
  using outcome = auth::authenticator::outcome;
  const auto& m = ctx.msg();
  const auto credentials_id =
      proxy_auth ? sip::header_id::proxy_authorization : sip::header_id::authorization;
  const auto now = now_();
  const auto r = authenticator_.verify(m.request().method_text, m.request().uri,
                                       header_values(m, credentials_id), now);
  switch (r.what) {
    case outcome::ok:
      // A user may only speak as itself.
      if (proxy_auth && sip::unescape(m.from().address.user) != r.user) {
        failed(ctx, "From is not the authenticated user");
        core.respond(ctx, 403, "Forbidden - From Is Not The Authenticated User");
        return processor_result::stop;
      }
      ctx.authenticated_user = r.user;
      return processor_result::next;
    case outcome::malformed:
      failed(ctx, "malformed credentials");
      core.respond(ctx, 400, "Malformed Credentials");
      return processor_result::stop;
    case outcome::wrong_uri:
      // RFC 2617 §3.2.2.5 and RFC 7616 §3.4.6: 400; the credentials were
      // made for another request, perhaps one captured elsewhere.
      failed(ctx, "digest uri is not the Request-URI");
      core.respond(ctx, 400, "Digest URI Does Not Match The Request-URI");
      return processor_result::stop;
    case outcome::wrong:
      failed(ctx, "wrong credentials");
      core.respond(ctx, 403, "Forbidden - Wrong Credentials");
      return processor_result::stop;
    case outcome::missing:
    case outcome::stale:
    case outcome::replayed:
      break;
  }
  const auto header = proxy_auth ? "Proxy-Authenticate: " : "WWW-Authenticate: ";
  std::string extra;
  // A replayed count gets stale=true too (RFC 7616 §3.3): the password was
  // right, so a phone that merely reused its nonce answers the new one
  // without asking its user.
  const bool stale = r.what == outcome::stale || r.what == outcome::replayed;
  if (r.what == outcome::replayed) failed(ctx, "replayed nonce count");
  for (const auto& c : authenticator_.challenges(now, stale)) extra += header + c + "\r\n";
  core.respond(ctx, proxy_auth ? 407 : 401,
               proxy_auth ? "Proxy Authentication Required" : "Unauthorized", extra);
  return processor_result::stop;
}

namespace {

// A location store too busy to be asked: the caller tries again later
// (RFC 3261 §21.5.4), and the refusal is counted.
void busy(transaction_id server, proxy_core& core) {
  auto* c = core.find(server);
  if (c == nullptr) return;
  core.refuse_overloaded(*c);
  core.resume(server);
}

}  // namespace

// ----------------------------------------------------------------- registrar

registrar_processor::registrar_processor(location_store& store, registrar_policy policy,
                                         wall_now now)
    : store_(store), policy_(std::move(policy)), now_(std::move(now)) {}

processor_result registrar_processor::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  if (m.method() != sip::method::register_ || !core.is_local_domain(m.request().uri.host))
    return processor_result::next;
  const auto aor = canonical_aor(m.to().address);
  if (!aor) {
    core.respond(ctx, 400, "To Is Not A SIP AOR");
    return processor_result::stop;
  }
  const auto server = ctx.server;
  store_.fetch(*aor, now_(),
               [this, server, &core](std::vector<binding> current, std::error_code ec) {
                 if (ec) return busy(server, core);
                 decide(server, core, std::move(current));
               });
  return processor_result::wait;
}

void registrar_processor::decide(transaction_id server, proxy_core& core,
                                 std::vector<binding> current) {
  auto* ctx = core.find(server);
  if (ctx == nullptr) return;
  const auto now = now_();
  auto outcome = std::make_shared<register_outcome>(
      process_register(ctx->msg(), ctx->authenticated_user, current, ctx->source, now, policy_));
  auto answer = [this, server, &core, outcome](std::error_code ec) {
    auto* c = core.find(server);
    if (c == nullptr) return;
    if (ec == std::errc::invalid_argument) {
      // The store cannot hold such a binding (a contact or Path unfit for
      // the overlay's records): trying again would not help.
      core.respond(*c, 400, "Contact Not Usable");
    } else if (ec) {
      // The binding was not stored: the phone must not believe it was.
      core.respond(*c, 503, "Service Unavailable", "Retry-After: 5\r\n");
    } else {
      core.respond_with(*c, registrar_response(c->msg(), *outcome, now_(), c->to_tag, policy_));
    }
    core.resume(server);
  };
  if (outcome->code == 200 && outcome->changed) {
    store_.store(outcome->aor, outcome->bindings, std::move(answer));
  } else {
    answer({});
  }
}

processor_result no_registrar::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  if (m.method() != sip::method::register_ || !core.is_local_domain(m.request().uri.host))
    return processor_result::next;
  core.respond(ctx, 403, "Forbidden - Not A Registrar");
  return processor_result::stop;
}

processor_result no_proxy::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  if (!ctx.targets.empty() || !m.to().tag().empty() || first_foreign_route(m, core))
    return processor_result::next;
  core.respond(ctx, 403, "Forbidden - Not A Proxy");
  return processor_result::stop;
}

// ------------------------------------------------------------------ location

location_lookup::location_lookup(location_store& store, wall_now now,
                                 std::function<bool(std::string_view user)> known_user, answer mode)
    : store_(store), now_(std::move(now)), known_user_(std::move(known_user)), mode_(mode) {}

namespace {

// A URI header value (RFC 3261 §19.1.1 hvalue): unreserved and the few
// marks it allows stay, everything else is %-escaped.
std::string escape_header_value(std::string_view text) {
  constexpr std::string_view keep = "-_.!~*'()[]/?:+$";
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

std::string q_value(std::uint16_t q) {
  if (q >= 1000) return "1";
  std::string digits = std::to_string(1000 + q).substr(1);
  while (digits.back() == '0') digits.pop_back();
  return digits.empty() ? "0" : "0." + digits;
}

// §8.3 / §21.3.3: each target as a Contact; a target reached through other
// nodes carries that Route set as a URI header, which a UA following the
// redirect puts in its request (§19.1.5), behind this node: the caller is no
// node, and only a node may follow another node's flow token. A phone whose
// flow ends here is reached through this node, which alone holds the flow
// (RFC 5626 §5.3): its Contact may be an address nobody else can reach.
std::string redirect_contacts(const request_context& ctx, const proxy_core& core) {
  std::string out;
  for (const auto& t : ctx.targets) {
    auto route = t.route;
    if (!route.empty()) {
      if (auto own = core.own_route(ctx.source.proto); !own.empty())
        route.insert(route.begin(), std::move(own));
    } else if (t.flow && t.flow->port != 0) {
      if (auto own = core.route_over_flow(ctx.source.proto, *t.flow); !own.empty())
        route.push_back(std::move(own));
    }
    std::string uri = t.uri;
    if (!route.empty() && uri.find('?') == std::string::npos) {
      std::string routes;
      for (const auto& r : route) routes += (routes.empty() ? "" : ",") + r;
      uri += "?Route=" + escape_header_value(routes);
    }
    out += "Contact: <" + uri + ">;q=" + q_value(t.q) + "\r\n";
  }
  return out;
}

}  // namespace

processor_result location_lookup::process(request_context& ctx, proxy_core& core) {
  if (!ctx.targets.empty()) return processor_result::next;
  const auto& m = ctx.msg();
  const auto& uri = m.request().uri;
  // A Route still to follow, or a request inside a dialog, goes where it says.
  const bool routed = first_foreign_route(m, core).has_value();
  const auto aor = routed ? std::nullopt : local_aor(uri, core);
  if (!aor) {
    if (routed || !m.to().tag().empty() || core.config().relay_other_domains) {
      ctx.targets.push_back({std::string(uri.text), {}, std::nullopt, 1000});
      return processor_result::next;
    }
    core.respond(ctx, 403, "Relaying Denied");
    return processor_result::stop;
  }
  const auto server = ctx.server;
  const auto user = sip::unescape(uri.user);
  store_.fetch(*aor, now_(),
               [this, server, user, &core](std::vector<binding> bindings, std::error_code ec) {
                 if (ec) return busy(server, core);
                 auto* c = core.find(server);
                 if (c == nullptr) return;
                 for (auto& b : bindings) {
                   target t{std::move(b.contact), std::move(b.path), std::nullopt, b.q};
                   // Without a Path the phone is reached over the flow it registered
                   // on: the address its REGISTER came from, not the Contact (RFC 5626).
                   if (t.route.empty()) t.flow = b.flow;
                   c->targets.push_back(std::move(t));
                 }
                 if (c->targets.empty()) {
                   if (known_user_ && known_user_(user)) {
                     core.respond(*c, 480, "Temporarily Unavailable");
                   } else {
                     core.respond(*c, 404, "Not Found");
                   }
                 } else if (mode_ == answer::redirect) {
                   core.respond(*c, 302, "Moved Temporarily", redirect_contacts(*c, core));
                 }
                 core.resume(server);
               });
  return processor_result::wait;
}

}  // namespace p2psip::proxy
