// Nodes of one in-memory overlay (memory_dht, the storage policies of
// record_verifier, certificates from one overlay CA), each with a
// service_directory for turn:p2psip.test: what relay peers and the nodes
// answering Get Relay share.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "identity/authority.hpp"
#include "node/service_directory.hpp"
#include "overlay/memory_dht.hpp"
#include "overlay/record_store.hpp"
#include "unit/ops/loopback.hpp"

namespace p2psip::node::test {

inline constexpr const char* overlay_id = "p2psip.test";

inline service_directory_settings turn_directory(std::chrono::seconds cache_for,
                                                 std::size_t want = 1) {
  return {.overlay_id = overlay_id,
          .service = std::string("turn:") + overlay_id,
          .density = 2,
          .refresh = std::chrono::seconds(60),
          .cache_for = cache_for,
          .want = want};
}

struct service_overlay {
  service_overlay() {
    auto now = [] { return overlay::wall_clock::now(); };
    auto verifier =
        std::make_shared<overlay::record_verifier>(overlay_id, identity::trust_anchor{ca.cert()});
    net = std::make_shared<overlay::memory_network>(io, overlay::storage_policies(verifier, now),
                                                    now);
    verifier_ = std::move(verifier);
  }

  // A node of the overlay without a directory; returns its record store.
  overlay::record_store& add_store() {
    dhts.push_back(std::make_unique<overlay::memory_dht>(net));
    stores.push_back(std::make_unique<overlay::record_store>(
        *dhts.back(), verifier_, [] { return overlay::wall_clock::now(); }));
    return *stores.back();
  }

  // A node `id` with its directory; returns that directory.
  service_directory& add(const std::string& id, service_directory_settings settings) {
    auto now = [] { return overlay::wall_clock::now(); };
    dhts.push_back(std::make_unique<overlay::memory_dht>(net));
    stores.push_back(std::make_unique<overlay::record_store>(*dhts.back(), verifier_, now));
    auto issued = ca.issue_node(id, false);
    directories.push_back(std::make_unique<service_directory>(
        io, *stores.back(), overlay::signer{std::move(issued.key), std::move(issued.cert)}, id,
        std::move(settings)));
    return *directories.back();
  }

  // One read through `d`, run to its end.
  std::vector<overlay::service_record> read(service_directory& d, bool retry_empty = false) {
    std::optional<std::vector<overlay::service_record>> found;
    d.read([&](const auto& records) { found = records; }, retry_empty);
    if (!ops::test::run_until(
            io, [&] { return found.has_value(); }, std::chrono::seconds(2)))
      ADD_FAILURE() << "read never ended";
    return found.value_or(std::vector<overlay::service_record>{});
  }

  // `node`'s record as `reader` reads it now; nullopt when there is none.
  std::optional<overlay::service_record> record_of(service_directory& reader,
                                                   const std::string& node) {
    for (const auto& r : read(reader))
      if (r.node_id == node) return r;
    return std::nullopt;
  }

  std::error_code withdraw(service_directory& d) {
    std::optional<std::error_code> done;
    d.withdraw([&](std::error_code ec) { done = ec; });
    if (!ops::test::run_until(io, [&] { return done.has_value(); }))
      ADD_FAILURE() << "withdraw never ended";
    return done.value_or(std::make_error_code(std::errc::timed_out));
  }

  asio::io_context io;
  identity::certificate_authority ca = identity::certificate_authority::create(overlay_id);
  std::shared_ptr<overlay::memory_network> net;
  std::vector<std::unique_ptr<overlay::memory_dht>> dhts;
  std::vector<std::unique_ptr<overlay::record_store>> stores;
  std::vector<std::unique_ptr<service_directory>> directories;

 private:
  std::shared_ptr<const overlay::record_verifier> verifier_;
};

inline overlay::service_record turn_offer(std::vector<std::string> uris) {
  overlay::service_record r;
  r.uris = std::move(uris);
  r.realm = "relay.p2psip.test";
  r.auth_scheme = "turn-rest";
  return r;
}

}  // namespace p2psip::node::test
