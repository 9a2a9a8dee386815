// A resolver that answers from a script, on a queue the test drains with
// run(): the same "never inside query()" contract as the real ones, in
// virtual time. Names are matched as DNS matches them (case-insensitively).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "dns/resolver.hpp"
#include "dns/rfc3263.hpp"

namespace p2psip::dns::test {

class fake_resolver final : public resolver {
 public:
  // What query(name, type) answers; unscripted questions get not_found.
  void set(std::string_view name, rr_type type, answer a) {
    script_[{canonical_name(name), type}] = {{}, std::move(a)};
  }
  void fail(std::string_view name, rr_type type, std::error_code ec, answer a = {}) {
    script_[{canonical_name(name), type}] = {ec, std::move(a)};
  }

  void query(std::string_view name, rr_type type, query_handler done) override {
    asked.push_back({std::string(name), type});
    queue_.push_back([this, key = std::pair(canonical_name(name), type), done = std::move(done)] {
      const auto it = script_.find(key);
      if (it == script_.end()) {
        done(error::not_found, {});
      } else {
        done(it->second.first, it->second.second);
      }
    });
  }

  void post(std::function<void()> f) override { queue_.push_back(std::move(f)); }

  // Runs what is queued, and what that queues, until nothing is left.
  // Returns how many functions ran.
  std::size_t run() {
    std::size_t ran = 0;
    while (!queue_.empty()) {
      auto f = std::move(queue_.front());
      queue_.pop_front();
      f();
      ++ran;
    }
    return ran;
  }

  std::vector<question> asked;

 private:
  std::map<std::pair<std::string, rr_type>, std::pair<std::error_code, answer>> script_;
  std::deque<std::function<void()>> queue_;
};

inline naptr_record naptr(std::uint16_t order, std::uint16_t preference, std::string service,
                          std::string replacement, std::string flags = "S") {
  return {order, preference, std::move(flags), std::move(service), {}, std::move(replacement)};
}

inline srv_record srv(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
                      std::string target) {
  return {priority, weight, port, std::move(target)};
}

inline answer naptrs(std::vector<naptr_record> records) {
  answer a;
  a.naptrs = std::move(records);
  a.ttl = std::chrono::seconds{300};
  return a;
}

inline answer srvs(std::vector<srv_record> records) {
  answer a;
  a.srvs = std::move(records);
  a.ttl = std::chrono::seconds{300};
  return a;
}

inline answer addresses(std::vector<std::string_view> texts) {
  answer a;
  for (const auto t : texts) a.addresses.push_back(asio::ip::make_address(t));
  a.ttl = std::chrono::seconds{300};
  return a;
}

inline destination dest(transport::protocol p, std::string_view address, std::uint16_t port) {
  return {p, asio::ip::make_address(address), port, 0};
}

}  // namespace p2psip::dns::test
