// Overlay lookups and re-replication at scale: N real OpenDHT nodes in this
// process on 127.0.0.1 (one io_context, one thread). Every node publishes
// one phone's binding through record_store; then 30% of the nodes are killed
// without warning. Measured, per N (bench/overlay_bench.md has the details):
// - lookup latency and success before the kill, right after it and again
//   10 s later, for our lookup (record_store::lookup_bindings: verification
//   and ordering) and, side by side on the same swarm, for the reference: a
//   opendht_node::get_whole_search of the same key (OpenDHT's whole search, no judging);
// - how many live nodes store each record while the surviving publishers
//   re-put their bindings, and how long until every record is back at full
//   replication;
// - memory per node, and the time each phase took.
//
//   overlay_bench [--rate=R] [--window=S] [--later=S] [--republish=S]
//                 [--recovery=S] [--join-limit=S] [N ...]   default N: 100 1000 5000
//
// Latencies are CPU-bound (every node shares this process's one thread),
// not network round trips; compare runs on the same machine.
#include <malloc.h>
#include <opendht/utils.h>  // dht::version()
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "identity/authority.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_store.hpp"
#include "support/overlay_swarm.hpp"

namespace {

using namespace p2psip;
using namespace p2psip::overlay;
using steady = std::chrono::steady_clock;
using std::chrono::seconds;
constexpr const char* overlay_name = "p2psip.test";

// OpenDHT stores a value on the 8 nodes closest to its key (TARGET_NODES).
constexpr std::size_t opendht_target = 8;
// The nodes, dead or alive, whose ids are closest to a record's key: where
// its copies are looked for. With 30% dead, the 8 closest live nodes are
// among the 32 closest with near certainty; copies_elsewhere() counts the
// copies the watch misses.
constexpr std::size_t candidate_count = 32;
// How long the io_context runs between two looks at the schedule: the
// precision of lookup start times and of re-put times.
constexpr auto tick = std::chrono::milliseconds{5};
// Records whose storers are counted per tick while looking at replication.
constexpr std::size_t look_slice = 100;
// Publications (and re-puts) running at once, at most: each is a search,
// and thousands at once would starve the one thread (republish_due).
constexpr std::size_t puts_at_once = 50;
// A lookup phase waits this long past its last start for its lookups to end.
constexpr seconds drain_limit{60};

struct options {
  std::vector<std::size_t> sizes{100, 1000, 5000};
  double rate = 40;         // lookup pairs (ours + reference) started per second
  seconds window{5};        // each lookup phase starts lookups for this long
  seconds later{10};        // the second phase after the kill starts this long after it
  seconds republish{30};    // a live publisher re-puts its binding this often
  seconds recovery{120};    // bound on the wait for full replication
  seconds join_limit{180};  // bound on the wait for routing tables to fill
};

double ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double s_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

steady::duration from_seconds(double s) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

long status_field(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return 0;
}

// Nearest rank: the smallest sample with at least p of the samples at or below it.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

unix_seconds in_an_hour() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             (wall_clock::now() + std::chrono::hours{1}).time_since_epoch())
      .count();
}

// The first 64 bits of a 160-bit id: enough to order nodes by XOR distance
// to a key (a tie in 64 bits is as good as impossible).
std::uint64_t id_prefix(const std::uint8_t* bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

std::uint64_t id_prefix(const std::string& hex) {
  return std::stoull(hex.substr(0, 16), nullptr, 16);
}

std::string file_line(const char* path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line;
  return {};
}

// Other work on the machine lengthens every latency here: printed with each
// size, so a run on a busy machine shows it.
std::string load_average() {
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  char text[64];
  std::snprintf(text, sizeof text, "%.2f %.2f %.2f", load[0], load[1], load[2]);
  return text;
}

void print_machine(const options& opts) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  int nproc = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 0;
  std::string model = file_line("/proc/cpuinfo", "model name");
  model = model.empty() ? "unknown CPU" : model.substr(model.find(':') + 2);
  utsname uts{};
  uname(&uts);
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf(
      "machine: %d CPUs (nproc), %s, %s %s %s, load average %s\n"
      "OpenDHT %s, g++ %s; %s\n"
      "options: rate %.0f lookup pairs/s for %lld s per phase, second phase %lld s after the "
      "kill, re-put every %lld s, recovery bound %lld s, join bound %lld s\n",
      nproc, model.c_str(), uts.sysname, uts.release, uts.machine, load_average().c_str(),
      ::dht::version(), __VERSION__, date, opts.rate, static_cast<long long>(opts.window.count()),
      static_cast<long long>(opts.later.count()), static_cast<long long>(opts.republish.count()),
      static_cast<long long>(opts.recovery.count()),
      static_cast<long long>(opts.join_limit.count()));
}

