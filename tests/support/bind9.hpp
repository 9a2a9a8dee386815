// A real BIND9 name server for a test: `named -g` on 127.0.0.1 at a free
// high port, authoritative for the zones given as zone-file text, in its
// own temporary directory. Destroying it stops named and removes the
// directory. Optionally a TSIG key and, per zone, an update-policy, so that
// tests of DNS UPDATE (RFC 2136) can use the same server.
//
// Needs /usr/sbin/named (Debian's bind9). Runs as whoever runs the test;
// as root named keeps root (no -u), which the test directory allows.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::test_support {

class bind9 {
 public:
  struct tsig_key {
    std::string name;                       // "p2psip-update"
    std::string algorithm = "hmac-sha256";  // as named.conf spells it
    std::string secret;                     // base64
  };

  struct zone {
    std::string origin;  // "example.test"
    // The zone file: $TTL, SOA and NS included; relative names are
    // relative to `origin`.
    std::string text;
    // named.conf's update-policy body, e.g. "grant p2psip-update zonesub ANY;".
    // Empty: the zone is static.
    std::string update_policy;
  };

  struct options {
    std::vector<zone> zones;
    std::optional<tsig_key> key;
    // More statements for named.conf's options block, e.g.
    // "max-records-per-type 0;" (BIND 9.18.28+ refuses RRsets over 100 by default).
    std::string extra_options;
    std::chrono::milliseconds start_timeout{10000};
    int port_attempts = 5;  // a port taken meanwhile: try another
  };

  // A running server with every zone loaded, or nullptr with `why` saying
  // what went wrong (and named's output, if it ran).
  static std::unique_ptr<bind9> start(const options& o, std::string& why);

  ~bind9();
  bind9(const bind9&) = delete;
  bind9& operator=(const bind9&) = delete;

  std::uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as a resolver's server setting.
  std::string server() const;
  const std::string& directory() const { return directory_; }
  // What named printed so far: for failure messages.
  std::string log() const;

 private:
  bind9(std::string directory, pid_t pid, std::uint16_t port)
      : directory_(std::move(directory)), pid_(pid), port_(port) {}

  std::string directory_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace p2psip::test_support
