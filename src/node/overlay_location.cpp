#include "node/overlay_location.hpp"

#include <spdlog/spdlog.h>

#include <asio/steady_timer.hpp>
#include <iterator>

namespace p2psip::node {
namespace {

overlay::unix_seconds unix_time(proxy::wall_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

proxy::wall_clock::time_point from_unix(overlay::unix_seconds s) {
  return proxy::wall_clock::time_point(std::chrono::seconds(s));
}

bool same_place(const overlay::binding_record& a, const overlay::binding_record& b) {
  return a.contact == b.contact && a.path == b.path && a.instance == b.instance &&
         a.reg_id == b.reg_id && a.q == b.q && a.expires_at == b.expires_at;
}

}  // namespace

struct overlay_location::pending_store {
  explicit pending_store(asio::io_context& io) : timer(io) {}
  store_handler done;
  std::size_t outstanding = 0;
  std::error_code error;
  asio::steady_timer timer;

  void finish(std::error_code ec) {
    if (!done) return;
    timer.cancel();
    auto handler = std::move(done);
    done = nullptr;
    handler(ec);
  }
};

overlay_location::overlay_location(asio::io_context& io, overlay::record_store& records,
                                   overlay::signer signer, const proxy::flow_tokens& tokens,
                                   overlay_location_settings settings, clock_fn clock)
    : io_(io),
      records_(records),
      signer_(std::move(signer)),
      tokens_(tokens),
      settings_(std::move(settings)),
      clock_(std::move(clock)) {}

overlay_location::~overlay_location() {
  for (auto& [aor, entry] : cache_)
    if (entry.listening) records_.cancel_listen(entry.listen);
}

// ------------------------------------------------------------------ lookups

void overlay_location::fetch(const std::string& aor, proxy::wall_clock::time_point now,
                             fetch_handler done) {
  forget_idle();
  if (auto it = cache_.find(aor);
      it != cache_.end() && clock_() - it->second.fetched_at < settings_.cache_for) {
    ++counters_.cache_hits;
    done(to_bindings(aor, it->second, now));
    return;
  }
  ++counters_.lookups;
  std::weak_ptr<int> alive = alive_;
  records_.lookup_bindings(
      aor, [this, alive, aor, done = std::move(done)](
               std::vector<overlay::checked<overlay::binding_record>> found, std::error_code ec) {
        if (alive.expired()) return;
        if (ec) spdlog::warn("lookup of {} failed: {}", aor, ec.message());
        auto& entry = cache_[aor];
        entry.records.clear();
        entry.fetched_at = clock_();
        remember(aor, found);
        listen(aor, entry);
        done(to_bindings(aor, entry, proxy::wall_clock::now()));
      });
}

// Keeps the newest valid record of each identity; any record of the AOR,
// withdrawn or expired ones too, is a sighting that keeps it known.
void overlay_location::remember(
    const std::string& aor, const std::vector<overlay::checked<overlay::binding_record>>& found) {
  auto& entry = cache_[aor];
  bool seen = false;
  for (const auto& c : found) {
    if (!c.body) continue;
    switch (c.status) {
      case overlay::verdict::valid:
        entry.records[c.body->identity()] = *c.body;
        seen = true;
        break;
      case overlay::verdict::withdrawn:
        entry.records.erase(c.body->identity());
        seen = true;
        break;
      case overlay::verdict::expired:
        seen = true;
        break;
      default:
        break;
    }
  }
  if (seen) saw(aor);
}

// Forgets from the oldest end, which each sighting grows by at most one, so
// the work is amortised constant however the AORs arrive.
void overlay_location::saw(const std::string& aor) {
  const auto now = clock_();
  if (const auto it = known_.find(aor); it != known_.end()) {
    it->second->at = now;
    sightings_.splice(sightings_.end(), sightings_, it->second);
  } else {
    sightings_.push_back({aor, now});
    known_.emplace(sightings_.back().aor, std::prev(sightings_.end()));
  }
  while (!sightings_.empty() && (sightings_.size() > settings_.max_known ||
                                 now - sightings_.front().at >= settings_.known_for)) {
    known_.erase(sightings_.front().aor);
    sightings_.pop_front();
  }
}

void overlay_location::listen(const std::string& aor, cached& entry) {
  if (entry.listening) return;
  entry.listening = true;
  std::weak_ptr<int> alive = alive_;
  entry.listen = records_.listen_bindings(
      aor, [this, alive, aor](std::vector<overlay::checked<overlay::binding_record>> found,
                              std::error_code ec) {
        if (alive.expired() || ec || !cache_.contains(aor)) return;
        remember(aor, found);
      });
}

// A cache entry unused past `cache_for` stops listening: the next request
// for that AOR looks it up again.
void overlay_location::forget_idle() {
  const auto now = clock_();
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (now - it->second.fetched_at < settings_.cache_for) {
      ++it;
      continue;
    }
    if (it->second.listening) records_.cancel_listen(it->second.listen);
    it = cache_.erase(it);
  }
}

bool overlay_location::known(const std::string& aor) const {
  const auto it = known_.find(aor);
  return it != known_.end() && clock_() - it->second->at < settings_.known_for;
}

// ------------------------------------------------------- records <-> bindings

overlay::binding_record overlay_location::to_record(const std::string& aor,
                                                    const proxy::binding& b) const {
  overlay::binding_record r;
  r.aor = aor;
  r.contact = b.contact;
  // A binding with a flow was registered here: the Path starts at this node.
  if (b.flow.port != 0)
    r.path.push_back("<sip:" + tokens_.encode(b.flow) + "@" + settings_.path_host + ";lr>");
  r.path.insert(r.path.end(), b.path.begin(), b.path.end());
  r.instance = b.instance;
  r.reg_id = b.reg_id;
  r.q = b.q;
  r.expires_at = unix_time(b.expires);
  return r;
}

std::vector<proxy::binding> overlay_location::to_bindings(const std::string& aor,
                                                          const cached& entry,
                                                          proxy::wall_clock::time_point now) const {
  const std::string own_suffix = "@" + settings_.path_host + ";lr>";
  const auto held = held_.find(aor);
  std::vector<proxy::binding> out;
  for (const auto& [identity, r] : entry.records) {
    if (from_unix(r.expires_at) <= now) continue;
    proxy::binding b;
    b.contact = r.contact;
    b.path = r.path;
    b.instance = r.instance;
    b.reg_id = r.reg_id;
    b.q = r.q;
    b.expires = from_unix(r.expires_at);
    // Our own first hop becomes the flow again, so the registrar sees the
    // binding as it made it and the proxy sends straight over the flow.
    if (!b.path.empty() && b.path.front().starts_with("<sip:") &&
        b.path.front().ends_with(own_suffix)) {
      const auto& hop = b.path.front();
      const auto token = std::string_view(hop).substr(5, hop.size() - 5 - own_suffix.size());
      if (const auto flow = tokens_.decode(token)) {
        b.flow = *flow;
        b.path.erase(b.path.begin());
      }
    }
    if (held != held_.end())
      for (const auto& mine : held->second)
        if (mine.contact == b.contact && mine.instance == b.instance) {
          b.call_id = mine.call_id;
          b.cseq = mine.cseq;
        }
    out.push_back(std::move(b));
  }
  return out;
}

// ------------------------------------------------------------------ storing

void overlay_location::store(const std::string& aor, std::vector<proxy::binding> bindings,
                             store_handler done) {
  auto& entry = cache_[aor];
  std::map<std::string, overlay::binding_record> next;
  for (const auto& b : bindings) {
    auto r = to_record(aor, b);
    next[r.identity()] = std::move(r);
  }
  std::vector<overlay::binding_record> publish, withdraw;
  for (const auto& [identity, r] : next)
    if (auto old = entry.records.find(identity);
        old == entry.records.end() || !same_place(old->second, r))
      publish.push_back(r);
  for (const auto& [identity, r] : entry.records)
    if (!next.contains(identity)) withdraw.push_back(r);

  auto pending = std::make_shared<pending_store>(io_);
  pending->outstanding = publish.size() + withdraw.size();
  std::weak_ptr<int> alive = alive_;
  pending->done = [this, alive, aor, next, bindings = std::move(bindings),
                   done = std::move(done)](std::error_code ec) mutable {
    if (alive.expired()) return;
    if (ec) {
      ++counters_.store_failures;
      // What the overlay holds is unknown now: the next request looks again.
      cache_.erase(aor);
      spdlog::warn("bindings of {} not stored: {}", aor, ec.message());
    } else {
      auto& e = cache_[aor];
      e.records = next;
      std::vector<proxy::binding> mine;
      for (auto& b : bindings)
        if (b.flow.port != 0) mine.push_back(std::move(b));
      if (mine.empty()) {
        held_.erase(aor);
      } else {
        held_[aor] = std::move(mine);
      }
    }
    done(ec);
  };
  if (pending->outstanding == 0) {
    pending->finish({});
    return;
  }
  pending->timer.expires_after(settings_.store_bound);
  pending->timer.async_wait([pending](std::error_code ec) {
    if (!ec) pending->finish(std::make_error_code(std::errc::timed_out));
  });
  auto one_done = [this, alive, pending](bool published, std::error_code ec) {
    if (alive.expired()) return;
    if (ec && !pending->error) pending->error = ec;
    if (!ec) ++(published ? counters_.published : counters_.withdrawn);
    if (--pending->outstanding == 0) pending->finish(pending->error);
  };
  for (auto& r : publish)
    records_.publish(signer_, std::move(r), [one_done](std::error_code ec) { one_done(true, ec); });
  for (auto& r : withdraw)
    records_.withdraw(signer_, std::move(r),
                      [one_done](std::error_code ec) { one_done(false, ec); });
}

// ------------------------------------------------------------- republishing

void overlay_location::republish(proxy::wall_clock::time_point now) {
  for (auto it = held_.begin(); it != held_.end();) {
    std::erase_if(it->second, [now](const proxy::binding& b) { return b.expires <= now; });
    it = it->second.empty() ? held_.erase(it) : std::next(it);
  }
  std::weak_ptr<int> alive = alive_;
  for (const auto& [held_aor, list] : held_)
    for (const auto& b : list)
      records_.publish(signer_, to_record(held_aor, b),
                       [this, alive, aor = held_aor](std::error_code ec) {
                         if (alive.expired()) return;
                         if (!ec) {
                           ++counters_.republished;
                           return;
                         }
                         // A REGISTER that changed the binding meanwhile published a newer
                         // version, which storers keep over this one: nothing is lost.
                         ++counters_.republish_failures;
                         spdlog::warn("binding of {} not put again: {}", aor, ec.message());
                       });
}

std::map<std::string, std::vector<proxy::binding>> overlay_location::held(
    proxy::wall_clock::time_point now) const {
  std::map<std::string, std::vector<proxy::binding>> out;
  for (const auto& [aor, list] : held_)
    for (const auto& b : list)
      if (b.expires > now) out[aor].push_back(b);
  return out;
}

}  // namespace p2psip::node
