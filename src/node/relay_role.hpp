// The relay role (interwork §3.2, §3.3.2): a node that vouches for one or
// more TURN servers (coturn, run by the operator; the node relays no media
// itself) and advertises them to the overlay as its "turn:<overlay>"
// service record (service_directory), with the realm and the credential
// scheme ("turn-rest": coturn's use-auth-secret).
//
// Only servers that work are advertised. Every `check_every` each server is
// probed as a user would use it (relay/turn_probe.hpp: a Binding, an
// Allocate that must be challenged, one with a REST credential that must
// succeed, and its release); a server that fails is taken out of the record
// at once (the record is put again without it, or withdrawn when none is
// left), and put back when it passes again. So a dead relay leaves the
// overlay within check_every plus one probe's timeout, and readers' caches.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/service_directory.hpp"
#include "relay/turn_probe.hpp"

namespace p2psip::node {

struct relay_role_settings {
  std::vector<std::string> servers;  // turn: URIs with IP literal hosts
  std::string realm;
  std::string secret;  // coturn's static-auth-secret
  std::chrono::seconds check_every{10};
  relay::probe_settings probe;
};

// What the last checks of one server said.
struct relay_server_health {
  std::string uri;
  bool healthy = false;
  std::uint64_t checks = 0;
  std::uint64_t failures = 0;
  std::string last_failure{};  // "allocate: 401 Unauthorized"; empty when none yet
  std::chrono::milliseconds rtt{0};
  std::string relayed{};  // the relayed address the last good check was given
  std::chrono::steady_clock::time_point last_check{};
};

class relay_role {
 public:
  // Throws std::invalid_argument for a server URI a probe cannot reach
  // (config.cpp has already refused those).
  relay_role(asio::io_context& io, service_directory& relays, relay_role_settings settings);
  ~relay_role();
  relay_role(const relay_role&) = delete;
  relay_role& operator=(const relay_role&) = delete;

  // Checks every server now, then every check_every.
  void start();
  // Stops checking and withdraws the record; `done` once stored (or failed).
  void stop(std::function<void()> done);

  const std::vector<relay_server_health>& servers() const { return health_; }
  const relay_role_settings& settings() const { return settings_; }
  struct counters {
    std::uint64_t rounds = 0;
    std::uint64_t publications = 0;  // the record put with a changed set of servers
    std::uint64_t withdrawals = 0;   // no server left: withdrawn
  };
  const counters& stats() const { return counters_; }

 private:
  void check_all();
  void checked(std::size_t i, const relay::probe_result& result);
  void advertise();

  service_directory& relays_;
  relay_role_settings settings_;
  asio::steady_timer timer_;
  std::vector<relay::probe_target> targets_;
  std::vector<std::unique_ptr<relay::turn_probe>> probes_;
  std::vector<relay_server_health> health_;
  std::vector<std::string> advertised_;
  bool advertised_once_ = false;
  std::size_t pending_ = 0;
  bool stopped_ = false;
  counters counters_;
};

}  // namespace p2psip::node
