// SIP over UDP, TCP and TLS (RFC 3261 §18), IPv4 and IPv6, on asio.
//
// Executor and threads: the layer starts no thread. Every socket, timer
// and handler runs on the executor given to the constructor, which must
// not run handlers concurrently (one thread runs the io_context, or the
// executor is a strand). Call every member function on that executor.
//
// Inbound: each message is parsed (sip::parse); a malformed request that
// can be answered gets 400 with sip::describe(error) as the reason, on the
// path it came by; anything else malformed is dropped. Every refusal is
// counted (stats()). A request over its source's rate gets 503 with
// Retry-After. Before a request is handed up, its top Via gets received=
// and rport= as RFC 3261 §18.2.1 and RFC 3581 §4 require, so the layer
// above can send responses by Via alone; a request that needs no change is
// handed up without a copy.
//
// Connections (RFC 5626 flows): every TCP and TLS connection gets a
// non-zero flow id for as long as it is open; `received.source.flow` names
// it. A send to an endpoint with a flow id uses that connection and fails
// with error::flow_gone when it has closed; a send with flow 0 to a TCP or
// TLS address reuses any open connection to that address and port, or opens
// one. So a response to a request sent back to `received.source` travels
// on the connection the request came on (RFC 3261 §18.2.2), and a phone
// behind NAT is reached over the connection it opened.
#pragma once

#include <asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "sip/message.hpp"
#include "transport/config.hpp"
#include "transport/counters.hpp"
#include "transport/endpoint.hpp"
#include "transport/error.hpp"

namespace p2psip::transport {

namespace detail {
class layer_core;
}

struct received {
  // Views a buffer that is valid only during the handler call: copy what
  // must outlive it.
  const sip::message& msg;
  endpoint source;  // the peer, with the flow for TCP and TLS
  endpoint local;   // the socket it arrived on
};

// What start() could not do: the error and the operation that failed
// ("bind udp:127.0.0.1:5060"). Tests true when there is an error.
struct start_error {
  std::error_code code;
  std::string operation;

  explicit operator bool() const { return static_cast<bool>(code); }
  std::string message() const { return operation + ": " + code.message(); }
};

class transport_layer {
 public:
  using message_handler = std::function<void(const received&)>;
  // Called once, on the executor, never from inside send().
  using send_handler = std::function<void(std::error_code)>;

  // Binds nothing until start().
  transport_layer(asio::any_io_executor executor, config settings, message_handler on_message);
  // Stops: see stop().
  ~transport_layer();
  transport_layer(const transport_layer&) = delete;
  transport_layer& operator=(const transport_layer&) = delete;

  // Binds every listen_spec and loads the TLS files; on the first failure
  // releases what it bound and says which operation failed.
  start_error start();

  // Closes every socket and connection. Pending send handlers complete
  // with asio::error::operation_aborted; the message handler is not called
  // again. Handlers still queued on the executor hold what they use, so the
  // layer may be destroyed before they run.
  void stop();

  // One per listen_spec, with the port actually bound.
  std::vector<endpoint> local_endpoints() const;

  // Sends one whole message. `done` (optional) completes when the bytes
  // were handed to the kernel, or with the error that prevented it. UDP
  // leaves from the first UDP socket of the destination's address family.
  void send(std::string bytes, const endpoint& to, send_handler done = {});

  // Whether `source` is a TLS connection, still open, whose peer presented
  // a certificate that verified against the CA and that
  // tls_files::authenticate accepted. False for UDP, TCP and a flow of 0.
  bool authenticated(const endpoint& source) const;

  counters stats() const;
  // Whether requests arrive faster than the node takes them: a UDP socket's
  // kernel queue is past tens of milliseconds of work. The node then
  // refuses new requests (503, Retry-After) and keeps serving the dialogs
  // and transactions it has, until the queue drains (txn::layer_limits).
  bool behind() const;

 private:
  std::shared_ptr<detail::layer_core> core_;
};

}  // namespace p2psip::transport
