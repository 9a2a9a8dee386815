#include "ops/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace p2psip::ops {
namespace {

std::string read_all(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// /proc/self/stat (proc(5)): "pid (comm) state ppid ...". The command name
// may hold spaces and parentheses, so the fields are counted from the last
// ')'; fields[0] is then field 3, the state.
std::vector<std::string> stat_fields() {
  const auto stat = read_all("/proc/self/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(stat.substr(close + 1));
  return {std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
}

// "btime N" in /proc/stat: when the machine booted, in Unix seconds.
std::optional<double> boot_time() {
  std::istringstream in(read_all("/proc/stat"));
  std::string word;
  while (in >> word)
    if (word == "btime" && in >> word) return std::stod(word);
  return std::nullopt;
}

}  // namespace

std::optional<process_stats> read_process_stats() {
  const auto f = stat_fields();
  // utime 14, stime 15, starttime 22, vsize 23, rss 24 (in pages).
  constexpr std::size_t first = 3;
  if (f.size() < 24 - first + 1) return std::nullopt;
  const auto field = [&](std::size_t n) { return std::stod(f[n - first]); };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const auto booted = boot_time();
  if (ticks <= 0 || page <= 0 || !booted) return std::nullopt;

  process_stats out;
  out.cpu_seconds = (field(14) + field(15)) / ticks;
  out.start_time_seconds = *booted + field(22) / ticks;
  out.virtual_bytes = field(23);
  out.resident_bytes = field(24) * page;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++out.open_fds;
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) out.max_fds = static_cast<double>(files.rlim_cur);
  return out;
}

}  // namespace p2psip::ops
