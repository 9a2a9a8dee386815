#include "node/steward.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "node/proxy_peers.hpp"

namespace p2psip::node {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// The SRV owners of the transports a proxy peer may serve (presence.hpp).
struct transport_srv {
  const char* prefix;
  std::optional<std::uint16_t> dns::sip_ports::*port;
};
constexpr std::array<transport_srv, 3> transports{{
    {"_sip._udp.", &dns::sip_ports::udp},
    {"_sip._tcp.", &dns::sip_ports::tcp},
    {"_sips._tcp.", &dns::sip_ports::tls},
}};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Zone data, written by other peers, made fit for one log line.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) out += (c > ' ' && c < 0x7f) ? c : '?';
  if (text.size() > 64) out += "...";
  return out;
}

struct srv_target {
  std::uint16_t port = 0;
  std::string target;
};

// SRV RDATA in presentation form: "priority weight port target".
std::optional<srv_target> parse_srv(const std::string& rdata) {
  std::vector<std::string_view> fields;
  std::string_view rest = rdata;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    if (space != 0) fields.push_back(rest.substr(0, space));
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  if (fields.size() != 4) return std::nullopt;
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), port);
  if (ec != std::errc{} || end != fields[2].data() + fields[2].size() || port == 0 || port > 65535)
    return std::nullopt;
  // RFC 2782: a target of "." means the service is not offered here.
  if (fields[3] == ".") return std::nullopt;
  return srv_target{static_cast<std::uint16_t>(port), std::string(fields[3])};
}

std::string addresses_text(const std::vector<asio::ip::address>& addresses) {
  if (addresses.empty()) return "no address";
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

}  // namespace

bool lowest_is(const std::string& self, const std::vector<std::string>& members) {
  if (members.empty()) return false;
  return *std::min_element(members.begin(), members.end()) == self;
}

steward_election lowest_node_id(proxy_peers& peers, std::string node_id, sip_probe* probe) {
  return [&peers, probe, node_id = std::move(node_id)](std::function<void(bool)> decided) {
    peers.members([&peers, probe, node_id,
                   decided = std::move(decided)](const std::vector<std::string>& members) {
      if (probe == nullptr || lowest_is(node_id, members) ||
          std::find(members.begin(), members.end(), node_id) == members.end())
        return decided(lowest_is(node_id, members));
      // Members below this one: steward only when none of them answers.
      struct tally {
        std::size_t left = 0;
        bool any_alive = false;
        std::function<void(bool)> decided;
      };
      auto t = std::make_shared<tally>(tally{0, false, decided});
      std::vector<asio::ip::tcp::endpoint> lower;
      for (const auto& m : members) {
        if (m >= node_id) break;
        const auto link = peers.link_of(m);
        if (!link) return decided(false);
        lower.emplace_back(link->address, link->port);
      }
      t->left = lower.size();
      for (const auto& e : lower)
        probe->probe_tcp(e, [t](bool alive) {
          t->any_alive = t->any_alive || alive;
          if (--t->left == 0) t->decided(!t->any_alive);
        });
    });
  };
}

struct steward::round {
  std::map<std::string, dns::proxy_peer> peers;  // by lower-case name
  std::map<std::string, bool> alive;
  std::size_t pending = 0;
  bool failed = false;
};

steward::steward(asio::io_context& io, steward_election election, dns::zone_reader& zone,
                 dns::presence& presence, steward_settings settings)
    : zone_(zone),
      presence_(presence),
      election_(std::move(election)),
      settings_(std::move(settings)),
      probe_(io, settings_.probe),
      timer_(io) {}

steward::~steward() {
  timer_.cancel();
}

void steward::start() {
  running_ = true;
  if (!in_round_ && removals_in_flight_ == 0) begin_round();
}

void steward::stop() {
  running_ = false;
  timer_.cancel();
}

void steward::schedule() {
  if (!running_) return;
  timer_.expires_after(settings_.check_every);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (ec || alive.expired() || !running_) return;
    begin_round();
  });
}

void steward::begin_round() {
  in_round_ = true;
  election_([this, alive = std::weak_ptr<int>(alive_)](bool chosen) {
    if (alive.expired()) return;
    if (!running_) return end_round();
    if (chosen != status_.steward)
      spdlog::info("steward: this node {} the steward of {}", chosen ? "is now" : "is no longer",
                   settings_.overlay);
    status_.steward = chosen;
    if (!chosen) {
      // What it saw as steward would be stale when it is chosen again.
      failing_since_.clear();
      status_.watched = status_.failing = 0;
      return end_round();
    }
    ++status_.rounds;
    read_zone();
  });
}

void steward::read_zone() {
  auto r = std::make_shared<round>();
  r->pending = transports.size();
  const auto self = lower(settings_.self_name);
  for (const auto& t : transports) {
    const auto owner = t.prefix + settings_.overlay;
    zone_.query(
        owner, "SRV",
        [this, r, self, owner, port = t.port](std::error_code ec, std::vector<dns::record> srvs) {
          if (ec) {
            if (!r->failed) zone_unreadable(owner + " SRV", ec);
            r->failed = true;
          }
          for (const auto& rr : srvs) {
            const auto srv = parse_srv(rr.rdata);
            if (!srv || lower(srv->target) == self) continue;
            auto& peer = r->peers[lower(srv->target)];
            peer.name = srv->target;
            peer.ports.*port = srv->port;
          }
          if (--r->pending > 0) return;
          if (r->failed) return end_round();
          read_addresses(r);
        });
  }
}

