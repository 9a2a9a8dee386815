// A blocking HTTP/1.1 GET (or POST) against a node's HTTP JSON servers
// (src/ops/http_server.hpp): the local operations API, and the HTTPS "Get
// Relay" endpoint its users ask for TURN credentials. One request per
// connection, read to EOF.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace p2psip::cli {

// The node is down, refused, or did not answer in time. The message is the
// whole line: "cannot reach the node's API at HOST:PORT: REASON".
struct api_unreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// It answered, but not with HTTP and JSON.
struct api_malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct api_response {
  int status = 0;
  // ordered: fields print in the order the node chose for them
  nlohmann::ordered_json body;
};

// Where the node's API is, and the token it asks for (empty: none).
struct api_endpoint {
  std::string address;  // HOST:PORT, [IPV6]:PORT or a name
  std::string token;    // sent as Authorization: Bearer
  // HTTPS: the server's certificate must chain to this CA (PEM file). Only
  // the chain is checked, not the name: a node's certificate names the node
  // (urn:p2psip:node:ID), and the overlay CA issues nothing else to servers.
  std::string tls_ca{};
  std::string basic{};  // "user:password", sent as Authorization: Basic (HTTPS only)
  bool tls = false;
};

// `target` is the path and query, already percent-encoded. `timeout` covers
// resolving, connecting, sending and reading the whole answer.
api_response api_get(const api_endpoint& api, const std::string& target,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The same with another method: a POST carries its arguments in `target`'s
// query, with no body (ops/http_server.hpp).
api_response api_request(const api_endpoint& api, std::string_view method,
                         const std::string& target,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace p2psip::cli
