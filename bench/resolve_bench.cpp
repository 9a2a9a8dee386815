// RFC 3263 resolution time: how long the proxy peer's DNS client
// (dns::client: c-ares on an asio loop, the TTL cache, the locator) takes to
// turn sip:carol@example.test into its ordered destinations, against a real
// BIND9 on 127.0.0.1 (tests/support/named_server.hpp) serving example.test as
// tests/interwork/public_network.sh does: NAPTR SIP+D2U and SIP+D2T, each
// SRV to sip1 (priority 10) and sip2 (20), an A for each. With the node's
// default transports (UDP, TCP, TLS) one resolution asks 7 questions:
// NAPTR, two SRV, and A and AAAA for each of the two targets (no AAAA: a
// negative answer, cached for the SOA's negative TTL).
//
//   build/release/bench/resolve_bench [--benchmark_...]
//
// - new_client: the very first resolution of a node: a new client (a new
//   c-ares channel, so its socket is opened by the first query), empty cache.
// - uncached: a running node's first resolution of a domain: the c-ares
//   channel is kept, the cache and the locator are new each time.
// - cached: every answer in the cache (TTLs of 300 s here; the test zone's
//   are 5 s): no query leaves the process, the answer still comes through
//   the loop (resolver::post), as the proxy gets it.
// Real time is what a call waits; CPU time is this process's share of it
// (named's is not counted). Building the client is outside the timing.
#include <benchmark/benchmark.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "dns/caching_resolver.hpp"
#include "dns/cares_resolver.hpp"
#include "dns/client.hpp"
#include "dns/locator.hpp"
#include "support/named_server.hpp"

namespace {

using namespace p2psip;
using namespace std::chrono_literals;

constexpr const char* target_uri = "sip:carol@example.test";

// public_network.sh's example.test, with TTLs (and the negative TTL) long
// enough that nothing expires from the cache during a run.
constexpr const char* zone_text = R"($TTL 300
@         IN SOA   ns hostmaster 1 3600 600 86400 300
@         IN NS    ns
ns        IN A     127.0.0.53
@         IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp
@         IN NAPTR 20 50 "s" "SIP+D2T" "" _sip._tcp
_sip._udp IN SRV   10 0 5060 sip1
_sip._udp IN SRV   20 0 5060 sip2
_sip._tcp IN SRV   10 0 5060 sip1
_sip._tcp IN SRV   20 0 5060 sip2
sip1      IN A     127.0.0.20
sip2      IN A     127.0.0.22
)";

std::unique_ptr<test::named_server> named;  // started by main()

dns::cares_resolver::settings network_settings() {
  dns::cares_resolver::settings s;
  s.servers = {named->server()};
  return s;
}

std::uint32_t no_random() {
  return 0;
}

// One locate() on `io`'s loop, run until its answer comes: the destinations,
// or nothing (and the benchmark is marked failed) on an error or after 5 s.
std::optional<std::vector<dns::destination>> locate(asio::io_context& io, dns::locator& l,
                                                    benchmark::State& state) {
  std::optional<std::pair<std::error_code, std::vector<dns::destination>>> out;
  l.locate(target_uri, [&out](std::error_code ec, std::vector<dns::destination> found) {
    out.emplace(ec, std::move(found));
  });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!out && std::chrono::steady_clock::now() < deadline) {
    // A loop that ran out of work stops; run_one_for() then does nothing.
    if (io.stopped()) io.restart();
    io.run_one_for(100ms);
  }
  if (!out) {
    state.SkipWithError("no answer within 5 s");
    return std::nullopt;
  }
  if (out->first || out->second.empty()) {
    state.SkipWithError(("resolution failed: " + out->first.message()).c_str());
    return std::nullopt;
  }
  return std::move(out->second);
}

// Two destinations per transport: sip1 then sip2, UDP (order 10) first.
void check(const std::vector<dns::destination>& found, benchmark::State& state) {
  if (found.size() != 4 || transport::to_string(found[0]) != "udp:127.0.0.20:5060") {
    std::string got;
    for (const auto& d : found) got += transport::to_string(d) + " ";
    state.SkipWithError(("unexpected destinations: " + got).c_str());
  }
}

void BM_rfc3263_new_client(benchmark::State& state) {
  asio::io_context io;
  std::uint64_t queries = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::error_code ec;
    dns::client_settings s;
    s.network = network_settings();
    auto c = dns::client::create(io.get_executor(), s, no_random, ec);
    if (!c) {
      state.SkipWithError(("client: " + ec.message()).c_str());
      break;
    }
    state.ResumeTiming();
    const auto found = locate(io, c->locator(), state);
    if (!found) break;
    state.PauseTiming();
    check(*found, state);
    queries += c->network_stats().queries;
    c.reset();
    io.poll();  // let the channel's sockets go before the next one
    state.ResumeTiming();
  }
  state.counters["dns_queries"] =
      benchmark::Counter(static_cast<double>(queries), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_rfc3263_new_client)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_rfc3263_uncached(benchmark::State& state) {
  asio::io_context io;
  std::error_code ec;
  auto network = dns::cares_resolver::create(io.get_executor(), network_settings(), ec);
  if (!network) {
    state.SkipWithError(("resolver: " + ec.message()).c_str());
    return;
  }
  const auto now = [] { return std::chrono::steady_clock::now(); };
  const auto before = network->stats().queries;
  for (auto _ : state) {
    state.PauseTiming();
    // The order matters: the locator is destroyed before its resolver.
    auto cached = std::make_unique<dns::caching_resolver>(*network, dns::cache::settings{}, now);
    auto l = std::make_unique<dns::locator>(*cached, dns::locator::settings{}, no_random, now);
    state.ResumeTiming();
    const auto found = locate(io, *l, state);
    if (!found) break;
    state.PauseTiming();
    check(*found, state);
    l.reset();
    cached.reset();
    state.ResumeTiming();
  }
  state.counters["dns_queries"] = benchmark::Counter(
      static_cast<double>(network->stats().queries - before), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_rfc3263_uncached)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_rfc3263_cached(benchmark::State& state) {
  asio::io_context io;
  std::error_code ec;
  dns::client_settings s;
  s.network = network_settings();
  auto c = dns::client::create(io.get_executor(), s, no_random, ec);
  if (!c) {
    state.SkipWithError(("client: " + ec.message()).c_str());
    return;
  }
  if (!locate(io, c->locator(), state)) return;  // fills the cache
  const auto before = c->network_stats().queries;
  for (auto _ : state) {
    const auto found = locate(io, c->locator(), state);
    if (!found) break;
    benchmark::DoNotOptimize(found->data());
  }
  state.counters["dns_queries"] = benchmark::Counter(
      static_cast<double>(c->network_stats().queries - before), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_rfc3263_cached)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    named = std::make_unique<test::named_server>(
        test::named_options{{{"example.test.", zone_text, {}}}, {}, {}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "resolve_bench: BIND9 did not start: %s\n", e.what());
    return 2;
  }
  std::printf("BIND9 (named) at %s serving example.test; resolving %s\n", named->server().c_str(),
              target_uri);
  std::fflush(stdout);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  named.reset();
  return 0;
}