void steward::read_addresses(std::shared_ptr<round> r) {
  if (r->peers.empty()) return check(r);
  r->pending = r->peers.size() * 2;
  for (auto& [key, peer] : r->peers) {
    for (const auto* type : {"A", "AAAA"}) {
      zone_.query(peer.name, type,
                  [this, r, key = key, type = std::string(type)](std::error_code ec,
                                                                 std::vector<dns::record> rrs) {
                    auto& p = r->peers[key];
                    if (ec) {
                      if (!r->failed) zone_unreadable(printable(p.name) + " " + type, ec);
                      r->failed = true;
                    }
                    for (const auto& rr : rrs) {
                      std::error_code bad;
                      const auto a = asio::ip::make_address(rr.rdata, bad);
                      if (!bad) p.addresses.push_back(a);
                    }
                    if (--r->pending > 0) return;
                    // A peer judged on half its addresses could be taken for dead.
                    if (r->failed) return end_round();
                    check(r);
                  });
    }
  }
}

void steward::check(std::shared_ptr<round> r) {
  for (const auto& [key, peer] : r->peers) {
    r->alive[key] = false;
    for (const auto& t : transports)
      if (peer.ports.*t.port) r->pending += peer.addresses.size();
  }
  if (r->pending == 0) {
    judge(*r);
    return end_round();
  }
  auto verdict = [this, r](const std::string& key) {
    return [this, r, key](bool alive) {
      if (alive) r->alive[key] = true;
      if (--r->pending > 0) return;
      judge(*r);
      end_round();
    };
  };
  for (const auto& [key, peer] : r->peers) {
    for (const auto& a : peer.addresses) {
      if (peer.ports.udp) probe_.probe_udp({a, *peer.ports.udp}, verdict(key));
      if (peer.ports.tcp) probe_.probe_tcp({a, *peer.ports.tcp}, verdict(key));
      if (peer.ports.tls) probe_.probe_tcp({a, *peer.ports.tls}, verdict(key));
    }
  }
}

void steward::judge(const round& r) {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = failing_since_.begin(); it != failing_since_.end();)
    it = r.peers.contains(it->first) ? std::next(it) : failing_since_.erase(it);
  for (const auto& [key, peer] : r.peers) {
    if (r.alive.at(key)) {
      if (failing_since_.erase(key) > 0)
        spdlog::info("steward: proxy peer {} of {} answers again", printable(peer.name),
                     settings_.overlay);
      continue;
    }
    const auto since = failing_since_.try_emplace(key, now).first->second;
    const auto failed_for = duration_cast<milliseconds>(now - since);
    if (failed_for >= settings_.remove_after) remove(peer, failed_for);
  }
  if (!zone_readable_) spdlog::info("steward: the primary of {} answers again", settings_.overlay);
  zone_readable_ = true;
  status_.watched = r.peers.size();
  status_.failing = failing_since_.size();
}

void steward::remove(const dns::proxy_peer& peer, std::chrono::milliseconds failed_for) {
  ++removals_in_flight_;
  presence_.remove_peer(
      peer, [this, alive = std::weak_ptr<int>(alive_), peer, failed_for](std::error_code ec) {
        if (alive.expired()) return;
        --removals_in_flight_;
        if (ec) {
          // presence logged why. Tried again after another remove_after, not
          // every round: a refusal (a policy, a key) does not go away by itself.
          ++status_.removal_failures;
          if (const auto it = failing_since_.find(lower(peer.name)); it != failing_since_.end())
            it->second = std::chrono::steady_clock::now();
        } else {
          ++status_.removed;
          status_.last_removal = steward_removal{peer.name, peer.addresses, failed_for,
                                                 std::chrono::system_clock::now()};
          failing_since_.erase(lower(peer.name));
          status_.failing = failing_since_.size();
          spdlog::warn(
              "steward: removed proxy peer {} ({}) from the zone of {}: no answer on any of its "
              "transports for {} s",
              printable(peer.name), addresses_text(peer.addresses), settings_.overlay,
              duration_cast<std::chrono::seconds>(failed_for).count());
        }
        if (removals_in_flight_ == 0 && !in_round_) schedule();
      });
}

void steward::end_round() {
  in_round_ = false;
  if (removals_in_flight_ == 0) schedule();
}

void steward::zone_unreadable(const std::string& what, std::error_code ec) {
  ++status_.zone_read_failures;
  // One line when it starts, not one a round: the count says how long it lasts.
  if (zone_readable_)
    spdlog::warn(
        "steward: cannot read {} from the primary of {}: {}; nobody is judged until it "
        "can",
        what, settings_.overlay, ec.message());
  zone_readable_ = false;
}

}  // namespace p2psip::node
