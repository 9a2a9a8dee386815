// Test side of the operations API: a client that sends raw bytes over a real
// loopback socket and reads to EOF, driven on the same io_context as the
// server, so a test needs no thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

namespace p2psip::ops::test {

// Runs handlers until `done()` or `limit` of wall time, which only bounds a
// broken test: every wait in these tests ends on an event.
template <typename Pred>
bool run_until(asio::io_context& io, Pred done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return done();
}

struct exchange {
  asio::ip::tcp::socket socket;
  std::string answer;
  std::error_code error;  // of the read; eof is the normal end
  bool connected = false;
  bool finished = false;

  explicit exchange(asio::io_context& io) : socket(io) {}
};

// Connects, sends `request` (may be empty: connect only), then reads until
// the server closes.
inline std::shared_ptr<exchange> start_exchange(asio::io_context& io, unsigned short port,
                                                std::string request) {
  auto x = std::make_shared<exchange>(io);
  auto bytes = std::make_shared<std::string>(std::move(request));
  const asio::ip::tcp::endpoint server(asio::ip::address_v4::loopback(), port);
  x->socket.async_connect(server, [x, bytes](std::error_code ec) {
    if (ec) {
      x->error = ec;
      x->finished = true;
      return;
    }
    x->connected = true;
    asio::async_write(x->socket, asio::buffer(*bytes), [x, bytes](std::error_code, std::size_t) {
      asio::async_read(x->socket, asio::dynamic_buffer(x->answer),
                       [x](std::error_code read_ec, std::size_t) {
                         x->error = read_ec;
                         x->finished = true;
                       });
    });
  });
  return x;
}

struct http_answer {
  int status = 0;
  std::string head;
  nlohmann::json body;  // discarded when the body is not JSON
  std::string text;     // the body as sent
};

inline http_answer parse_answer(const std::string& text) {
  http_answer out;
  const auto end = text.find("\r\n\r\n");
  if (text.size() < 12 || end == std::string::npos) return out;
  out.status = std::stoi(text.substr(9, 3));
  out.head = text.substr(0, end + 2);
  out.text = text.substr(end + 4);
  out.body = nlohmann::json::parse(out.text, nullptr, false);
  return out;
}

// The whole round trip: sends, waits for the server to close, parses.
inline http_answer get(asio::io_context& io, unsigned short port, std::string request) {
  auto x = start_exchange(io, port, std::move(request));
  if (!run_until(io, [&] { return x->finished; })) return {};
  return parse_answer(x->answer);
}

}  // namespace p2psip::ops::test
