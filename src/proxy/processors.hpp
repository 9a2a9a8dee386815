// The processors of the request chain, in the order a node installs them:
//   request_validation   §16.3 steps 1-3, 5 (400, 416, 420, 483, 505)
//   loop_detection       §16.3 step 4 (482)
//   route_preprocessing  §16.4 (strict-route compatibility; our own Route
//                        values are removed when forwarding)
//   flow_route           a Route of ours carrying a flow token (RFC 5626 §5.3):
//                        on over the phone's flow, or on along the route when
//                        the request came from that very flow (installed when
//                        the core has flow tokens); 403 unless it came from
//                        another node or from a UA of ours (may_follow_token)
//   local_options        OPTIONS addressed to this node (§11)
//   credentials_refresh  the user named by a request's credentials is current
//                        here (enrolled users, whose secrets the overlay holds)
//   digest_authentication  REGISTER (401) and, when asked, local users' requests (407)
//   number_routing       calls to telephone numbers: to a gateway peer, or
//                        to this gateway peer's trunk (number_routing.hpp;
//                        installed with gateways or a trunk)
//   interworking         out-of-dialog requests to other domains: to a
//                        proxy peer, or out by RFC 3263 from one; only the
//                        overlay's users leave (interwork §5.2, §5.3)
//   registrar_processor  REGISTER for our domains (§10.3)
//   no_proxy             without the proxy (or redirect) role: 403
//   location_lookup      §16.5: who the Request-URI is now; a redirect
//                        node answers 302 with them instead (§8.3)
//   next_hop_resolution  RFC 3263: the destinations of next hops that name
//                        a host (next_hop.hpp; with a resolver)
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "auth/digest.hpp"
#include "proxy/core.hpp"
#include "proxy/location.hpp"
#include "proxy/next_hop.hpp"
#include "proxy/number_routing.hpp"
#include "proxy/registrar.hpp"

