// Overlay lookups at scale: N real OpenDHT nodes in this process on
// 127.0.0.1 (one io_context, one thread), bindings published through random
// nodes, then looked up from random nodes before and after 30% of the nodes
// are killed without warning. Prints lookup latency p50/p99 and success
// rate, memory and threads per node, and signatures and verifications per
// second of the record envelope.
//
//   overlay_bench [N ...]        default: 100 500 1000
//
// Latencies are CPU-bound (every node shares this process's one thread),
// not network round trips; compare runs on the same machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
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
constexpr const char* overlay_name = "p2psip.test";

struct lookup_result {
  double p50_ms = 0, p99_ms = 0, success = 0;
  std::size_t count = 0;
};

long status_field(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return 0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

unix_seconds in_an_hour() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             (wall_clock::now() + std::chrono::hours{1}).time_since_epoch())
      .count();
}

void run(std::size_t n) {
  asio::io_context io;
  auto ca = identity::certificate_authority::create(overlay_name);
  auto verifier =
      std::make_shared<record_verifier>(overlay_name, identity::trust_anchor{ca.cert()});
  auto clock = [] { return wall_clock::now(); };
  long rss_before = status_field("VmRSS:");
  long threads_before = status_field("Threads:");
  testing::overlay_swarm swarm{io, overlay_name, storage_policies(verifier, clock), 11};
  auto ready = swarm.start(n, std::chrono::seconds{180});
  long rss_nodes = status_field("VmRSS:") - rss_before;
  long threads = status_field("Threads:") - threads_before;

  std::vector<std::unique_ptr<record_store>> stores;
  for (std::size_t i = 0; i < n; ++i)
    stores.push_back(std::make_unique<record_store>(swarm.node(i), verifier, clock));

  // One user per node, signed by the node (domain authority), as p2psipd does
  // for phones that have no certificate.
  auto node_cert = ca.issue_node("bench", true);
  signer node{node_cert.key, node_cert.cert};
  std::size_t users = n, pending = users, published = 0;
  std::vector<std::size_t> home(users);
  for (std::size_t u = 0; u < users; ++u) {
    home[u] = swarm.random_live();
    binding_record b{.aor = "sip:u" + std::to_string(u) + "@p2psip.test",
                     .contact = "sip:u@192.0.2.1:" + std::to_string(10000 + u),
                     .path = {"sip:127.0.0.1;lr"},
                     .instance = "",
                     .reg_id = 0,
                     .q = 1000,
                     .expires_at = in_an_hour()};
    stores[home[u]]->publish(node, b, [&](std::error_code ec) {
      --pending;
      published += ec ? 0 : 1;
    });
    io.poll();
  }
  auto deadline = steady::now() + std::chrono::seconds{300};
  while (pending > 0 && steady::now() < deadline) io.run_for(std::chrono::milliseconds{50});

  auto lookups = [&](std::size_t count) {
    std::vector<double> ms;
    std::size_t left = count, ok = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t u = swarm.random()() % users;
      auto begin = steady::now();
      stores[swarm.random_live()]->lookup_bindings(
          "sip:u" + std::to_string(u) + "@p2psip.test", [&, begin](auto found, std::error_code) {
            ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - begin).count());
            ok += valid_records(found).size() == 1 ? 1 : 0;
            --left;
          });
      // A steady stream, not one burst: at most 20 lookups in flight.
      while (left + i + 1 > count + 20) io.run_one_for(std::chrono::milliseconds{10});
    }
    auto end = steady::now() + std::chrono::seconds{300};
    while (left > 0 && steady::now() < end) io.run_for(std::chrono::milliseconds{20});
    return lookup_result{percentile(ms, 0.5), percentile(ms, 0.99),
                         static_cast<double>(ok) / static_cast<double>(count), count};
  };

  std::size_t count = std::max<std::size_t>(1000, n);
  lookup_result before = lookups(count);
  swarm.kill(0.3);
  // Only users whose binding could survive: every user here was published
  // through a node, and the storers, not the home node, hold it, so all count.
  lookup_result after = lookups(count);

  std::printf(
      "| %5zu | %6.1f s | %zu/%zu | %7.1f / %7.1f ms | %7.3f%% | %7.1f / %7.1f ms | %7.3f%% | "
      "%6.1f KiB | %ld |\n",
      n, static_cast<double>(ready.count()) / 1000.0, published, users, before.p50_ms,
      before.p99_ms, 100.0 * before.success, after.p50_ms, after.p99_ms, 100.0 * after.success,
      static_cast<double>(rss_nodes) / static_cast<double>(n), threads);
  std::fflush(stdout);
}

void signatures() {
  auto ca = identity::certificate_authority::create(overlay_name);
  auto user = ca.issue_user("sip:alice@p2psip.test");
  record_verifier verifier{overlay_name, identity::trust_anchor{ca.cert()}};
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
  begin = steady::now();
  int ok = 0;
  for (int i = 0; i < rounds; ++i)
    ok += verifier.check(k, v, wall_clock::now()).status == verdict::valid;
  double check_s = std::chrono::duration<double>(steady::now() - begin).count();
  std::printf(
      "\nrecord envelope (%zu bytes): seal+sign %.0f/s, full reader check (decode, contents, "
      "signature, chain cached, names) %.0f/s, %d/%d valid\n",
      sealed.size(), rounds / seal_s, rounds / check_s, ok, rounds);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
  if (sizes.empty()) sizes = {100, 500, 1000};
  std::printf(
      "| N | ready | published | lookup p50 / p99 before | ok before | p50 / p99 after 30%% killed "
      "| ok after | "
      "RSS/node | threads |\n|---|---|---|---|---|---|---|---|---|\n");
  for (std::size_t n : sizes) run(n);
  signatures();
}
