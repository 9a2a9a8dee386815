#include "dns/update.hpp"

#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <optional>

#include "dns/update_wire.hpp"
#include "support/named_server.hpp"

namespace p2psip::dns {
namespace {

using namespace std::chrono_literals;

constexpr auto zone_text =
    "$TTL 300\n"
    "@ IN SOA ns.p2psip.test. hostmaster.p2psip.test. 1 3600 600 86400 60\n"
    "@ IN NS ns\n"
    "ns IN A 127.0.0.1\n";

tsig_key load_key(const std::filesystem::path& path) {
  auto k = read_tsig_key(path);
  EXPECT_TRUE(k) << k.error;
  return k.key;
}

// Runs the loop until the one update ends; nullopt when it did not within 5 s.
std::optional<std::error_code> run(asio::io_context& io, update_client& client,
                                   const update_message& m) {
  std::optional<std::error_code> result;
  int calls = 0;
  client.send(m, [&](std::error_code ec) {
    ++calls;
    result = ec;
  });
  EXPECT_FALSE(result) << "the handler ran inside send()";
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!result && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  io.poll();
  EXPECT_LE(calls, 1);
  return result;
}

std::vector<std::string> rdatas(const std::vector<test::served_rr>& rrs) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) out.push_back(rr.rdata);
  std::sort(out.begin(), out.end());
  return out;
}

class UpdateAgainstNamed : public ::testing::Test {
 protected:
  UpdateAgainstNamed()
      : named({{{"p2psip.test.", zone_text,
                 "grant pp1-key zonesub ANY; grant pp2-key name pp2.p2psip.test. A;"}},
               {"pp1-key", "pp2-key"},
               {}}) {}

  update_settings settings() const {
    return {{asio::ip::make_address("127.0.0.1"), named.port()}, 1000ms, 3, 300s};
  }
  std::vector<std::string> served(const std::string& name, const std::string& type) const {
    return rdatas(named.query(name, type));
  }

  test::named_server named;
  asio::io_context io;
};

const record pp1_a{"pp1.p2psip.test.", "A", "192.0.2.1", 60};
const record pp1_a2{"pp1.p2psip.test.", "A", "192.0.2.2", 60};
const record pp1_srv{"_sip._udp.p2psip.test.", "SRV", "10 20 5060 pp1.p2psip.test.", 60};

TEST_F(UpdateAgainstNamed, AddedRecordsAreServedWithTheirTtl) {
  update_client c(io, settings(), load_key(named.key_file("pp1-key")));
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a).add(pp1_srv)), std::error_code());
  const auto a = named.query("pp1.p2psip.test.", "A");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rdata, "192.0.2.1");
  EXPECT_EQ(a[0].ttl, 60u);
  EXPECT_EQ(served("_sip._udp.p2psip.test.", "SRV"),
            std::vector<std::string>{"10 20 5060 pp1.p2psip.test."});
}

TEST_F(UpdateAgainstNamed, FailedPrerequisitesChangeNothingAndSayWhich) {
  update_client c(io, settings(), load_key(named.key_file("pp1-key")));
  ASSERT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), std::error_code());
  const auto attempt = [&](update_message m) { return run(io, c, m.add(pp1_a2).delete_rr(pp1_a)); };
  const std::string name = "pp1.p2psip.test.", free = "pp9.p2psip.test.";
  EXPECT_EQ(attempt(update_message("p2psip.test.").require_name_unused(name)),
            update_error::yxdomain);
  EXPECT_EQ(attempt(update_message("p2psip.test.").require_name_in_use(free)),
            update_error::nxdomain);
  EXPECT_EQ(attempt(update_message("p2psip.test.").require_rrset_exists(name, "AAAA")),
            update_error::nxrrset);
  EXPECT_EQ(attempt(update_message("p2psip.test.").require_rrset_absent(name, "A")),
            update_error::yxrrset);
  EXPECT_EQ(attempt(update_message("p2psip.test.").require_rr(pp1_a2)), update_error::nxrrset);
  EXPECT_EQ(served(name, "A"), std::vector<std::string>{"192.0.2.1"});

  // The same change goes through once every prerequisite holds.
  EXPECT_EQ(attempt(update_message("p2psip.test.")
                        .require_name_in_use(name)
                        .require_name_unused(free)
                        .require_rrset_exists(name, "A")
                        .require_rrset_absent(name, "AAAA")
                        .require_rr(pp1_a)),
            std::error_code());
  EXPECT_EQ(served(name, "A"), std::vector<std::string>{"192.0.2.2"});
}

