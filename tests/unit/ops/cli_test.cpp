// The p2psip binary's API commands against an http_server with canned
// answers, and `p2psip user add` on real files. The CLI runs as a child
// process; its output pipes are read on the server's io_context, so the
// test needs no thread.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <variant>
#include <vector>

#include "auth/digest.hpp"
#include "loopback.hpp"
#include "ops/http_server.hpp"

extern char** environ;

namespace p2psip::ops {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct cli_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `p2psip ARGS...` to completion while `io` keeps serving.
cli_result run_cli(asio::io_context& io, const std::vector<std::string>& args) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> argv_text{P2PSIP_CLI};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, P2PSIP_CLI, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  cli_result result;
  if (spawned != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }
  asio::posix::stream_descriptor out(io, out_pipe[0]);
  asio::posix::stream_descriptor err(io, err_pipe[0]);
  int open_pipes = 2;
  const auto drain = [&](asio::posix::stream_descriptor& pipe, std::string& into) {
    asio::async_read(pipe, asio::dynamic_buffer(into),
                     [&](std::error_code, std::size_t) { --open_pipes; });
  };
  drain(out, result.out);
  drain(err, result.err);
  test::run_until(
      io, [&] { return open_pipes == 0; }, 30s);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    server.route("/status", [](const http_request&, reply_fn reply) {
      reply({200, {{"node_id", "n1"}, {"overlay", {{"name", "p2psip.test"}, {"peers", 5}}}}});
    });
    server.route("/lookup", [this](const http_request& request, reply_fn reply) {
      asked_aor = request.query.count("aor") ? request.query.at("aor") : "";
      if (asked_aor != "sip:alice@p2psip.test") {
        reply({200, {{"aor", asked_aor}, {"bindings", nlohmann::json::array()}}});
        return;
      }
      // Answered later, as the node does after a DHT round trip.
      later.expires_after(10ms);
      later.async_wait([reply](std::error_code) {
        reply({200,
               {{"aor", "sip:alice@p2psip.test"},
                {"bindings",
                 {{{"contact", "<sip:alice@192.0.2.10:5060>"},
                   {"path", {"<sip:n1.p2psip.test;lr>"}},
                   {"expires_in", 3599},
                   {"q", 0.5},
                   {"instance", "urn:uuid:1"}}}}}});
      });
    });
    server.route("/nodes", [](const http_request&, reply_fn reply) {
      reply({200,
             {{"nodes",
               {{{"id", "n1"}, {"address", "192.0.2.1:4222"}},
                {{"id", "node-two"}, {"address", "[2001:db8::2]:4222"}, {"rtt_ms", 12}}}}}});
    });
    server.route("/bindings", [](const http_request&, reply_fn reply) {
      reply({200,
             {{"bindings",
               {{{"aor", "sip:bob@p2psip.test"},
                 {"contact", "<sip:bob@192.0.2.11:5060;transport=tcp>"},
                 {"path", nlohmann::json::array()},
                 {"expires_in", 60},
                 {"q", 1.0}}}}}});
    });
    server.start();
    api = "127.0.0.1:" + std::to_string(server.local_endpoint().port());
  }

  asio::io_context io;
  http_server server{io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  asio::steady_timer later{io};
  std::string api;
  std::string asked_aor;
};

TEST_F(Cli, StatusPrintsNestedKeyValueLines) {
  const auto r = run_cli(io, {"status", "--api", api});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "node_id: n1\noverlay:\n  name: p2psip.test\n  peers: 5\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(Cli, StatusWhenTheNodeIsDown) {
  const auto port = server.local_endpoint().port();
  server.stop();
  const auto where = "127.0.0.1:" + std::to_string(port);
  const auto r = run_cli(io, {"status", "--api", where});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("p2psip: cannot reach the node's API at " + where + ": ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(Cli, LookupPrintsTheBindings) {
  const auto r = run_cli(io, {"lookup", "sip:alice@p2psip.test", "--api", api});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(asked_aor, "sip:alice@p2psip.test");
  EXPECT_EQ(r.out,
            "sip:alice@p2psip.test: 1 binding\n"
            "  contact:    <sip:alice@192.0.2.10:5060>\n"
            "  path:       <sip:n1.p2psip.test;lr>\n"
            "  expires in: 3599 s\n"
            "  q:          0.5\n"
            "  instance: urn:uuid:1\n");
}

TEST_F(Cli, LookupWithoutBindingExits3) {
  const auto r = run_cli(io, {"lookup", "sip:+1555@p2psip.test;user=phone", "--api", api});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(asked_aor, "sip:+1555@p2psip.test;user=phone");  // encoded and decoded intact
  EXPECT_EQ(r.out, "no binding for sip:+1555@p2psip.test;user=phone\n");
}

TEST_F(Cli, NodesOneLineEach) {
  const auto r = run_cli(io, {"nodes", "--api", api});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "n1        192.0.2.1:4222\n"
            "node-two  [2001:db8::2]:4222  rtt_ms=12\n");
}

