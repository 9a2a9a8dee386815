// The dht contract (overlay/dht.hpp) below the records: opaque values, the
// storers' type policies, listen, and handlers that never run inside the
// call. Run on memory_dht and on real OpenDHT nodes.
#include <gtest/gtest.h>

#include <optional>

#include "backends.hpp"

namespace p2psip::overlay::testing {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

template <class Backend>
class dht_contract : public ::testing::Test {
 protected:
  void SetUp() override {
    // A type whose storers refuse payloads starting with "bad" and accept an
    // edit only when the new payload is longer (a stand-in for "newer").
    type_policy policy{
        value_type::node, std::chrono::seconds{600},
        [](const key&, const value& v) {
          return !(v.data.size() >= 3 && v.data[0] == 'b' && v.data[1] == 'a' && v.data[2] == 'd');
        },
        [](const key&, const value& old, const value& v) {
          return v.data.size() > old.data.size();
        }};
    backend_.start(
        io_, {policy}, [] { return wall_clock::now(); }, 6);
  }

  std::error_code put(std::size_t node, const key& k, value v) {
    std::optional<std::error_code> result;
    backend_.node(node).put(k, std::move(v), [&](std::error_code ec) { result = ec; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  std::vector<value> get(std::size_t node, const key& k) {
    std::optional<std::vector<value>> result;
    backend_.node(node).get(k,
                            [&](std::vector<value> v, std::error_code) { result = std::move(v); });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    return result.value_or(std::vector<value>{});
  }

  asio::io_context io_;
  Backend backend_;
};

struct names {
  template <class T>
  static std::string GetName(int) {
    return T::name;
  }
};
using backends = ::testing::Types<memory_backend, opendht_backend>;
TYPED_TEST_SUITE(dht_contract, backends, names);

TYPED_TEST(dht_contract, a_value_put_on_one_node_is_got_from_another) {
  key k = make_key("p2psip.test", "test", "one");
  value v{7, value_type::node, bytes("hello")};
  ASSERT_FALSE(this->put(1, k, v));
  auto got = this->get(4, k);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], v);
  EXPECT_TRUE(this->get(2, make_key("p2psip.test", "test", "other")).empty());
}

TYPED_TEST(dht_contract, a_value_the_storers_refuse_is_never_got) {
  key k = make_key("p2psip.test", "test", "refused");
  this->put(0, k, value{1, value_type::node, bytes("bad value")});
  EXPECT_TRUE(this->get(3, k).empty());
}

TYPED_TEST(dht_contract, a_value_of_an_unregistered_type_is_not_confused_with_ours) {
  key k = make_key("p2psip.test", "test", "types");
  ASSERT_FALSE(this->put(0, k, value{1, value_type::node, bytes("node")}));
  for (const value& v : this->get(3, k)) EXPECT_EQ(v.type, value_type::node);
}

TYPED_TEST(dht_contract, the_edit_policy_decides_whether_a_value_is_replaced) {
  key k = make_key("p2psip.test", "test", "edit");
  ASSERT_FALSE(this->put(0, k, value{5, value_type::node, bytes("long value")}));
  this->put(1, k, value{5, value_type::node, bytes("short")});
  auto got = this->get(2, k);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, bytes("long value"));
  ASSERT_FALSE(this->put(3, k, value{5, value_type::node, bytes("a longer value")}));
  ASSERT_TRUE(run_until(this->io_, [&] {
    auto now = this->get(4, k);
    return now.size() == 1 && now[0].data == bytes("a longer value");
  }));
}

TYPED_TEST(dht_contract, a_listener_hears_a_put_made_on_another_node) {
  key k = make_key("p2psip.test", "test", "listen");
  std::vector<value> heard;
  this->backend_.node(2).listen(k, [&](const std::vector<value>& v, bool expired) {
    if (!expired) heard.insert(heard.end(), v.begin(), v.end());
  });
  ASSERT_FALSE(this->put(5, k, value{9, value_type::node, bytes("news")}));
  ASSERT_TRUE(run_until(this->io_, [&] { return !heard.empty(); }));
  EXPECT_EQ(heard[0].data, bytes("news"));
}

TYPED_TEST(dht_contract, handlers_never_run_inside_the_call) {
  key k = make_key("p2psip.test", "test", "reentry");
  bool inside = true, called = false;
  this->backend_.node(0).put(k, value{1, value_type::node, bytes("x")}, [&](std::error_code) {
    EXPECT_FALSE(inside);
    called = true;
  });
  this->backend_.node(1).get(k, [&](std::vector<value>, std::error_code) { EXPECT_FALSE(inside); });
  inside = false;
  ASSERT_TRUE(run_until(this->io_, [&] { return called; }));
}

}  // namespace
}  // namespace p2psip::overlay::testing