TEST_F(UpdateAgainstNamed, DeletesOneRecordAnRrsetOrAName) {
  update_client c(io, settings(), load_key(named.key_file("pp1-key")));
  const record aaaa{"pp1.p2psip.test.", "AAAA", "2001:db8::1", 60};
  const record txt{"pp1.p2psip.test.", "TXT", "\"hello\"", 60};
  ASSERT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a).add(pp1_a2).add(aaaa).add(txt)),
            std::error_code());
  EXPECT_EQ(served("pp1.p2psip.test.", "A"), (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));

  EXPECT_EQ(run(io, c, update_message("p2psip.test.").delete_rr(pp1_a)), std::error_code());
  EXPECT_EQ(served("pp1.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.2"});
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").delete_rrset("pp1.p2psip.test.", "A")),
            std::error_code());
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
  EXPECT_EQ(served("pp1.p2psip.test.", "AAAA"), std::vector<std::string>{"2001:db8::1"});
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").delete_name("pp1.p2psip.test.")),
            std::error_code());
  EXPECT_TRUE(served("pp1.p2psip.test.", "AAAA").empty());
  EXPECT_TRUE(served("pp1.p2psip.test.", "TXT").empty());
  // Deleting what is not there is no error (RFC 2136 §3.4.2.3).
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").delete_rr(pp1_a)), std::error_code());
}

TEST_F(UpdateAgainstNamed, NameOutsideTheZoneIsNotzone) {
  update_client c(io, settings(), load_key(named.key_file("pp1-key")));
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add({"pp1.example.", "A", "192.0.2.1", 60})),
            update_error::notzone);
}

TEST_F(UpdateAgainstNamed, MalformedRecordFailsWithoutSending) {
  update_client c(io, settings(), load_key(named.key_file("pp1-key")));
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add({"pp1.p2psip.test.", "A", "300.1", 60})),
            update_error::bad_request);
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add({"relative", "A", "192.0.2.1", 60})),
            update_error::bad_request);
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add({"pp1.p2psip.test.", "NOPE", "1", 60})),
            update_error::bad_request);
}

// Keys the server does not accept: the zone stays as it was and the error
// says which way the key failed.
TEST_F(UpdateAgainstNamed, KeyWithAnotherSecretIsBadsig) {
  test::write_tsig_key(named.dir() / "forged.key", "pp1-key");  // same name, new secret
  update_client c(io, settings(), load_key(named.dir() / "forged.key"));
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), update_error::badsig);
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
}

TEST_F(UpdateAgainstNamed, KeyTheServerDoesNotKnowIsBadkey) {
  test::write_tsig_key(named.dir() / "stranger.key", "stranger-key");
  update_client c(io, settings(), load_key(named.dir() / "stranger.key"));
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), update_error::badkey);
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
}

TEST_F(UpdateAgainstNamed, KeyNotGrantedTheChangeIsRefused) {
  update_client c(io, settings(), load_key(named.key_file("pp2-key")));
  // pp2-key may set the A records of pp2 only.
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), update_error::refused);
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add({"pp2.p2psip.test.", "TXT", "x", 60})),
            update_error::refused);
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
  EXPECT_EQ(
      run(io, c, update_message("p2psip.test.").add({"pp2.p2psip.test.", "A", "192.0.2.7", 60})),
      std::error_code());
  EXPECT_EQ(served("pp2.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.7"});
}

TEST_F(UpdateAgainstNamed, ClientDestroyedBeforeTheAnswerNeverCallsBack) {
  bool called = false;
  {
    update_client c(io, settings(), load_key(named.key_file("pp1-key")));
    c.send(update_message("p2psip.test.").add(pp1_a), [&](std::error_code) { called = true; });
    c.send(update_message("p2psip.test.").add({"x", "A", "1", 1}),
           [&](std::error_code) { called = true; });
  }
  io.run_for(300ms);
  EXPECT_FALSE(called);
}

// A server that reads requests and answers as `reply` says, counting them.
class fake_server {
 public:
  using reply_fn = std::function<std::optional<std::vector<std::uint8_t>>(
      const std::vector<std::uint8_t>& request)>;
  fake_server(asio::io_context& io, reply_fn reply)
      : socket_(io, {asio::ip::make_address("127.0.0.1"), 0}), reply_(std::move(reply)) {
    receive();
  }
  asio::ip::udp::endpoint endpoint() const { return socket_.local_endpoint(); }
  int requests = 0;

 private:
  void receive() {
    buffer_.resize(65535);
    socket_.async_receive_from(asio::buffer(buffer_), peer_,
                               [this](std::error_code ec, std::size_t n) {
                                 if (ec) return;
                                 ++requests;
                                 buffer_.resize(n);
                                 if (auto answer = reply_(buffer_))
                                   socket_.send_to(asio::buffer(*answer), peer_);
                                 receive();
                               });
  }
  asio::ip::udp::socket socket_;
  reply_fn reply_;
  std::vector<std::uint8_t> buffer_;
  asio::ip::udp::endpoint peer_;
};

