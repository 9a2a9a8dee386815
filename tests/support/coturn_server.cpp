#include "support/coturn_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/child_process.hpp"

namespace p2psip::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto start_timeout = 10s;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

}  // namespace

coturn_server::coturn_server(coturn_options options) : options_(std::move(options)) {
  dir_ = make_temp_dir("p2psip-coturn-");
  try {
    for (int attempt = 0; attempt < 5; ++attempt)
      if (start_on(free_loopback_port())) return;
    throw std::runtime_error("turnserver did not come up:\n" + log());
  } catch (...) {
    stop();
    fs::remove_all(dir_);
    throw;
  }
}

coturn_server::~coturn_server() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void coturn_server::write_config(std::uint16_t port) const {
  // Relay ports above Linux's ephemeral range (32768-60999), a block per
  // listening port so that servers of tests run in parallel rarely meet.
  const unsigned relay_base = 61000 + (port % 40) * 100;
  std::ofstream conf(dir_ / "turnserver.conf");
  conf << "listening-ip=127.0.0.1\n"
       << "relay-ip=127.0.0.1\n"
       << "listening-port=" << port << "\n"
       << "min-port=" << relay_base << "\n"
       << "max-port=" << relay_base + 99 << "\n"
       << "use-auth-secret\n"
       << "static-auth-secret=" << options_.secret << "\n"
       << "realm=" << options_.realm
       << "\n"
       // One of each thread kind: the machine is shared.
       << "relay-threads=1\n"
       << "no-cli\n"
       << "no-tls\n"
       << "no-dtls\n"
       << "no-multicast-peers\n"
       << "verbose\n"
       // simple-log: the log file keeps its name (no date or pid added).
       << "simple-log\n"
       << "no-stdout-log\n"
       << "log-file=" << (dir_ / "turnserver.log").string() << "\n"
       << "pidfile=" << (dir_ / "turnserver.pid").string() << "\n"
       << "userdb=" << (dir_ / "turndb").string() << "\n";
}

bool coturn_server::start_on(std::uint16_t port) {
  write_config(port);
  port_ = port;
  pid_ = spawn({"turnserver", "-c", (dir_ / "turnserver.conf").string()}, dir_ / "stderr.log");
  const auto deadline = std::chrono::steady_clock::now() + start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited(pid_)) {
      pid_ = -1;
      if (log().find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error("turnserver exited:\n" + log());
    }
    if (answers_binding()) return true;
    std::this_thread::sleep_for(20ms);
  }
  stop();
  if (log().find("Address already in use") != std::string::npos) return false;
  throw std::runtime_error("turnserver did not answer within 10 s:\n" + log());
}

// A Binding request written by hand, so that the fixture does not lean on
// the code under test; any answer from the port will do.
bool coturn_server::answers_binding() const {
  const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return false;
  const auto to = loopback(port_);
  const std::array<std::uint8_t, 20> request = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4,
                                                0x42, 'p',  '2',  'p',  's',  'i',  'p',
                                                '-',  'r',  'e',  'a',  'd',  'y'};
  bool answered = false;
  if (::sendto(s, request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) == static_cast<ssize_t>(request.size())) {
    pollfd p{s, POLLIN, 0};
    std::array<std::uint8_t, 512> answer{};
    answered = ::poll(&p, 1, 200) == 1 && ::recv(s, answer.data(), answer.size(), 0) >= 20 &&
               answer[0] == 0x01 && answer[1] == 0x01;
  }
  ::close(s);
  if (!answered) return false;
  // TCP listens by then too; a connection says so.
  const int t = ::socket(AF_INET, SOCK_STREAM, 0);
  const bool listening = ::connect(t, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  ::close(t);
  return listening;
}

void coturn_server::stop() {
  if (pid_ <= 0) return;
  stop_process(pid_);
  pid_ = -1;
}

std::string coturn_server::log() const {
  return read_file(dir_ / "turnserver.log") + read_file(dir_ / "stderr.log");
}

}  // namespace p2psip::test
