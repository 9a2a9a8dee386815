#include "overlay/record_store.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>
#include <set>

#include "overlay/record_codec.hpp"

namespace p2psip::overlay {
namespace {

constexpr std::size_t newest_table_bound = 65536;

unix_seconds unix_now(wall_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

value make_value(const key& k, const record& body, std::uint64_t sequence, const signer& s) {
  return value{value_id(k, body), type_of(body), seal(k, body, sequence, s.key, s.cert)};
}

}  // namespace

record_store::record_store(dht& d, std::shared_ptr<const record_verifier> verifier, clock_fn now)
    : dht_(d), verifier_(std::move(verifier)), now_(std::move(now)) {}

std::uint64_t record_store::next_sequence() {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now_().time_since_epoch()).count();
  last_sequence_ =
      std::max(last_sequence_ + 1, static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 0)));
  return last_sequence_;
}

// A new version must outrank every version readers have seen, whatever the
// clock of the node that published those: a node whose clock runs ahead
// would otherwise keep winning over a phone that moved away from it.
std::uint64_t record_store::next_sequence(const key& k, const record& body) {
  const auto sequence = next_sequence();
  const auto seen = newest_.find({k, record_identity(body)});
  if (seen == newest_.end() || seen->second.sequence < sequence) return sequence;
  last_sequence_ = std::max(last_sequence_, seen->second.sequence + 1);
  return seen->second.sequence + 1;
}

void record_store::publish(const signer& s, binding_record b, done_handler done) {
  key k = binding_key(overlay_id(), b.aor);
  std::uint64_t sequence = next_sequence(k, b);
  put_and_confirm(k, make_value(k, b, sequence, s), sequence, std::move(done));
}

void record_store::withdraw(const signer& s, binding_record b, done_handler done) {
  b.removed = true;
  // The withdrawal must outlast every version it cancels: storers keep a
  // binding at most the type's lifetime.
  b.expires_at = unix_now(now_()) + verifier_->life().binding.count();
  key k = binding_key(overlay_id(), b.aor);
  std::uint64_t sequence = next_sequence(k, b);
  put_and_confirm(k, make_value(k, b, sequence, s), sequence, std::move(done));
}

void record_store::publish(const signer& s, node_record n, done_handler done) {
  key k = node_key(overlay_id(), n.node_id);
  std::uint64_t sequence = next_sequence();
  put_and_confirm(k, make_value(k, n, sequence, s), sequence, std::move(done));
}

void record_store::publish(const signer& s, service_record svc, unsigned density,
                           done_handler done) {
  // One put per key; done once, with the first failure if any.
  struct pending {
    unsigned left;
    std::error_code first_error;
    done_handler done;
  };
  auto state = std::make_shared<pending>(pending{density, {}, std::move(done)});
  std::uint64_t sequence = next_sequence();
  for (unsigned i = 0; i < density; ++i) {
    svc.index = i;
    key k = service_key(overlay_id(), svc.service, i);
    dht_.put(k, make_value(k, svc, sequence, s), [state](std::error_code ec) {
      if (ec && !state->first_error) state->first_error = ec;
      if (--state->left == 0) state->done(state->first_error);
    });
  }
}

