#include "ops/http_server.hpp"

#include <asio/read.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <exception>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ops/basic_auth.hpp"
#include "ops/request_head.hpp"
#include "ops/token_bucket.hpp"

namespace p2psip::ops {
namespace detail {

class http_connection;

}  // namespace detail

struct http_server::state {
  state(asio::io_context& io, asio::ip::tcp::endpoint where, http_limits l)
      : listen(where), limits(l), acceptor(io), backoff(io) {}

  asio::ip::tcp::endpoint listen;
  http_limits limits;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer backoff;
  std::map<std::string, handler, std::less<>> routes;       // GET
  std::map<std::string, handler, std::less<>> post_routes;  // POST
  std::string token;                                        // empty: no Authorization needed
  std::set<std::string, std::less<>> public_paths;          // GET without the token
  std::shared_ptr<asio::ssl::context> tls;                  // null: plain HTTP
  std::map<std::string, token_bucket, std::less<>> rates;
  http_counters counters;
  // The server owns its connections; their own handlers only hold them while
  // an operation is pending, and they reach back here through a weak_ptr.
  std::unordered_map<detail::http_connection*, std::shared_ptr<detail::http_connection>>
      connections;
};

namespace detail {
namespace {

using namespace std::chrono_literals;

// After the response, unread request bytes would make close() send a RST that
// can overtake the response on the client's side; the connection reads and
// discards them for this long, or up to this many bytes, before closing.
constexpr auto linger_time = 1s;
constexpr std::size_t linger_bytes = 64 * 1024;

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

std::string serialize(const http_response& response) {
  // A status line with a status outside 1xx-5xx would not be HTTP; it is a
  // handler's bug, reported as one.
  const int status = response.status >= 100 && response.status <= 599 ? response.status : 500;
  // Strings from the network (user names, contacts) may not be UTF-8; replace
  // rather than throw, since a reply must always leave.
  std::string body;
  if (response.raw) {
    body = *response.raw;
  } else {
    body = response.body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    body += '\n';
  }
  const std::string_view type =
      response.raw ? std::string_view(response.content_type) : std::string_view("application/json");
  std::string out = "HTTP/1.1 " + std::to_string(status) + ' ';
  out += reason_phrase(status);
  out += "\r\nContent-Type: ";
  out += type;
  out += "\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nCache-Control: no-store\r\nConnection: close\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

http_response error_response(int status, std::string_view message) {
  return {status, nlohmann::json{{"error", message}}};
}

// RFC 9110 §15.5.6: a 405 says which methods the resource has.
http_response with_allow(http_response response, std::string methods) {
  response.headers.emplace_back("Allow", std::move(methods));
  return response;
}

// RFC 6750 §2.1: "Bearer" (any case) SP token.
bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != scheme[i]) return false;
  }
  return same_secret(authorization.substr(scheme.size()), token);
}

// Out of descriptors or memory, accept() fails at once again: retrying
// without a pause would spin the loop until something closes.
bool out_of_resources(std::error_code ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec == std::errc::too_many_files_open_in_system;
}

}  // namespace

class http_connection final : public std::enable_shared_from_this<http_connection> {
 public:
  http_connection(std::weak_ptr<http_server::state> server, asio::ip::tcp::socket socket,
                  const http_limits& limits, asio::ssl::context* tls)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        limits_(limits),
        buffer_(limits.max_head) {
    if (tls != nullptr) tls_.emplace(socket_, *tls);
  }

