// The node's composition (server_core) on a virtual event loop that moves
// time only to the deadlines the core asked for, as sip_server's one timer
// does. The location answers when the test says, as a DHT lookup answers
// later: the transactions started then must still get their timers.
#include "node/server_core.hpp"

#include <gtest/gtest.h>

#include <list>
#include <optional>
#include <string>
#include <vector>

#include "node/server_config.hpp"
#include "sip/parser.hpp"

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;

transport::endpoint endpoint_of(transport::protocol p, const char* ip, std::uint16_t port,
                                transport::flow_id flow = 0) {
  return {p, asio::ip::make_address(ip), port, flow};
}

// Lookups wait until answer(); stores complete at once.
class later_location final : public proxy::location_store {
 public:
  void fetch(const std::string&, proxy::wall_clock::time_point, fetch_handler done) override {
    waiting.push_back(std::move(done));
  }
  void store(const std::string&, std::vector<proxy::binding>, store_handler done) override {
    done({});
  }
  void answer(std::vector<proxy::binding> bindings) {
    auto handlers = std::move(waiting);
    waiting.clear();
    for (auto& h : handlers) h(bindings, {});
  }
  std::vector<fetch_handler> waiting;
};

struct sent_message {
  std::string bytes;
  transport::endpoint to;
};

class ServerCore : public ::testing::Test {
 protected:
  const transport::endpoint caller = endpoint_of(transport::protocol::udp, "192.0.2.10", 5060);

  void start(server_config config = {}) {
    users.add("alice", "wonderland");
    users.add("bob", "builder");
    config.domains = {"p2psip.test"};
    config.location = &location;
    server_core_io io;
    io.send = [this](std::string bytes, const transport::endpoint& to, txn::transaction_id) {
      sent.push_back({std::move(bytes), to});
    };
    io.now = [this] { return now; };
    io.wall_now = [this] { return wall; };
    io.wake_at = [this](std::optional<txn::time_point> at) { wake = at; };
    io.behind = [this] { return behind; };
    core = std::make_unique<server_core>(
        config,
        std::vector{endpoint_of(transport::protocol::udp, "203.0.113.1", 5060),
                    endpoint_of(transport::protocol::tcp, "203.0.113.1", 5060)},
        std::move(io), &users);
  }

  // The event loop: wakes the core at each instant it asked for, up to `d` from now.
  void run_for(std::chrono::milliseconds d) {
    const auto until = now + d;
    while (wake && *wake <= until) {
      wall += std::chrono::duration_cast<std::chrono::milliseconds>(*wake - now);
      now = *wake;
      core->advance();
    }
    wall += std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
    now = until;
  }

  void receive(const std::string& text, const transport::endpoint& from) {
    received.push_back(text);
    sip::message m;
    ASSERT_TRUE(sip::parse(received.back(), m));
    core->receive(m, from);
  }

  static std::string invite(std::string_view extra = "") {
    return "INVITE sip:bob@p2psip.test SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\r\n"
           "Max-Forwards: 70\r\n"
           "To: <sip:bob@p2psip.test>\r\n"
           "From: <sip:alice@p2psip.test>;tag=a1\r\n"
           "Call-ID: late-lookup\r\n"
           "CSeq: 1 INVITE\r\n"
           "Contact: <sip:alice@192.0.2.10:5060>\r\n" +
           std::string(extra) + "Content-Length: 0\r\n\r\n";
  }

  proxy::binding bob_at(const transport::endpoint& flow) const {
    proxy::binding b;
    b.contact = "sip:bob@10.0.0.7:5062";
    b.expires = wall + 3600s;
    b.flow = flow;
    return b;
  }

  std::vector<std::string> sent_to(const transport::endpoint& to, std::string_view starting) const {
    std::vector<std::string> out;
    for (const auto& s : sent)
      if (s.to == to && s.bytes.starts_with(starting)) out.push_back(s.bytes);
    return out;
  }

  txn::time_point now{};
  proxy::wall_clock::time_point wall = proxy::wall_clock::time_point{} + 1'700'000'000s;
  std::optional<txn::time_point> wake;
  bool behind = false;  // what the transport says of its input queue
  std::vector<sent_message> sent;
  std::list<std::string> received;  // what the received messages view
  later_location location;
  auth::user_file users;
  std::unique_ptr<server_core> core;
};

TEST_F(ServerCore, AUdpCalleeThatLosesTheFirstInviteGetsItAgainAfterALateLookup) {
  start();
  const auto bob = endpoint_of(transport::protocol::udp, "198.51.100.9", 40000);
  receive(invite(), caller);
  ASSERT_EQ(location.waiting.size(), 1u);
  run_for(2s);  // the DHT takes its time; nothing else happens on the node
  EXPECT_TRUE(sent_to(bob, "INVITE ").empty());

  location.answer({bob_at(bob)});
  ASSERT_EQ(sent_to(bob, "INVITE ").size(), 1u);
  // bob lost it; nothing arrives, and Timer A (T1) sends it again.
  run_for(499ms);
  EXPECT_EQ(sent_to(bob, "INVITE ").size(), 1u);
  run_for(1ms);
  EXPECT_EQ(sent_to(bob, "INVITE ").size(), 2u);
}

