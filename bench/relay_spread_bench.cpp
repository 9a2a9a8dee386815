// The hot spot of a well-known service (interwork draft 3.3.3, open issue
// 2): a few relay peers publish their signed `turn:<overlay>` record under
// D keys, then lookups through record_store::find_service from random nodes
// read one of those keys at random. With D = 1 the few nodes closest to the
// one key answer every lookup; with more keys the same lookups spread over
// more nodes, at the price of D puts per relay per refresh.
//
// N real OpenDHT nodes in this process on 127.0.0.1, one io_context, one
// thread (tests/support/overlay_swarm.hpp: a derived network id, never the
// public one, no multicast discovery), a fresh swarm for each D.
//
// Load per node is the node's own count of get requests it received
// (opendht_stats::lookups_served: get and listen requests of our network id
// counted at the socket, before OpenDHT handles them; this bench starts no
// listen). It counts every get a node answers, whether it stores the record
// or is only a hop of the search, which is what a node pays for. The
// difference is taken across the lookups alone; the same count over an idle
// window before them is printed to show what background traffic adds.
//
//   relay_spread_bench [--nodes N] [--lookups L] [--relays R] [--in-flight F] [D ...]
//   defaults: 50 nodes, 10000 lookups, 4 relays, 50 in flight, D = 1 4 8 16
//
// Latencies are CPU-bound (every node shares this process's one thread) and
// include queueing behind the other lookups in flight: compare runs on the
// same machine.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "identity/authority.hpp"
#include "overlay/record_store.hpp"
#include "support/overlay_swarm.hpp"

