#include "api_client.hpp"

#include <openssl/evp.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <charconv>
#include <cstddef>
#include <system_error>
#include <vector>

namespace p2psip::cli {
namespace {

// Far above any status or lookup answer; a bound so a confused peer cannot
// make the tool swallow memory.
constexpr std::size_t max_answer = 16 * 1024 * 1024;

struct host_port {
  std::string host;  // without brackets, for the resolver
  std::string port;
};

host_port split(std::string_view api) {
  const auto colon = api.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == api.size())
    throw api_unreachable("the API address \"" + std::string(api) + "\" is not HOST:PORT");
  auto host = api.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return {std::string(host), std::string(api.substr(colon + 1))};
}

api_response parse_answer(std::string_view api, std::string_view text) {
  const auto malformed = [&](std::string_view why) {
    return api_malformed("the node's API at " + std::string(api) + " answered " + std::string(why));
  };
  if (text.substr(0, 5) != "HTTP/" || text.size() < 12 || text[8] != ' ')
    throw malformed("something that is not HTTP");
  api_response out;
  const auto code = text.substr(9, 3);
  const auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), out.status);
  if (ec != std::errc{} || ptr != code.data() + code.size())
    throw malformed("with a malformed status line");
  const auto head_end = text.find("\r\n\r\n");
  if (head_end == std::string_view::npos) throw malformed("with a truncated head");
  out.body = nlohmann::ordered_json::parse(text.substr(head_end + 4), nullptr, false);
  if (out.body.is_discarded()) throw malformed("with a body that is not JSON");
  return out;
}

std::string base64(std::string_view text) {
  std::vector<unsigned char> out(4 * ((text.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

std::string authorization_of(const api_endpoint& endpoint) {
  if (!endpoint.basic.empty()) return "Authorization: Basic " + base64(endpoint.basic) + "\r\n";
  if (!endpoint.token.empty()) return "Authorization: Bearer " + endpoint.token + "\r\n";
  return {};
}

}  // namespace

api_response api_get(const api_endpoint& endpoint, const std::string& target,
                     std::chrono::milliseconds timeout) {
  return api_request(endpoint, "GET", target, timeout);
}

api_response api_request(const api_endpoint& endpoint, std::string_view method,
                         const std::string& target, std::chrono::milliseconds timeout) {
  const std::string_view api = endpoint.address;
  const auto where = split(api);
  if (!endpoint.basic.empty() && !endpoint.tls)
    throw api_unreachable("a password is only sent over HTTPS");
  const std::string authorization = authorization_of(endpoint);
  const std::string host_header = where.host.find(':') != std::string::npos
                                      ? "[" + where.host + "]:" + where.port
                                      : where.host + ":" + where.port;
  const std::string request = std::string(method) + " " + target +
                              " HTTP/1.1\r\nHost: " + host_header +
                              "\r\nAccept: application/json\r\nUser-Agent: p2psip\r\n" +
                              authorization + "Connection: close\r\n\r\n";

  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  asio::ssl::context context(asio::ssl::context::tls_client);
  if (endpoint.tls) {
    std::error_code ec;
    context.set_verify_mode(asio::ssl::verify_peer, ec);
    if (!ec) context.load_verify_file(endpoint.tls_ca, ec);
    if (ec)
      throw api_unreachable("cannot use \"" + endpoint.tls_ca + "\" as the CA: " + ec.message());
  }
  asio::ssl::stream<asio::ip::tcp::socket> tls(io, context);
  auto& socket = tls.next_layer();
  asio::steady_timer deadline(io);
  std::string answer;
  std::error_code failure;
  bool timed_out = false;

  deadline.expires_after(timeout);
  deadline.async_wait([&](std::error_code ec) {
    if (ec) return;
    timed_out = true;
    resolver.cancel();
    std::error_code ignored;
    socket.close(ignored);
  });
  const auto finish = [&](std::error_code ec) {
    failure = ec;
    deadline.cancel();
  };
  // Lives until io.run() returns: the handshake's handler calls it.
  const auto exchange = [&](auto& stream) {
    asio::async_write(stream, asio::buffer(request), [&](std::error_code write_ec, std::size_t) {
      if (write_ec) return finish(write_ec);
      asio::async_read(stream, asio::dynamic_buffer(answer, max_answer),
                       [&](std::error_code read_ec, std::size_t) {
                         // The whole answer is in when the server closes: with or
                         // without TLS's close_notify, it said Connection: close.
                         const bool ended = read_ec == asio::error::eof ||
                                            read_ec == asio::ssl::error::stream_truncated;
                         finish(ended ? std::error_code{} : read_ec);
                       });
    });
  };
  resolver.async_resolve(where.host, where.port, [&](std::error_code ec, auto endpoints) {
    if (ec) return finish(ec);
    asio::async_connect(socket, endpoints, [&](std::error_code connect_ec, const auto&) {
      if (connect_ec) return finish(connect_ec);
      if (!endpoint.tls) return exchange(socket);
      tls.async_handshake(asio::ssl::stream_base::client, [&](std::error_code handshake_ec) {
        if (handshake_ec) return finish(handshake_ec);
        exchange(tls);
      });
    });
  });
  io.run();

  if (timed_out || failure) {
    const auto ms = timeout.count();
    const std::string limit =
        ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    const std::string reason = timed_out ? "no answer within " + limit : failure.message();
    throw api_unreachable("cannot reach the node's API at " + std::string(api) + ": " + reason);
  }
  return parse_answer(api, answer);
}

}  // namespace p2psip::cli
