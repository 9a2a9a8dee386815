// What one proxy peer puts into the overlay's zone and takes out again, so
// that RFC 3263 resolution of the overlay's name finds the proxy peers
// alive (draft-marocco-p2psip-interwork §3.1, §3.1.1).
//
// For proxy peer pp1 of overlay p2psip.test. the zone holds:
//
//   pp1.p2psip.test.        60 A      192.0.2.1           its own name: only pp1 writes it
//   _sip._udp.p2psip.test.  60 SRV    10 10 5060 pp1.p2psip.test.   one per transport it
//   _sip._tcp.p2psip.test.  60 SRV    10 10 5060 pp1.p2psip.test.   serves publicly, in
//   _sips._tcp.p2psip.test. 60 SRV    10 10 5061 pp1.p2psip.test.   RRsets shared by all
//   p2psip.test.            60 NAPTR  50 50 "s" "SIPS+D2T" "" _sips._tcp.p2psip.test.
//   p2psip.test.            60 NAPTR  90 50 "s" "SIP+D2T" "" _sip._tcp.p2psip.test.
//   p2psip.test.            60 NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.p2psip.test.
//
// The NAPTRs are shared by every proxy peer; their order prefers TLS, then
// TCP, then UDP, as in RFC 3263 §4.1's example.
//
// Many proxy peers join and leave at once, each with its own updates, and
// each update is applied atomically by the server (RFC 2136 §3.4). The
// prerequisites (§2.4) keep them from undoing each other:
//
// - Nothing is ever replaced: records go in one by one (§2.5.1) and out one
//   by one (§2.5.4), so a peer touches only the records that name it.
//   Adding a record that is already there changes nothing, so publishing
//   can be repeated at will; it is, every refresh_every, because a steward
//   may have taken a live peer for dead.
// - Its own name is claimed only when free or already ours. A publish is
//   one update: the address records, the SRVs naming it and the NAPTRs of
//   its transports, first with the prerequisite "the name has no A and no
//   AAAA RRset" (§2.4.3); when that fails (YXRRSET), again with "its A and
//   AAAA RRsets are exactly ours" (§2.4.2, §2.4.3). When both fail the name
//   holds another machine's addresses and nothing is added: SRVs naming it
//   would send callers there. Other data at the name (a TXT) is left alone.
// - A NAPTR goes only with the last peer serving its transport. Leaving
//   takes two steps, because prerequisites are checked before any change of
//   the same update (§3.2 before §3.4): first an update deleting the peer's
//   address records and SRVs; then, for each of its transports, an update
//   deleting that transport's NAPTR with the prerequisite "the SRV RRset of
//   that transport does not exist" (§2.4.3). YXRRSET then means another
//   peer still serves it, and the NAPTR stays. A peer joining meanwhile
//   adds its SRV and the NAPTR in one update: applied before the guarded
//   delete, the delete fails; after it, the NAPTR is added back. Either way
//   a NAPTR never outlives its SRVs, nor is missing while they exist.
//
// A failed publish (refused, prerequisites, timeout) is logged with zone and
// key, counted, kept as last_error() and retried after a delay that doubles
// from first_backoff up to max_backoff; the next success resets it.
// Nothing here throws, and a failure stops nothing else.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "dns/update.hpp"
#include "dns/update_message.hpp"