TEST_F(ServerCore, TimerBFiresOnASilentNodeAfterALateLookup) {
  start();
  const auto bob = endpoint_of(transport::protocol::udp, "198.51.100.9", 40000);
  receive(invite(), caller);
  run_for(1s);
  location.answer({bob_at(bob)});
  run_for(31s);
  EXPECT_TRUE(sent_to(caller, "SIP/2.0 408").empty());
  run_for(1s);  // Timer B: 64*T1 after the INVITE went out
  EXPECT_EQ(sent_to(caller, "SIP/2.0 408").size(), 1u);
  EXPECT_EQ(core->active_requests(), 0u);
}

TEST_F(ServerCore, TimerCFiresOnASilentNodeAfterALateLookup) {
  server_config config;
  config.timer_c = 10s;  // before Timer B, so C is what ends the branch
  start(config);
  const auto bob = endpoint_of(transport::protocol::tcp, "198.51.100.9", 40000, 3);
  receive(invite(), caller);
  run_for(1s);
  location.answer({bob_at(bob)});
  ASSERT_EQ(sent_to(bob, "INVITE ").size(), 1u);
  run_for(9999ms);
  EXPECT_TRUE(sent_to(caller, "SIP/2.0 408").empty());
  run_for(1ms);
  EXPECT_EQ(sent_to(caller, "SIP/2.0 408").size(), 1u);
  EXPECT_EQ(sent_to(bob, "INVITE ").size(), 1u) << "no retransmission over TCP";
}

// 100 header fields is the most a message may have; the proxy's Via and
// Record-Route take the forwarded one past it, so the transaction layer
// refuses it. The caller gets an answer and the node forgets the request.
TEST_F(ServerCore, ARequestTheLayerRefusesToForwardIsAnsweredAndForgotten) {
  start();
  std::string extra;
  for (int i = 0; i < 92; ++i) extra += "X-Filler-" + std::to_string(i) + ": x\r\n";
  receive(invite(extra), caller);
  location.answer({bob_at(endpoint_of(transport::protocol::udp, "198.51.100.9", 40000))});
  EXPECT_EQ(sent_to(caller, "SIP/2.0 513").size(), 1u);
  EXPECT_EQ(core->active_requests(), 0u);
  EXPECT_EQ(core->proxy_stats().refused_branches, 1u);
}

TEST_F(ServerCore, PastItsTransactionBoundTheNodeAnswers503StatelesslyAndCountsIt) {
  server_config config;
  config.max_transactions = 1;
  start(config);
  receive(invite(), caller);
  const auto second =
      "OPTIONS sip:bob@p2psip.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKother\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:bob@p2psip.test>\r\n"
      "From: <sip:alice@p2psip.test>;tag=a2\r\n"
      "Call-ID: second\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  receive(second, caller);
  const auto refused = sent_to(caller, "SIP/2.0 503");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("\r\nRetry-After: 5\r\n"), std::string::npos);
  EXPECT_NE(refused[0].find("Call-ID: second"), std::string::npos);
  EXPECT_EQ(core->txn_stats().overloaded, 1u);
  EXPECT_EQ(location.waiting.size(), 1u) << "the refused request reached no processor";
}

// Behind on its input, the node refuses what would start new work and keeps
// serving what it took: a CANCEL and the requests of a dialog go through.
TEST_F(ServerCore, WhileBehindItRefusesNewRequestsWith503AndServesTheCallsItTook) {
  start();
  receive(invite(), caller);
  ASSERT_EQ(location.waiting.size(), 1u);

  behind = true;
  std::string other = invite();
  other.replace(other.find("z9hG4bKcaller1"), 14, "z9hG4bKcaller2");
  other.replace(other.find("Call-ID: late-lookup"), 20, "Call-ID: second-call");
  receive(other, caller);
  const auto refused = sent_to(caller, "SIP/2.0 503");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("\r\nRetry-After: 5\r\n"), std::string::npos);
  EXPECT_NE(refused[0].find("Call-ID: second-call"), std::string::npos);
  EXPECT_EQ(core->txn_stats().shed, 1u);
  EXPECT_EQ(location.waiting.size(), 1u) << "the refused INVITE reached no processor";

  // The caller gives up on the first call: its CANCEL is served.
  receive(
      "CANCEL sip:bob@p2psip.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:bob@p2psip.test>\r\n"
      "From: <sip:alice@p2psip.test>;tag=a1\r\n"
      "Call-ID: late-lookup\r\n"
      "CSeq: 1 CANCEL\r\n"
      "Content-Length: 0\r\n\r\n",
      caller);
  EXPECT_EQ(sent_to(caller, "SIP/2.0 200").size(), 1u);
  // A request inside a dialog (a To tag) is not refused either.
  receive(
      "BYE sip:alice@192.0.2.10:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye1\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:bob@p2psip.test>;tag=b7\r\n"
      "From: <sip:alice@p2psip.test>;tag=a0\r\n"
      "Call-ID: earlier-call\r\n"
      "CSeq: 2 BYE\r\n"
      "Content-Length: 0\r\n\r\n",
      caller);
  EXPECT_EQ(sent_to(caller, "SIP/2.0 503").size(), 1u);
  EXPECT_EQ(core->txn_stats().shed, 1u);

  // Caught up: new calls are taken again.
  behind = false;
  std::string third = invite();
  third.replace(third.find("z9hG4bKcaller1"), 14, "z9hG4bKcaller3");
  third.replace(third.find("Call-ID: late-lookup"), 20, "Call-ID: third-call");
  receive(third, caller);
  EXPECT_EQ(location.waiting.size(), 2u);
  EXPECT_EQ(sent_to(caller, "SIP/2.0 503").size(), 1u);
}

}  // namespace
}  // namespace p2psip::node
