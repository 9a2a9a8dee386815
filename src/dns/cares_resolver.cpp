#include "dns/cares_resolver.hpp"

#include <ares.h>
#include <poll.h>

#include <asio/ip/address.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "dns/answer_parser.hpp"

namespace p2psip::dns {
namespace {

// c-ares requires this once per process before any channel exists.
bool library_ready() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status == ARES_SUCCESS;
}

std::optional<std::uint16_t> port_number(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "IPv4", "IPv4:port", "IPv6", "[IPv6]", "[IPv6]:port".
std::optional<ares_addr_port_node> server_address(std::string_view text) {
  std::string_view host = text;
  std::optional<std::uint16_t> port = 53;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) port = rest.front() == ':' ? port_number(rest.substr(1)) : std::nullopt;
  } else if (const auto colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = port_number(text.substr(colon + 1));
  }
  asio::error_code bad;
  const auto address = asio::ip::make_address(std::string(host), bad);
  if (bad || !port) return std::nullopt;
  ares_addr_port_node node{};
  if (address.is_v4()) {
    node.family = AF_INET;
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
  } else {
    node.family = AF_INET6;
    const auto bytes = address.to_v6().to_bytes();
    std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
  }
  node.udp_port = *port;
  node.tcp_port = *port;
  return node;
}

std::error_code status_error(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
      return error::not_found;
    case ARES_ENODATA:
      return error::no_data;
    case ARES_ETIMEOUT:
      return error::timeout;
    case ARES_ESERVFAIL:
      return error::server_failure;
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED:
      return error::refused;
    case ARES_EBADNAME:
      return error::bad_name;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      return error::cancelled;
    default:
      return error::bad_response;
  }
}

// Whether `fd` is ready now for `events` (POLLIN or POLLOUT), errors included.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

}  // namespace

struct cares_resolver::impl : std::enable_shared_from_this<impl> {
  // A socket c-ares asked us to watch. Shared with the waits on it, which
  // may complete after c-ares has let it go.
  struct watch {
    explicit watch(const asio::any_io_executor& ex) : descriptor(ex) {}
    asio::posix::stream_descriptor descriptor;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
    bool released = false;
  };
  struct pending_query {
    pending_query(query_handler h, const asio::any_io_executor& ex)
        : done(std::move(h)), deadline(ex) {}
    query_handler done;
    asio::steady_timer deadline;
  };
  // c-ares's `arg` for one query; freed by the query's callback, which
  // c-ares always calls exactly once (ARES_EDESTRUCTION at the latest).
  struct query_context {
    std::weak_ptr<impl> owner;
    std::uint64_t id;
    rr_type type;
  };

  impl(asio::any_io_executor ex, settings s)
      : executor(std::move(ex)), config(std::move(s)), timer(executor) {}