struct method_stats {
  std::vector<double> ms;  // one per lookup that ended
  std::size_t found = 0;
};

// Lookups started at a steady rate whatever the earlier ones are doing (an
// open loop: a slow lookup does not hold the next one back), each as a pair:
// ours and the reference, for the same user, from two random live nodes.
struct lookup_phase {
  std::string name;
  steady::time_point begin;
  std::size_t pairs = 0;
  std::size_t launched = 0;
  method_stats ours{}, raw{};

  bool ended() const {
    return launched == pairs && ours.ms.size() == pairs && raw.ms.size() == pairs;
  }
};

struct record_info {
  std::string aor;
  key k;
  std::uint64_t id = 0;
  std::size_t home = 0;  // the node that publishes it, as a phone's edge node does
  binding_record binding;
  std::vector<std::size_t> candidates;  // the nodes watched, closest to the key first
  // Full replication: as many reachable copies (reachable_copies) as right
  // after publishing, at most OpenDHT's 8. Not "the 8 closest nodes hold
  // it": a node the others have not learnt of yet is never asked to store.
  std::size_t target = 0;
};

struct replication_sample {
  double t = 0;  // seconds after the kill
  std::size_t full_republished = 0, full_orphaned = 0, readable_orphaned = 0;
};

// One swarm of N nodes, from join to the end of the recovery.
class size_run {
 public:
  size_run(std::size_t n, const options& opts)
      : n_(n),
        opts_(opts),
        ca_(identity::certificate_authority::create(overlay_name)),
        verifier_(
            std::make_shared<record_verifier>(overlay_name, identity::trust_anchor{ca_.cert()})),
        swarm_(io_, overlay_name, storage_policies(verifier_, clock_), 11),
        signer_(make_signer(ca_)) {}

  void run() {
    std::printf("\n== N = %zu == (load average %s)\n", n_, load_average().c_str());
    join();
    publish();
    find_storers();
    before_ = {.name = "before the kill", .begin = steady::now(), .pairs = pair_count()};
    run_lookups(before_);
    phase_times_.push_back({"lookups before", s_between(before_.begin, steady::now())});
    kill_and_recover();
    print_lookups();
    print_replication();
    print_phases();
  }

 private:
  static signer make_signer(identity::certificate_authority& ca) {
    // One node certificate with domain authority signs every binding, as
    // p2psipd signs for phones that have no certificate.
    auto issued = ca.issue_node("bench", true);
    return signer{issued.key, issued.cert};
  }

  std::size_t pair_count() const {
    return static_cast<std::size_t>(opts_.rate * static_cast<double>(opts_.window.count()));
  }

  std::size_t pick(std::size_t below) {
    return std::uniform_int_distribution<std::size_t>{0, below - 1}(swarm_.random());
  }

  void join() {
    malloc_trim(0);  // memory freed by the previous size must not hide this one's
    long rss_before = status_field("VmRSS:");
    long threads_before = status_field("Threads:");
    auto begin = steady::now();
    swarm_.start(n_, opts_.join_limit);
    std::size_t ready = 0;
    for (std::size_t i = 0; i < n_; ++i)
      ready += swarm_.node(i).stats().good_nodes >= std::min<std::size_t>(8, n_ - 1) ? 1 : 0;
    rss_joined_kib_ = status_field("VmRSS:") - rss_before;
    rss_base_kib_ = rss_before;
    double took = s_between(begin, steady::now());
    phase_times_.push_back({"join", took});
    std::printf(
        "join: %.1f s, %zu/%zu nodes with >= 8 confirmed peers; RSS %.1f KiB per node, %ld "
        "threads added; idle, the swarm keeps %.0f%% of a core busy\n",
        took, ready, n_, static_cast<double>(rss_joined_kib_) / static_cast<double>(n_),
        status_field("Threads:") - threads_before, 100.0 * idle_load());
    std::fflush(stdout);
  }