namespace {

using namespace p2psip;
using namespace p2psip::overlay;
using steady = std::chrono::steady_clock;
constexpr const char* overlay_name = "p2psip.test";

struct options {
  std::size_t nodes = 50;
  std::size_t lookups = 10000;
  std::size_t relays = 4;
  std::size_t in_flight = 50;
  std::vector<unsigned> densities;
};

// The busiest nodes, to tell a storer's load from a hop's.
struct hot_node {
  std::size_t index = 0;
  double gets_per_lookup = 0;
  unsigned keys_held = 0;  // of the D keys, those this node is among the 8 closest to
  bool relay = false;
};

struct row {
  unsigned density = 0;
  std::vector<hot_node> hottest;
  std::size_t puts = 0, puts_failed = 0;
  std::size_t serving = 0;  // nodes that answered at least one get
  std::uint64_t total = 0, idle = 0;
  double mean = 0, max = 0, p50 = 0, p99 = 0;
  std::size_t missing = 0, unanswered = 0;
  double ready_s = 0, lookup_s = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "unknown";
}

std::array<std::uint8_t, 20> from_hex(const std::string& hex) {
  std::array<std::uint8_t, 20> out{};
  for (std::size_t i = 0; i < out.size() && 2 * i + 1 < hex.size(); ++i)
    out[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

// For each node, how many of the keys it is among the `replicas` closest
// nodes to (XOR distance): the storers OpenDHT puts a value on.
std::vector<unsigned> keys_held(testing::overlay_swarm& swarm, const std::vector<key>& keys,
                                std::size_t replicas) {
  std::vector<std::array<std::uint8_t, 20>> ids;
  for (std::size_t i = 0; i < swarm.size(); ++i) ids.push_back(from_hex(swarm.node(i).node_id()));
  std::vector<unsigned> held(swarm.size(), 0);
  for (const key& k : keys) {
    auto distance = [&](std::size_t i) {
      std::array<std::uint8_t, 20> d{};
      for (std::size_t b = 0; b < d.size(); ++b) d[b] = ids[i][b] ^ k.bytes[b];
      return d;
    };
    std::vector<std::size_t> order(ids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
    for (std::size_t j = 0; j < std::min(replicas, order.size()); ++j) ++held[order[j]];
  }
  return held;
}

std::vector<std::uint64_t> served(testing::overlay_swarm& swarm) {
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < swarm.size(); ++i)
    out.push_back(swarm.node(i).stats().lookups_served);
  return out;
}

std::uint64_t total_since(const std::vector<std::uint64_t>& before,
                          const std::vector<std::uint64_t>& after) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < before.size(); ++i) sum += after[i] - before[i];
  return sum;
}

void run_until(asio::io_context& io, const std::size_t& left, std::chrono::seconds limit) {
  auto deadline = steady::now() + limit;
  while (left > 0 && steady::now() < deadline) io.run_for(std::chrono::milliseconds{20});
}

row run(const options& opt, unsigned density, unsigned seed) {
  row r;
  r.density = density;
  asio::io_context io;
  auto ca = identity::certificate_authority::create(overlay_name);
  auto verifier =
      std::make_shared<record_verifier>(overlay_name, identity::trust_anchor{ca.cert()});
  auto clock = [] { return wall_clock::now(); };
  testing::overlay_swarm swarm{io, overlay_name, storage_policies(verifier, clock), seed};
  r.ready_s =
      std::chrono::duration<double>(swarm.start(opt.nodes, std::chrono::seconds{120})).count();

  std::vector<std::unique_ptr<record_store>> stores;
  for (std::size_t i = 0; i < swarm.size(); ++i)
    stores.push_back(std::make_unique<record_store>(swarm.node(i), verifier, clock));

  // Each relay peer publishes its own record from its own node, signed with
  // its node certificate, as a relay agent does.
  const std::string service = std::string("turn:") + overlay_name;
  std::vector<std::size_t> order(swarm.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), swarm.random());
  auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                     (wall_clock::now() + std::chrono::minutes{30}).time_since_epoch())
                     .count();
  std::size_t pending = opt.relays;
  for (std::size_t relay = 0; relay < opt.relays; ++relay) {
    std::string id = "relay-" + std::to_string(relay);
    identity::issued cert = ca.issue_node(id, false);
    service_record svc{.service = service,
                       .index = 0,
                       .node_id = id,
                       .uris = {"turn:127.0.0.1:" + std::to_string(3478 + 2 * relay)},
                       .capacity = 100,
                       .load = 0,
                       .realm = overlay_name,
                       .auth_scheme = "turn-rest",
                       .expires_at = expires};
    stores[order[relay]]->publish(signer{cert.key, cert.cert}, svc, density,
                                  [&](std::error_code ec) {
                                    r.puts_failed += ec ? 1 : 0;
                                    --pending;
                                  });
    io.poll();
  }
  run_until(io, pending, std::chrono::seconds{60});
  r.puts = opt.relays * density;

  // Background: what the get counters gain while nobody looks anything up.
  auto idle_before = served(swarm);
  io.run_for(std::chrono::seconds{2});
  auto before = served(swarm);
  r.idle = total_since(idle_before, before);

  std::vector<double> ms;
  ms.reserve(opt.lookups);
  std::size_t left = opt.lookups;
  auto begin = steady::now();
  for (std::size_t i = 0; i < opt.lookups; ++i) {
    auto issued = steady::now();
    // Wanting 3 relay peers, as Get Relay does by default: every relay is
    // under every key, so one key read answers it.
    stores[swarm.random_live()]->find_service(
        service, density, 3,
        [&, issued](std::vector<checked<service_record>> found, std::error_code) {
          ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - issued).count());
          r.missing += valid_records(found).empty() ? 1 : 0;
          --left;
        });
    // A steady stream: at most `in_flight` lookups outstanding.
    while (left + i + 1 > opt.lookups + opt.in_flight)
      io.run_one_for(std::chrono::milliseconds{10});
  }
  run_until(io, left, std::chrono::seconds{120});
  r.lookup_s = std::chrono::duration<double>(steady::now() - begin).count();
  r.unanswered = left;
  r.missing += left;
  auto after = served(swarm);

  std::vector<double> load;
  for (std::size_t i = 0; i < before.size(); ++i) {
    load.push_back(static_cast<double>(after[i] - before[i]));
    r.serving += after[i] > before[i] ? 1 : 0;
  }
  r.total = total_since(before, after);
  r.mean = static_cast<double>(r.total) / static_cast<double>(load.size());
  r.max = *std::max_element(load.begin(), load.end());
  std::vector<key> keys;
  for (unsigned i = 0; i < density; ++i) keys.push_back(service_key(overlay_name, service, i));
  std::vector<unsigned> held = keys_held(swarm, keys, 8);
  std::vector<std::size_t> by_load(load.size());
  std::iota(by_load.begin(), by_load.end(), std::size_t{0});
  std::sort(by_load.begin(), by_load.end(),
            [&](std::size_t a, std::size_t b) { return load[a] > load[b]; });
  for (std::size_t j = 0; j < std::min<std::size_t>(3, by_load.size()); ++j) {
    std::size_t i = by_load[j];
    bool relay = std::find(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(opt.relays),
                           i) != order.begin() + static_cast<std::ptrdiff_t>(opt.relays);
    r.hottest.push_back({i, load[i] / static_cast<double>(opt.lookups), held[i], relay});
  }
  r.p50 = percentile(ms, 0.5);
  r.p99 = percentile(ms, 0.99);
  return r;
}