namespace p2psip::proxy {

using wall_now = std::function<wall_clock::time_point()>;

class request_validation final : public processor {
 public:
  explicit request_validation(std::vector<std::string> supported);
  std::string_view name() const override { return "request-validation"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  std::vector<std::string> supported_;
  std::vector<std::string_view> supported_views_;
};

class loop_detection final : public processor {
 public:
  std::string_view name() const override { return "loop-detection"; }
  processor_result process(request_context& ctx, proxy_core& core) override;
};

class route_preprocessing final : public processor {
 public:
  std::string_view name() const override { return "route-preprocessing"; }
  processor_result process(request_context& ctx, proxy_core& core) override;
};

class flow_route final : public processor {
 public:
  std::string_view name() const override { return "flow-route"; }
  processor_result process(request_context& ctx, proxy_core& core) override;
};

class local_options final : public processor {
 public:
  std::string_view name() const override { return "local-options"; }
  processor_result process(request_context& ctx, proxy_core& core) override;
};

// A request whose credentials were refused, for the operator's log.
struct auth_failure {
  std::string_view reason;   // "wrong credentials", "replayed", ...
  std::string_view claimed;  // the From URI as sent: untrusted text
  std::string_view method;
  transport::endpoint source;
};
using auth_failure_sink = std::function<void(const auth_failure&)>;

// Where the secrets of users who are not in a local file come from: the
// overlay (node/enrolled_users.hpp), read when a request names a user whose
// secrets this node has not read recently, so a password change or a removal
// reaches every node within the store's refresh time.
struct user_source {
  // Whether what the credentials store holds about `user` may be used now.
  std::function<bool(std::string_view user)> current;
  // Reads `user` again; `done` is called once, later, whatever the outcome.
  std::function<void(std::string user, std::function<void()> done)> fetch;
};

class credentials_refresh final : public processor {
 public:
  credentials_refresh(const auth::authenticator& authenticator, user_source source)
      : authenticator_(authenticator), source_(std::move(source)) {}
  std::string_view name() const override { return "credentials-refresh"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  const auth::authenticator& authenticator_;
  user_source source_;
};

class digest_authentication final : public processor {
 public:
  struct settings {
    bool registrations = true;    // REGISTER needs credentials (401)
    bool local_requests = false;  // other requests From our domains need them too (407)
    // Calls to telephone numbers (number_routing) need them too (407): they
    // may reach a trunk, which costs money.
    bool numbers = false;
    // A REGISTER for another domain (a public AOR, interwork §4.2) needs
    // them too (407): it leaves through a proxy peer (interworking).
    bool public_registrations = false;
  };
  digest_authentication(auth::authenticator& authenticator, settings s, wall_now now,
                        auth_failure_sink failed = {});
  std::string_view name() const override { return "digest-authentication"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  processor_result check(request_context& ctx, proxy_core& core, bool proxy_auth);
  void failed(const request_context& ctx, std::string_view reason) const;

  auth::authenticator& authenticator_;
  settings settings_;
  wall_now now_;
  auth_failure_sink failed_;
};

// The door between the overlay and other domains (interwork §5.2, §5.3).
// An out-of-dialog request for a domain the overlay does not own, a
// REGISTER for a public AOR included (§4.2), leaves only
// if a user of the overlay sent it: authenticated here (digest), or passed
// on by a node over an authenticated link, which did. A proxy peer sends it
// out by the Request-URI (RFC 3263); another node sends it to a proxy peer
// through a Route naming the overlay, which every proxy peer takes as its
// own. A proxy peer marks the requests that cross the boundary either way,
// so its Record-Route names the overlay (core.hpp, boundary_name).
class interworking final : public processor {
 public:
  interworking(std::string overlay, bool proxy_peer)
      : overlay_(std::move(overlay)), proxy_peer_(proxy_peer) {}
  std::string_view name() const override { return "interworking"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  std::string overlay_;
  bool proxy_peer_;
};

class registrar_processor final : public processor {
 public:
  registrar_processor(location_store& store, registrar_policy policy, wall_now now);
  std::string_view name() const override { return "registrar"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  void decide(transaction_id server, proxy_core& core, std::vector<binding> current);

  location_store& store_;
  registrar_policy policy_;
  wall_now now_;
};

// A node without the registrar role: a REGISTER for our domains is refused
// rather than routed to the AOR's contacts like any other request.
class no_registrar final : public processor {
 public:
  std::string_view name() const override { return "no-registrar"; }
  processor_result process(request_context& ctx, proxy_core& core) override;
};

// A node without the proxy role (nor the redirect role) routes no call of
// its own: an out-of-dialog request that no flow token or Route already
// sends on is refused, rather than located. REGISTER is the registrar's.
class no_proxy final : public processor {
 public:
  std::string_view name() const override { return "no-proxy"; }
  processor_result process(request_context& ctx, proxy_core& core) override;
};

class location_lookup final : public processor {
 public:
  // `known_user` tells an unknown user (404) from one not registered now (480).
  enum class answer : std::uint8_t { forward, redirect };
  location_lookup(location_store& store, wall_now now,
                  std::function<bool(std::string_view user)> known_user = {},
                  answer mode = answer::forward);
  std::string_view name() const override { return "location-lookup"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  location_store& store_;
  wall_now now_;
  std::function<bool(std::string_view)> known_user_;
  answer mode_;
};

// Whether `u` names one of our domains or this proxy itself.
bool addressed_to_us(const sip::uri& u, const proxy_core& core);
// An out-of-dialog request that goes to another domain: its Request-URI is
// not ours and no Route still to follow says otherwise.
bool leaves_domains(const sip::message& m, const proxy_core& core);

// The AOR a Request-URI names when it is for us: its user at our first
// domain, whether the host was the domain or this node's own address.
std::optional<std::string> local_aor(const sip::uri& u, const proxy_core& core);

// What the standard chain needs; everything referenced outlives the core.
struct chain_settings {
  std::vector<std::string> supported{"path", "outbound"};  // option tags for Proxy-Require
  auth::authenticator* authenticator = nullptr;            // null: no digest authentication
  digest_authentication::settings authentication;
  location_store* store = nullptr;
  bool registrar_role = true;
  bool proxy_role = true;  // false: no_proxy, unless `located` is redirect
  registrar_policy registrar;
  wall_now now;
  std::function<bool(std::string_view user)> known_user;
  location_lookup::answer located = location_lookup::answer::forward;
  auth_failure_sink auth_failed;
  // Users known to the overlay rather than to a local file; empty: none.
  user_source users;
  // The overlay identifier when the proxy is a node of an overlay: requests
  // to other domains go through its proxy peers (interworking). Empty: they
  // are refused, or relayed with proxy_config::relay_other_domains.
  std::string overlay;
  bool proxy_peer = false;
  // Calls to telephone numbers (number_routing): the gateway peers found in
  // the overlay, and this node's own trunk when it is a gateway peer.
  // Neither: no number routing, and such calls are located like any other.
  gateway_finder* gateways = nullptr;
  std::optional<trunk> own_trunk;
};

// Installs the chain of the table at the top of this file, in that order.
void install_standard_chain(proxy_core& core, const chain_settings& s);

}  // namespace p2psip::proxy
