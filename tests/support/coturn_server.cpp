#include "support/coturn_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
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

extern char** environ;

namespace p2psip::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto start_timeout = 10s;

pid_t spawn(const std::vector<std::string>& argv, const fs::path& out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// A port free for both UDP and TCP on 127.0.0.1 at this moment; the server
// may still lose it to another process, which start_on notices.
std::uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    auto a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(u);
      continue;
    }
    const int t = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_free = ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(t);
    ::close(u);
    if (tcp_free) return ntohs(a.sin_port);
  }
  throw std::runtime_error("no free port on 127.0.0.1");
}

bool exited(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

coturn_server::coturn_server(coturn_options options) : options_(std::move(options)) {
  std::string pattern = (fs::temp_directory_path() / "p2psip-coturn-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temporary directory");
  dir_ = pattern;
  try {
    for (int attempt = 0; attempt < 5; ++attempt)
      if (start_on(free_port())) return;
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
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!exited(pid_)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
}

std::string coturn_server::log() const {
  return read_file(dir_ / "turnserver.log") + read_file(dir_ / "stderr.log");
}

}  // namespace p2psip::test