  void start() {
    arm_timer(limits_.head_timeout);
    if (!tls_) return read_head();
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](std::error_code ec) {
                            if (self->phase_ != phase::reading) return;
                            self->secured_ = !ec;
                            if (!ec) return self->read_head();
                            if (auto s = self->server_.lock()) ++s->counters.tls_failures;
                            self->close();
                          });
  }

  // Idempotent; safe from any handler, including while stop() walks the table.
  void close() {
    if (phase_ == phase::closed) return;
    const auto keep = shared_from_this();  // the table may hold the last owner
    if (phase_ == phase::waiting)
      if (auto s = server_.lock()) ++s->counters.replies_dropped;
    phase_ = phase::closed;
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    if (auto s = server_.lock()) s->connections.erase(this);
  }

  void reply(http_response response) {
    if (phase_ != phase::waiting) {
      if (auto s = server_.lock(); s && phase_ == phase::closed) ++s->counters.late_replies;
      return;
    }
    send(std::move(response));
  }

 private:
  enum class phase : std::uint8_t { reading, waiting, writing, draining, closed };

  void arm_timer(std::chrono::steady_clock::duration after) {
    timer_.expires_after(after);
    // A timer that already fired cannot be cancelled by re-arming it; the
    // phase it was armed for tells a stale expiry from a current one.
    timer_.async_wait([self = shared_from_this(), armed = phase_](std::error_code ec) {
      if (ec || self->phase_ != armed) return;
      self->timed_out();
    });
  }

  void timed_out() {
    // The linger after a response: the request was served, the client just
    // kept its end open. Not a timeout of the kinds counted.
    if (phase_ == phase::draining) return close();
    auto s = server_.lock();
    if (s) ++s->counters.timeouts;
    switch (phase_) {
      case phase::reading:
        if (tls_ && !secured_) return close();  // nothing can be said before the handshake
        return send(error_response(408, "the request head did not arrive in time"));
      case phase::waiting:
        return send(error_response(504, "the node did not answer in time"));
      default:
        return close();
    }
  }

  // The connection's bytes, through TLS when it has it.
  template <class Buffers, class Handler>
  void read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  void write_all(const Buffers& buffers, Handler&& handler) {
    if (tls_)
      asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    else
      asio::async_write(socket_, buffers, std::forward<Handler>(handler));
  }

  void read_head() {
    read_some(asio::buffer(buffer_.data() + used_, buffer_.size() - used_),
              [self = shared_from_this()](std::error_code ec, std::size_t n) {
                if (self->phase_ != phase::reading) return;
                if (ec) return self->close();  // gone before asking anything: nobody to answer
                self->used_ += n;
                self->on_bytes();
              });
  }

  void on_bytes() {
    http_request request;
    const auto head =
        parse_request_head(std::string_view(buffer_.data(), used_), limits_.max_head, request);
    switch (head.what) {
      case head_result::outcome::incomplete:
        return read_head();
      case head_result::outcome::rejected:
        if (auto s = server_.lock()) ++s->counters.rejected;
        return send(error_response(head.status, head.reason));
      case head_result::outcome::complete:
        return dispatch(request, head.has_body);
    }
  }

  void dispatch(const http_request& request, bool has_body) {
    auto s = server_.lock();
    if (!s) return close();
    const bool open = request.method == "GET" && s->public_paths.contains(request.path);
    if (!open && !s->token.empty() && !bearer_matches(request.authorization, s->token)) {
      ++s->counters.unauthorized;
      auto response = error_response(401, "give the API token: Authorization: Bearer TOKEN");
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"p2psip\"");
      return send(std::move(response));
    }
    const bool post = request.method == "POST";
    const auto& routes = post ? s->post_routes : s->routes;
    const auto route = routes.find(request.path);
    if (request.method != "GET" && !post) {
      ++s->counters.rejected;
      return send(with_allow(error_response(405, "only GET and POST are served"), "GET, POST"));
    }
    if (route == routes.end()) {
      ++s->counters.rejected;
      const auto& other = post ? s->routes : s->post_routes;
      if (other.contains(request.path))
        return send(
            with_allow(error_response(405, "not with " + request.method), post ? "GET" : "POST"));
      return send(error_response(404, "no such resource"));
    }
    // Reading a body would mean buffering it; the arguments are in the query.
    if (has_body) {
      ++s->counters.rejected;
      return send(error_response(413, "a request body is not accepted"));
    }
    if (const auto rate = s->rates.find(request.path); rate != s->rates.end()) {
      const auto now = std::chrono::steady_clock::now();
      if (!rate->second.take(now)) {
        ++s->counters.rate_limited;
        auto response = error_response(429, "too many requests to " + request.path);
        response.headers.emplace_back("Retry-After",
                                      std::to_string(rate->second.retry_after(now).count()));
        return send(std::move(response));
      }
    }
    ++s->counters.requests;
    // A copy: the handler may re-route or stop the server while it runs.
    const handler h = route->second;
    s.reset();
    phase_ = phase::waiting;
    arm_timer(limits_.reply_timeout);
    reply_fn reply = [weak = weak_from_this()](http_response response) {
      if (auto self = weak.lock()) self->reply(std::move(response));
    };
    try {
      h(request, std::move(reply));
    } catch (const std::exception& e) {
      if (phase_ == phase::waiting) send(error_response(500, e.what()));
    }
  }

  void send(http_response response) {
    phase_ = phase::writing;
    out_ = serialize(response);
    arm_timer(limits_.head_timeout);
    write_all(asio::buffer(out_), [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (self->phase_ != phase::writing) return;
      if (ec) return self->close();
      self->linger();
    });
  }

  void linger() {
    phase_ = phase::draining;
    arm_timer(linger_time);
    if (tls_) {
      // close_notify says the response is whole; the client's own, or the
      // linger timer, ends the connection.
      return tls_->async_shutdown([self = shared_from_this()](std::error_code) {
        if (self->phase_ == phase::draining) self->close();
      });
    }
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    drain();
  }

  void drain() {
    read_some(asio::buffer(buffer_),
              [self = shared_from_this()](std::error_code ec, std::size_t n) {
                if (self->phase_ != phase::draining) return;
                self->drained_ += n;
                if (ec || self->drained_ > linger_bytes) return self->close();
                self->drain();
              });
  }

  std::weak_ptr<http_server::state> server_;
  asio::ip::tcp::socket socket_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  bool secured_ = false;  // the TLS handshake is done
  asio::steady_timer timer_;
  http_limits limits_;
  std::vector<char> buffer_;  // the head as it arrives, bounded by max_head
  std::size_t used_ = 0;
  std::size_t drained_ = 0;
  std::string out_;
  phase phase_ = phase::reading;
};

}  // namespace detail

