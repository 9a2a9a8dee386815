// What a signed overlay record costs: our scheme (Ed25519 signature carried
// inside the value, certificate chained to the overlay CA) against OpenDHT's
// putSigned (RSA-2048 with SHA-512, public key carried in the value).
// docs/identity.md records the numbers and the decision they support.
#include <benchmark/benchmark.h>
#include <opendht/crypto.h>
#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <vector>

#include "identity/authority.hpp"
#include "identity/trust.hpp"

namespace {

using namespace p2psip::identity;

constexpr std::size_t record_size = 300;  // a binding record, about

std::vector<std::uint8_t> record() {
  std::vector<std::uint8_t> data(record_size);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 17);
  return data;
}

const certificate_authority& ca() {
  static const auto instance = certificate_authority::create("p2psip.test");
  return instance;
}

const issued& alice() {
  static const auto instance = ca().issue_user("sip:alice@p2psip.test");
  return instance;
}

void BM_ed25519_sign(benchmark::State& state) {
  const auto data = record();
  std::size_t size = 0;
  for (auto _ : state) {
    auto sig = alice().key.sign(data);
    size = sig.size();
    benchmark::DoNotOptimize(sig.data());
  }
  state.counters["sig_bytes"] = static_cast<double>(size);
  state.counters["user_cert_der"] = static_cast<double>(alice().cert.der().size());
}
BENCHMARK(BM_ed25519_sign);

void BM_ed25519_verify(benchmark::State& state) {
  const auto data = record();
  const auto sig = alice().key.sign(data);
  for (auto _ : state) {
    if (!alice().cert.verify(data, sig)) state.SkipWithError("signature did not verify");
  }
  state.counters["sig_bytes"] = static_cast<double>(sig.size());
}
BENCHMARK(BM_ed25519_verify);

// Every iteration a certificate the anchor has not seen: X509 chain check.
void BM_trust_verify_cold(benchmark::State& state) {
  std::vector<certificate> certs;
  for (int i = 0; i < 512; ++i) certs.push_back(ca().issue_user("sip:alice@p2psip.test").cert);
  auto anchor = std::make_unique<trust_anchor>(ca().cert());
  std::size_t next = 0;
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    if (next == certs.size()) {
      state.PauseTiming();
      anchor = std::make_unique<trust_anchor>(ca().cert());
      next = 0;
      state.ResumeTiming();
    }
    if (anchor->verify(certs[next++], now)) state.SkipWithError("certificate not trusted");
  }
}
BENCHMARK(BM_trust_verify_cold);

// The same certificate again: the cached verdict plus the date comparison.
void BM_trust_verify_warm(benchmark::State& state) {
  const trust_anchor anchor{ca().cert()};
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    if (anchor.verify(alice().cert, now)) state.SkipWithError("certificate not trusted");
  }
}
BENCHMARK(BM_trust_verify_warm);

// What a reader does for a record signed by a certificate it has seen before:
// parse the carried certificate, check the chain (cached), check the signature.
void BM_record_check_warm(benchmark::State& state) {
  const trust_anchor anchor{ca().cert()};
  const auto data = record();
  const auto sig = alice().key.sign(data);
  const auto der = alice().cert.der();
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    std::error_code ec;
    const auto cert = certificate::from_der(der, ec);
    if (ec || anchor.verify(cert, now) || !cert.verify(data, sig))
      state.SkipWithError("record rejected");
  }
}
BENCHMARK(BM_record_check_warm);

// The same with the parsed certificate kept by fingerprint: OpenSSL 3.0's
// d2i_X509 dominates the line above, a SHA-256 of the DER costs ~1 us.
void BM_record_check_cached_certificate(benchmark::State& state) {
  const trust_anchor anchor{ca().cert()};
  const auto data = record();
  const auto sig = alice().key.sign(data);
  const auto der = alice().cert.der();
  const auto now = std::chrono::system_clock::now();
  std::map<fingerprint, certificate> parsed;
  for (auto _ : state) {
    fingerprint fp{};
    EVP_Digest(der.data(), der.size(), fp.data(), nullptr, EVP_sha256(), nullptr);
    auto it = parsed.find(fp);
    if (it == parsed.end()) {
      std::error_code ec;
      it = parsed.emplace(fp, certificate::from_der(der, ec)).first;
    }
    if (anchor.verify(it->second, now) || !it->second.verify(data, sig))
      state.SkipWithError("record rejected");
  }
}
BENCHMARK(BM_record_check_cached_certificate);

void BM_certificate_parse(benchmark::State& state) {
  const auto der = alice().cert.der();
  for (auto _ : state) {
    std::error_code ec;
    auto cert = certificate::from_der(der, ec);
    benchmark::DoNotOptimize(cert);
  }
}
BENCHMARK(BM_certificate_parse);

void BM_certificate_sizes(benchmark::State& state) {
  const auto node = ca().issue_node("0123456789abcdef0123456789abcdef01234567", false);
  const auto domain = ca().issue_node("0123456789abcdef0123456789abcdef01234567", true);
  for (auto _ : state) benchmark::DoNotOptimize(node.cert.der().data());
  state.counters["ca_cert_der"] = static_cast<double>(ca().cert().der().size());
  state.counters["user_cert_der"] = static_cast<double>(alice().cert.der().size());
  state.counters["node_cert_der"] = static_cast<double>(node.cert.der().size());
  state.counters["node_domain_cert_der"] = static_cast<double>(domain.cert.der().size());
}
BENCHMARK(BM_certificate_sizes)->Iterations(1);

// OpenDHT's scheme: the key putSigned uses, RSA-2048, signing with SHA-512.
const dht::crypto::PrivateKey& rsa_key() {
  static const auto key = dht::crypto::PrivateKey::generate(2048);
  return key;
}

void BM_opendht_rsa2048_sign(benchmark::State& state) {
  const auto bytes = record();
  const dht::Blob data(bytes.begin(), bytes.end());
  std::size_t size = 0;
  for (auto _ : state) {
    auto sig = rsa_key().sign(data);
    size = sig.size();
    benchmark::DoNotOptimize(sig.data());
  }
  dht::Blob packed_key;
  rsa_key().getPublicKey().pack(packed_key);
  state.counters["sig_bytes"] = static_cast<double>(size);
  state.counters["pubkey_bytes"] = static_cast<double>(packed_key.size());
}
BENCHMARK(BM_opendht_rsa2048_sign);

void BM_opendht_rsa2048_verify(benchmark::State& state) {
  const auto bytes = record();
  const dht::Blob data(bytes.begin(), bytes.end());
  const auto sig = rsa_key().sign(data);
  const auto& pub = rsa_key().getPublicKey();
  for (auto _ : state) {
    if (!pub.checkSignature(data, sig)) state.SkipWithError("signature did not verify");
  }
  state.counters["sig_bytes"] = static_cast<double>(sig.size());
}
BENCHMARK(BM_opendht_rsa2048_verify);

}  // namespace

BENCHMARK_MAIN();