options parse(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::stoul(argv[++i]) : 0ul; };
    if (a == "--nodes")
      opt.nodes = next();
    else if (a == "--lookups")
      opt.lookups = next();
    else if (a == "--relays")
      opt.relays = next();
    else if (a == "--in-flight")
      opt.in_flight = next();
    else
      opt.densities.push_back(static_cast<unsigned>(std::stoul(a)));
  }
  if (opt.densities.empty()) opt.densities = {1, 4, 8, 16};
  opt.nodes = std::max<std::size_t>(opt.nodes, 2);
  opt.relays = std::clamp<std::size_t>(opt.relays, 1, opt.nodes);
  opt.in_flight = std::max<std::size_t>(opt.in_flight, 1);
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  options opt = parse(argc, argv);
  std::printf("machine: %u cores (nproc), %s\n", std::thread::hardware_concurrency(),
              cpu_model().c_str());
  std::printf(
      "%zu OpenDHT nodes on 127.0.0.1 in one thread, %zu relays publish turn:%s, %zu "
      "find_service lookups from random nodes, %zu in flight; a fresh swarm per D\n\n",
      opt.nodes, opt.relays, overlay_name, opt.lookups, opt.in_flight);
  std::printf(
      "| D | puts per refresh | gets served | gets / lookup | nodes serving | mean / node | max / "
      "node | max / mean | busiest node's share | lookup p50 / p99 | no record |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  std::vector<row> rows;
  unsigned seed = 21;
  for (unsigned d : opt.densities) {
    row r = run(opt, d, seed++);
    std::printf(
        "| %u | %zu | %llu | %.1f | %zu / %zu | %.0f | %.0f | %.2f | %.1f%% | %.1f / %.1f ms | "
        "%zu |\n",
        r.density, r.puts, static_cast<unsigned long long>(r.total),
        static_cast<double>(r.total) / static_cast<double>(opt.lookups), r.serving, opt.nodes,
        r.mean, r.max, r.mean > 0 ? r.max / r.mean : 0.0,
        r.total > 0 ? 100.0 * r.max / static_cast<double>(r.total) : 0.0, r.p50, r.p99, r.missing);
    std::fflush(stdout);
    rows.push_back(r);
  }
  std::printf("\n");
  for (const row& r : rows)
    std::printf(
        "D=%u: swarm ready in %.1f s, %zu of %zu puts failed, %zu lookups unanswered, lookups "
        "took %.1f s (%.0f/s), gets served in 2 s idle before them: %llu\n",
        r.density, r.ready_s, r.puts_failed, r.puts, r.unanswered, r.lookup_s,
        static_cast<double>(opt.lookups) / r.lookup_s, static_cast<unsigned long long>(r.idle));
  std::printf(
      "\nbusiest nodes: gets answered per lookup, and of the D keys how many the node is among "
      "the 8 closest to (its storer share)\n");
  for (const row& r : rows) {
    std::printf("D=%u:", r.density);
    for (const hot_node& h : r.hottest)
      std::printf("  #%zu %.2f gets/lookup, %u/%u keys%s", h.index, h.gets_per_lookup, h.keys_held,
                  r.density, h.relay ? ", relay" : "");
    std::printf("\n");
  }
}
