// A real BIND9 `named` for a test: started in the foreground in a fresh
// temporary directory that holds its configuration, zones, TSIG keys and
// journals, listening on 127.0.0.1 at a free port (another is tried when
// the port turns out taken), and killed and removed when the object goes.
// Queries read what it serves, so a test checks the zone the way any
// resolver would see it.
//
// The one fixture for every test that needs a name server: resolution
// (dns_unit_tests), DNS UPDATE and presence (dns_update_tests), the steward
// (node_unit_tests). Needs Debian's bind9 (named, tsig-keygen) and
// bind9-dnsutils' nsupdate for tests that use it. Runs as whoever runs the
// test; as root named keeps root (no -u), which the test directory allows.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace p2psip::test {

struct named_zone {
  std::string name;  // "p2psip.test."
  // The zone file; $ORIGIN is the zone. It needs at least SOA and NS.
  std::string text;
  // The statements of the zone's update-policy block, e.g.
  // "grant pp1-key zonesub ANY;"; empty: the zone takes no updates.
  std::string update_policy;
};

struct named_options {
  std::vector<named_zone> zones;
  // Keys named knows, made with tsig-keygen -a hmac-sha256.
  std::vector<std::string> keys;
  // More statements for named.conf's options block, e.g.
  // "max-records-per-type 0;" (BIND 9.18.28+ refuses RRsets over 100 by default).
  std::string extra_options;
};

// One record of an answer, in presentation form.
struct served_rr {
  std::string owner;
  std::uint32_t ttl = 0;
  std::string rdata;
};

class named_server {
 public:
  // Throws std::runtime_error, with named's log, when it does not come up
  // within 10 s (the machine is shared, tests run in parallel) or a zone
  // does not load.
  explicit named_server(named_options options);
  ~named_server();
  named_server(const named_server&) = delete;
  named_server& operator=(const named_server&) = delete;

  std::uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as a resolver's server setting.
  std::string server() const;
  const std::filesystem::path& dir() const { return dir_; }
  // The key file of one of options.keys (mode 0600), as tsig-keygen wrote
  // it: what read_tsig_key and `nsupdate -k` read.
  std::filesystem::path key_file(const std::string& key_name) const;

  // The records of `type` at `name` in the answer section of a
  // non-recursive query; empty when there are none.
  std::vector<served_rr> query(const std::string& name, const std::string& type) const;

  // What named printed so far: for failure messages.
  std::string log() const;

 private:
  bool start_on(std::uint16_t port);
  void stop();
  void write_config(std::uint16_t port) const;
  bool answers_authoritatively() const;

  named_options options_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Writes a key file as `tsig-keygen -a ALGORITHM NAME` makes it, mode 0600.
void write_tsig_key(const std::filesystem::path& path, const std::string& name,
                    const std::string& algorithm = "hmac-sha256");

}  // namespace p2psip::test