TEST_F(Cli, BindingsPrintedLikeLookup) {
  const auto r = run_cli(io, {"bindings", "--api", api});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "1 binding held by this node\n"
            "  aor:        sip:bob@p2psip.test\n"
            "  contact:    <sip:bob@192.0.2.11:5060;transport=tcp>\n"
            "  path:       (none: the phone is reached directly)\n"
            "  expires in: 60 s\n"
            "  q:          1.0\n");
}

TEST_F(Cli, ErrorAnswerIsOneLine) {
  server.route("/status", [](const http_request&, reply_fn reply) {
    reply({503, {{"error", "overlay not joined"}}});
  });
  const auto r = run_cli(io, {"status", "--api", api});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "p2psip: the node's API at " + api + " answered 503: overlay not joined\n");
}

TEST_F(Cli, TheTokenComesFromTheOptionOrTheEnvironment) {
  const std::string token = "0123456789abcdef-token";
  server.require_token(token);
  const auto without = run_cli(io, {"status", "--api", api});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_EQ(without.err, "p2psip: the node's API at " + api +
                             " asks for its token: give --api-token or set P2PSIP_API_TOKEN\n");

  const auto given = run_cli(io, {"status", "--api", api, "--api-token", token});
  EXPECT_EQ(given.exit_code, 0) << given.err;
  EXPECT_EQ(given.out.rfind("node_id: n1\n", 0), 0u) << given.out;

  ::setenv("P2PSIP_API_TOKEN", token.c_str(), 1);
  const auto from_env = run_cli(io, {"lookup", "sip:alice@p2psip.test", "--api", api});
  ::unsetenv("P2PSIP_API_TOKEN");
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_EQ(asked_aor, "sip:alice@p2psip.test");
  EXPECT_EQ(server.counters().unauthorized, 1u);
}

class UserAdd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("p2psip-user-add-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    users = (dir / "users").string();
  }
  void TearDown() override { fs::remove_all(dir); }

  // The user file as an operator would write it: mode 0600.
  void write_users(const std::string& text) {
    std::ofstream(users) << text;
    fs::permissions(users, fs::perms::owner_read | fs::perms::owner_write);
  }

  asio::io_context io;
  fs::path dir;
  std::string users;
};

TEST_F(UserAdd, CreatesThe0600FileTheLoaderAccepts) {
  const auto r = run_cli(io, {"user", "add", "--users", users, "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string prefix = "added alice with password ";
  ASSERT_EQ(r.out.rfind(prefix, 0), 0u) << r.out;
  const auto password = r.out.substr(prefix.size(), 16);
  EXPECT_EQ(r.out, prefix + password + " to " + users + "\n");
  for (const char c : password) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;

  struct stat st {};
  ASSERT_EQ(::stat(users.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_EQ(run_cli(io, {"user", "add", "--users", users, "bob", "--password", "s3cret"}).exit_code,
            0);
  auto loaded = auth::user_file::load(users);
  ASSERT_TRUE(std::holds_alternative<auth::user_file>(loaded));
  const auto& file = std::get<auth::user_file>(loaded);
  EXPECT_EQ(file.size(), 2u);
  EXPECT_EQ(file.password("alice"), password);
  EXPECT_EQ(file.password("bob"), "s3cret");
}

TEST_F(UserAdd, AppendsAfterCommentsAndAMissingNewline) {
  write_users("# users\ncarol pw1");
  ASSERT_EQ(run_cli(io, {"user", "add", "--users", users, "dave", "--password", "pw2"}).exit_code,
            0);
  auto loaded = auth::user_file::load(users);
  ASSERT_TRUE(std::holds_alternative<auth::user_file>(loaded));
  EXPECT_EQ(std::get<auth::user_file>(loaded).password("carol"), "pw1");
  EXPECT_EQ(std::get<auth::user_file>(loaded).password("dave"), "pw2");
}

TEST_F(UserAdd, RefusesDuplicatesAndInvalidNames) {
  ASSERT_EQ(run_cli(io, {"user", "add", "--users", users, "alice", "--password", "a"}).exit_code,
            0);
  const auto before = fs::file_size(users);
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"user", "add", "--users", users, "alice"},
           std::vector<std::string>{"user", "add", "--users", users, "al ice"},
           std::vector<std::string>{"user", "add", "--users", users, "al<ice"},
           std::vector<std::string>{"user", "add", "--users", users, "bob", "--password", "a b"},
           std::vector<std::string>{"user", "add", "--users", users, "bob", "--password", "a#b"},
       }) {
    const auto r = run_cli(io, args);
    EXPECT_EQ(r.exit_code, 1) << args[4];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("p2psip: ", 0), 0u) << r.err;
  }
  EXPECT_EQ(fs::file_size(users), before);
}

TEST_F(UserAdd, RefusesAFileOthersMayRead) {
  write_users("carol pw1\n");
  fs::permissions(users, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  const auto r = run_cli(io, {"user", "add", "--users", users, "dave", "--password", "pw2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("p2psip: " + users + ": group or others may access", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("chmod 600 " + users), std::string::npos) << r.err;
  EXPECT_EQ(fs::file_size(users), std::string("carol pw1\n").size());
}

TEST_F(UserAdd, RefusesAFileTheLoaderWouldRefuse) {
  write_users("alice pw extra\n");
  const auto r = run_cli(io, {"user", "add", "--users", users, "bob"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace p2psip::ops
