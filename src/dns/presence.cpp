#include "dns/presence.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dns/update_error.hpp"

namespace p2psip::dns {
namespace {

// One SIP transport as RFC 3263 finds it: NAPTR service → SRV name (§4.1).
struct transport_service {
  std::optional<std::uint16_t> sip_ports::*port;
  const char* srv_prefix;
  const char* naptr_service;
  int order;  // RFC 3263 §4.1's example: TLS first, then TCP, then UDP
};

constexpr std::array<transport_service, 3> services{{
    {&sip_ports::tls, "_sips._tcp.", "SIPS+D2T", 50},
    {&sip_ports::tcp, "_sip._tcp.", "SIP+D2T", 90},
    {&sip_ports::udp, "_sip._udp.", "SIP+D2U", 100},
}};

// A name from elsewhere (a dead peer the steward names) made fit for one
// log line: bounded, and nothing but printable ASCII.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) out += (c > ' ' && c < 0x7f) ? c : '?';
  if (text.size() > 64) out += "...";
  return out;
}

std::string address_type(const asio::ip::address& a) {
  return a.is_v4() ? "A" : "AAAA";
}

update_message publish_message(const std::string& zone, const proxy_peer& self,
                               const peer_records& r, bool claim_free_name) {
  update_message m(zone);
  for (const std::string type : {"A", "AAAA"}) {
    std::vector<record> ours;
    std::copy_if(r.addresses.begin(), r.addresses.end(), std::back_inserter(ours),
                 [&](const record& rr) { return rr.type == type; });
    if (claim_free_name || ours.empty()) {
      m.require_rrset_absent(self.name, type);
    } else {
      for (const auto& rr : ours) m.require_rr(rr);
    }
  }
  for (const auto* set : {&r.addresses, &r.srvs, &r.naptrs})
    for (const auto& rr : *set) m.add(rr);
  return m;
}

update_message removal_message(const std::string& zone, const peer_records& r) {
  update_message m(zone);
  for (const auto* set : {&r.addresses, &r.srvs})
    for (const auto& rr : *set) m.delete_rr(rr);
  return m;
}

// Outcomes of prerequisites, expected in the design (presence.hpp).
bool is_prerequisite_failure(std::error_code ec) {
  return ec == update_error::yxrrset || ec == update_error::nxrrset ||
         ec == update_error::yxdomain || ec == update_error::nxdomain;
}

}  // namespace

peer_records records_of(const proxy_peer& peer, const presence_settings& s) {
  peer_records r;
  const auto ttl = static_cast<std::uint32_t>(s.ttl.count());
  for (const auto& a : peer.addresses)
    r.addresses.push_back({peer.name, address_type(a), a.to_string(), ttl});
  for (const auto& svc : services) {
    const auto& port = peer.ports.*svc.port;
    if (!port) continue;
    const auto srv_owner = svc.srv_prefix + s.overlay;
    r.srvs.push_back({srv_owner, "SRV",
                      std::to_string(s.priority) + " " + std::to_string(s.weight) + " " +
                          std::to_string(*port) + " " + peer.name,
                      ttl});
    r.naptrs.push_back(
        {s.overlay, "NAPTR",
         std::to_string(svc.order) + " 50 \"s\" \"" + svc.naptr_service + "\" \"\" " + srv_owner,
         ttl});
  }
  return r;
}

presence::presence(asio::io_context& io, update_client& client, presence_settings settings)
    : client_(client),
      settings_(std::move(settings)),
      zone_(settings_.zone.empty() ? settings_.overlay : settings_.zone),
      timer_(io),
      next_backoff_(settings_.first_backoff) {}

presence::~presence() {
  timer_.cancel();
}

void presence::start() {
  running_ = true;
  if (!publishing_) publish();
}

void presence::publish() {
  timer_.cancel();
  retry_delay_ = {};
  publishing_ = true;
  const auto records = records_of(settings_.self, settings_);
  send(publish_message(zone_, settings_.self, records, true), [this, records](std::error_code ec) {
    // The name is in use: publish again if what it holds is ours.
    if (ec != update_error::yxrrset) return publish_ended(ec);
    send(publish_message(zone_, settings_.self, records, false),
         [this](std::error_code again) { publish_ended(again); });
  });
}

void presence::publish_ended(std::error_code ec) {
  publishing_ = false;
  if (withdraw_after_publish_) return remove(settings_.self, std::move(withdraw_after_publish_));
  if (!running_) return;
  if (!ec) {
    if (!published_ || last_error_)
      spdlog::info("dns: {} published in zone {} (key {})", settings_.self.name, zone_,
                   client_.key().name);
    published_ = true;
    last_error_ = {};
    next_backoff_ = settings_.first_backoff;
    return schedule(settings_.refresh_every);
  }
  report("publish of " + settings_.self.name, ec, next_backoff_);
  schedule(next_backoff_);
  retry_delay_ = next_backoff_;
  next_backoff_ = std::min(next_backoff_ * 2, settings_.max_backoff);
}