  // Each node publishes its phone's binding, at most puts_at_once at a time.
  void publish() {
    auto begin = steady::now();
    for (std::size_t i = 0; i < n_; ++i) stores_.push_back(make_store(i));
    for (std::size_t u = 0; u < n_; ++u) {
      records_.push_back(make_record(u));
      ++publishing_;
      stores_[u]->publish(signer_, records_.back().binding, [this](std::error_code ec) {
        --publishing_;
        published_ += ec ? 0 : 1;
      });
      while (publishing_ >= puts_at_once) io_.run_one_for(tick);
    }
    auto deadline = steady::now() + seconds{300};
    while (publishing_ > 0 && steady::now() < deadline) io_.run_for(tick);
    std::printf("publish: %zu/%zu bindings read back after publishing, in %.1f s\n", published_, n_,
                s_between(begin, steady::now()));
    phase_times_.push_back({"publish", s_between(begin, steady::now())});
  }

  // The share of one core the swarm's own upkeep takes, nothing asked of it:
  // what is left on this one thread for lookups and re-puts.
  double idle_load() {
    auto cpu = [] {
      rusage use{};
      getrusage(RUSAGE_SELF, &use);
      auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
      };
      return s(use.ru_utime) + s(use.ru_stime);
    };
    auto begin = steady::now();
    double cpu_before = cpu();
    io_.run_for(seconds{3});
    return (cpu() - cpu_before) / s_between(begin, steady::now());
  }

  std::unique_ptr<record_store> make_store(std::size_t i) {
    return std::make_unique<record_store>(swarm_.node(i), verifier_, clock_);
  }

  record_info make_record(std::size_t u) {
    record_info r;
    r.aor = "sip:u" + std::to_string(u) + "@" + overlay_name;
    r.k = binding_key(overlay_name, r.aor);
    r.home = u;
    r.binding = binding_record{.aor = r.aor,
                               .contact = "sip:u@192.0.2.1:" + std::to_string(10000 + u),
                               .path = {"sip:127.0.0.1;lr"},
                               .instance = "",
                               .reg_id = 0,
                               .q = 1000,
                               .expires_at = in_an_hour()};
    r.id = value_id(r.k, r.binding);
    return r;
  }

  bool stores_copy(const record_info& r, std::size_t node) {
    return node != r.home && swarm_.alive(node) && swarm_.node(node).holds(r.k, r.id);
  }

  // Right after publishing: which nodes to watch for each record, and its
  // target. Asking every node for every record would hold the io_context for
  // ~20 s at 5,000 nodes, long enough for every request in flight to time
  // out and the swarm to take live nodes for dead: the 32 closest are asked,
  // a slice of records at a time, and copies_elsewhere() says what they miss.
  void find_storers() {
    auto begin = steady::now();
    std::vector<std::uint64_t> node_ids(n_);
    for (std::size_t i = 0; i < n_; ++i) node_ids[i] = id_prefix(swarm_.node(i).node_id());
    std::vector<std::size_t> storers(records_.size());
    std::size_t all_closest = 0;
    for (std::size_t u = 0; u < records_.size(); ++u) {
      record_info& r = records_[u];
      r.candidates = closest_nodes(node_ids, id_prefix(r.k.bytes.data()));
      storers[u] = reachable_copies(r);
      r.target = std::min(storers[u], opendht_target);
      all_closest += closest_hold(r) ? 1 : 0;
      if (u % look_slice == 0) io_.poll();
    }
    auto [low, high] = std::minmax_element(storers.begin(), storers.end());
    std::printf(
        "reachable copies per record right after publishing: min %zu, mean %.2f, max %zu; "
        "%.1f%% of records on all of the 8 nodes closest to their key; %zu copies on nodes not "
        "among the %zu closest\n",
        *low,
        static_cast<double>(std::accumulate(storers.begin(), storers.end(), std::size_t{0})) /
            static_cast<double>(storers.size()),
        *high, 100.0 * static_cast<double>(all_closest) / static_cast<double>(records_.size()),
        copies_elsewhere(), candidate_count);
    phase_times_.push_back({"storer scan", s_between(begin, steady::now())});
  }

  std::vector<std::size_t> closest_nodes(const std::vector<std::uint64_t>& node_ids,
                                         std::uint64_t target) const {
    std::vector<std::size_t> order(node_ids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto nearer = [&](std::size_t a, std::size_t b) {
      return (node_ids[a] ^ target) < (node_ids[b] ^ target);
    };
    std::size_t keep = std::min(candidate_count, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                      nearer);
    order.resize(keep);
    return order;
  }

  void launch_pair(lookup_phase& phase) {
    const record_info& r = records_[pick(records_.size())];
    auto begin = steady::now();
    stores_[swarm_.random_live()]->lookup_bindings(
        r.aor, [&phase, begin](std::vector<checked<binding_record>> found, std::error_code) {
          phase.ours.ms.push_back(ms_between(begin, steady::now()));
          phase.ours.found += valid_records(found).size() == 1 ? 1 : 0;
        });
    swarm_.node(swarm_.random_live())
        .get_whole_search(
            r.k, [&phase, begin, id = r.id](std::vector<value> values, std::error_code) {
              phase.raw.ms.push_back(ms_between(begin, steady::now()));
              phase.raw.found += std::any_of(values.begin(), values.end(),
                                             [id](const value& v) { return v.id == id; })
                                     ? 1
                                     : 0;
            });
    ++phase.launched;
  }

  void launch_due(lookup_phase& phase) {
    auto now = steady::now();
    while (phase.launched < phase.pairs &&
           now >= phase.begin + from_seconds(static_cast<double>(phase.launched) / opts_.rate)) {
      launch_pair(phase);
    }
  }

  void run_lookups(lookup_phase& phase) {
    auto limit = phase.begin + opts_.window + drain_limit;
    while (!phase.ended() && steady::now() < limit) {
      io_.run_for(tick);
      launch_due(phase);
    }
  }

  // The kill, then everything at once as in a real overlay: the lookup
  // phases, the survivors' re-puts, and a look at the storers every second.
  void kill_and_recover() {
    swarm_.kill(0.3);
    killed_at_ = steady::now();
    right_after_ = {.name = "0-" + std::to_string(opts_.window.count()) + " s after killing 30%",
                    .begin = killed_at_,
                    .pairs = pair_count()};
    later_ = {.name = std::to_string(opts_.later.count()) + "-" +
                      std::to_string((opts_.later + opts_.window).count()) + " s after",
              .begin = killed_at_ + opts_.later,
              .pairs = pair_count()};
    schedule_republishing();
    // What the kill left, before the io_context runs again: stamped 0 s.
    samples_.push_back(count_replication());
    samples_.back().t = 0;
    auto next_look = killed_at_ + seconds{1};
    auto recovery_end = killed_at_ + opts_.recovery;
    auto limit = std::max(recovery_end, later_.begin + opts_.window + drain_limit);
    for (auto now = steady::now(); now < limit; now = steady::now()) {
      io_.run_for(tick);
      launch_due(right_after_);
      launch_due(later_);
      if (now < recovery_end) republish_due();
      if (!look_ && now >= next_look && now < recovery_end && !all_full_at_) {
        look_.emplace();
        next_look += seconds{1};
      }
      if (look_) continue_look();
      bool recovered = all_full_at_ || now >= recovery_end;
      if (right_after_.ended() && later_.ended() && recovered) break;
    }
    phase_times_.push_back(
        {"after the kill (lookups, re-puts)", s_between(killed_at_, steady::now())});
  }

  // A phone's edge node re-puts its binding every `republish` (5 minutes in
  // p2psipd); the crash comes at a random moment of each one's cycle, so the
  // first re-put after it is uniform over one period.
  void schedule_republishing() {
    std::uniform_real_distribution<double> phase(0, static_cast<double>(opts_.republish.count()));
    for (std::size_t u = 0; u < records_.size(); ++u) {
      if (!swarm_.alive(records_[u].home)) continue;
      republish_queue_.push({killed_at_ + from_seconds(phase(swarm_.random())), u});
    }
  }

  // Each node would re-put on its own CPU; here all share one thread, and
  // thousands of re-puts at once (5,000 nodes) would starve it until live
  // nodes time out: a re-put due while `puts_at_once` are running waits,
  // and the longest such wait is reported.
  void republish_due() {
    auto now = steady::now();
    while (!republish_queue_.empty() && republish_queue_.top().first <= now &&
           republishing_ < puts_at_once) {
      auto [when, u] = republish_queue_.top();
      republish_queue_.pop();
      republish_wait_s_ = std::max(republish_wait_s_, s_between(when, now));
      ++republishing_;
      stores_[records_[u].home]->publish(signer_, records_[u].binding, [this](std::error_code ec) {
        --republishing_;
        ++(ec ? republish_failed_ : republish_ok_);
      });
      republish_queue_.push({when + opts_.republish, u});
    }
  }

  std::size_t live_storers(const record_info& r) {
    std::size_t count = 0;
    for (std::size_t i : r.candidates) count += stores_copy(r, i) ? 1 : 0;
    return count;
  }

  // Copies of the records that live nodes keep but no watched node accounts
  // for: every value in a live node's store, less the publishers' own copies
  // and the watched storers' ones (the bench stores nothing else). Zero: the
  // counts of storers are exact.
  std::size_t copies_elsewhere() {
    std::size_t stored = 0, accounted = 0;
    for (std::size_t i = 0; i < n_; ++i)
      if (swarm_.alive(i)) stored += swarm_.node(i).stats().stored_values;
    for (const record_info& r : records_) {
      accounted += live_storers(r);
      if (swarm_.alive(r.home) && swarm_.node(r.home).holds(r.k, r.id)) ++accounted;
    }
    return stored - std::min(stored, accounted);
  }

  // Whether each of the 8 live nodes closest to the key holds the record:
  // where OpenDHT means to put it.
  bool closest_hold(const record_info& r) {
    std::size_t checked = 0;
    for (std::size_t i : r.candidates) {
      if (checked == opendht_target) break;
      if (!swarm_.alive(i)) continue;
      if (!swarm_.node(i).holds(r.k, r.id)) return false;
      ++checked;
    }
    return true;
  }

  // Live copies a reader's search can reach: every storer's, and the
  // publisher's own when it is one of the 8 live nodes closest to the key
  // (OpenDHT keeps what a node puts wherever the node is; far from the key,
  // no search asks it).
  std::size_t reachable_copies(const record_info& r) {
    std::size_t copies = 0, rank = 0;
    for (std::size_t i : r.candidates) {
      if (!swarm_.alive(i)) continue;
      bool near = rank++ < opendht_target;
      if ((i != r.home || near) && swarm_.node(i).holds(r.k, r.id)) ++copies;
    }
    return copies;
  }

  void tally(const record_info& r, replication_sample& s) {
    bool full = reachable_copies(r) >= r.target;
    if (swarm_.alive(r.home)) {
      s.full_republished += full ? 1 : 0;
    } else {
      s.full_orphaned += full ? 1 : 0;
      s.readable_orphaned += live_storers(r) > 0 ? 1 : 0;
    }
  }

  replication_sample count_replication() {
    replication_sample s;
    for (const record_info& r : records_) tally(r, s);
    s.t = s_between(killed_at_, steady::now());
    return s;
  }

  // A look at every record's storers costs ~100 ms at 5,000 nodes: taken a
  // slice of records per tick, it never holds the lookups back for long.
  void continue_look() {
    auto begin = steady::now();
    std::size_t end = std::min(look_->next + look_slice, records_.size());
    for (; look_->next < end; ++look_->next) tally(records_[look_->next], look_->counts);
    slice_ms_ = std::max(slice_ms_, ms_between(begin, steady::now()));
    if (look_->next < records_.size()) return;
    // Stamped when it ends: a record counts as back no earlier than it was seen back.
    look_->counts.t = s_between(killed_at_, steady::now());
    samples_.push_back(look_->counts);
    look_.reset();
    if (samples_.back().full_republished == republishable()) all_full_at_ = samples_.back().t;
  }

  std::size_t republishable() const {
    return static_cast<std::size_t>(std::count_if(records_.begin(), records_.end(),
                                                  [&](auto& r) { return swarm_.alive(r.home); }));
  }

  std::size_t orphaned() const {
    return static_cast<std::size_t>(std::count_if(records_.begin(), records_.end(),
                                                  [&](auto& r) { return !swarm_.alive(r.home); }));
  }

  static void print_method(const method_stats& m, std::size_t pairs) {
    std::printf(" %6.0f / %6.0f / %6.0f / %6.0f | %7.3f%%", percentile(m.ms, 0.5),
                percentile(m.ms, 0.9), percentile(m.ms, 0.99),
                m.ms.empty() ? 0.0 : *std::max_element(m.ms.begin(), m.ms.end()),
                100.0 * static_cast<double>(m.found) / static_cast<double>(pairs));
  }

  static double ratio(const method_stats& ours, const method_stats& raw, double p) {
    double base = percentile(raw.ms, p);
    return base > 0 ? percentile(ours.ms, p) / base : 0;
  }

  void print_lookups() const {
    std::printf(
        "lookups, %zu pairs per phase (ours: record_store::lookup_bindings; raw: "
        "opendht_node::get_whole_search of the same key), ms:\n"
        "| phase | ours p50 / p90 / p99 / max | found | raw p50 / p90 / p99 / max | found | "
        "ours/raw p50 | p99 | unfinished |\n|---|---|---|---|---|---|---|---|\n",
        pair_count());
    for (const lookup_phase* p : {&before_, &right_after_, &later_}) {
      std::printf("| %s |", p->name.c_str());
      print_method(p->ours, p->pairs);
      std::printf(" |");
      print_method(p->raw, p->pairs);
      std::printf(" | %5.2f | %5.2f | %zu |\n", ratio(p->ours, p->raw, 0.5),
                  ratio(p->ours, p->raw, 0.99),
                  2 * p->pairs - p->ours.ms.size() - p->raw.ms.size());
    }
  }

  // The share at full replication at a few times after the kill: the last
  // sample taken at or before each (the first is stamped 0 s).
  void print_timeline(std::size_t republished) const {
    std::printf("  t after kill (s)    ");
    std::vector<int> marks;
    for (int t : {0, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120})
      if (t <= static_cast<int>(samples_.back().t) || t == 0) marks.push_back(t);
    for (int t : marks) std::printf(" %6d", t);
    std::printf("\n  at full replication ");
    for (int t : marks) {
      auto s = std::find_if(samples_.rbegin(), samples_.rend(),
                            [t](const replication_sample& x) { return x.t <= t + 0.05; });
      std::printf(" %5.1f%%", 100.0 * static_cast<double>(s->full_republished) /
                                  static_cast<double>(std::max<std::size_t>(republished, 1)));
    }
    std::printf("\n");
  }

  void print_replication() {
    std::size_t republished = republishable(), orphans = orphaned();
    std::printf(
        "replication (full: as many reachable copies as right after publishing, at most 8), %zu "
        "records re-put by their live publisher every %lld s:\n",
        republished, static_cast<long long>(opts_.republish.count()));
    print_timeline(republished);
    if (all_full_at_)
      std::printf("  all back at full replication %.1f s after the kill\n", *all_full_at_);
    else
      std::printf("  NOT all back within %lld s\n", static_cast<long long>(opts_.recovery.count()));
    const replication_sample& last = samples_.back();
    std::printf(
        "  %zu records whose publisher died (never re-put): %.1f%% at full replication, %.1f%% "
        "readable (>= 1 live storer) at the end\n"
        "  re-puts: %zu confirmed, %zu failed, held back up to %.1f s by the cap of %zu at once; "
        "%zu looks at the storers, up to %.1f ms per tick; %zu copies on live nodes not watched "
        "at the end\n",
        orphans,
        100.0 * static_cast<double>(last.full_orphaned) /
            static_cast<double>(std::max<std::size_t>(orphans, 1)),
        100.0 * static_cast<double>(last.readable_orphaned) /
            static_cast<double>(std::max<std::size_t>(orphans, 1)),
        republish_ok_, republish_failed_, republish_wait_s_, puts_at_once, samples_.size(),
        slice_ms_, copies_elsewhere());
  }

  void print_phases() const {
    std::printf("phases:");
    for (const auto& [name, s] : phase_times_) std::printf(" %s %.1f s;", name.c_str(), s);
    std::printf(
        " RSS per node: %.1f KiB after join, %.1f KiB at the end\n",
        static_cast<double>(rss_joined_kib_) / static_cast<double>(n_),
        static_cast<double>(status_field("VmRSS:") - rss_base_kib_) / static_cast<double>(n_));
    std::fflush(stdout);
  }

  std::size_t n_;
  const options& opts_;
  // Declared first, destroyed last: the swarm and the stores post to it.
  asio::io_context io_;
  identity::certificate_authority ca_;
  std::shared_ptr<record_verifier> verifier_;
  std::function<wall_clock::time_point()> clock_ = [] { return wall_clock::now(); };
  testing::overlay_swarm swarm_;
  signer signer_;
  std::vector<std::unique_ptr<record_store>> stores_;
  std::vector<record_info> records_;

  // Handlers still running refer to these: they live as long as the swarm.
  std::size_t publishing_ = 0, published_ = 0;
  lookup_phase before_, right_after_, later_;
  steady::time_point killed_at_;
  using due = std::pair<steady::time_point, std::size_t>;
  std::priority_queue<due, std::vector<due>, std::greater<>> republish_queue_;
  std::size_t republishing_ = 0, republish_ok_ = 0, republish_failed_ = 0;
  double republish_wait_s_ = 0;
  std::vector<replication_sample> samples_;
  struct look {
    replication_sample counts;
    std::size_t next = 0;  // the first record not yet counted
  };
  std::optional<look> look_;
  std::optional<double> all_full_at_;
  double slice_ms_ = 0;
  std::vector<std::pair<std::string, double>> phase_times_;
  long rss_base_kib_ = 0, rss_joined_kib_ = 0;
};

