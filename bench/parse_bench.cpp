// parse_bench: our zero-copy SIP parser against osip2, side by side, on a
// realistic mid-dialog INVITE (~1 KB with SDP) and an outbound REGISTER
// (~500 B with digest credentials).
//
// Each iteration does the work a proxy does before it routes a request:
// parse the datagram, then read the top Via's branch and host, the From and
// To tags, Call-ID, CSeq number and method, Max-Forwards, the first Route's
// URI and the first Contact's URI. osip2 parses every header while parsing
// the message; we parse Route and Contact on demand, inside the timed loop.
//
// Heap allocations are counted per message: replacing the global operator
// new/delete covers C++ code, osip_set_allocators() covers osip (which
// allocates through osip_malloc/osip_realloc). After the Google Benchmark
// output, a summary prints ns/msg for both sides, the osip2/p2psip ratio and
// allocations per message.
//
//   ./build/release/bench/parse_bench --benchmark_min_time=0.5
//
// Set P2PSIP_BENCH_TRAP_ALLOC=1 to abort() at the first operator new on our
// parse path (during the start-up self-check), so a debugger or core dump
// shows where it came from.

#include <benchmark/benchmark.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sip/headers.hpp"
#include "sip/message.hpp"
#include "sip/parser.hpp"

namespace sip = p2psip::sip;