void presence::schedule(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (ec || alive.expired() || !running_) return;
    publish();
  });
}

void presence::withdraw(handler done) {
  running_ = false;
  published_ = false;
  timer_.cancel();
  retry_delay_ = {};
  // A publish still in flight could land after the removal and undo it.
  if (publishing_) {
    if (auto earlier = std::move(withdraw_after_publish_)) {
      done = [earlier = std::move(earlier), later = std::move(done)](std::error_code ec) {
        earlier(ec);
        later(ec);
      };
    }
    withdraw_after_publish_ = std::move(done);
    return;
  }
  remove(settings_.self, std::move(done));
}

// A steward's key may delete the shared SRVs, but under the per-peer policy
// of docs/dns.md not the dead peer's own name, and BIND refuses an update
// as a whole when any part of it is not granted. So the SRVs, which are
// what send callers to the dead peer, go in an update of their own; its
// addresses follow in another, which such a policy refuses: harmless, as
// no SRV names them any more.
void presence::remove_peer(const proxy_peer& dead, handler done) {
  const auto records = records_of(dead, settings_);
  update_message srvs(zone_);
  for (const auto& rr : records.srvs) srvs.delete_rr(rr);
  send(srvs, [this, dead, records, done = std::move(done)](std::error_code ec) mutable {
    if (ec) {
      report("removal of the SRVs of " + printable(dead.name), ec);
      return done(ec);
    }
    update_message addresses(zone_);
    for (const auto& rr : records.addresses) addresses.delete_rr(rr);
    send(addresses, [this, dead, done = std::move(done)](std::error_code again) mutable {
      if (again && again != update_error::refused)
        report("removal of the addresses of " + printable(dead.name), again);
      remove_naptrs(dead, std::move(done));
    });
  });
}

void presence::remove(const proxy_peer& peer, handler done) {
  const auto records = records_of(peer, settings_);
  send(removal_message(zone_, records),
       [this, peer, done = std::move(done)](std::error_code ec) mutable {
         if (ec) {
           report("removal of " + printable(peer.name), ec);
           return done(ec);
         }
         remove_naptrs(peer, std::move(done));
       });
}

// One update per transport, each guarded by that transport's SRV RRset.
void presence::remove_naptrs(const proxy_peer& peer, handler done) {
  const auto records = records_of(peer, settings_);
  if (records.naptrs.empty()) return done({});
  struct pending {
    std::size_t left;
    std::error_code first_error;
    handler done;
  };
  auto state = std::make_shared<pending>(pending{records.naptrs.size(), {}, std::move(done)});
  for (std::size_t i = 0; i < records.naptrs.size(); ++i) {
    update_message m(zone_);
    m.require_rrset_absent(records.srvs[i].owner, "SRV").delete_rr(records.naptrs[i]);
    send(m, [this, state, what = records.srvs[i].owner](std::error_code ec) {
      // YXRRSET: another peer still serves this transport; its NAPTR stays.
      if (ec && ec != update_error::yxrrset) {
        report("removal of the NAPTR for " + what, ec);
        if (!state->first_error) state->first_error = ec;
      }
      if (--state->left == 0) state->done(state->first_error);
    });
  }
}

void presence::send(const update_message& m, handler then) {
  ++counters_.sent;
  client_.send(
      m, [this, alive = std::weak_ptr<int>(alive_), then = std::move(then)](std::error_code ec) {
        if (alive.expired()) return;
        count(ec);
        then(ec);
      });
}

void presence::count(std::error_code ec) {
  if (!ec) {
    ++counters_.succeeded;
  } else if (ec == update_error::timeout) {
    ++counters_.timeouts;
  } else if (ec == update_error::bad_response) {
    ++counters_.bad_responses;
  } else if (ec.category() == update_category() &&
             static_cast<std::size_t>(ec.value()) < counters_.failed_by_rcode.size()) {
    ++counters_.failed_by_rcode[static_cast<std::size_t>(ec.value())];
  } else {
    ++counters_.other_failures;
  }
}

void presence::report(const std::string& what, std::error_code ec,
                      std::chrono::milliseconds retry_in) {
  last_error_ = ec;
  const auto* kind = is_prerequisite_failure(ec) ? "not applied" : "failed";
  const auto retry =
      retry_in.count() > 0 ? "; retrying in " + std::to_string(retry_in.count()) + " ms" : "";
  spdlog::warn("dns: {} in zone {} (key {}) {}: {}{}", what, zone_, client_.key().name, kind,
               ec.message(), retry);
}

}  // namespace p2psip::dns
