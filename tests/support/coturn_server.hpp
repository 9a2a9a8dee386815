// A real coturn `turnserver` for a test: started in the foreground in a
// fresh temporary directory that holds its configuration, log, pid file
// and user database, listening on 127.0.0.1 at a free port (UDP and TCP),
// relaying from 127.0.0.1, with REST credentials (use-auth-secret) under a
// secret and realm of its own; killed and removed when the object goes.
//
// Needs Debian's coturn. Runs as whoever runs the test; no CLI, TLS or
// DTLS listeners, so nothing else is opened.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace p2psip::test {

struct coturn_options {
  std::string secret = "p2psip-test-secret";
  std::string realm = "relay.p2psip.test";
};

class coturn_server {
 public:
  // Throws std::runtime_error, with the server's log, when it does not
  // answer a STUN Binding within 10 s (the machine is shared).
  explicit coturn_server(coturn_options options = {});
  ~coturn_server();
  coturn_server(const coturn_server&) = delete;
  coturn_server& operator=(const coturn_server&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& secret() const { return options_.secret; }
  const std::string& realm() const { return options_.realm; }
  const std::filesystem::path& dir() const { return dir_; }

  // What the server logged so far: for failure messages, and to see what
  // it did with an allocation.
  std::string log() const;

 private:
  bool start_on(std::uint16_t port);
  void write_config(std::uint16_t port) const;
  bool answers_binding() const;
  void stop();

  coturn_options options_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace p2psip::test
