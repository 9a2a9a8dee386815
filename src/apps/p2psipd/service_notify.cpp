#include "service_notify.hpp"

#include <systemd/sd-daemon.h>

namespace p2psip::apps {

service_notify::service_notify(asio::io_context& io) : watchdog_(io) {
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is ours.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    interval_ = std::chrono::microseconds(usec / 2);
}

void service_notify::ready(const std::string& status) {
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
  if (interval_.count() > 0) pet();
}

void service_notify::reloading() {
  sd_notify(0, "RELOADING=1\nSTATUS=reloading the users file and the log level");
}

void service_notify::reloaded() {
  sd_notify(0, "READY=1\nSTATUS=reloaded");
}

void service_notify::stopping() {
  watchdog_.cancel();
  sd_notify(0, "STOPPING=1\nSTATUS=stopping: withdrawing from DNS and the overlay");
}

// Sent from the event loop itself, so it stops when the loop is stuck.
void service_notify::pet() {
  sd_notify(0, "WATCHDOG=1");
  watchdog_.expires_after(interval_);
  watchdog_.async_wait([this](std::error_code ec) {
    if (!ec) pet();
  });
}

}  // namespace p2psip::apps