// ---------------------------------------------------------------------------
// Allocation counting
// ---------------------------------------------------------------------------
namespace {

// The benchmarks run on one thread; a relaxed load+store keeps the count
// free of data races without paying for a locked read-modify-write on every
// allocation (which would inflate osip's time).
std::atomic<std::uint64_t> g_allocs{0};
std::atomic<std::uint64_t> g_alloc_bytes{0};
std::atomic<bool> g_trap_new{false};

inline void note_alloc(std::size_t n) noexcept {
  g_allocs.store(g_allocs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  g_alloc_bytes.store(g_alloc_bytes.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

inline void note_new(std::size_t n) noexcept {
  if (g_trap_new.load(std::memory_order_relaxed)) {
    std::fputs("parse_bench: operator new called on the p2psip parse path\n", stderr);
    std::abort();
  }
  note_alloc(n);
}

struct alloc_snapshot {
  std::uint64_t count = g_allocs.load(std::memory_order_relaxed);
  std::uint64_t bytes = g_alloc_bytes.load(std::memory_order_relaxed);
};

void* counted_new(std::size_t n) {
  note_new(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

void* counted_new_aligned(std::size_t n, std::align_val_t al) {
  note_new(n);
  const auto align = static_cast<std::size_t>(al);
  void* p = nullptr;
  if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, n == 0 ? 1 : n) != 0)
    throw std::bad_alloc();
  return p;
}

// osip's allocator hooks (C linkage function types).
extern "C" void* osip_counting_malloc(size_t n) {
  note_alloc(n);
  return std::malloc(n);
}
extern "C" void* osip_counting_realloc(void* p, size_t n) {
  note_alloc(n);
  return std::realloc(p, n);
}
extern "C" void osip_counting_free(void* p) {
  std::free(p);
}

}  // namespace

void* operator new(std::size_t n) {
  return counted_new(n);
}
void* operator new[](std::size_t n) {
  return counted_new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t al) {
  return counted_new_aligned(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al) {
  return counted_new_aligned(n, al);
}
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return counted_new_aligned(n, al);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return counted_new_aligned(n, al);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

// A re-INVITE inside a dialog, as the second proxy on the path receives it:
// two Vias, the route set, both tags, an SDP offer.
constexpr std::string_view invite_head =
    "INVITE sip:bob@192.0.2.4:5060;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1\r\n"
    "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;"
    "received=192.0.2.101;rport=5060\r\n"
    "Max-Forwards: 69\r\n"
    "Route: <sip:proxy2.biloxi.example.com;lr>\r\n"
    "Record-Route: <sip:proxy1.atlanta.example.com;lr>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: \"Bob\" <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 2 INVITE\r\n"
    "Contact: <sip:alice@client.atlanta.example.com:5060;transport=udp>\r\n"
    "User-Agent: ExamplePhone/4.2.1\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, UPDATE, PRACK\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Content-Type: application/sdp\r\n";

constexpr std::string_view invite_body =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 client.atlanta.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 97 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

// An RFC 5626 outbound REGISTER answering a digest challenge.
constexpr std::string_view register_head =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:edge.example.com;lr>\r\n"
    "From: <sip:bob@example.com>;tag=a73kszlfl\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.4\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: <sip:bob@192.0.2.4:5060>;expires=3600;"
    "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1\r\n"
    "Authorization: Digest username=\"bob\", realm=\"example.com\", "
    "nonce=\"dcd98b7102dd2f0e\", uri=\"sip:example.com\", "
    "response=\"245f23415f11432b3434341c022ee1b7\"\r\n";

std::string with_body(std::string_view head, std::string_view body) {
  std::string out(head);
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

// ---------------------------------------------------------------------------
// The two implementations of "parse and read the routing fields"
// ---------------------------------------------------------------------------

struct p2psip_fields {
  std::string_view branch;
  std::string_view via_host;
  std::string_view from_tag;
  std::string_view to_tag;
  std::string_view call_id;
  std::uint32_t cseq_number = 0;
  std::string_view cseq_method;
  std::uint32_t max_forwards = 0;
  sip::uri route_uri;
  sip::uri contact_uri;
};

// parse() + extraction. Returns false when any step fails.
inline bool p2psip_parse_extract(std::string_view bytes, sip::message& m, p2psip_fields& f) {
  if (!sip::parse(bytes, m)) return false;
  const sip::via& v = m.top_via();
  f.branch = v.branch;
  f.via_host = v.host;
  f.from_tag = m.from().tag();
  f.to_tag = m.to().tag();
  f.call_id = m.call_id();
  f.cseq_number = m.cseq().number;
  f.cseq_method = m.cseq().method;
  const auto mf = m.max_forwards();
  if (!mf) return false;
  f.max_forwards = *mf;
  const auto route = m.values(sip::header_id::route).front();
  if (!route) return false;
  const auto route_na = sip::parse_name_addr(*route);
  if (!route_na) return false;
  f.route_uri = route_na->address;
  const auto contact_value = m.values(sip::header_id::contact).front();
  if (!contact_value) return false;
  const auto c = sip::parse_contact(*contact_value);
  if (!c) return false;
  f.contact_uri = c->address.address;
  return true;
}

struct osip2_fields {
  const char* branch = nullptr;
  const char* via_host = nullptr;
  const char* from_tag = nullptr;
  const char* to_tag = nullptr;
  const char* call_id_number = nullptr;
  const char* call_id_host = nullptr;
  unsigned long cseq_number = 0;
  const char* cseq_method = nullptr;
  unsigned long max_forwards = 0;
  const osip_uri_t* route_uri = nullptr;
  const osip_uri_t* contact_uri = nullptr;
};

// osip's *_get_tag macros pass a string literal as char*; name the
// parameters once instead.
char param_branch[] = "branch";
char param_tag[] = "tag";

const char* generic_param(osip_list_t* params, char* name) {
  osip_generic_param_t* p = nullptr;
  if (osip_generic_param_get_byname(params, name, &p) != 0 || p == nullptr) return nullptr;
  return p->gvalue;
}

// Reads the fields of a parsed osip message. The pointers are valid until
// osip_message_free().
inline bool osip2_extract(osip_message_t* msg, osip2_fields& f) {
  osip_via_t* via = nullptr;
  if (osip_message_get_via(msg, 0, &via) < 0 || via == nullptr) return false;
  f.branch = generic_param(&via->via_params, param_branch);
  f.via_host = via->host;
  if (msg->from == nullptr || msg->to == nullptr) return false;
  f.from_tag = generic_param(&msg->from->gen_params, param_tag);
  f.to_tag = generic_param(&msg->to->gen_params, param_tag);
  const osip_call_id_t* call_id = osip_message_get_call_id(msg);
  if (call_id == nullptr) return false;
  f.call_id_number = call_id->number;
  f.call_id_host = call_id->host;
  const osip_cseq_t* cseq = osip_message_get_cseq(msg);
  if (cseq == nullptr || cseq->number == nullptr) return false;
  f.cseq_number = std::strtoul(cseq->number, nullptr, 10);
  f.cseq_method = cseq->method;
  osip_header_t* max_forwards = nullptr;
  if (osip_message_get_max_forwards(msg, 0, &max_forwards) < 0 || max_forwards == nullptr ||
      max_forwards->hvalue == nullptr)
    return false;
  f.max_forwards = std::strtoul(max_forwards->hvalue, nullptr, 10);
  osip_route_t* route = nullptr;
  if (osip_message_get_route(msg, 0, &route) < 0 || route == nullptr) return false;
  f.route_uri = route->url;
  osip_contact_t* contact = nullptr;
  if (osip_message_get_contact(msg, 0, &contact) < 0 || contact == nullptr) return false;
  f.contact_uri = contact->url;
  return true;
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

void report_counters(benchmark::State& state, const alloc_snapshot& before, std::size_t size) {
  const alloc_snapshot after;
  state.counters["allocs_per_msg"] = benchmark::Counter(
      static_cast<double>(after.count - before.count), benchmark::Counter::kAvgIterations);
  state.counters["alloc_bytes_per_msg"] = benchmark::Counter(
      static_cast<double>(after.bytes - before.bytes), benchmark::Counter::kAvgIterations);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

void bm_p2psip(benchmark::State& state, const std::string* text) {
  const std::string_view bytes = *text;
  // ~7 KB of inline header storage: keep it off the benchmark's stack frame
  // and reuse it across iterations, as a transport's receive loop does.
  static sip::message m;
  const alloc_snapshot before;
  for (auto _ : state) {
    p2psip_fields f;
    if (!p2psip_parse_extract(bytes, m, f)) {
      state.SkipWithError("p2psip: parse or extraction failed");
      break;
    }
    benchmark::DoNotOptimize(f);
    benchmark::ClobberMemory();
  }
  report_counters(state, before, bytes.size());
}

void bm_osip2(benchmark::State& state, const std::string* text) {
  const alloc_snapshot before;
  for (auto _ : state) {
    osip_message_t* msg = nullptr;
    if (osip_message_init(&msg) != 0) {
      state.SkipWithError("osip2: osip_message_init failed");
      break;
    }
    osip2_fields f;
    const bool ok =
        osip_message_parse(msg, text->data(), text->size()) == 0 && osip2_extract(msg, f);
    benchmark::DoNotOptimize(f);
    benchmark::ClobberMemory();
    osip_message_free(msg);
    if (!ok) {
      state.SkipWithError("osip2: parse or extraction failed");
      break;
    }
  }
  report_counters(state, before, text->size());
}

// ---------------------------------------------------------------------------
// Start-up self-check: both parsers see the same message
// ---------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "parse_bench: sanity check failed: " << what << '\n';
  std::exit(2);
}

std::string str(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

void expect_equal(std::string_view msg_name, std::string_view field, std::string_view ours,
                  std::string_view theirs) {
  if (ours != theirs) {
    std::ostringstream os;
    os << msg_name << ": " << field << " differs: p2psip \"" << ours << "\", osip2 \"" << theirs
       << '"';
    fail(os.str());
  }
}

// Returns the number of allocations one p2psip parse+extract made.
std::uint64_t check_message(std::string_view name, const std::string& text,
                            std::size_t expected_body) {
  static sip::message m;
  p2psip_fields ours;
  // Warm-up parse, then a counted one (with the trap armed if asked).
  if (!p2psip_parse_extract(text, m, ours)) fail(std::string(name) + ": p2psip did not parse");
  const bool trap = std::getenv("P2PSIP_BENCH_TRAP_ALLOC") != nullptr;
  const alloc_snapshot before;
  g_trap_new.store(trap, std::memory_order_relaxed);
  const bool ok = p2psip_parse_extract(text, m, ours);
  g_trap_new.store(false, std::memory_order_relaxed);
  const alloc_snapshot after;
  if (!ok) fail(std::string(name) + ": p2psip did not parse");
  if (m.body().size() != expected_body || m.content_length() != expected_body)
    fail(std::string(name) + ": p2psip body length");

  osip_message_t* msg = nullptr;
  if (osip_message_init(&msg) != 0) fail("osip_message_init");
  if (osip_message_parse(msg, text.data(), text.size()) != 0)
    fail(std::string(name) + ": osip2 did not parse");
  osip2_fields theirs;
  if (!osip2_extract(msg, theirs)) fail(std::string(name) + ": osip2 extraction failed");

  std::string theirs_call_id = str(theirs.call_id_number);
  if (theirs.call_id_host != nullptr) {
    // Appended piecewise: `"@" + std::string` trips GCC 12's -Wrestrict false positive.
    theirs_call_id += '@';
    theirs_call_id += theirs.call_id_host;
  }
  expect_equal(name, "Call-ID", ours.call_id, theirs_call_id);
  expect_equal(name, "Via branch", ours.branch, str(theirs.branch));
  expect_equal(name, "Via host", ours.via_host, str(theirs.via_host));
  expect_equal(name, "CSeq number", std::to_string(ours.cseq_number),
               std::to_string(theirs.cseq_number));
  expect_equal(name, "CSeq method", ours.cseq_method, str(theirs.cseq_method));
  expect_equal(name, "From tag", ours.from_tag, str(theirs.from_tag));
  expect_equal(name, "To tag", ours.to_tag, str(theirs.to_tag));
  expect_equal(name, "Max-Forwards", std::to_string(ours.max_forwards),
               std::to_string(theirs.max_forwards));
  expect_equal(name, "Route host", ours.route_uri.host, str(theirs.route_uri->host));
  expect_equal(name, "Contact host", ours.contact_uri.host, str(theirs.contact_uri->host));
  expect_equal(name, "Contact user", ours.contact_uri.user, str(theirs.contact_uri->username));
  osip_message_free(msg);

  std::cout << "self-check " << name << " (" << text.size() << " B, body " << expected_body
            << " B): Call-ID " << ours.call_id << ", branch " << ours.branch << ", CSeq "
            << ours.cseq_number << ' ' << ours.cseq_method << ": both parsers agree\n";
  return after.count - before.count;
}

// ---------------------------------------------------------------------------
// Reporter: the usual console output, then the side-by-side summary
// ---------------------------------------------------------------------------

class summary_reporter : public benchmark::ConsoleReporter {
 public:
  summary_reporter() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred || run.iterations <= 0) continue;
      const std::string name = run.benchmark_name();
      const std::string message = name.find("/invite/") != std::string::npos     ? "invite"
                                  : name.find("/register/") != std::string::npos ? "register"
                                                                                 : "";
      const std::string impl = name.find("/p2psip") != std::string::npos  ? "p2psip"
                               : name.find("/osip2") != std::string::npos ? "osip2"
                                                                          : "";
      if (message.empty() || impl.empty()) continue;
      totals& t = results_[message][impl];
      const auto iterations = static_cast<double>(run.iterations);
      t.iterations += iterations;
      t.real_seconds += run.real_accumulated_time;
      t.cpu_seconds += run.cpu_accumulated_time;
      const double ns = run.real_accumulated_time * 1e9 / iterations;
      if (t.runs++ == 0 || ns < t.best_real_ns) t.best_real_ns = ns;
      // kAvgIterations counters arrive already divided by the iterations.
      if (auto it = run.counters.find("allocs_per_msg"); it != run.counters.end())
        t.allocs += it->second.value * iterations;
      if (auto it = run.counters.find("alloc_bytes_per_msg"); it != run.counters.end())
        t.alloc_bytes += it->second.value * iterations;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::ostream& out = GetOutputStream();
    out << "\nSummary (wall-clock time per message; cpu ratio in brackets)\n";
    out << std::left << std::setw(10) << "message" << std::right << std::setw(7) << "bytes"
        << std::setw(13) << "p2psip ns" << std::setw(13) << "osip2 ns" << std::setw(20)
        << "osip2/p2psip" << std::setw(15) << "p2psip allocs" << std::setw(14) << "osip2 allocs"
        << std::setw(15) << "osip2 B alloc" << '\n';
    for (const auto& [message, size] : sizes_) {
      const auto found = results_.find(message);
      if (found == results_.end()) continue;
      const auto ours_it = found->second.find("p2psip");
      const auto theirs_it = found->second.find("osip2");
      if (ours_it == found->second.end() || theirs_it == found->second.end()) continue;
      const totals& ours = ours_it->second;
      const totals& theirs = theirs_it->second;
      std::ostringstream ratio;
      ratio << std::fixed << std::setprecision(1) << theirs.real_ns() / ours.real_ns() << "x ("
            << theirs.cpu_ns() / ours.cpu_ns() << "x)";
      out << std::left << std::setw(10) << message << std::right << std::setw(7) << size
          << std::fixed << std::setprecision(1) << std::setw(13) << ours.real_ns() << std::setw(13)
          << theirs.real_ns() << std::setw(20) << ratio.str() << std::setprecision(2)
          << std::setw(15) << ours.allocs_per_msg() << std::setw(14) << theirs.allocs_per_msg()
          << std::setprecision(0) << std::setw(15) << theirs.alloc_bytes_per_msg() << '\n';
      if (message == "invite") {
        const double r = theirs.real_ns() / ours.real_ns();
        out << "  target >= 5x on the INVITE: " << (r >= 5.0 ? "met" : "NOT met") << '\n';
      }
      if (ours.runs > 1 && theirs.runs > 1)
        out << "  best of " << ours.runs << " repetitions: p2psip " << std::setprecision(1)
            << ours.best_real_ns << " ns, osip2 " << theirs.best_real_ns << " ns, ratio "
            << theirs.best_real_ns / ours.best_real_ns << "x\n";
      if (ours.allocs > 0.0)
        out << "  p2psip allocated on the " << message
            << " path: rerun with P2PSIP_BENCH_TRAP_ALLOC=1 under gdb to locate it\n";
    }
    out.flush();
  }

  void add_message(const std::string& name, std::size_t size) { sizes_.emplace_back(name, size); }

 private:
  struct totals {
    double iterations = 0;
    double real_seconds = 0;
    double cpu_seconds = 0;
    double allocs = 0;
    double alloc_bytes = 0;
    int runs = 0;             // repetitions seen
    double best_real_ns = 0;  // fastest repetition
    double real_ns() const { return real_seconds * 1e9 / iterations; }
    double cpu_ns() const { return cpu_seconds * 1e9 / iterations; }
    double allocs_per_msg() const { return allocs / iterations; }
    double alloc_bytes_per_msg() const { return alloc_bytes / iterations; }
  };
  std::vector<std::pair<std::string, std::size_t>> sizes_;
  std::map<std::string, std::map<std::string, totals>> results_;
};

}  // namespace

int main(int argc, char** argv) {
  // Before osip allocates anything, so every block it frees came from us.
  osip_set_allocators(osip_counting_malloc, osip_counting_realloc, osip_counting_free);
  if (parser_init() != 0) {
    std::cerr << "parse_bench: osip parser_init failed\n";
    return 2;
  }

  // The replacement operator new must be the one in use, or "0 allocations"
  // would mean nothing.
  {
    const alloc_snapshot before;
    auto* probe = new std::string(200, 'x');
    benchmark::DoNotOptimize(probe);
    delete probe;
    if (alloc_snapshot{}.count == before.count) {
      std::cerr << "parse_bench: the counting operator new is not in use\n";
      return 2;
    }
  }

  static const std::string invite = with_body(invite_head, invite_body);
  static const std::string register_ = with_body(register_head, {});

  const std::uint64_t invite_allocs = check_message("invite", invite, invite_body.size());
  const std::uint64_t register_allocs = check_message("register", register_, 0);
  std::cout << "p2psip allocations in one parse+extract: invite " << invite_allocs << ", register "
            << register_allocs << "\n\n";
  std::cout.flush();

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  benchmark::RegisterBenchmark("BM_Parse/invite/p2psip", bm_p2psip, &invite);
  benchmark::RegisterBenchmark("BM_Parse/invite/osip2", bm_osip2, &invite);
  benchmark::RegisterBenchmark("BM_Parse/register/p2psip", bm_p2psip, &register_);
  benchmark::RegisterBenchmark("BM_Parse/register/osip2", bm_osip2, &register_);

  summary_reporter reporter;
  reporter.add_message("invite", invite.size());
  reporter.add_message("register", register_.size());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