namespace p2psip::dns {

// The SIP ports a proxy peer serves to the public Internet.
struct sip_ports {
  std::optional<std::uint16_t> udp;
  std::optional<std::uint16_t> tcp;
  std::optional<std::uint16_t> tls;
};

struct proxy_peer {
  std::string name;                          // absolute, inside the zone: "pp1.p2psip.test."
  std::vector<asio::ip::address> addresses;  // public ones only (draft §3.1.1: not behind NAT)
  sip_ports ports;
};

struct presence_settings {
  std::string overlay;  // the overlay's name, which callers resolve: "p2psip.test."
  std::string zone;     // the zone that holds it; empty: the overlay's name is the zone
  proxy_peer self;
  std::uint16_t priority = 10;  // of its SRVs (RFC 2782)
  std::uint16_t weight = 10;
  std::chrono::seconds ttl{60};  // short: a dead peer stays in caches this long
  std::chrono::seconds refresh_every{120};
  std::chrono::milliseconds first_backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
};

// The records of one proxy peer, as laid out above.
struct peer_records {
  std::vector<record> addresses;
  std::vector<record> srvs;
  std::vector<record> naptrs;  // each NAPTR's replacement is the owner of the SRV at the same index
};

// `peer`'s records; priority, weight and TTL come from `s`, which for a
// dead peer are assumed to be the overlay's, i.e. the same as ours.
peer_records records_of(const proxy_peer& peer, const presence_settings& s);

// Updates, counted by outcome.
struct presence_counters {
  std::uint64_t sent = 0;
  std::uint64_t succeeded = 0;
  // Answers other than NOERROR, by RCODE or TSIG error (update_error's value,
  // 1–18); prerequisite outcomes that are part of the design (the second
  // try of a publish, a NAPTR another peer still needs) are counted too.
  std::array<std::uint64_t, 19> failed_by_rcode{};
  std::uint64_t timeouts = 0;
  std::uint64_t bad_responses = 0;   // only unverifiable answers
  std::uint64_t other_failures = 0;  // socket errors, unknown RCODEs, bad requests
};

class presence {
 public:
  // Called once with the outcome, from the io_context, unless the presence
  // is destroyed first.
  using handler = std::function<void(std::error_code)>;

  // `client` must outlive this object; it signs with the peer's key.
  presence(asio::io_context& io, update_client& client, presence_settings settings);
  // Cancels the timers; no handler is called afterwards. Records stay in
  // the zone (call withdraw first for a clean stop).
  ~presence();
  presence(const presence&) = delete;
  presence& operator=(const presence&) = delete;

  // Publishes now and every refresh_every after.
  void start();
  // Stops refreshing, waits for a publish in flight (so that it cannot
  // land after the removal), removes this peer's records, and each NAPTR
  // of its transports when no other peer serves that transport.
  void withdraw(handler done);
  // The same for another proxy peer, found dead by the node's steward:
  // its SRVs first, in an update of their own, then its addresses, which
  // a per-peer policy may refuse (presence.cpp says why that is fine),
  // then the NAPTRs no peer needs any more. `done` gets the SRVs' outcome
  // or the NAPTRs'.
  void remove_peer(const proxy_peer& dead, handler done);

  bool published() const { return published_; }
  std::error_code last_error() const { return last_error_; }
  // The delay of the retry now scheduled after a failed publish; zero when none is.
  std::chrono::milliseconds retry_delay() const { return retry_delay_; }
  const presence_counters& counters() const { return counters_; }
  const presence_settings& settings() const { return settings_; }

 private:
  void publish();
  void publish_ended(std::error_code ec);
  void schedule(std::chrono::milliseconds delay);
  void remove(const proxy_peer& peer, handler done);
  void remove_naptrs(const proxy_peer& peer, handler done);
  void send(const update_message& m, handler then);
  void count(std::error_code ec);
  void report(const std::string& what, std::error_code ec,
              std::chrono::milliseconds retry_in = std::chrono::milliseconds::zero());

  update_client& client_;
  presence_settings settings_;
  std::string zone_;
  asio::steady_timer timer_;
  bool running_ = false;
  bool publishing_ = false;
  bool published_ = false;
  handler withdraw_after_publish_;
  std::error_code last_error_;
  std::chrono::milliseconds retry_delay_{0};
  std::chrono::milliseconds next_backoff_;
  presence_counters counters_;
  // Handlers of updates hold it weakly: once it is gone, so is this object.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::dns
