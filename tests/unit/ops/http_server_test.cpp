// The operations API server on real loopback sockets, client and server on one
// io_context.
#include "ops/http_server.hpp"

#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <optional>
#include <stdexcept>

#include "loopback.hpp"
#include "ops/metrics_text.hpp"

namespace p2psip::ops {
namespace {

using namespace std::chrono_literals;
using test::get;
using test::run_until;

class HttpServer : public ::testing::Test {
 protected:
  void start(http_limits limits = {}) {
    server.emplace(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0), limits);
    server->route("/status", [](const http_request&, reply_fn reply) {
      reply({200, {{"node", "n1"}, {"bindings", 2}}});
    });
    server->start();
    port = server->local_endpoint().port();
  }

  test::http_answer get_path(const std::string& target) {
    return get(io, port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }

  asio::io_context io;
  std::optional<http_server> server;
  unsigned short port = 0;
};

TEST_F(HttpServer, RoutedGetAnswersJson) {
  start();
  ASSERT_NE(port, 0);
  const auto answer = get_path("/status");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.head.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(answer.head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(answer.body, (nlohmann::json{{"node", "n1"}, {"bindings", 2}}));
  EXPECT_EQ(server->counters().requests, 1u);
}

// /metrics and the dashboard's files are not JSON: sent as given, with
// their own type and exact length.
TEST_F(HttpServer, ATextReplyIsSentAsIsWithItsContentType) {
  server.emplace(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  server->route("/metrics", [](const http_request&, reply_fn reply) {
    reply(http_response::text(200, std::string(metrics_content_type), "x_total 1\n"));
  });
  server->start();
  port = server->local_endpoint().port();
  const auto answer = get_path("/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.head.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(answer.head.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(answer.text, "x_total 1\n");
}

TEST_F(HttpServer, QueryIsPercentDecoded) {
  start();
  http_request seen;
  server->route("/lookup", [&](const http_request& request, reply_fn reply) {
    seen = request;
    reply({200, {{"ok", true}}});
  });
  const auto answer = get_path("/lookup?aor=sip%3Aalice%40p2psip.test&flag&n=%2B1+2");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/lookup");
  EXPECT_EQ(seen.query, (std::map<std::string, std::string>{
                            {"aor", "sip:alice@p2psip.test"}, {"flag", ""}, {"n", "+1+2"}}));
}

TEST_F(HttpServer, DeferredReplyArrives) {
  start();
  asio::steady_timer later(io);
  server->route("/lookup", [&](const http_request&, reply_fn reply) {
    later.expires_after(20ms);
    later.async_wait([reply](std::error_code) { reply({200, {{"found", 1}}}); });
  });
  const auto answer = get_path("/lookup?aor=x");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, (nlohmann::json{{"found", 1}}));
}

TEST_F(HttpServer, ReplyCalledTwiceSendsTheFirst) {
  start();
  server->route("/twice", [&](const http_request&, reply_fn reply) {
    asio::post(io, [reply] {
      reply({200, {{"first", true}}});
      reply({500, {{"second", true}}});
    });
  });
  const auto answer = get_path("/twice");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, (nlohmann::json{{"first", true}}));
}

TEST_F(HttpServer, UnknownPathIs404) {
  start();
  const auto answer = get_path("/nothing");
  EXPECT_EQ(answer.status, 404);
  EXPECT_TRUE(answer.body.contains("error"));
}

TEST_F(HttpServer, PostIs405) {
  start();
  const auto answer =
      get(io, port, "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(answer.status, 405);
  EXPECT_NE(answer.head.find("Allow: GET\r\n"), std::string::npos);
  EXPECT_TRUE(answer.body["error"].is_string());
}

TEST_F(HttpServer, PostRouteTakesItsArgumentsInTheQueryOnly) {
  start();
  server->post_route("/users", [](const http_request& request, reply_fn reply) {
    reply({200, {{"method", request.method}, {"user", request.query.at("user")}}});
  });
  const auto posted = get(io, port, "POST /users?user=alice HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(posted.status, 200);
  EXPECT_EQ(posted.body, (nlohmann::json{{"method", "POST"}, {"user", "alice"}}));
  const auto got = get_path("/users");
  EXPECT_EQ(got.status, 405);
  EXPECT_NE(got.head.find("Allow: POST\r\n"), std::string::npos);
  const auto with_body =
      get(io, port, "POST /users?user=a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(with_body.status, 413);
  const auto put = get(io, port, "PUT /users HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(put.status, 405);
}

TEST_F(HttpServer, HeadOver8KiBIs431) {
  start();
  const std::string big(9 * 1024, 'a');
  const auto answer = get(io, port, "GET /status HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_EQ(answer.status, 431);
  EXPECT_TRUE(answer.body["error"].is_string());
}

TEST_F(HttpServer, GarbageIs400) {
  start();
  const auto answer = get(io, port, "hello there\r\n\r\n");
  EXPECT_EQ(answer.status, 400);
  EXPECT_TRUE(answer.body["error"].is_string());
}

TEST_F(HttpServer, BodyIs413) {
  start();
  const auto answer = get(io, port, "GET /status HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(answer.status, 413);
}

TEST_F(HttpServer, HandlerExceptionIs500) {
  start();
  server->route("/throws", [](const http_request&, reply_fn) { throw std::runtime_error("no"); });
  EXPECT_EQ(get_path("/throws").status, 500);
}

TEST_F(HttpServer, SlowHeadIs408) {
  start({.head_timeout = 50ms});
  const auto answer = get(io, port, "GET /sta");
  EXPECT_EQ(answer.status, 408);
  EXPECT_EQ(server->counters().timeouts, 1u);
}

// After the response the server lingers for the client to close; a client
// that keeps its end open until then was served, not timed out.
TEST_F(HttpServer, LingeringAfterAnAnsweredRequestIsNoTimeout) {
  start();
  const auto x = test::start_exchange(io, port, "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ASSERT_TRUE(run_until(io, [&] { return x->finished; }));
  EXPECT_EQ(test::parse_answer(x->answer).status, 200);
  // x keeps its socket open: the server closes after its linger time.
  ASSERT_TRUE(run_until(io, [&] { return server->open_connections() == 0; }));
  EXPECT_EQ(server->counters().timeouts, 0u);
}

TEST_F(HttpServer, HandlerThatNeverRepliesIs504) {
  start({.reply_timeout = 50ms});
  reply_fn kept;
  server->route("/stuck", [&](const http_request&, reply_fn reply) { kept = std::move(reply); });
  EXPECT_EQ(get_path("/stuck").status, 504);
  kept({200, {}});  // too late: dropped
  EXPECT_TRUE(run_until(io, [&] { return server->open_connections() == 0; }));
}

TEST_F(HttpServer, ConnectionsBeyondTheLimitAreClosed) {
  start({.max_connections = 2});
  auto first = test::start_exchange(io, port, "");
  auto second = test::start_exchange(io, port, "");
  ASSERT_TRUE(run_until(io, [&] { return server->open_connections() == 2; }));
  auto third = test::start_exchange(io, port, "");
  ASSERT_TRUE(run_until(io, [&] { return third->finished; }));
  EXPECT_TRUE(third->answer.empty());
  EXPECT_EQ(server->counters().refused_full, 1u);
  EXPECT_FALSE(first->finished);
  // Once one closes, a new client is served again.
  first->socket.close();
  ASSERT_TRUE(run_until(io, [&] { return server->open_connections() == 1; }));
  EXPECT_EQ(get_path("/status").status, 200);
}

TEST_F(HttpServer, SurvivesClientGoneBeforeDeferredReply) {
  start();
  reply_fn kept;
  server->route("/lookup", [&](const http_request&, reply_fn reply) { kept = std::move(reply); });
  auto gone = test::start_exchange(io, port, "GET /lookup?aor=x HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(run_until(io, [&] { return static_cast<bool>(kept); }));
  gone->socket.close();
  run_until(
      io, [] { return false; }, 20ms);
  kept({200, {{"late", true}}});
  ASSERT_TRUE(run_until(io, [&] { return server->open_connections() == 0; }));
  EXPECT_EQ(get_path("/status").status, 200);
}

TEST_F(HttpServer, ReplyAfterServerDestroyedIsNoOp) {
  start();
  reply_fn kept;
  server->route("/lookup", [&](const http_request&, reply_fn reply) { kept = std::move(reply); });
  auto client = test::start_exchange(io, port, "GET /lookup HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(run_until(io, [&] { return static_cast<bool>(kept); }));
  server.reset();
  kept({200, {{"late", true}}});
  ASSERT_TRUE(run_until(io, [&] { return client->finished; }));
  EXPECT_TRUE(client->answer.empty());
  io.restart();
  io.run();  // every handler of the dead server runs and finds nothing to touch
}

TEST_F(HttpServer, WithATokenEveryRequestNeedsTheBearer) {
  start();
  server->require_token("s3cret-token-0123456789");
  const auto none = get_path("/status");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.head.find("WWW-Authenticate: Bearer realm=\"p2psip\"\r\n"), std::string::npos);
  EXPECT_TRUE(none.body["error"].is_string());

  const auto ask = [&](std::string_view authorization) {
    return get(io, port,
               "GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: " + std::string(authorization) +
                   "\r\n\r\n");
  };
  // Wrong tokens: another one, a prefix of it, a longer one, another scheme.
  EXPECT_EQ(ask("Bearer s3cret-token-0123456780").status, 401);
  EXPECT_EQ(ask("Bearer s3cret-token").status, 401);
  EXPECT_EQ(ask("Bearer s3cret-token-01234567890").status, 401);
  EXPECT_EQ(ask("Basic s3cret-token-0123456789").status, 401);
  // Unknown paths too: nothing is told to a client without the token.
  EXPECT_EQ(get_path("/nothing").status, 401);
  EXPECT_EQ(server->counters().unauthorized, 6u);
  EXPECT_EQ(server->counters().requests, 0u);

  const auto right = ask("Bearer s3cret-token-0123456789");
  EXPECT_EQ(right.status, 200);
  EXPECT_EQ(ask("bearer s3cret-token-0123456789").status, 200);  // the scheme has no case
  EXPECT_EQ(server->counters().requests, 2u);
}

TEST_F(HttpServer, ARateLimitedRouteAnswers429WithRetryAfter) {
  start();
  int lookups = 0;
  server->route("/lookup", [&](const http_request&, reply_fn reply) {
    ++lookups;
    reply({200, {{"found", 0}}});
  });
  server->limit_rate("/lookup", 0.5, 2);
  EXPECT_EQ(get_path("/lookup?aor=a").status, 200);
  EXPECT_EQ(get_path("/lookup?aor=b").status, 200);
  const auto third = get_path("/lookup?aor=c");
  EXPECT_EQ(third.status, 429);
  // One token every 2 s.
  EXPECT_NE(third.head.find("Retry-After: 2\r\n"), std::string::npos) << third.head;
  EXPECT_TRUE(third.body["error"].is_string());
  EXPECT_EQ(lookups, 2);
  EXPECT_EQ(server->counters().rate_limited, 1u);
  // Other routes are not limited.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get_path("/status").status, 200);
}

TEST_F(HttpServer, StartThrowsWhenThePortIsTaken) {
  start();
  http_server second(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
  EXPECT_THROW(second.start(), std::system_error);
}

}  // namespace
}  // namespace p2psip::ops