// Where a client sends to `udp`'s port: datagrams go to `udp`, TCP
// connections are relayed to named's TCP port, one message each way.
class tcp_relay {
 public:
  tcp_relay(asio::io_context& io, std::uint16_t port, std::uint16_t named_port)
      : io_(io),
        acceptor_(io, {asio::ip::make_address("127.0.0.1"), port}),
        named_({asio::ip::make_address("127.0.0.1"), named_port}) {
    accept();
  }
  int connections = 0;

 private:
  struct leg {
    explicit leg(asio::io_context& io) : client(io), server(io) {}
    asio::ip::tcp::socket client, server;
    std::array<std::uint8_t, 2> length{};
    std::vector<std::uint8_t> body;
  };
  // Reads one framed message from `from` and writes it to `to`.
  static void pass(std::shared_ptr<leg> l, asio::ip::tcp::socket& from, asio::ip::tcp::socket& to,
                   std::function<void()> then) {
    asio::async_read(from, asio::buffer(l->length),
                     [l, &from, &to, then](std::error_code ec, std::size_t) {
                       if (ec) return;
                       l->body.resize(static_cast<std::size_t>(l->length[0] << 8 | l->length[1]));
                       asio::async_read(from, asio::buffer(l->body),
                                        [l, &to, then](std::error_code ec2, std::size_t) {
                                          if (ec2) return;
                                          std::array<asio::const_buffer, 2> frame{
                                              asio::buffer(l->length), asio::buffer(l->body)};
                                          asio::write(to, frame, ec2);
                                          if (!ec2) then();
                                        });
                     });
  }
  void accept() {
    auto l = std::make_shared<leg>(io_);
    acceptor_.async_accept(l->client, [this, l](std::error_code ec) {
      if (ec) return;
      ++connections;
      l->server.connect(named_, ec);
      if (!ec) pass(l, l->client, l->server, [l] { pass(l, l->server, l->client, [] {}); });
      accept();
    });
  }
  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint named_;
};

// The UDP answer a server gives when the real one does not fit: the
// request echoed with QR and TC set.
std::optional<std::vector<std::uint8_t>> truncated(const std::vector<std::uint8_t>& request) {
  auto answer = request;
  answer[2] |= 0x80 | 0x02;
  return answer;
}

TEST_F(UpdateAgainstNamed, TruncatedAnswerIsAskedForAgainOverTcp) {
  fake_server udp(io, truncated);
  tcp_relay tcp(io, udp.endpoint().port(), named.port());
  update_client c(io, {udp.endpoint(), 1000ms, 3, 300s}, load_key(named.key_file("pp1-key")));
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), std::error_code());
  EXPECT_EQ(udp.requests, 1);
  EXPECT_EQ(tcp.connections, 1);
  EXPECT_EQ(served("pp1.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.1"});
}

TEST_F(UpdateAgainstNamed, MessageLargerThanADatagramGoesOverTcp) {
  fake_server udp(io, truncated);
  tcp_relay tcp(io, udp.endpoint().port(), named.port());
  update_client c(io, {udp.endpoint(), 1000ms, 3, 300s}, load_key(named.key_file("pp1-key")));
  update_message m("p2psip.test.");
  std::vector<std::string> expected;
  for (int i = 1; i <= 40; ++i) {
    const auto address = "192.0.2." + std::to_string(i);
    m.add({"many.p2psip.test.", "A", address, 60});
    expected.push_back(address);
  }
  ASSERT_GT(sign_update(m, c.key(), 1, 300s).wire.size(), 512u);
  EXPECT_EQ(run(io, c, m), std::error_code());
  EXPECT_EQ(udp.requests, 0);
  EXPECT_EQ(tcp.connections, 1);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(served("many.p2psip.test.", "A"), expected);
}

tsig_key some_key() {
  return {"pp1-key.", tsig_algorithm::hmac_sha256, "sm1F2C2c2XNM3LU6hkh36gGI0KxbLKwV+0UbQUA4lw8="};
}

TEST(UpdateWithoutAnswer, RetransmitsThenTimesOut) {
  asio::io_context io;
  fake_server silent(io, [](const auto&) { return std::nullopt; });
  update_client c(io, {silent.endpoint(), 50ms, 3, 300s}, some_key());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), update_error::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(silent.requests, 3);

  // No tries at all still means one.
  update_client once(io, {silent.endpoint(), 50ms, 0, 300s}, some_key());
  EXPECT_EQ(run(io, once, update_message("p2psip.test.").add(pp1_a)), update_error::timeout);
  EXPECT_EQ(silent.requests, 4);
}

