// The public AORs of the users whose phones this node serves, kept
// registered at their public registrars with the users' overlay AORs as
// contacts (interwork §4.2, §5.4): carol calls sip:alice@example.test, her
// registrar finds sip:alice@<overlay>, resolves the overlay by RFC 3263 to
// a proxy peer, and the overlay routes the call to alice's phone.
//
// Which node sends the REGISTER, and why: the node that holds the user's
// phone's binding (its edge node), while it holds one. The draft has the UA
// register its overlay URI with its public registrar right after it
// registered in the overlay, through a proxy peer as its outbound proxy;
// an ordinary phone knows neither the overlay nor its proxy peers, so the
// node that registered it does this on its behalf:
//  - it learns of the binding at once (its registrar stored it), and of the
//    user's links with the secrets it reads to authenticate the phone: the
//    links are sealed in the same user record (overlay/user_secrets.hpp),
//    so their passwords are kept exactly as the users' own;
//  - the public binding lives as long as the user is reachable in the
//    overlay: when her last phone goes, it goes too, and the public
//    registrar gives callers its own answer for a user who is not
//    registered, rather than sending them into the overlay for a 480. A
//    node whose phone left checks the overlay first: when another node
//    still holds a binding of the user, that node keeps the registration
//    (the same contact, refreshed with its own Call-ID), and this one only
//    stops refreshing.
//
// Every REGISTER runs through this node's proxy core as the user's
// (proxy_core::originate): a plain node hands it to a proxy peer found in
// the overlay (Route <sip:overlay;lr>), a proxy peer sends it out itself by
// RFC 3263. Each refresh is routed anew, so when the proxy peer that carried
// the last one is gone the next one goes through another (and within one
// request the core fails over between them). The contact names the overlay,
// not a node: proxy peers coming and going do not change the binding.
//
// Timing: REGISTER asks for `expires`; it is refreshed at half of what the
// registrar granted; a challenge (401 or 407) is answered with the link's
// credentials, again when it says stale, and a third challenge in a row
// means wrong credentials; a failure is tried again after `retry`, doubled
// at each failure up to `max_retry`. A link added or removed (p2psip user
// link / unlink) takes effect when this node reads the user's record again:
// at once when the record is handed to this node (POST /users), at the
// phone's next REGISTER when the last read is older than [auth] refresh,
// and at the latest every `recheck`.
//
// Everything runs on the io_context's thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest_client.hpp"
#include "overlay/user_secrets.hpp"
#include "proxy/core.hpp"
#include "sip/message.hpp"

namespace p2psip::node {

struct public_registrations_settings {
  std::string overlay_id;
  std::chrono::seconds expires{600};  // asked of public registrars
  std::chrono::seconds recheck{30};   // linked users' records read again
  std::chrono::seconds retry{10};     // after a failure, doubled up to max_retry
  std::chrono::seconds max_retry{600};
};

// What the keeper needs of the node around it.
struct public_registrations_io {
  // proxy_core::originate, through the node's server.
  std::function<bool(std::string request, std::string user, proxy::proxy_core::local_answer)>
      originate;
  // The links `user` had when the user's record was last read; empty when
  // none (or the user is unknown, or removed).
  std::function<std::vector<overlay::public_link>(std::string_view user)> links;
  // Whether what links() says of `user` was read recently enough to trust.
  std::function<bool(std::string_view user)> current;
  // Reads `user`'s record again; `done` once, later, whatever the outcome.
  std::function<void(std::string user, std::function<void()> done)> read_user;
  // Whether this node holds an unexpired binding of `aor` for a phone.
  std::function<bool(const std::string& aor)> serves;
  // Whether the overlay holds a binding of `aor` that another node serves.
  std::function<void(const std::string& aor, std::function<void(bool)> done)> elsewhere;
};

struct public_registrations_counters {
  std::uint64_t sent = 0;          // REGISTER requests sent (challenged ones again included)
  std::uint64_t registered = 0;    // 2xx to a REGISTER that adds or refreshes
  std::uint64_t unregistered = 0;  // bindings removed (Expires: 0 answered 2xx)
  std::uint64_t challenged = 0;    // 401 and 407 answered with credentials
  std::uint64_t failed = 0;        // final failures: wrong credentials, refusals, no answer
};

class public_registrations {
 public:
  public_registrations(asio::io_context& io, public_registrations_io node_io,
                       public_registrations_settings settings);
  ~public_registrations();
  public_registrations(const public_registrations&) = delete;
  public_registrations& operator=(const public_registrations&) = delete;

  // Starts the periodic recheck.
  void start();
  // Ends every registration's timer; nothing more is sent. The public
  // bindings stay until they expire: a node restarting keeps its users
  // reachable.
  void stop();

  // This node's bindings of `aor` changed (a phone registered, refreshed,
  // or went): the user's public registrations follow.
  void bindings_changed(const std::string& aor);
  // `user`'s record changed here (it was handed to this node): read it,
  // and follow its links if this node serves the user.
  void user_changed(const std::string& user);

  // One line per public registration, for the operator's status.
  struct view {
    std::string user;
    std::string public_aor;
    std::string state;  // "registering", "registered", "failed", "removing"
    std::uint16_t last_status = 0;
    std::string last_error;
    std::int64_t expires_in = 0;  // seconds left of the granted binding, when registered
  };
  std::vector<view> list() const;
  const public_registrations_counters& counters() const { return counters_; }

 private:
  struct registration;
  using key = std::pair<std::string, std::string>;  // user, public AOR

  std::string aor_of(std::string_view user) const;
  void follow(const std::string& user);
  void sync(const std::string& user);
  void let_go(const std::string& user);
  void send(registration& r);
  void answered(const key& k, std::uint16_t status, std::string response);
  void succeeded(registration& r, const sip::message& response);
  void failed(registration& r, std::uint16_t status, std::string why);
  void schedule(registration& r, std::chrono::steady_clock::duration after);
  void schedule_recheck();

  asio::io_context& io_;
  public_registrations_io node_io_;
  public_registrations_settings settings_;
  std::map<key, std::unique_ptr<registration>> registrations_;
  asio::steady_timer recheck_;
  public_registrations_counters counters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::node
