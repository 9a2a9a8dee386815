// What the kernel says about this process, in the units of Prometheus'
// process collector (process_cpu_seconds_total, ..._resident_memory_bytes,
// ..._open_fds, ...): read from /proc at each scrape.
#pragma once

#include <optional>

namespace p2psip::ops {

struct process_stats {
  double cpu_seconds = 0;  // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;             // the soft RLIMIT_NOFILE
  double start_time_seconds = 0;  // since the Unix epoch
};

// nullopt when /proc cannot be read (not Linux, or no /proc mounted).
std::optional<process_stats> read_process_stats();

}  // namespace p2psip::ops
