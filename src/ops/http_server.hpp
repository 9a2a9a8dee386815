// A small HTTP/1.1 server for the node's local operations API (status,
// lookups, bindings), answering JSON to GET requests, and to POSTs of the
// few routes that change something (their arguments in the query).
//
// Everything runs on the io_context's thread: no threads, no locks. One
// request per connection, answered with `Connection: close`, so there is no
// pipelining or keep-alive state to get wrong. The limits bound what one
// client can make the node hold: the head's size, the time it may take to
// arrive, and the number of connections open at once.
//
// TLS: with use_tls() every connection starts with a TLS handshake (HTTPS),
// bounded by the head's timeout; a failed handshake is counted and closed.
//
// Access: with require_token() every request must carry
// `Authorization: Bearer <token>` (RFC 6750), else 401; with limit_rate() a
// route answers 429 with Retry-After past its rate. Both are counted.
//
// Lifetimes: a handler is called on the io_context's thread with a reply
// function it may keep and call later, exactly once (later calls are
// ignored). The reply function keeps nothing alive: once the connection has
// closed (client gone, timeout, stop(), server destroyed) a reply is dropped.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::ops {

struct http_request {
  std::string method;  // "GET", "POST"
  std::string path;    // "/lookup" (without the query)
  // percent-decoded ?aor=sip%3Aalice%40x -> {"aor","sip:alice@x"}
  std::map<std::string, std::string> query;
  std::string authorization;  // the Authorization field's value; empty when absent
};

struct http_response {
  using fields = std::vector<std::pair<std::string, std::string>>;
  http_response() = default;
  http_response(int code, nlohmann::json json, fields extra = {})
      : status(code), body(std::move(json)), headers(std::move(extra)) {}

  // A body that is not JSON (metrics, the dashboard's files), sent as is.
  static http_response text(int code, std::string content_type, std::string body,
                            fields extra = {}) {
    http_response r;
    r.status = code;
    r.raw = std::move(body);
    r.content_type = std::move(content_type);
    r.headers = std::move(extra);
    return r;
  }

  int status = 200;
  nlohmann::json body;  // sent as application/json, unless raw is set
  std::optional<std::string> raw;
  std::string content_type;  // of raw
  fields headers;            // besides those the server sets
};

using reply_fn = std::function<void(http_response)>;
// Handlers may answer later (the node answers /lookup after a DHT round trip):
// call reply exactly once.
using handler = std::function<void(const http_request&, reply_fn reply)>;

struct http_limits {
  std::size_t max_head = 8 * 1024;   // request line and headers; more is refused with 431
  std::size_t max_connections = 64;  // one more is closed as soon as it is accepted
  std::chrono::milliseconds head_timeout{5000};  // for the whole head to arrive; then 408
  // A handler that never replies would hold its connection (and a slot of
  // max_connections) forever; past this the client gets 504.
  std::chrono::milliseconds reply_timeout{30000};
};

// Each drop has its own counter, for the node's /status and for tests.
struct http_counters {
  std::uint64_t accepted = 0;
  std::uint64_t refused_full = 0;  // over max_connections, closed unanswered
  std::uint64_t accept_failures = 0;
  std::uint64_t requests = 0;         // handed to a handler
  std::uint64_t rejected = 0;         // 400, 404, 405, 413, 431
  std::uint64_t timeouts = 0;         // head (408), reply (504) or a stalled write
  std::uint64_t replies_dropped = 0;  // connection closed while its handler was busy
  std::uint64_t late_replies = 0;     // reply called after that close
  std::uint64_t unauthorized = 0;     // 401: no or a wrong bearer token
  std::uint64_t rate_limited = 0;     // 429: over a route's rate
  std::uint64_t tls_failures = 0;     // handshakes that failed
};

class http_server {
 public:
  http_server(asio::io_context& io, asio::ip::tcp::endpoint listen);
  http_server(asio::io_context& io, asio::ip::tcp::endpoint listen, http_limits limits);
  ~http_server();  // closes everything; a reply called after that is a no-op

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  void route(std::string path, handler h);  // exact path match, GET
  // A GET route served without the token (the dashboard's page and scripts:
  // nothing secret, and a browser cannot add a header to a page it opens).
  // The data the page then asks for needs the token like any route.
  void public_route(std::string path, handler h);
  // A POST to `path`, its arguments in the query: a body is still refused
  // (413), so nothing beyond the head is ever buffered.
  void post_route(std::string path, handler h);
  // Every request must then carry `Authorization: Bearer <token>`; the token
  // is compared in constant time. An empty token turns the check off.
  void require_token(std::string token);
  // At most `burst` requests to `path` at once, then `per_second` on average,
  // whoever asks; past that 429 with Retry-After. `per_second` > 0, `burst` >= 1.
  void limit_rate(const std::string& path, double per_second, double burst);
  // Serves HTTPS with `context` (certificate and key loaded) from start() on.
  void use_tls(std::shared_ptr<asio::ssl::context> context);
  void start();                                    // throws std::system_error when it cannot bind
  void stop();                                     // closes the listener and every connection
  asio::ip::tcp::endpoint local_endpoint() const;  // port 0 in `listen` picks one

  const http_counters& counters() const;
  std::size_t open_connections() const;

  struct state;  // shared with the connections, which outlive the server by a few handlers

 private:
  std::shared_ptr<state> state_;
};

}  // namespace p2psip::ops
