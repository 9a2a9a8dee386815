// Makes the seed corpus of record_fuzzer: one signed value per file, each a
// record of the kinds a node stores, made by a fresh overlay CA whose
// certificate is written next to them. Every seed is valid at the fuzzer's
// clock (record_seeds.hpp), and some sit at the bounds of record_content.hpp,
// so the fuzzer starts from records that pass every check and from records
// one mutation away from a limit.
//
//   record_seeds tests/fuzz/corpus/record tests/fuzz/record_seeds_ca.pem
//
// Run it again only when the envelope format changes; it replaces both.
#include "record_seeds.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "identity/authority.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_content.hpp"
#include "overlay/record_store.hpp"

namespace {

using namespace p2psip;
using namespace p2psip::overlay;

struct seed {
  std::string name;
  record body;
  const signer* by;
};

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::vector<seed> seeds(const signer& alice, const signer& node_a, unix_seconds now) {
  const std::string overlay = fuzz::record_overlay;
  binding_record user{.aor = "sip:alice@" + overlay,
                      .contact = "sip:alice@192.0.2.10:52044;transport=tcp;ob",
                      .path = {"<sip:QUJDREVGR0hJSktMTU5PUA@192.0.2.20:5070;transport=tcp;lr>"},
                      .instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>",
                      .reg_id = 1,
                      .q = 1000,
                      .expires_at = now + 1800};

  binding_record through_proxies{
      .aor = "sip:bob@" + overlay,
      .contact = "sips:bob@[2001:db8::7]:5061",
      .path = {"sip:edge.example.com;lr", "\"edge\" <sip:[2001:db8::1]:5060;lr;ob>;x=\"a,b\""},
      .q = 500,
      .expires_at = now + 600};

  binding_record withdrawn = user;
  withdrawn.removed = true;

  // Every string at its bound, and the longest list of hops.
  binding_record at_limits = user;
  at_limits.contact = "sip:" + std::string(content_limits::contact - 14, 'c') + "@192.0.2.1";
  at_limits.path = {"<sip:" + std::string(content_limits::path_entry - 19, 'p') + "@127.0.0.1;lr>"};
  at_limits.instance = "<urn:x:\\\"" + std::string(content_limits::instance - 10, 'i') + ">";
  binding_record eight_hops = user;
  eight_hops.path.assign(content_limits::path_entries, "<sip:127.0.0.1:5070;lr>");

  node_record node{
      .node_id = "node-a",
      .uris = {"sip:node-a@127.0.0.1:5070", "sips:node-a@127.0.0.1:5071;transport=tls"},
      .expires_at = now + 600};
  service_record proxy{.service = "sip:" + overlay,
                       .index = 0,
                       .node_id = "node-a",
                       .uris = {"sip:198.51.100.1", "sips:198.51.100.1:5061"},
                       .capacity = 10,
                       .expires_at = now + 600};
  service_record relay{.service = "turn:" + overlay,
                       .index = 2,
                       .node_id = "node-a",
                       .uris = {"turn:127.0.0.1:3478?transport=udp", "turns:127.0.0.1:5349"},
                       .capacity = 100,
                       .load = 7,
                       .realm = overlay,
                       .auth_scheme = "turn-rest",
                       .expires_at = now + 600};

  return {
      {"binding-by-user", user, &alice},
      {"binding-by-node-through-proxies", through_proxies, &node_a},
      {"binding-withdrawn", withdrawn, &alice},
      {"binding-at-limits", at_limits, &alice},
      {"binding-eight-hops", eight_hops, &node_a},
      {"node", node, &node_a},
      {"service-proxy", proxy, &node_a},
      {"service-relay", relay, &node_a},
  };
}

void make_seeds(const std::filesystem::path& dir, const std::filesystem::path& ca_file) {
  auto ca = identity::certificate_authority::create(fuzz::record_overlay);
  const auto now = fuzz::record_clock(ca.cert());
  const identity::validity_window window{now - std::chrono::hours{1}, ca.cert().not_after()};
  auto make = [](identity::issued i) { return signer{std::move(i.key), std::move(i.cert)}; };
  const signer alice =
      make(ca.issue_user("sip:alice@" + std::string(fuzz::record_overlay), window));
  const signer node_a = make(ca.issue_node("node-a", /*domain_authority=*/true, window));
  const auto unix_now =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  std::filesystem::create_directories(dir);
  for (const auto& s : seeds(alice, node_a, unix_now)) {
    const auto bytes = seal(fuzz::reader_key(s.body), s.body, 1, s.by->key, s.by->cert);
    write(dir / s.name, std::string(bytes.begin(), bytes.end()));
  }
  write(ca_file, ca.cert().to_pem());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CORPUS-DIR CA-CERT-FILE\n", argv[0]);
    return 2;
  }
  try {
    make_seeds(argv[1], argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "record_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
