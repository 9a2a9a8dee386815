// The steward: the one live proxy peer that takes out of the overlay's zone
// the records of a proxy peer that died without removing them (DESIGN.md
// "Insertion into DNS"; draft-marocco-p2psip-interwork §3.1.1, §6 and open
// issue 1 ask for records to be removed as well as inserted).
//
// Who: one proxy peer at a time, chosen through the overlay. The default
// election (lowest_node_id) reads the proxy peers' service records
// ("sip:<overlay>", proxy_peers.hpp) and makes steward the one with the
// lowest node id among the fresh ones. Every proxy peer reads the same
// records and applies the same rule, so they agree without writing
// anything. Where views differ for a moment (a record just stored or just
// expired), two peers may both act, which is harmless: a removal deletes
// single records and deleting one already gone changes nothing; or none
// acts, which only delays a removal by a round. A steward that dies is
// replaced once its record expires (a few proxy_peers refreshes).
// DESIGN.md's lease record would need a compare-and-swap the DHT does not
// offer (two peers could each write "mine"), plus a new record type; the
// rule gives the same "one at a time" with neither.
//
// What: every `check_every` the steward reads the zone from its primary
// (dns::zone_reader, never a cache): the SRVs of _sip._udp, _sip._tcp and
// _sips._tcp of the overlay, their targets and ports, and each target's A
// and AAAA. It watches every target but its own name.
//
// How: each watched peer is probed on every address and every transport
// its SRVs publish (sip_probe.hpp: OPTIONS over UDP, a TCP connect for TCP
// and TLS). One answer anywhere is enough to be alive. A peer that fails
// every check, round after round, for `remove_after` is removed with
// presence::remove_peer, logged (a warning with its name, addresses and
// how long it failed) and counted; a peer that answers again starts
// afresh. A target without addresses fails every check by definition: its
// SRVs send callers nowhere.
//
// A live peer removed by mistake (a partition, a firewall between it and
// the steward) comes back by itself: its presence publishes again every
// refresh_every (presence.hpp), within minutes.
//
// Everything runs on the node's io_context; nothing blocks and no thread
// is started.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "dns/presence.hpp"
#include "dns/zone_query.hpp"
#include "node/sip_probe.hpp"

namespace p2psip::node {

class proxy_peers;

// Asked once a round: calls its argument once, on the loop, with whether
// this node is the steward now.
using steward_election = std::function<void(std::function<void(bool)>)>;

// The rule above: `self` is the steward when it is the lowest of `members`.
bool lowest_is(const std::string& self, const std::vector<std::string>& members);

// The election of the overlay: proxy_peers::members() and lowest_is().
// With `probe`, a member below `node_id` whose node link refuses a TCP
// connection is passed over: a steward that died leaves its record in the
// overlay until it expires, minutes later, and must not hold the office
// that long. `peers` and `probe` must outlive the returned function's use.
steward_election lowest_node_id(proxy_peers& peers, std::string node_id,
                                sip_probe* probe = nullptr);

struct steward_settings {
  std::string overlay;    // the overlay's name, absolute: "p2psip.test."
  std::string self_name;  // this proxy peer's own name in the zone, never checked
  std::chrono::milliseconds check_every{std::chrono::seconds(10)};
  std::chrono::milliseconds remove_after{std::chrono::seconds(60)};
  probe_settings probe;  // its timeout must be below check_every
};

struct steward_removal {
  std::string name;
  std::vector<asio::ip::address> addresses;
  std::chrono::milliseconds failed_for{0};
  std::chrono::system_clock::time_point at;
};

// For `p2psip status`.
struct steward_status {
  bool steward = false;      // in the last round
  std::size_t watched = 0;   // peers the zone named in the last round, this one left out
  std::size_t failing = 0;   // of those, the ones that failed every check lately
  std::uint64_t rounds = 0;  // rounds run as steward
  std::uint64_t removed = 0;
  std::uint64_t removal_failures = 0;    // updates refused or lost (presence logs why)
  std::uint64_t zone_read_failures = 0;  // rounds ended early: the primary did not answer
  std::optional<steward_removal> last_removal;
};

class steward {
 public:
  // `zone` reads the overlay's zone from its primary; `presence` is this
  // peer's and removes the dead ones with its key. Both must outlive the
  // steward.
  steward(asio::io_context& io, steward_election election, dns::zone_reader& zone,
          dns::presence& presence, steward_settings settings);
  // Stops; no callback runs afterwards.
  ~steward();
  steward(const steward&) = delete;
  steward& operator=(const steward&) = delete;

  // Runs a round now and every check_every after.
  void start();
  void stop();

  const steward_status& status() const { return status_; }
  const steward_settings& settings() const { return settings_; }

 private:
  struct round;  // one round's peers and checks (steward.cpp)

  void begin_round();
  void read_zone();
  void read_addresses(std::shared_ptr<round> r);
  void check(std::shared_ptr<round> r);
  void judge(const round& r);
  void remove(const dns::proxy_peer& peer, std::chrono::milliseconds failed_for);
  void end_round();
  void schedule();
  void zone_unreadable(const std::string& what, std::error_code ec);

  dns::zone_reader& zone_;
  dns::presence& presence_;
  steward_election election_;
  steward_settings settings_;
  sip_probe probe_;
  asio::steady_timer timer_;
  bool running_ = false;
  bool in_round_ = false;
  bool zone_readable_ = true;
  std::size_t removals_in_flight_ = 0;
  // name -> when it was first seen failing every check, in this run of failures
  std::map<std::string, std::chrono::steady_clock::time_point> failing_since_;
  steward_status status_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::node