  ~impl() {
    // Not inside a c-ares callback: handlers are only ever called from
    // posted functions. The queries' callbacks run now with
    // ARES_EDESTRUCTION and find no owner.
    if (channel != nullptr) ares_destroy(channel);
    for (auto& [fd, w] : watches) release(*w);
  }

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<impl*>(data)->socket_state(fd, readable != 0, writable != 0);
  }

  static void on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
    const std::unique_ptr<query_context> context(static_cast<query_context*>(arg));
    const auto self = context->owner.lock();
    if (!self) return;
    const bool has_answer =
        status == ARES_SUCCESS || status == ARES_ENODATA || status == ARES_ENOTFOUND;
    parsed_answer parsed;
    if (has_answer && abuf != nullptr && alen > 0) {
      parsed = parse_answer(abuf, static_cast<std::size_t>(alen), context->type);
    } else {
      parsed.error = status == ARES_SUCCESS ? error::bad_response : status_error(status);
    }
    self->finish(context->id, parsed.error, std::move(parsed.result));
  }

  void start(const std::string& name, rr_type type, query_handler done) {
    ++stats.queries;
    const auto id = next_id++;
    auto& p = *pending.emplace(id, std::make_unique<pending_query>(std::move(done), executor))
                   .first->second;
    p.deadline.expires_after(config.query_timeout);
    p.deadline.async_wait([weak = weak_from_this(), id](asio::error_code ec) {
      if (ec) return;
      if (const auto self = weak.lock()) self->finish(id, error::timeout, {});
    });
    // c-ares may answer at once (a bad name): finish() posts, so that is fine.
    ares_query(channel, name.c_str(), 1 /* IN */, static_cast<int>(type), &impl::on_answer,
               new query_context{weak_from_this(), id, type});
    schedule_timer();
  }

  // Hands the outcome to the loop: the handler never runs inside c-ares.
  // A query whose deadline passed has no entry left: c-ares's late answer
  // is dropped.
  void finish(std::uint64_t id, std::error_code ec, answer a) {
    const auto it = pending.find(id);
    if (it == pending.end()) return;
    auto done = std::move(it->second->done);
    pending.erase(it);
    if (!ec) {
      ++stats.answers;
    } else if (ec == error::not_found || ec == error::no_data) {
      ++stats.negative;
    } else if (ec == error::timeout) {
      ++stats.timeouts;
    } else {
      ++stats.failures;
    }
    asio::post(executor,
               [weak = weak_from_this(), done = std::move(done), ec, a = std::move(a)]() mutable {
                 if (const auto self = weak.lock()) done(ec, std::move(a));
               });
  }

  void socket_state(ares_socket_t fd, bool readable, bool writable) {
    auto it = watches.find(fd);
    if (!readable && !writable) {
      // c-ares closes the fd right after this: let asio forget it first.
      if (it != watches.end()) {
        release(*it->second);
        watches.erase(it);
      }
      return;
    }
    if (it == watches.end()) {
      auto w = std::make_shared<watch>(executor);
      asio::error_code ec;
      w->descriptor.assign(fd, ec);
      // Unwatchable: the query on it times out through the timer.
      if (ec) w->released = true;
      it = watches.emplace(fd, std::move(w)).first;
    }
    const auto w = it->second;
    w->want_read = readable;
    w->want_write = writable;
    arm(w, fd);
  }

  static void release(watch& w) {
    if (w.released) return;
    w.released = true;
    // release(), never close(): the fd is c-ares's (curl #2734, gRPC #33871).
    w.descriptor.release();
  }

  void arm(const std::shared_ptr<watch>& w, ares_socket_t fd) {
    if (w->released) return;
    if (w->want_read && !w->reading) wait(w, fd, true);
    if (w->want_write && !w->writing) wait(w, fd, false);
  }

  void wait(const std::shared_ptr<watch>& w, ares_socket_t fd, bool read) {
    (read ? w->reading : w->writing) = true;
    auto on_ready = [weak = weak_from_this(), w, fd, read](asio::error_code ec) {
      (read ? w->reading : w->writing) = false;
      if (ec || w->released) return;
      const auto self = weak.lock();
      if (!self) return;
      ares_process_fd(self->channel, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
      self->arm(w, fd);
      self->schedule_timer();
    };
    // asio's descriptor waits are edge-triggered and never look before they
    // wait: bytes c-ares left unread (it reads TCP one message at a time)
    // would not wake one. So ask the kernel first.
    if (ready_now(fd, read ? POLLIN : POLLOUT)) {
      asio::post(executor, [on_ready = std::move(on_ready)]() mutable { on_ready({}); });
      return;
    }
    using base = asio::posix::descriptor_base;
    w->descriptor.async_wait(read ? base::wait_read : base::wait_write, std::move(on_ready));
  }

  // c-ares's next retransmission or give-up, or nothing when idle.
  void schedule_timer() {
    timeval tv{};
    if (ares_timeout(channel, nullptr, &tv) == nullptr) {
      timer.cancel();
      return;
    }
    timer.expires_after(std::chrono::seconds{tv.tv_sec} + std::chrono::microseconds{tv.tv_usec});
    timer.async_wait([weak = weak_from_this()](asio::error_code ec) {
      if (ec) return;
      const auto self = weak.lock();
      if (!self) return;
      ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->schedule_timer();
    });
  }

  asio::any_io_executor executor;
  settings config;
  asio::steady_timer timer;
  ares_channel channel = nullptr;
  std::map<ares_socket_t, std::shared_ptr<watch>> watches;
  std::map<std::uint64_t, std::unique_ptr<pending_query>> pending;
  std::uint64_t next_id = 1;
  counters stats;
};

std::unique_ptr<cares_resolver> cares_resolver::create(asio::any_io_executor executor, settings s,
                                                       std::error_code& ec) {
  ec.clear();
  std::vector<ares_addr_port_node> servers;
  for (const auto& text : s.servers) {
    const auto node = server_address(text);
    if (!node) {
      ec = error::bad_configuration;
      return nullptr;
    }
    servers.push_back(*node);
  }
  if (!library_ready()) {
    ec = error::bad_configuration;
    return nullptr;
  }
  auto i = std::make_shared<impl>(std::move(executor), std::move(s));
  ares_options options{};
  options.flags = ARES_FLAG_EDNS;
  options.timeout = static_cast<int>(i->config.try_timeout.count());
  options.tries = i->config.tries;
  options.ednspsz = i->config.edns_payload;
  options.sock_state_cb = &impl::on_socket_state;
  options.sock_state_cb_data = i.get();
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
                   ARES_OPT_SOCK_STATE_CB;
  if (ares_init_options(&i->channel, &options, mask) != ARES_SUCCESS) {
    i->channel = nullptr;
    ec = error::bad_configuration;
    return nullptr;
  }
  if (!servers.empty()) {
    for (std::size_t n = 0; n + 1 < servers.size(); ++n) servers[n].next = &servers[n + 1];
    if (ares_set_servers_ports(i->channel, servers.data()) != ARES_SUCCESS) {
      ec = error::bad_configuration;
      return nullptr;
    }
  }
  return std::unique_ptr<cares_resolver>(new cares_resolver(std::move(i)));
}

cares_resolver::cares_resolver(std::shared_ptr<impl> i) : impl_(std::move(i)) {}

cares_resolver::~cares_resolver() = default;

void cares_resolver::query(std::string_view name, rr_type type, query_handler done) {
  impl_->start(std::string(name), type, std::move(done));
}

void cares_resolver::post(std::function<void()> f) {
  asio::post(impl_->executor, [weak = std::weak_ptr(impl_), f = std::move(f)] {
    if (weak.lock()) f();
  });
}

cares_resolver::counters cares_resolver::stats() const {
  return impl_->stats;
}

}  // namespace p2psip::dns
