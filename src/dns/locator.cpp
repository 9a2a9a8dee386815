#include "dns/locator.hpp"

#include <utility>

namespace p2psip::dns {

struct locator::state {
  resolver& dns;
  settings config;
  random_source random;
  std::function<clock::time_point()> now;
  failover_lists lists;
};

struct locator::request {
  resolution work;
  done_handler done;
};

locator::locator(resolver& r, settings s, std::function<std::uint32_t()> random,
                 std::function<clock::time_point()> now)
    : state_(std::make_shared<state>(
          state{r, {}, std::move(random), std::move(now), failover_lists(s.lists)})) {
  state_->config = std::move(s);
}

// Handlers hold the state only weakly: once it is gone they do nothing.
locator::~locator() = default;

void locator::locate(std::string_view uri, done_handler done) {
  auto parsed = parse_target(uri);
  if (parsed.error) {
    state_->dns.post([weak = std::weak_ptr(state_), ec = parsed.error, done = std::move(done)] {
      if (weak.lock()) done(ec, {});
    });
    return;
  }
  auto req = std::make_shared<request>(
      request{resolution(parsed.target, state_->config.transports, state_->config.limits),
              std::move(done)});
  if (req->work.finished()) {
    // An IP literal or an unusable URI: no question to wait for.
    state_->dns.post([weak = std::weak_ptr(state_), req] {
      if (const auto self = weak.lock()) finish(*self, *req);
    });
    return;
  }
  advance(state_, req);
}

void locator::advance(const std::shared_ptr<state>& self, const std::shared_ptr<request>& req) {
  for (auto& q : req->work.take_questions()) {
    const auto name = q.name;
    const auto type = q.type;
    self->dns.query(
        name, type,
        [weak = std::weak_ptr(self), req, q = std::move(q)](std::error_code ec, answer a) {
          const auto alive = weak.lock();
          if (!alive) return;
          req->work.on_answer(q, ec, a);
          advance(alive, req);
        });
  }
  if (req->work.finished()) finish(*self, *req);
}

void locator::finish(state& self, request& req) {
  auto found = req.work.destinations(self.random);
  if (found.empty()) {
    req.done(req.work.error(), {});
    return;
  }
  auto usable = self.lists.apply(found, self.now());
  if (usable.empty()) {
    req.done(error::all_blocklisted, {});
    return;
  }
  req.done({}, std::move(usable));
}

void locator::failed(const destination& d, failure f,
                     std::optional<std::chrono::seconds> retry_after) {
  switch (f) {
    case failure::timeout:
    case failure::transport_error:
      state_->lists.greylist(d, state_->now());
      break;
    case failure::service_unavailable:
      if (retry_after) state_->lists.block(d, *retry_after, state_->now());
      break;
  }
}

}  // namespace p2psip::dns