// Our own request sent back as if it were the answer: an answer in form,
// but its MAC was not made over an answer with the request's MAC.
TEST(UpdateWithForgedAnswer, AnswerWhoseTsigDoesNotVerifyIsIgnored) {
  asio::io_context io;
  fake_server echo(io, [](const std::vector<std::uint8_t>& request) {
    auto answer = request;
    answer[2] |= 0x80;  // QR
    return std::optional(answer);
  });
  update_client c(io, {echo.endpoint(), 50ms, 2, 300s}, some_key());
  EXPECT_EQ(run(io, c, update_message("p2psip.test.").add(pp1_a)), update_error::bad_response);
  EXPECT_EQ(echo.requests, 2);  // the wait went on after the forged answer
}

TEST(UpdateWithoutServer, NothingListeningIsAnError) {
  asio::io_context io;
  asio::ip::udp::endpoint closed;
  {
    asio::ip::udp::socket s(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed = s.local_endpoint();
  }
  update_client c(io, {closed, 200ms, 3, 300s}, some_key());
  const auto result = run(io, c, update_message("p2psip.test.").add(pp1_a));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, asio::error::connection_refused);
}

// The answers check_response must judge, signed as a server would.
class ResponseCheck : public ::testing::Test {
 protected:
  ResponseCheck()
      : request(sign_update(update_message("p2psip.test.").add(pp1_a), key, 77, 300s)) {}

  // The request turned into an answer with `rcode`, signed with `secret`
  // over `request_mac` (RFC 8945 §5.3.1).
  std::vector<std::uint8_t> answer(unsigned rcode, const std::string& secret,
                                   const std::vector<std::uint8_t>& request_mac,
                                   const char* algorithm = "hmac-sha256.") {
    ldns_pkt* p = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&p, request.wire.data(), request.wire.size()), LDNS_STATUS_OK);
    ldns_rr_free(ldns_pkt_tsig(p));
    ldns_pkt_set_tsig(p, nullptr);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_rcode(p, static_cast<std::uint8_t>(rcode));
    ldns_rdf* mac =
        ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request_mac.size(), request_mac.data());
    EXPECT_EQ(ldns_pkt_tsig_sign(p, "pp1-key.", secret.c_str(), 300, algorithm, mac),
              LDNS_STATUS_OK);
    ldns_rdf_deep_free(mac);
    std::uint8_t* bytes = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&bytes, p, &size), LDNS_STATUS_OK);
    std::vector<std::uint8_t> out(bytes, bytes + size);
    free(bytes);
    ldns_pkt_free(p);
    return out;
  }

  response_check check(
      const std::vector<std::uint8_t>& wire,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
    return check_response(wire, request, key, now, 300s);
  }

  tsig_key key = some_key();
  signed_request request;
};

TEST_F(ResponseCheck, SignedAnswerGivesItsRcode) {
  ASSERT_FALSE(request.error);
  const auto ok = check(answer(0, key.secret, request.mac));
  EXPECT_EQ(ok.kind, response_kind::answer);
  EXPECT_EQ(ok.result, std::error_code());
  const auto refused = check(answer(5, key.secret, request.mac));
  EXPECT_EQ(refused.kind, response_kind::answer);
  EXPECT_EQ(refused.result, update_error::refused);
  EXPECT_EQ(check(answer(15, key.secret, request.mac)).result, update_error::unexpected_rcode);
}

TEST_F(ResponseCheck, AnswerSignedOutsideTheFudgeIsBadtime) {
  const auto wire = answer(0, key.secret, request.mac);
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(check(wire, now + 299s).result, std::error_code());
  EXPECT_EQ(check(wire, now + 302s).result, update_error::badtime);
  EXPECT_EQ(check(wire, now - 302s).result, update_error::badtime);
}

TEST_F(ResponseCheck, AnswersNotBoundToThisRequestOrKeyAreIgnored) {
  auto other_mac = request.mac;
  other_mac.back() ^= 1;
  EXPECT_EQ(check(answer(0, key.secret, other_mac)).kind, response_kind::ignored);
  EXPECT_EQ(check(answer(0, "c2VjcmV0IG9mIHNvbWVib2R5IGVsc2UgZW50aXJlbHk=", request.mac)).kind,
            response_kind::ignored);
  // The right secret under another algorithm is not our key either.
  EXPECT_EQ(check(answer(0, key.secret, request.mac, "hmac-sha512.")).kind, response_kind::ignored);
  auto wrong_id = answer(0, key.secret, request.mac);
  wrong_id[1] ^= 1;
  EXPECT_EQ(check(wrong_id).kind, response_kind::ignored);
  EXPECT_EQ(check(std::vector<std::uint8_t>(request.wire.begin(), request.wire.begin() + 7)).kind,
            response_kind::ignored);
}

TEST_F(ResponseCheck, TruncatedAnswerAsksForTcp) {
  auto wire = request.wire;
  wire[2] |= 0x80 | 0x02;  // QR, TC
  EXPECT_EQ(check(wire).kind, response_kind::truncated);
}

}  // namespace
}  // namespace p2psip::dns
