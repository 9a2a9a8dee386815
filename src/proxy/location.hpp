// Who is where: the bindings of each address-of-record. The registrar
// writes them, the proxy's target processor reads them. The interface is
// asynchronous because the real store is the overlay (a DHT round trip);
// the in-memory store here completes at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "transport/endpoint.hpp"

namespace p2psip::proxy {

// Bindings expire by wall-clock time: they outlive a process and, in the
// overlay, are read by other nodes.
using wall_clock = std::chrono::system_clock;

struct binding {
  std::string contact;            // the Contact URI as registered, parameters included
  std::vector<std::string> path;  // Path values (RFC 3327), topmost first
  std::string instance;           // +sip.instance (RFC 5626), empty when absent
  std::uint32_t reg_id = 0;       // reg-id (RFC 5626), 0 when absent
  std::uint16_t q = 1000;         // q in thousandths
  std::string call_id;
  std::uint32_t cseq = 0;
  wall_clock::time_point expires;
  transport::endpoint flow;  // where the REGISTER arrived: the phone's flow

  bool operator==(const binding&) const = default;
};

class location_store {
 public:
  // An error says the store could not be asked now (it is busy): the
  // request is answered 503 with Retry-After, not 404 or 480.
  using fetch_handler = std::function<void(std::vector<binding>, std::error_code)>;
  using store_handler = std::function<void(std::error_code)>;
  virtual ~location_store() = default;

  // The unexpired bindings of `aor` (canonical form, see canonical_aor()).
  virtual void fetch(const std::string& aor, wall_clock::time_point now, fetch_handler done) = 0;
  // Replaces the bindings of `aor`; an empty set removes the AOR.
  // std::errc::invalid_argument: the store cannot hold one of them (the
  // REGISTER gets 400); any other error: not now (503).
  virtual void store(const std::string& aor, std::vector<binding> bindings, store_handler done) = 0;
};

class memory_location final : public location_store {
 public:
  void fetch(const std::string& aor, wall_clock::time_point now, fetch_handler done) override;
  void store(const std::string& aor, std::vector<binding> bindings, store_handler done) override;

  std::size_t aor_count() const { return by_aor_.size(); }

 private:
  std::map<std::string, std::vector<binding>, std::less<>> by_aor_;
};

}  // namespace p2psip::proxy