// OpenDHT reports a put as done when storers answered, even if all of them
// refused the value; only a read shows what a reader will get. That read is
// needed once per value (confirmed_).
void record_store::put_and_confirm(const key& k, value v, std::uint64_t sequence,
                                   done_handler done) {
  const std::uint64_t id = v.id;
  const auto lifetime = verifier_->life().of(v.type);
  const bool refresh = is_confirmed(k, id);
  // Stored: a reader gets this version or a later one. The read ends at the
  // first storer that shows it.
  auto stored = [this, k, id, sequence](const std::vector<value>& values) {
    return std::any_of(values.begin(), values.end(), [&](const value& got) {
      if (got.id != id) return false;
      checked_value c = verifier_->check(k, got, now_());
      return (c.status == verdict::valid || c.status == verdict::expired) &&
             c.env->sequence >= sequence;
    });
  };
  auto stored_yet = [stored](const std::vector<value>& values) {
    return stored(values) ? dht::progress::finish : dht::progress::more;
  };
  auto read_back = [this, alive = std::weak_ptr(alive_), k, id, lifetime, stored, done](
                       std::vector<value> values, std::error_code ec) {
    if (alive.expired()) return;
    if (!stored(values)) return done(ec ? ec : make_error_code(error::not_stored));
    remember_confirmed(k, id, lifetime);
    done({});
  };
  dht_.put(k, std::move(v),
           [this, alive = std::weak_ptr(alive_), k, id, lifetime, refresh, stored_yet, read_back,
            done](std::error_code ec) {
             if (alive.expired()) return;
             if (ec) return done(ec);
             if (refresh) {
               remember_confirmed(k, id, lifetime);
               return done({});
             }
             dht_.get_until(k, stored_yet, read_back);
           });
}

bool record_store::is_confirmed(const key& k, std::uint64_t id) const {
  const auto it = confirmed_.find({k, id});
  return it != confirmed_.end() && it->second > unix_now(now_());
}

void record_store::remember_confirmed(const key& k, std::uint64_t id,
                                      std::chrono::seconds lifetime) {
  const unix_seconds t = unix_now(now_());
  if (confirmed_.size() >= newest_table_bound)
    std::erase_if(confirmed_, [t](const auto& entry) { return entry.second <= t; });
  if (confirmed_.size() >= newest_table_bound) return;
  confirmed_[{k, id}] = t + lifetime.count();
}

template <class Record>
std::vector<checked<Record>> record_store::judge(const key& k, const std::vector<value>& values) {
  wall_clock::time_point now = now_();
  std::vector<checked_value> all;
  all.reserve(values.size());
  for (const value& v : values) all.push_back(verifier_->check(k, v, now));

  // The newest valid version of each record identity, counting what this
  // store has seen before: a replay of an older version loses to it.
  std::map<std::string, std::uint64_t> newest_here;
  for (const checked_value& c : all) {
    // An authentic version that has expired still orders the others: a
    // refresh with a shorter expiry must not bring the older one back.
    if (c.status != verdict::valid && c.status != verdict::expired) continue;
    std::string id = record_identity(c.env->body);
    std::uint64_t& seq = newest_here[id];
    seq = std::max(seq, c.env->sequence);
    auto& remembered = newest_[{k, id}];
    if (c.env->sequence > remembered.sequence)
      remembered = {c.env->sequence, expires_at(c.env->body), c.env->body};
  }

  std::vector<checked<Record>> out;
  for (checked_value& c : all) {
    checked<Record> item;
    item.status = c.status;
    item.fault = c.fault;
    if (c.env) {
      item.sequence = c.env->sequence;
      if (const Record* body = std::get_if<Record>(&c.env->body))
        item.body = *body;
      else
        item.status = verdict::wrong_name;  // a valid record of another kind under this key
    }
    if (item.status == verdict::valid) {
      const auto& known = newest_[{k, record_identity(c.env->body)}];
      if (item.sequence < known.sequence && !(c.env->body == known.body))
        item.status = verdict::superseded;
      else if constexpr (std::is_same_v<Record, binding_record>) {
        if (item.body->removed) item.status = verdict::withdrawn;
      }
    }
    out.push_back(std::move(item));
  }

  if (newest_.size() > newest_table_bound) {
    unix_seconds t = unix_now(now);
    std::erase_if(newest_, [t](const auto& entry) { return entry.second.expires_at <= t; });
  }
  return out;
}

// A lookup may settle once it holds a version a reader can believe: valid
// (or withdrawn) and not older than what this store has seen of the same
// record. Stale copies from storers that missed a refresh do not end it.
template <class Record>
void record_store::lookup(const key& k, found_handler<Record> done) {
  auto believable = [this, alive = std::weak_ptr(alive_), k](const std::vector<value>& values) {
    if (alive.expired()) return dht::progress::finish;
    for (const auto& c : judge<Record>(k, values))
      if (c.status == verdict::valid || c.status == verdict::withdrawn)
        return dht::progress::settle;
    return dht::progress::more;
  };
  dht_.get_until(k, believable,
                 [this, alive = std::weak_ptr(alive_), k, done](std::vector<value> values,
                                                                std::error_code ec) {
                   if (alive.expired()) return;
                   done(judge<Record>(k, values), ec);
                 });
}