void signatures() {
  auto ca = identity::certificate_authority::create(overlay_name);
  auto user = ca.issue_user("sip:alice@p2psip.test");
  key k = binding_key(overlay_name, "sip:alice@p2psip.test");
  binding_record b{.aor = "sip:alice@p2psip.test",
                   .contact = "sip:alice@192.0.2.10:52044;transport=tcp;ob",
                   .path = {"sip:127.0.0.1:5070;lr"},
                   .instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>",
                   .reg_id = 1,
                   .q = 1000,
                   .expires_at = in_an_hour()};
  constexpr int rounds = 5000;
  auto begin = steady::now();
  std::vector<std::uint8_t> sealed;
  for (int i = 0; i < rounds; ++i)
    sealed = seal(k, b, static_cast<std::uint64_t>(i + 1), user.key, user.cert);
  double seal_s = std::chrono::duration<double>(steady::now() - begin).count();
  value v{value_id(k, b), value_type::binding, sealed};
  // Each value's first check does all the work; a node checks one value
  // many times (storer, each answer, the judge), and those are remembered.
  auto checks_per_second = [&](const record_verifier& verifier, int& ok) {
    ok = 0;
    auto start = steady::now();
    for (int i = 0; i < rounds; ++i)
      ok += verifier.check(k, v, wall_clock::now()).status == verdict::valid;
    return rounds / std::chrono::duration<double>(steady::now() - start).count();
  };
  int ok_full = 0, ok_remembered = 0;
  const double full = checks_per_second(
      record_verifier{overlay_name, identity::trust_anchor{ca.cert()}, lifetimes{}, 0}, ok_full);
  const double remembered = checks_per_second(
      record_verifier{overlay_name, identity::trust_anchor{ca.cert()}}, ok_remembered);
  std::printf(
      "\nrecord envelope (%zu bytes): seal+sign %.0f/s, full reader check (decode, contents, "
      "signature, chain cached, names) %.0f/s, %d/%d valid; checked again (remembered) %.0f/s, "
      "%d/%d valid\n",
      sealed.size(), rounds / seal_s, full, ok_full, rounds, remembered, ok_remembered, rounds);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: overlay_bench [--rate=R] [--window=S] [--later=S] [--republish=S] "
               "[--recovery=S] [--join-limit=S] [N ...]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options opts;
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      sizes.push_back(std::stoul(arg));
      continue;
    }
    auto eq = arg.find('=');
    if (eq == std::string::npos) usage();
    std::string name = arg.substr(2, eq - 2);
    double number = std::stod(arg.substr(eq + 1));
    seconds whole{static_cast<long long>(number)};
    if (name == "rate")
      opts.rate = number;
    else if (name == "window")
      opts.window = whole;
    else if (name == "later")
      opts.later = whole;
    else if (name == "republish")
      opts.republish = whole;
    else if (name == "recovery")
      opts.recovery = whole;
    else if (name == "join-limit")
      opts.join_limit = whole;
    else
      usage();
  }
  if (!sizes.empty()) opts.sizes = sizes;
  if (opts.rate <= 0 || opts.republish.count() <= 0) usage();
  return opts;
}

}  // namespace

int main(int argc, char** argv) {
  options opts = parse(argc, argv);
  print_machine(opts);
  auto begin = steady::now();
  for (std::size_t n : opts.sizes) size_run{n, opts}.run();
  signatures();
  std::printf("total %.1f s\n", s_between(begin, steady::now()));
}
