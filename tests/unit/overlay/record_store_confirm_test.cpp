// When a publish reads its value back: the first version of a value is
// read after its put (OpenDHT acknowledges puts its storers refused), a
// refresh of a value already found stored is confirmed by the put's
// acknowledgement, and a value the storers have since dropped is read back
// again. And when a lookup may stop waiting for more storers: once it holds
// a version a reader can believe, never on a stale copy alone.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "overlay/memory_dht.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_store.hpp"
#include "test_identities.hpp"

namespace p2psip::overlay::testing {
namespace {

using std::chrono::seconds;

// A dht that counts the calls made through it.
class counting_dht final : public dht {
 public:
  explicit counting_dht(dht& inner) : inner_(inner) {}
  void put(const key& k, value v, put_handler done) override {
    ++puts;
    inner_.put(k, std::move(v), std::move(done));
  }
  void get(const key& k, get_handler done) override {
    ++gets;
    inner_.get(k, std::move(done));
  }
  listen_token listen(const key& k, listen_handler on_change) override {
    return inner_.listen(k, std::move(on_change));
  }
  void cancel_listen(listen_token token) override { inner_.cancel_listen(token); }
  int puts = 0;
  int gets = 0;

 private:
  dht& inner_;
};

class record_store_confirm : public ::testing::Test {
 protected:
  const identities& ids() const { return identities::get(); }
  wall_clock::time_point now_ = wall_clock::now();
  std::function<wall_clock::time_point()> clock_ = [this] { return now_; };
  std::shared_ptr<record_verifier> verifier_ =
      std::make_shared<record_verifier>(overlay_id, identity::trust_anchor{ids().ca.cert()});
  asio::io_context io_;
  std::shared_ptr<memory_network> net_ =
      std::make_shared<memory_network>(io_, storage_policies(verifier_, clock_), clock_);
  std::vector<std::unique_ptr<memory_dht>> nodes_ = make_nodes(5);
  counting_dht counted_{*nodes_[0]};
  record_store store_{counted_, verifier_, clock_};

  std::vector<std::unique_ptr<memory_dht>> make_nodes(int n) {
    std::vector<std::unique_ptr<memory_dht>> out;
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<memory_dht>(net_));
    return out;
  }

  binding_record binding(const std::string& contact, seconds life = seconds{3600}) {
    binding_record b;
    b.aor = "sip:alice@p2psip.test";
    b.contact = contact;
    b.expires_at = std::chrono::duration_cast<seconds>((now_ + life).time_since_epoch()).count();
    return b;
  }

  std::error_code publish(const binding_record& b) {
    std::optional<std::error_code> result;
    store_.publish(ids().alice, b, [&](std::error_code ec) { result = ec; });
    io_.restart();
    io_.run();
    EXPECT_TRUE(result.has_value());
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }
};

TEST_F(record_store_confirm, the_first_version_is_read_back_and_a_refresh_is_not) {
  ASSERT_FALSE(publish(binding("sip:alice@192.0.2.10:5060")));
  EXPECT_EQ(counted_.puts, 1);
  EXPECT_EQ(counted_.gets, 1);

  now_ += seconds{60};
  ASSERT_FALSE(publish(binding("sip:alice@192.0.2.10:5060")));  // same place, later expiry
  EXPECT_EQ(counted_.puts, 2);
  EXPECT_EQ(counted_.gets, 1);

  ASSERT_FALSE(publish(binding("sip:alice@198.51.100.7:5060")));  // moved: another value
  EXPECT_EQ(counted_.puts, 3);
  EXPECT_EQ(counted_.gets, 2);
}

TEST_F(record_store_confirm, a_value_the_storers_dropped_is_read_back_again) {
  ASSERT_FALSE(publish(binding("sip:alice@192.0.2.10:5060")));
  now_ += verifier_->life().binding + seconds{1};
  ASSERT_FALSE(publish(binding("sip:alice@192.0.2.10:5060")));
  EXPECT_EQ(counted_.gets, 2);
}

// Storers that answer one by one, in a given order: what the lookup's judge
// said after each answer is kept.
class scripted_dht final : public dht {
 public:
  void put(const key&, value, put_handler done) override { done({}); }
  void get(const key&, get_handler done) override { done(answers, {}); }
  void get_until(const key&, progress_handler judge, get_handler done) override {
    said.clear();
    std::vector<value> so_far;
    for (const value& v : answers) {
      so_far.push_back(v);
      said.push_back(judge(so_far));
    }
    done(answers, {});
  }
  listen_token listen(const key&, listen_handler) override { return 0; }
  void cancel_listen(listen_token) override {}
  std::vector<value> answers;
  std::vector<progress> said;
};

TEST_F(record_store_confirm, a_lookup_settles_on_a_believable_version_never_on_a_stale_copy) {
  const binding_record b = binding("sip:alice@192.0.2.10:5060");
  binding_record longer = b;  // the phone registered again
  longer.expires_at += 600;
  const key k = binding_key(overlay_id, b.aor);
  auto version = [&](std::uint64_t sequence) {
    const binding_record& body = sequence == 1 ? b : longer;
    return value{value_id(k, body), type_of(body),
                 seal(k, body, sequence, ids().alice.key, ids().alice.cert)};
  };
  scripted_dht storers;
  record_store reader{storers, verifier_, clock_};
  auto look = [&] {
    reader.lookup_bindings(b.aor, [](std::vector<checked<binding_record>>, std::error_code) {});
  };

  storers.answers = {version(1)};
  look();
  EXPECT_EQ(storers.said, std::vector{dht::progress::settle}) << "nothing newer is known";

  storers.answers = {version(2)};
  look();  // the reader has now seen version 2
  storers.answers = {version(1), version(2)};
  look();
  EXPECT_EQ(storers.said, (std::vector{dht::progress::more, dht::progress::settle}))
      << "a storer that missed the refresh answers first: look on";
}

// A publisher re-puts its bindings every minute: the same binding signed
// again with a higher sequence. A storer the re-put has not reached yet
// still tells the truth, and a reader that saw the re-put elsewhere must not
// answer "no binding" (404) for want of the newest signature.
TEST_F(record_store_confirm, an_older_version_that_says_the_same_as_the_newest_is_believed) {
  const binding_record b = binding("sip:alice@192.0.2.10:5060");
  const key k = binding_key(overlay_id, b.aor);
  auto version = [&](std::uint64_t sequence) {
    return value{value_id(k, b), type_of(b),
                 seal(k, b, sequence, ids().alice.key, ids().alice.cert)};
  };
  scripted_dht storers;
  record_store reader{storers, verifier_, clock_};
  std::vector<checked<binding_record>> last;
  auto look = [&] {
    reader.lookup_bindings(b.aor, [&last](std::vector<checked<binding_record>> found,
                                          std::error_code) { last = std::move(found); });
  };

  storers.answers = {version(2)};
  look();
  storers.answers = {version(1)};
  look();
  EXPECT_EQ(storers.said.back(), dht::progress::settle);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].status, verdict::valid);
  EXPECT_EQ(last[0].body->contact, b.contact);
}

}  // namespace
}  // namespace p2psip::overlay::testing
