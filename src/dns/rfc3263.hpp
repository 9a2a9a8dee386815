// RFC 3263 §4 as a pure computation: which DNS questions a SIP or SIPS URI
// needs (NAPTR → SRV → A/AAAA), and, fed their answers, the ordered places
// a request may be sent. Nothing here does I/O or keeps time: the locator
// (locator.hpp) asks the questions and applies the §4.3 failover lists.
//
// The ordering, best first:
//   - NAPTR records usable by the node (flags "S", service SIP+D2U,
//     SIP+D2T or SIPS+D2T for a transport the node supports; only
//     SIPS+D2T for a SIPS URI) by order, then preference. Every usable
//     record is followed, not only the first, so a failed transport leaves
//     the others to try;
//   - within each, the SRV records by priority, and within a priority by
//     RFC 2782 weighted random selection (srv_order());
//   - within each target, its A addresses, then its AAAA addresses.
// A destination that appears twice keeps its first place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dns/records.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::dns {

// One place a request may be sent: RFC 3263 §4's (address, port, transport).
// The flow is always 0: DNS names no connection.
using destination = transport::endpoint;

// Uniformly distributed 32-bit numbers. Injected, so tests can script them.
using random_source = std::function<std::uint32_t()>;

// What §4 resolves, taken from a SIP or SIPS URI.
struct sip_target {
  std::string host;                     // maddr if present, else the host; no IPv6 brackets
  std::optional<asio::ip::address> ip;  // set when `host` is an IP literal
  std::optional<std::uint16_t> port;    // an explicit port
  std::optional<transport::protocol> transport;  // from transport= (TCP in a SIPS URI is TLS)
  bool sips = false;
};

struct parsed_target {
  std::error_code error;  // error::bad_uri, error::unsupported_transport
  sip_target target;
};

// The §4 inputs of `uri`: scheme, host or maddr, port, transport param.
parsed_target parse_target(std::string_view uri);

// RFC 3263 §4.2: 5060, or 5061 for TLS.
constexpr std::uint16_t default_port(transport::protocol p) {
  return p == transport::protocol::tls ? 5061 : 5060;
}

// RFC 2782's order for an SRV RRset: priority ascending; within a priority,
// repeatedly pick at random with probability proportional to weight, records
// of weight 0 placed first in the running sum (so they are picked first only
// when the random number is 0, or when every weight left is 0, in which case
// the pick is uniform: the RFC's "any order"). `random` is called once for
// each pick among two or more records.
std::vector<srv_record> srv_order(std::vector<srv_record> records, const random_source& random);

struct question {
  std::string name;
  rr_type type = rr_type::a;

  bool operator==(const question&) const = default;
};

// Bounds on the work one URI may cause, whatever the answers say.
struct resolution_limits {
  std::size_t max_srv_lookups = 16;    // distinct SRV names (NAPTR replacements)
  std::size_t max_host_lookups = 256;  // distinct target names, one A and one AAAA each
};

// One RFC 3263 resolution. Ask take_questions(), answer each with
// on_answer(), repeat until finished(); then destinations().
class resolution {
 public:
  // `supported`: the transports the node can send on, in the order it
  // prefers them where the URI and DNS leave the choice to it.
  resolution(const sip_target& target, std::vector<transport::protocol> supported,
             resolution_limits limits = {});

  // The questions not handed out yet; each is handed out once.
  std::vector<question> take_questions();

  // The answer to a question handed out by take_questions(). Answers to
  // other questions are ignored.
  void on_answer(const question& q, std::error_code ec, const answer& a);

  // Every question asked has been answered (or none was needed).
  bool finished() const { return to_ask_.empty() && awaiting_.empty(); }

  // Once finished: the ordered destinations (see the file comment).
  // `random` is used for the SRV weighting, afresh for each call.
  std::vector<destination> destinations(const random_source& random) const;

  // Why destinations() may be empty: unsupported_transport, the first
  // transient error met (timeout, server_failure...), else the first
  // negative answer (not_found, no_data), else no_data (every SRV target was
  // "." or had no address).
  std::error_code error() const;

 private:
  // A step of the ordering: a transport and either an SRV name whose
  // targets give address and port, or a host name with a fixed port.
  struct route {
    transport::protocol proto = transport::protocol::udp;
    std::string srv_name;  // empty: `host` at `port`
    std::string host;
    std::uint16_t port = 0;
  };
  struct srv_lookup {
    bool answered = false;
    std::vector<srv_record> records;
  };
  struct host_lookup {
    std::vector<asio::ip::address> v4;
    std::vector<asio::ip::address> v6;
  };

  bool supports(transport::protocol p) const;
  std::optional<transport::protocol> scheme_default() const;
  void ask(std::string name, rr_type type);
  void ask_srv(transport::protocol proto, const std::string& name);
  void ask_host(const std::string& name);
  void use_host(transport::protocol proto, std::uint16_t port);
  void on_naptr(const answer& a);
  void ask_srv_for_each_transport();
  void on_srv(const std::string& name, const answer& a);
  void on_address(const std::string& name, rr_type type, const answer& a);
  void note(std::error_code ec);
  void append(std::vector<destination>& out, transport::protocol proto, const std::string& host,
              std::uint16_t port) const;

  sip_target target_;
  std::vector<transport::protocol> supported_;
  resolution_limits limits_;
  // Set while SRV answers decide whether the host's own A/AAAA records are
  // used (§4.2: no SRV records at all): the transport to use them with.
  std::optional<transport::protocol> fallback_proto_;
  std::vector<route> routes_;
  std::map<std::string, srv_lookup> srvs_;    // by canonical_name()
  std::map<std::string, host_lookup> hosts_;  // by canonical_name()
  std::vector<question> to_ask_;
  std::vector<question> awaiting_;  // handed out, not answered yet
  std::error_code fatal_;
  std::error_code first_transient_;
  std::error_code first_negative_;
};

}  // namespace p2psip::dns
