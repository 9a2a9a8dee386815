// What the fixtures that run a real server (named_server, coturn_server)
// need of the system: a process started with its output in a file, stopped
// for sure, a free port on loopback and a temporary directory of its own.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::test {

// Runs `argv` (argv[0] looked up in PATH) with stdout and stderr into `out`;
// returns its pid. Throws std::runtime_error when it cannot be started.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& out);

// Whether `pid`, a child, has exited (and is reaped).
bool exited(pid_t pid);

// SIGTERM, then SIGKILL after 3 s; returns once the child is reaped.
void stop_process(pid_t pid);

// The file's text; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A port free for both UDP and TCP on 127.0.0.1 at this moment; a server may
// still lose it to another process, which its fixture must notice.
std::uint16_t free_loopback_port();

// A new directory "<tmp>/<prefix>XXXXXX", mode 0700.
std::filesystem::path make_temp_dir(std::string_view prefix);

}  // namespace p2psip::test
