#include "node/overlay_location.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <iterator>

#include "node/log_text.hpp"
#include "overlay/record_content.hpp"

namespace p2psip::node {
namespace {

overlay::unix_seconds unix_time(proxy::wall_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

proxy::wall_clock::time_point from_unix(overlay::unix_seconds s) {
  return proxy::wall_clock::time_point(std::chrono::seconds(s));
}

bool refused(overlay::verdict v) {
  return v != overlay::verdict::valid && v != overlay::verdict::expired &&
         v != overlay::verdict::superseded && v != overlay::verdict::withdrawn;
}

// One line for the records of a lookup or listen that were refused: a
// storer returning junk must not turn into a line per value.
void log_refused(const std::string& aor,
                 const std::vector<overlay::checked<overlay::binding_record>>& found) {
  std::size_t count = 0;
  std::string_view first;
  for (const auto& c : found)
    if (refused(c.status) && count++ == 0) first = overlay::to_string(c.status);
  if (count > 0)
    spdlog::warn("{} record(s) under {} refused, the first as {}", count, log_text(aor), first);
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
      clock_(std::move(clock)),
      republish_timer_(io) {}

overlay_location::~overlay_location() {
  for (auto& [aor, entry] : cache_)
    if (entry.listening) records_.cancel_listen(entry.listen);
}

// ------------------------------------------------------------------ lookups

void overlay_location::fetch(const std::string& aor, proxy::wall_clock::time_point now,
                             fetch_handler done) {
  forget_idle();
  if (auto it = cache_.find(aor); it != cache_.end() && it->second.listening &&
                                  clock_() - it->second.fetched_at < settings_.cache_for) {
    ++counters_.cache_hits;
    done(to_bindings(aor, &it->second, now), {});
    return;
  }
  if (auto waiting = in_flight_.find(aor); waiting != in_flight_.end()) {
    waiting->second.push_back(std::move(done));
    return;
  }
  if (in_flight_.size() >= settings_.max_lookups) {
    ++counters_.busy;
    done({}, std::make_error_code(std::errc::resource_unavailable_try_again));
    return;
  }
  ++counters_.lookups;
  in_flight_[aor].push_back(std::move(done));
  std::weak_ptr<int> alive = alive_;
  records_.lookup_bindings(aor, [this, alive, aor, asked = std::chrono::steady_clock::now()](
                                    const found_records& found, std::error_code ec) {
    if (alive.expired()) return;
    counters_.lookup_seconds.observe(std::chrono::steady_clock::now() - asked);
    looked_up(aor, found, ec);
  });
}

// Answers everyone waiting for the AOR. Only an AOR the overlay holds
// records of is cached and listened to.
void overlay_location::looked_up(const std::string& aor, const found_records& found,
                                 std::error_code ec) {
  if (ec) spdlog::warn("lookup of {} failed: {}", log_text(aor), ec.message());
  log_refused(aor, found);
  auto waiting = in_flight_.extract(aor);
  const cached* answer = nullptr;
  if (auto records = remember(aor, found)) {
    auto& e = entry(aor);
    e.records = std::move(*records);
    touch(e);
    listen(aor, e);
    answer = &e;
  } else if (const auto it = cache_.find(aor); it != cache_.end()) {
    drop(it);
  }
  const auto now = proxy::wall_clock::now();
  const auto bindings = to_bindings(aor, answer, now);
  if (!waiting.empty())
    for (auto& done : waiting.mapped()) done(bindings, {});
}

// The newest valid record of each identity; any record of the AOR,
// withdrawn or expired ones too, is a sighting that keeps it known.
// Nothing when there was none.
std::optional<overlay_location::records_by_identity> overlay_location::remember(
    const std::string& aor, const found_records& found) {
  records_by_identity records;
  bool seen = false;
  for (const auto& c : found) {
    if (!c.body) continue;
    switch (c.status) {
      case overlay::verdict::valid:
        records[c.body->identity()] = *c.body;
        seen = true;
        break;
      case overlay::verdict::withdrawn:
      case overlay::verdict::expired:
        seen = true;
        break;
      default:
        break;
    }
  }
  if (!seen) return std::nullopt;
  saw(aor);
  return records;
}

overlay_location::cached& overlay_location::entry(const std::string& aor) {
  auto [it, added] = cache_.try_emplace(aor);
  if (added) {
    it->second.fetched_at = clock_();
    it->second.age = by_age_.insert(by_age_.end(), aor);
    while (cache_.size() > settings_.max_cached) drop(cache_.find(by_age_.front()));
  }
  return it->second;
}

void overlay_location::touch(cached& e) {
  e.fetched_at = clock_();
  by_age_.splice(by_age_.end(), by_age_, e.age);
}

void overlay_location::drop(std::map<std::string, cached, std::less<>>::iterator it) {
  if (it->second.listening) records_.cancel_listen(it->second.listen);
  by_age_.erase(it->second.age);
  cache_.erase(it);
}

std::size_t overlay_location::listens() const {
  return static_cast<std::size_t>(std::count_if(
      cache_.begin(), cache_.end(), [](const auto& entry) { return entry.second.listening; }));
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
      aor, [this, alive, aor](const found_records& found, std::error_code ec) {
        if (alive.expired() || ec) return;
        log_refused(aor, found);
        // A listen reports what changed, not the whole set: merge it.
        const auto it = cache_.find(aor);
        if (it == cache_.end()) return;
        bool seen = false;
        for (const auto& c : found) {
          if (!c.body) continue;
          if (c.status == overlay::verdict::valid) {
            it->second.records[c.body->identity()] = *c.body;
            seen = true;
          } else if (c.status == overlay::verdict::withdrawn) {
            it->second.records.erase(c.body->identity());
            seen = true;
          }
        }
        if (seen) saw(aor);
      });
}

// An entry unused past `cache_for` stops listening and goes: the next
// request for that AOR looks it up again. Entries are in the order they
// were fetched, so only the expired ones at the front are visited.
void overlay_location::forget_idle() {
  const auto now = clock_();
  while (!by_age_.empty()) {
    const auto it = cache_.find(by_age_.front());
    if (now - it->second.fetched_at < settings_.cache_for) return;
    drop(it);
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
                                                          const cached* entry,
                                                          proxy::wall_clock::time_point now) const {
  if (entry == nullptr) return {};
  const std::string own_suffix = "@" + settings_.path_host + ";lr>";
  const auto held = held_.find(aor);
  std::vector<proxy::binding> out;
  for (const auto& [identity, r] : entry->records) {
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
  const auto& before = entry(aor);
  std::map<std::string, overlay::binding_record> next;
  for (const auto& b : bindings) {
    auto r = to_record(aor, b);
    // Storers and readers refuse such a record; the phone hears why now.
    if (const auto fault = overlay::content_fault_of(r); fault != overlay::content_fault::none) {
      ++counters_.unusable;
      spdlog::info("binding of {} not published: {}", log_text(aor), overlay::to_string(fault));
      done(std::make_error_code(std::errc::invalid_argument));
      return;
    }
    next[r.identity()] = std::move(r);
  }
  std::vector<overlay::binding_record> publish, withdraw;
  for (const auto& [identity, r] : next)
    if (auto old = before.records.find(identity);
        old == before.records.end() || !same_place(old->second, r))
      publish.push_back(r);
  for (const auto& [identity, r] : before.records)
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
      if (const auto it = cache_.find(aor); it != cache_.end()) drop(it);
      spdlog::warn("bindings of {} not stored: {}", log_text(aor), ec.message());
    } else {
      entry(aor).records = next;
      std::vector<proxy::binding> mine;
      for (auto& b : bindings)
        if (b.flow.port != 0) mine.push_back(std::move(b));
      if (mine.empty()) {
        held_.erase(aor);
      } else {
        held_[aor] = std::move(mine);
      }
      if (held_changed_) held_changed_(aor);
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
  auto one_done = [this, alive, pending, put = std::chrono::steady_clock::now()](
                      bool published, std::error_code ec) {
    if (alive.expired()) return;
    counters_.store_seconds.observe(std::chrono::steady_clock::now() - put);
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

void overlay_location::republish(proxy::wall_clock::time_point now,
                                 std::chrono::milliseconds spread) {
  for (auto it = held_.begin(); it != held_.end();) {
    std::erase_if(it->second, [now](const proxy::binding& b) { return b.expires <= now; });
    it = it->second.empty() ? held_.erase(it) : std::next(it);
  }
  const bool idle = republish_queue_.empty();
  republish_queue_.clear();  // a round still running starts over with what is held now
  for (const auto& [aor, list] : held_) republish_queue_.push_back(aor);
  const auto batches = (republish_queue_.size() + republish_batch - 1) / republish_batch;
  republish_every_batch_ = batches > 1
                               ? std::max(republish_pause, spread / static_cast<long>(batches - 1))
                               : republish_pause;
  if (idle) republish_next_batch();
}

void overlay_location::republish_next_batch() {
  std::weak_ptr<int> alive = alive_;
  for (std::size_t n = 0; n < republish_batch && !republish_queue_.empty(); ++n) {
    std::string aor = std::move(republish_queue_.front());
    republish_queue_.pop_front();
    const auto held = held_.find(aor);
    if (held == held_.end()) continue;  // the phone went meanwhile
    records_.lookup_bindings(aor, [this, alive, aor, snapshot = held->second](
                                      const found_records& found, std::error_code ec) {
      if (alive.expired()) return;
      if (ec && found.empty()) {
        // Nothing can be told about the overlay now; the next round tries again.
        counters_.republish_failures += snapshot.size();
        spdlog::warn("bindings of {} not checked for a put again: {}", log_text(aor), ec.message());
        return;
      }
      put_again(aor, snapshot, found);
    });
  }
  if (republish_queue_.empty()) return;
  republish_timer_.expires_after(republish_every_batch_);
  republish_timer_.async_wait([this, alive](std::error_code ec) {
    if (!ec && !alive.expired()) republish_next_batch();
  });
}

namespace {

// The newest authentic version of a record identity among those found.
const overlay::checked<overlay::binding_record>* newest_version(
    const std::vector<overlay::checked<overlay::binding_record>>& found,
    const std::string& identity) {
  const overlay::checked<overlay::binding_record>* newest = nullptr;
  for (const auto& c : found) {
    if (!c.body || c.body->identity() != identity) continue;
    if (c.status != overlay::verdict::valid && c.status != overlay::verdict::withdrawn &&
        c.status != overlay::verdict::expired)
      continue;
    if (newest == nullptr || c.sequence > newest->sequence) newest = &c;
  }
  return newest;
}

}  // namespace

// Puts each binding of the snapshot again whose newest version in the
// overlay is still the one this node published, or that the overlay lost.
// A binding a REGISTER changed since the snapshot was just published.
void overlay_location::put_again(const std::string& aor,
                                 const std::vector<proxy::binding>& snapshot,
                                 const found_records& found) {
  const auto it = held_.find(aor);
  if (it == held_.end()) return;
  std::weak_ptr<int> alive = alive_;
  std::erase_if(it->second, [&](const proxy::binding& b) {
    if (std::find(snapshot.begin(), snapshot.end(), b) == snapshot.end()) return false;
    auto mine = to_record(aor, b);
    const auto* newest = newest_version(found, mine.identity());
    if (newest != nullptr &&
        (newest->status != overlay::verdict::valid || !same_place(*newest->body, mine))) {
      ++counters_.moved;
      spdlog::info("binding of {} changed at another node: no longer put again here",
                   log_text(aor));
      return true;
    }
    records_.publish(signer_, std::move(mine), [this, alive, aor](std::error_code ec) {
      if (alive.expired()) return;
      if (!ec) {
        ++counters_.republished;
        return;
      }
      // A REGISTER that changed the binding meanwhile published a newer
      // version, which storers keep over this one: nothing is lost.
      ++counters_.republish_failures;
      spdlog::warn("binding of {} not put again: {}", log_text(aor), ec.message());
    });
    return false;
  });
  if (it->second.empty()) {
    held_.erase(it);
    if (held_changed_) held_changed_(aor);
  }
}

bool overlay_location::holds(const std::string& aor, proxy::wall_clock::time_point now) const {
  const auto it = held_.find(aor);
  return it != held_.end() &&
         std::any_of(it->second.begin(), it->second.end(),
                     [now](const proxy::binding& b) { return b.expires > now; });
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