void record_store::lookup_bindings(const std::string& aor, found_handler<binding_record> done) {
  lookup<binding_record>(binding_key(overlay_id(), aor), std::move(done));
}

void record_store::lookup_user(const std::string& aor, found_handler<user_record> done) {
  lookup<user_record>(user_key(overlay_id(), aor), std::move(done));
}

checked<user_record> record_store::check_user(const std::string& aor,
                                              std::span<const std::uint8_t> data) const {
  key k = user_key(overlay_id(), aor);
  value v{value_id(k, user_record{}), value_type::user, {data.begin(), data.end()}};
  checked_value c = verifier_->check(k, v, now_());
  checked<user_record> out;
  out.status = c.status;
  out.fault = c.fault;
  if (c.env) {
    out.sequence = c.env->sequence;
    if (const auto* body = std::get_if<user_record>(&c.env->body)) out.body = *body;
  }
  return out;
}

void record_store::store_user(const std::string& aor, std::vector<std::uint8_t> data,
                              done_handler done) {
  key k = user_key(overlay_id(), aor);
  std::optional<envelope> env = open(k, data);
  const std::uint64_t sequence = env ? env->sequence : 0;
  put_and_confirm(k, value{value_id(k, user_record{}), value_type::user, std::move(data)}, sequence,
                  std::move(done));
}

void record_store::lookup_node(const std::string& node_id, found_handler<node_record> done) {
  lookup<node_record>(node_key(overlay_id(), node_id), std::move(done));
}

struct record_store::service_search {
  std::string service;
  std::vector<unsigned> order;  // the keys' indexes, in the order they are read
  std::size_t at = 0;
  std::size_t want = 1;
  std::vector<checked<service_record>> found;
  found_handler<service_record> done;

  std::size_t nodes_found() const {
    std::set<std::string> nodes;
    for (const auto& c : found)
      if (c.status == verdict::valid) nodes.insert(c.body->node_id);
    return nodes.size();
  }
};

void record_store::find_service(const std::string& service, unsigned density, std::size_t want,
                                found_handler<service_record> done) {
  auto search = std::make_shared<service_search>();
  search->service = service;
  search->order.resize(density);
  std::iota(search->order.begin(), search->order.end(), 0u);
  std::shuffle(search->order.begin(), search->order.end(), random_);
  search->want = std::max<std::size_t>(want, 1);
  search->done = std::move(done);
  try_service_keys(std::move(search));
}

void record_store::try_service_keys(std::shared_ptr<service_search> search) {
  if (search->at >= search->order.size()) {
    const auto ec =
        search->nodes_found() == 0 ? make_error_code(error::no_service) : std::error_code{};
    return search->done(std::move(search->found), ec);
  }
  key k = service_key(overlay_id(), search->service, search->order[search->at]);
  lookup<service_record>(k, [this, alive = std::weak_ptr(alive_), search](
                                std::vector<checked<service_record>> found, std::error_code) {
    if (alive.expired()) return;
    std::move(found.begin(), found.end(), std::back_inserter(search->found));
    if (search->nodes_found() >= search->want) return search->done(std::move(search->found), {});
    ++search->at;
    try_service_keys(search);
  });
}

dht::listen_token record_store::listen_bindings(const std::string& aor,
                                                found_handler<binding_record> on_change) {
  key k = binding_key(overlay_id(), aor);
  return dht_.listen(k, [this, alive = std::weak_ptr(alive_), k, on_change](
                            const std::vector<value>& values, bool expired) {
    if (alive.expired() || expired) return;
    on_change(judge<binding_record>(k, values), {});
  });
}

}  // namespace p2psip::overlay