namespace {

void accept(const std::shared_ptr<http_server::state>& s);

void accept_later(const std::shared_ptr<http_server::state>& s) {
  s->backoff.expires_after(std::chrono::milliseconds(100));
  s->backoff.async_wait([weak = std::weak_ptr(s)](std::error_code ec) {
    auto locked = weak.lock();
    if (!ec && locked && locked->acceptor.is_open()) accept(locked);
  });
}

void accept(const std::shared_ptr<http_server::state>& s) {
  s->acceptor.async_accept(
      [weak = std::weak_ptr(s)](std::error_code ec, asio::ip::tcp::socket socket) {
        auto locked = weak.lock();
        if (!locked || !locked->acceptor.is_open()) return;
        if (ec) {
          ++locked->counters.accept_failures;
          if (detail::out_of_resources(ec)) return accept_later(locked);
        } else if (locked->connections.size() >= locked->limits.max_connections) {
          ++locked->counters.refused_full;
          std::error_code ignored;
          socket.close(ignored);
        } else {
          ++locked->counters.accepted;
          auto c = std::make_shared<detail::http_connection>(weak, std::move(socket),
                                                             locked->limits, locked->tls.get());
          locked->connections.emplace(c.get(), c);
          c->start();
        }
        accept(locked);
      });
}

}  // namespace

http_server::http_server(asio::io_context& io, asio::ip::tcp::endpoint listen)
    : http_server(io, listen, http_limits{}) {}

http_server::http_server(asio::io_context& io, asio::ip::tcp::endpoint listen, http_limits limits)
    : state_(std::make_shared<state>(io, listen, limits)) {}

http_server::~http_server() {
  stop();
}

void http_server::post_route(std::string path, handler h) {
  state_->post_routes.insert_or_assign(std::move(path), std::move(h));
}

void http_server::route(std::string path, handler h) {
  state_->routes.insert_or_assign(std::move(path), std::move(h));
}

void http_server::public_route(std::string path, handler h) {
  state_->public_paths.insert(path);
  route(std::move(path), std::move(h));
}

void http_server::require_token(std::string token) {
  state_->token = std::move(token);
}

void http_server::limit_rate(const std::string& path, double per_second, double burst) {
  state_->rates.insert_or_assign(path,
                                 token_bucket(per_second, burst, std::chrono::steady_clock::now()));
}

void http_server::use_tls(std::shared_ptr<asio::ssl::context> context) {
  state_->tls = std::move(context);
}

void http_server::start() {
  auto& acceptor = state_->acceptor;
  const auto& where = state_->listen;
  const auto fail = [&](std::error_code ec, const char* what) {
    std::error_code ignored;
    acceptor.close(ignored);
    throw std::system_error(ec, std::string("operations API: cannot ") + what + " " +
                                    where.address().to_string() + " port " +
                                    std::to_string(where.port()));
  };
  std::error_code ec;
  if (acceptor.open(where.protocol(), ec); ec) fail(ec, "open a socket for");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec)
    fail(ec, "set SO_REUSEADDR for");
  if (acceptor.bind(where, ec); ec) fail(ec, "bind to");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) fail(ec, "listen on");
  accept(state_);
}

void http_server::stop() {
  std::error_code ignored;
  state_->acceptor.close(ignored);
  state_->backoff.cancel();
  // close() erases from the table, so walk a copy.
  const auto open = std::move(state_->connections);
  state_->connections.clear();
  for (const auto& [raw, connection] : open) connection->close();
}

asio::ip::tcp::endpoint http_server::local_endpoint() const {
  std::error_code ec;
  if (state_->acceptor.is_open()) {
    auto bound = state_->acceptor.local_endpoint(ec);
    if (!ec) return bound;
  }
  return state_->listen;
}

const http_counters& http_server::counters() const {
  return state_->counters;
}

std::size_t http_server::open_connections() const {
  return state_->connections.size();
}

}  // namespace p2psip::ops
