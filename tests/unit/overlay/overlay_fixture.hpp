// A small overlay for contract tests: `Backend` nodes on one io_context,
// the storage policies of record_verifier on every node, a record_store per
// node, and a wall clock the test can move forward.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "backends.hpp"
#include "overlay/record_store.hpp"
#include "test_identities.hpp"

namespace p2psip::overlay::testing {

template <class Backend>
class overlay_fixture : public ::testing::Test {
 protected:
  static constexpr std::size_t node_count = 6;

  void SetUp() override {
    verifier_ =
        std::make_shared<record_verifier>(overlay_id, identity::trust_anchor{ids().ca.cert()});
    backend_.start(io_, storage_policies(verifier_, clock()), clock(), node_count);
    for (std::size_t i = 0; i < backend_.size(); ++i)
      stores_.push_back(std::make_unique<record_store>(backend_.node(i), verifier_, clock()));
  }

  const identities& ids() const { return identities::get(); }
  std::function<wall_clock::time_point()> clock() {
    return [this] { return wall_clock::now() + offset_; };
  }
  void advance(std::chrono::seconds s) { offset_ += s; }
  unix_seconds in(std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::seconds>((clock()() + s).time_since_epoch())
        .count();
  }

  binding_record alice_binding(std::string contact = "sip:alice@192.0.2.10:5060;transport=tcp") {
    return binding_record{.aor = "sip:alice@p2psip.test",
                          .contact = std::move(contact),
                          .path = {"sip:node-a@127.0.0.1:5070;lr;ob"},
                          .instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>",
                          .reg_id = 1,
                          .q = 1000,
                          .expires_at = in(std::chrono::seconds{3600})};
  }

  std::error_code publish(std::size_t node, const signer& s, binding_record b) {
    std::optional<std::error_code> result;
    stores_.at(node)->publish(s, std::move(b), [&](std::error_code ec) { result = ec; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); })) << "publish did not finish";
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  std::error_code withdraw(std::size_t node, const signer& s, binding_record b) {
    std::optional<std::error_code> result;
    stores_.at(node)->withdraw(s, std::move(b), [&](std::error_code ec) { result = ec; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); })) << "withdraw did not finish";
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  std::vector<checked<binding_record>> lookup(std::size_t node, const std::string& aor) {
    std::optional<std::vector<checked<binding_record>>> result;
    stores_.at(node)->lookup_bindings(
        aor, [&](auto found, std::error_code) { result = std::move(found); });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); })) << "lookup did not finish";
    return result.value_or(std::vector<checked<binding_record>>{});
  }

  std::vector<value> raw_get(std::size_t node, const key& k) {
    std::optional<std::vector<value>> result;
    backend_.node(node).get(k,
                            [&](std::vector<value> v, std::error_code) { result = std::move(v); });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); })) << "get did not finish";
    return result.value_or(std::vector<value>{});
  }

  void raw_put(std::size_t node, const key& k, value v) {
    bool done = false;
    backend_.node(node).put(k, std::move(v), [&](std::error_code) { done = true; });
    EXPECT_TRUE(run_until(io_, [&] { return done; })) << "put did not finish";
  }

  asio::io_context io_;
  std::chrono::seconds offset_{0};
  std::shared_ptr<record_verifier> verifier_;
  Backend backend_;
  std::vector<std::unique_ptr<record_store>> stores_;
};

using backend_types = ::testing::Types<memory_backend, opendht_backend>;

struct backend_names {
  template <class T>
  static std::string GetName(int) {
    return T::name;
  }
};

}  // namespace p2psip::overlay::testing
