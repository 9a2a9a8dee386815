#include "support/bind9.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace p2psip::test_support {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Whether 127.0.0.1:port can be bound for `type` right now.
bool can_bind(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// A port free for both UDP and TCP, away from the ephemeral range's start.
std::uint16_t free_port(std::mt19937& engine) {
  std::uniform_int_distribution<int> pick(20000, 29999);
  for (int i = 0; i < 200; ++i) {
    const auto port = static_cast<std::uint16_t>(pick(engine));
    if (can_bind(SOCK_DGRAM, port) && can_bind(SOCK_STREAM, port)) return port;
  }
  return 0;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string named_conf(const fs::path& dir, std::uint16_t port, const bind9::options& o) {
  std::ostringstream c;
  // Everything named writes stays in `dir`; no rndc channel (port 953 is
  // shared by every test run), no recursion: an authoritative server only.
  c << "options {\n"
    << "  directory \"" << dir.string() << "\";\n"
    << "  pid-file \"" << (dir / "named.pid").string() << "\";\n"
    << "  session-keyfile \"" << (dir / "session.key").string() << "\";\n"
    << "  managed-keys-directory \"" << dir.string() << "\";\n"
    << "  listen-on port " << port << " { 127.0.0.1; };\n"
    << "  listen-on-v6 { none; };\n"
    << "  recursion no;\n"
    << "  dnssec-validation no;\n"
    << "  notify no;\n"
    << "  allow-query { any; };\n"
    << "  " << o.extra_options << "\n"
    << "};\n"
    << "controls { };\n";
  if (o.key) {
    c << "key \"" << o.key->name << "\" {\n"
      << "  algorithm " << o.key->algorithm << ";\n"
      << "  secret \"" << o.key->secret << "\";\n"
      << "};\n";
  }
  for (const auto& z : o.zones) {
    c << "zone \"" << z.origin << "\" {\n"
      << "  type primary;\n"
      << "  file \"" << (dir / (z.origin + ".zone")).string() << "\";\n";
    if (!z.update_policy.empty()) c << "  update-policy { " << z.update_policy << " };\n";
    c << "};\n";
  }
  return c.str();
}

pid_t spawn_named(const fs::path& dir) {
  const auto conf = (dir / "named.conf").string();
  const auto log = (dir / "named.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // -g: foreground, log to stderr; -n 1: one worker, the machine is shared.
  std::string program = "/usr/sbin/named";
  std::string fg = "-g";
  std::string workers = "-n";
  std::string one = "1";
  std::string config = "-c";
  std::string conf_arg = conf;
  char* argv[] = {program.data(), fg.data(),       workers.data(), one.data(),
                  config.data(),  conf_arg.data(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Stops `pid` (SIGTERM, then SIGKILL after 5 s) and reaps it.
void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(50ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

enum class startup : std::uint8_t { running, port_taken, failed };

// named -g prints "running" once it listens and has tried every zone; a
// zone that failed to load says so before.
startup wait_until_running(pid_t pid, const fs::path& log, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto text = read_file(log);
    if (text.find("address in use") != std::string::npos) return startup::port_taken;
    if (text.find(" running\n") != std::string::npos) {
      return text.find("not loaded due to errors") == std::string::npos ? startup::running
                                                                        : startup::failed;
    }
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return startup::failed;
    std::this_thread::sleep_for(20ms);
  }
  return startup::failed;
}

}  // namespace

std::unique_ptr<bind9> bind9::start(const options& o, std::string& why) {
  std::string pattern = (fs::temp_directory_path() / "p2psip-bind9-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    why = "mkdtemp failed";
    return nullptr;
  }
  const fs::path dir = pattern;
  for (const auto& z : o.zones) write_file(dir / (z.origin + ".zone"), z.text);
  std::mt19937 engine(std::random_device{}());
  for (int attempt = 0; attempt < o.port_attempts; ++attempt) {
    const auto port = free_port(engine);
    if (port == 0) break;
    write_file(dir / "named.conf", named_conf(dir, port, o));
    fs::remove(dir / "named.log");
    const auto pid = spawn_named(dir);
    if (pid < 0) {
      why = "cannot run /usr/sbin/named";
      break;
    }
    const auto state = wait_until_running(pid, dir / "named.log", o.start_timeout);
    if (state == startup::running)
      return std::unique_ptr<bind9>(new bind9(dir.string(), pid, port));
    stop(pid);
    why = "named did not start:\n" + read_file(dir / "named.log");
    if (state != startup::port_taken) break;
  }
  if (why.empty()) why = "no free port for named";
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return nullptr;
}

bind9::~bind9() {
  stop(pid_);
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

std::string bind9::server() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string bind9::log() const {
  return read_file(fs::path(directory_) / "named.log");
}

}  // namespace p2psip::test_support
