// systemd's service protocol (sd_notify(3)), for `Type=notify` units:
// READY=1 once every listener is open, with a STATUS= line; WATCHDOG=1 from
// the event loop every half of WatchdogSec= (a loop stuck that long gets
// the node restarted); STOPPING=1 when a clean stop begins. Outside systemd
// (no NOTIFY_SOCKET) each call does nothing.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <string>

namespace p2psip::apps {

class service_notify {
 public:
  explicit service_notify(asio::io_context& io);

  void ready(const std::string& status);
  // Around a SIGHUP's reload (ExecReload=): RELOADING=1, then READY=1.
  void reloading();
  void reloaded();
  void stopping();

 private:
  void pet();

  asio::steady_timer watchdog_;
  std::chrono::microseconds interval_{0};  // zero: no watchdog asked for
};

}  // namespace p2psip::apps
