#include "overlay/opendht/opendht_node.hpp"

#include <netinet/in.h>
#include <opendht/dht.h>
#include <opendht/network_utils.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <msgpack.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "overlay/opendht/client_marking.hpp"

namespace p2psip::overlay {
namespace {

using udp = asio::ip::udp;

// Our datagram socket as OpenDHT sees it: sending only. Receiving is the
// session's asio loop, which hands each datagram to Dht::periodic.
class asio_datagram_socket final : public ::dht::net::DatagramSocket {
 public:
  asio_datagram_socket(udp::socket& socket, const udp::endpoint& bound, bool client)
      : socket_(socket),
        bound_(bound.data(), static_cast<socklen_t>(bound.size())),
        client_(client) {}

  int sendTo(const ::dht::SockAddr& dest, const std::uint8_t* data, std::size_t size,
             bool) override {
    if (dest.getFamily() != AF_INET) return EAFNOSUPPORT;
    if (!socket_.is_open()) return EBADF;
    std::optional<std::vector<std::uint8_t>> marked;
    if (client_) {
      // Unmarked, the packet would make its receiver take us for a peer.
      marked = mark_as_client({data, size});
      if (!marked) return EINVAL;
      data = marked->data();
      size = marked->size();
    }
    // Never block the io_context: a full send buffer drops the datagram, as
    // the network would; OpenDHT retries requests on its own timers.
    ssize_t sent = ::sendto(socket_.native_handle(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL,
                            dest.get(), dest.getLength());
    return sent < 0 ? errno : 0;
  }
  bool hasIPv4() const override { return true; }
  // We only speak IPv4, yet claim IPv6: Dht::listen() returns token 0 when
  // either family is not running, after having started the IPv4 listen,
  // which then can never be cancelled. With no IPv6 address known, the
  // IPv6 half of each operation ends at once (sendTo refuses IPv6).
  bool hasIPv6() const override { return true; }
  const ::dht::SockAddr& getBoundRef(sa_family_t family) const override {
    return family == AF_INET6 ? none_ : bound_;
  }
  void stop() override {}

 private:
  udp::socket& socket_;
  ::dht::SockAddr bound_;
  ::dht::SockAddr none_;
  bool client_ = false;
};

::dht::InfoHash to_hash(const key& k) {
  return ::dht::InfoHash(k.bytes.data(), k.bytes.size());
}

key to_key(const ::dht::InfoHash& h) {
  key k;
  std::copy(h.cbegin(), h.cend(), k.bytes.begin());
  return k;
}

value to_value(const ::dht::Value& v) {
  return value{v.id, static_cast<value_type>(v.type), v.data};
}

// OpenDHT 2.4's NetId is 32 bits: the first 4 bytes of our 64-bit id.
::dht::NetId to_net_id(std::uint64_t id) {
  auto net = static_cast<::dht::NetId>(id >> 32);
  return net == 0 ? 1 : net;
}

constexpr std::size_t receive_buffer_size = 64 * 1024;
constexpr auto max_sleep = std::chrono::seconds(10);
constexpr auto maintenance_period = std::chrono::seconds(10);
// How long a lookup that has found values waits for more (opendht_node::get).
constexpr auto min_settle = std::chrono::milliseconds(50);
constexpr auto max_settle = std::chrono::milliseconds(250);
constexpr int maintenance_ticks_per_save = 30;  // 5 minutes

// True for a request packet asking for values ("get" or "listen") on our
// network. A byte search rules out almost every datagram before the
// (comparatively costly) full decode confirms the match.
bool is_lookup_request(const std::uint8_t* data, std::size_t size, ::dht::NetId network) {
  static constexpr std::string_view get_marker{"\xa1q\xa3get", 6};
  static constexpr std::string_view listen_marker{"\xa1q\xa6listen", 9};
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  if (bytes.find(get_marker) == std::string_view::npos &&
      bytes.find(listen_marker) == std::string_view::npos) {
    return false;
  }
  try {
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::MAP) return false;
    bool request = false, lookup = false, ours = false;
    for (const msgpack::object_kv& kv : std::span(root.via.map.ptr, root.via.map.size)) {
      if (kv.key.type != msgpack::type::STR || kv.key.via.str.size != 1) continue;
      char name = kv.key.via.str.ptr[0];
      if (name == 'y' && kv.val.type == msgpack::type::STR) {
        request = std::string_view(kv.val.via.str.ptr, kv.val.via.str.size) == "q";
      } else if (name == 'q' && kv.val.type == msgpack::type::STR) {
        std::string_view q(kv.val.via.str.ptr, kv.val.via.str.size);
        lookup = q == "get" || q == "listen";
      } else if (name == 'n' && kv.val.type == msgpack::type::POSITIVE_INTEGER) {
        ours = kv.val.via.u64 == network;
      }
    }
    return request && lookup && ours;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Written beside the target then renamed, so a crash mid-write leaves the
// previous file intact.
void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

::dht::InfoHash load_or_create_node_id(const std::filesystem::path& state_dir) {
  if (state_dir.empty()) return ::dht::InfoHash::getRandom();
  std::filesystem::path path = state_dir / "node_id";
  if (auto text = read_file(path)) {
    std::string_view hex = *text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' '))
      hex.remove_suffix(1);
    bool valid = hex.size() == 2 * ::dht::InfoHash::size() &&
                 std::all_of(hex.begin(), hex.end(),
                             [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (valid) {
      ::dht::InfoHash id(hex);
      if (id) return id;
    }
  }
  ::dht::InfoHash id = ::dht::InfoHash::getRandom();
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  write_file(path, id.toString() + "\n");
  return id;
}

std::vector<::dht::NodeExport> load_nodes(const std::filesystem::path& state_dir) {
  if (state_dir.empty()) return {};
  auto bytes = read_file(state_dir / "nodes");
  if (!bytes || bytes->empty()) return {};
  try {
    msgpack::object_handle handle = msgpack::unpack(bytes->data(), bytes->size());
    return handle.get().as<std::vector<::dht::NodeExport>>();
  } catch (const std::exception&) {
    return {};  // a damaged file only costs us the fast rejoin
  }
}

// Everything that lives from start() to stop(). Asynchronous operations hold
// a shared_ptr to it, so their aborted completions still find valid memory
// after the node is gone; `running` tells them to do nothing.
struct opendht_session : std::enable_shared_from_this<opendht_session> {
  using clock = ::dht::clock;

  opendht_session(asio::io_context& io_, const opendht_config& config_,
                  const std::vector<type_policy>& types_)
      : io(io_), config(config_), socket(io_), timer(io_), maintenance_timer(io_), resolver(io_) {
    for (const type_policy& t : types_)
      types.insert_or_assign(static_cast<std::uint16_t>(t.type), t);
  }

  asio::io_context& io;
  opendht_config config;
  std::map<std::uint16_t, type_policy> types;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // user handlers check it
  bool running = false;

  udp::socket socket;
  asio::steady_timer timer;
  std::uint64_t timer_generation = 0;
  bool timer_armed = false;
  bool kick_posted = false;
  asio::steady_timer maintenance_timer;
  int maintenance_ticks = 0;
  udp::resolver resolver;
  std::vector<udp::endpoint> bootstrap;  // configured plus resolved
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(receive_buffer_size);
  udp::endpoint sender;
  std::unique_ptr<::dht::Dht> node;
  ::dht::NetId network = 0;
  ::dht::NodeStatus status = ::dht::NodeStatus::Disconnected;
  std::uint64_t lookups_served = 0;

  struct listen_entry {
    ::dht::InfoHash hash;
    std::size_t dht_token;
  };
  std::map<dht::listen_token, listen_entry> listens;
  dht::listen_token next_listen_token = 1;

  void open() {
    if (config.bind.protocol() != udp::v4()) {
      throw std::system_error(std::make_error_code(std::errc::address_family_not_supported),
                              "opendht bind");
    }
    socket.open(config.bind.protocol());
    socket.bind(config.bind);
    socket.non_blocking(true);

    ::dht::Config dht_config;
    dht_config.node_id = load_or_create_node_id(config.state_dir);
    network = to_net_id(network_id(config.overlay_id));
    dht_config.network = network;
    dht_config.maintain_storage = false;
    if (config.unlimited_peer_requests) {
      dht_config.max_req_per_sec = -1;
      dht_config.max_peer_req_per_sec = -1;
    }
    node = std::make_unique<::dht::Dht>(
        std::make_unique<asio_datagram_socket>(socket, socket.local_endpoint(), config.client),
        dht_config, std::shared_ptr<::dht::Logger>{});
    for (const auto& [id, policy] : types) node->registerType(make_value_type(policy));
    running = true;

    for (const ::dht::NodeExport& n : load_nodes(config.state_dir)) {
      if (n.ss.ss_family == AF_INET) node->insertNode(n);
    }
    bootstrap = config.bootstrap;
    ping_bootstrap();
    resolve_bootstrap_names();
    receive();
    run_periodic();
    arm_maintenance();
  }

  // Closes everything; with `save` the routing table is written first.
  void close(bool save) {
    if (!running) return;
    if (save) save_nodes();
    running = false;
    *alive = false;
    std::error_code ignored;
    timer.cancel();
    maintenance_timer.cancel();
    resolver.cancel();
    socket.close(ignored);
    listens.clear();
    node.reset();
  }

  ::dht::ValueType make_value_type(const type_policy& policy) {
    std::string name = "p2psip-" + std::to_string(static_cast<unsigned>(policy.type));
    // OpenDHT asks these only of values others send; our own puts are
    // stored without them. A client stores nothing for others, even for a
    // node that still takes it for a peer (one that knew it as a peer).
    const bool client = config.client;
    auto store = [accept = policy.accept_store, client](
                     ::dht::InfoHash h, std::shared_ptr<::dht::Value>& v,
                     const ::dht::InfoHash& from, const ::dht::SockAddr& addr) {
      if (client || !v || !::dht::ValueType::DEFAULT_STORE_POLICY(h, v, from, addr)) return false;
      return !accept || accept(to_key(h), to_value(*v));
    };
    auto edit = [accept_store = policy.accept_store, accept_edit = policy.accept_edit, client](
                    ::dht::InfoHash h, const std::shared_ptr<::dht::Value>& old_value,
                    std::shared_ptr<::dht::Value>& new_value, const ::dht::InfoHash&,
                    const ::dht::SockAddr&) {
      if (client || !old_value || !new_value || !accept_edit || old_value->type != new_value->type)
        return false;
      if (new_value->size() > ::dht::MAX_VALUE_SIZE) return false;
      key k = to_key(h);
      value replacement = to_value(*new_value);
      if (accept_store && !accept_store(k, replacement)) return false;
      return accept_edit(k, to_value(*old_value), replacement);
    };
    return ::dht::ValueType(static_cast<::dht::ValueType::Id>(policy.type), std::move(name),
                            std::chrono::duration_cast<::dht::duration>(policy.lifetime),
                            std::move(store), std::move(edit));
  }

  // Values a reader accepts: our types, passing the store check. A putter
  // keeps its own values without OpenDHT asking the policy, and may answer
  // lookups with them; this keeps refused values out of our results.
  std::vector<value> accepted(const ::dht::InfoHash& h,
                              const std::vector<std::shared_ptr<::dht::Value>>& values) {
    std::vector<value> out;
    key k = to_key(h);
    for (const auto& v : values) {
      if (!v) continue;
      auto t = types.find(v->type);
      if (t == types.end()) continue;
      value converted = to_value(*v);
      if (t->second.accept_store && !t->second.accept_store(k, converted)) continue;
      out.push_back(std::move(converted));
    }
    return out;
  }

  // Adds `v` to a lookup's results. Storers may disagree (and a putter
  // always serves its own copy, edit check or not): of two values with one
  // id, one that is an accepted edit of the other replaces it; values that
  // are not edits of each other are both kept for the caller to judge.
  void merge(const ::dht::InfoHash& h, std::vector<value>& found, value v) {
    const type_policy& policy = types.at(static_cast<std::uint16_t>(v.type));
    key k = to_key(h);
    for (value& existing : found) {
      if (existing == v) return;
      if (existing.id != v.id || existing.type != v.type || !policy.accept_edit) continue;
      if (policy.accept_edit(k, existing, v)) {
        existing = std::move(v);
        return;
      }
      if (policy.accept_edit(k, v, existing)) return;
    }
    found.push_back(std::move(v));
  }

  void receive() {
    socket.async_receive_from(
        asio::buffer(buffer), sender,
        [self = shared_from_this()](const std::error_code& ec, std::size_t size) {
          if (!self->running) return;
          if (!ec) self->on_datagram(size);
          if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
          self->receive();
        });
  }

  void on_datagram(std::size_t size) {
    if (sender.protocol() != udp::v4()) return;
    if (is_lookup_request(buffer.data(), size, network)) ++lookups_served;
    ::dht::SockAddr from(sender.data(), static_cast<socklen_t>(sender.size()));
    after_periodic(node->periodic(buffer.data(), size, from, clock::now()));
  }

  void run_periodic() {
    after_periodic(node->periodic(nullptr, 0, ::dht::SockAddr{}, clock::now()));
  }

  // Dht leaves status tracking to its driver (DhtRunner does it in its
  // loop): without updateStatus() a node never searches for its own id, so
  // it stays with the bootstrap node as its only good contact.
  void after_periodic(::dht::time_point next) {
    ::dht::NodeStatus now_status = node->updateStatus(AF_INET);
    if (now_status != status) {
      status = now_status;
      next = clock::now();  // the change scheduled work (bootstrap, confirmation)
    }
    schedule(next);
  }

  // The timer keeps the earliest wake-up asked for; a later one can wait, as
  // periodic() reports the next one when the timer fires.
  void schedule(::dht::time_point when) {
    if (!running) return;
    when = std::min(when, clock::now() + max_sleep);
    if (timer_armed && when >= timer.expiry()) return;
    timer.expires_at(when);
    timer_armed = true;
    timer.async_wait(
        [self = shared_from_this(), generation = ++timer_generation](const std::error_code& ec) {
          if (ec || !self->running || generation != self->timer_generation) return;
          self->timer_armed = false;
          self->run_periodic();
        });
  }

  // After an API call: let OpenDHT send what the call queued, from the loop.
  // Posted rather than put on the timer: re-arming a timer is a system call
  // (timerfd), and a burst of calls needs one run of periodic(), not one each.
  void kick() {
    if (kick_posted) return;
    kick_posted = true;
    asio::post(io, [self = shared_from_this()] {
      self->kick_posted = false;
      if (self->running) self->run_periodic();
    });
  }

  // No other node is known: this one is the whole overlay.
  bool alone() const { return node->getNodesStats(AF_INET).getKnownNodes() == 0; }

  void arm_maintenance() {
    maintenance_timer.expires_after(maintenance_period);
    maintenance_timer.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec || !self->running) return;
      if (++self->maintenance_ticks % maintenance_ticks_per_save == 0) self->save_nodes();
      // Nobody answered yet (bootstrap node down at start): ask again.
      if (self->node->getNodesStats(AF_INET).good_nodes == 0) self->ping_bootstrap();
      self->arm_maintenance();
    });
  }

  void ping_bootstrap() {
    for (const udp::endpoint& ep : bootstrap) {
      if (ep.protocol() != udp::v4()) continue;
      node->pingNode(::dht::SockAddr(ep.data(), static_cast<socklen_t>(ep.size())));
    }
    kick();
  }

  void add_bootstrap(const std::vector<udp::endpoint>& contacts) {
    for (const udp::endpoint& ep : contacts) {
      if (ep.protocol() != udp::v4()) continue;
      if (std::find(bootstrap.begin(), bootstrap.end(), ep) == bootstrap.end())
        bootstrap.push_back(ep);
      node->pingNode(::dht::SockAddr(ep.data(), static_cast<socklen_t>(ep.size())));
    }
    kick();
  }

  void resolve_bootstrap_names() {
    for (const std::string& name : config.bootstrap_names) {
      auto colon = name.rfind(':');
      if (colon == std::string::npos || colon == 0) continue;
      std::string host = name.substr(0, colon);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') continue;  // IPv6 literal
      resolver.async_resolve(udp::v4(), host, name.substr(colon + 1),
                             [self = shared_from_this()](const std::error_code& ec,
                                                         udp::resolver::results_type results) {
                               if (ec || !self->running) return;
                               std::vector<udp::endpoint> found;
                               for (const auto& entry : results) found.push_back(entry.endpoint());
                               self->add_bootstrap(found);
                             });
    }
  }

  void save_nodes() {
    if (config.state_dir.empty() || !node) return;
    std::vector<::dht::NodeExport> nodes = node->exportNodes();
    std::erase_if(nodes, [](const ::dht::NodeExport& n) { return n.ss.ss_family != AF_INET; });
    msgpack::sbuffer packed;
    msgpack::pack(packed, nodes);
    std::error_code ec;
    std::filesystem::create_directories(config.state_dir, ec);
    write_file(config.state_dir / "nodes", std::string_view(packed.data(), packed.size()));
  }

  // Runs `fn` later on the io_context unless the node stops first.
  template <typename Fn>
  void deliver(Fn&& fn) {
    asio::post(io, [alive_flag = alive, fn = std::forward<Fn>(fn)]() mutable {
      if (*alive_flag) fn();
    });
  }
};

}  // namespace

struct opendht_node::impl {
  asio::io_context& io;
  opendht_config config;
  std::vector<type_policy> types;
  std::shared_ptr<opendht_session> session;
  std::string node_id;
  // Handlers refused before start() are reported through this flag, which
  // stop() and the destructor clear like a session's.
  std::shared_ptr<bool> idle_alive = std::make_shared<bool>(true);

  template <typename Fn>
  void deliver(Fn&& fn) {
    std::shared_ptr<bool> flag = session ? session->alive : idle_alive;
    asio::post(io, [flag, fn = std::forward<Fn>(fn)]() mutable {
      if (*flag) fn();
    });
  }
};

opendht_node::opendht_node(asio::io_context& io, opendht_config config,
                           std::vector<type_policy> types)
    : impl_(std::make_unique<impl>(impl{io, std::move(config), std::move(types), {}, {}})) {}

opendht_node::~opendht_node() {
  kill();
}

void opendht_node::start() {
  if (impl_->session) return;
  auto session = std::make_shared<opendht_session>(impl_->io, impl_->config, impl_->types);
  session->open();  // throws std::system_error when the bind fails
  impl_->node_id = session->node->getNodeId().toString();
  impl_->session = std::move(session);
}

void opendht_node::stop() {
  *impl_->idle_alive = false;
  if (!impl_->session) return;
  impl_->session->close(true);
  impl_->session.reset();
}

void opendht_node::kill() {
  *impl_->idle_alive = false;
  if (!impl_->session) return;
  impl_->session->close(false);
  impl_->session.reset();
}

void opendht_node::add_bootstrap(const std::vector<asio::ip::udp::endpoint>& contacts) {
  if (impl_->session) impl_->session->add_bootstrap(contacts);
}

asio::ip::udp::endpoint opendht_node::local_endpoint() const {
  std::error_code ec;
  if (!impl_->session) return {};
  udp::endpoint ep = impl_->session->socket.local_endpoint(ec);
  return ec ? udp::endpoint{} : ep;
}

std::string opendht_node::node_id() const {
  return impl_->node_id;
}

opendht_stats opendht_node::stats() const {
  opendht_stats out;
  const auto& s = impl_->session;
  if (!s || !s->node) return out;
  ::dht::NodeStats nodes = s->node->getNodesStats(AF_INET);
  out.good_nodes = nodes.good_nodes;
  out.known_nodes = nodes.getKnownNodes();
  out.stored_values = s->node->getStoreSize().second;
  out.lookups_served = s->lookups_served;
  return out;
}

std::vector<known_node> opendht_node::routing_table() const {
  std::vector<known_node> out;
  const auto& s = impl_->session;
  if (!s || !s->node) return out;
  for (const auto& n : s->node->exportNodes()) {
    if (n.ss.ss_family != AF_INET) continue;
    const auto& in = reinterpret_cast<const sockaddr_in&>(n.ss);
    out.push_back(
        {n.id.toString(), {asio::ip::address_v4(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)}});
  }
  return out;
}

bool opendht_node::holds(const key& k, std::uint64_t id) const {
  const auto& s = impl_->session;
  return s && s->node && s->node->getLocalById(to_hash(k), id) != nullptr;
}

void opendht_node::put(const key& k, value v, put_handler done) {
  auto& s = impl_->session;
  if (!s) {
    impl_->deliver(
        [done = std::move(done)] { done(std::make_error_code(std::errc::not_connected)); });
    return;
  }
  // Our own store keeps what we put without OpenDHT asking the policies, so
  // we ask them here, as a storer would.
  ::dht::InfoHash hash = to_hash(k);
  auto t = s->types.find(static_cast<std::uint16_t>(v.type));
  std::error_code refused;
  if (t == s->types.end()) {
    refused = std::make_error_code(std::errc::invalid_argument);
  } else if (t->second.accept_store && !t->second.accept_store(k, v)) {
    refused = std::make_error_code(std::errc::operation_not_permitted);
  } else if (auto stored = s->node->getLocalById(hash, v.id); stored && !(to_value(*stored) == v)) {
    value old = to_value(*stored);
    if (old.type != v.type || !t->second.accept_edit || !t->second.accept_edit(k, old, v)) {
      refused = std::make_error_code(std::errc::operation_not_permitted);
    }
  }
  if (refused) {
    s->deliver([done = std::move(done), refused] { done(refused); });
    return;
  }
  auto dht_value = std::make_shared<::dht::Value>(static_cast<::dht::ValueType::Id>(v.type),
                                                  std::move(v.data), v.id);
  std::weak_ptr<opendht_session> weak = s;
  s->node->put(hash, std::move(dht_value),
               [weak, done = std::move(done)](
                   bool ok, const std::vector<std::shared_ptr<::dht::Node>>&) mutable {
                 auto self = weak.lock();
                 if (!self || !self->running) return;
                 // A node that knows no other is the whole overlay, and so
                 // the closest node to every key: OpenDHT kept the value in
                 // its own store, which is where it belongs.
                 std::error_code ec = ok || self->alone()
                                          ? std::error_code{}
                                          : std::make_error_code(std::errc::host_unreachable);
                 self->deliver([done = std::move(done), ec] { done(ec); });
               });
  s->kick();
}

// A lookup whose closest nodes include dead ones would wait for each of
// them to time out (about a second, retried) before OpenDHT calls it done.
// The storers that are alive answer within about one round trip of each
// other, since the search asks them in parallel, so once the values found
// answer the question (get: any value; get_until: what the caller's judge
// accepts, e.g. a version newer than any seen before) the lookup ends a
// settle time later with what the live storers said, whether or not the
// dead ones have timed out. The settle time is the time the lookup took so
// far, within [min_settle, max_settle]: long enough for the other live
// storers' answers, newer versions included, to arrive. A lookup that finds
// nothing, or nothing its judge accepts, waits for the whole search: only
// that shows there is nothing better.
namespace {
struct opendht_lookup {
  explicit opendht_lookup(asio::io_context& io) : settle(io) {}
  std::vector<value> found;
  dht::get_handler done;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  asio::steady_timer settle;
  bool settling = false;
  bool finished = false;
};

dht::progress settle_on_any(const std::vector<value>& found) {
  return found.empty() ? dht::progress::more : dht::progress::settle;
}
}  // namespace

void opendht_node::get(const key& k, get_handler done) {
  lookup(k, std::move(done), settle_on_any);
}

void opendht_node::get_whole_search(const key& k, get_handler done) {
  lookup(k, std::move(done), [](const std::vector<value>&) { return progress::more; });
}

void opendht_node::get_until(const key& k, progress_handler judge, get_handler done) {
  lookup(k, std::move(done), std::move(judge));
}

void opendht_node::lookup(const key& k, get_handler done, progress_handler judge) {
  auto& s = impl_->session;
  if (!s) {
    impl_->deliver(
        [done = std::move(done)] { done({}, std::make_error_code(std::errc::not_connected)); });
    return;
  }
  ::dht::InfoHash hash = to_hash(k);
  auto lookup = std::make_shared<opendht_lookup>(s->io);
  lookup->done = std::move(done);
  std::weak_ptr<opendht_session> weak = s;
  auto finish = [weak, lookup](std::error_code ec) {
    auto self = weak.lock();
    if (!self || !self->running || lookup->finished) return;
    lookup->finished = true;
    lookup->settle.cancel();
    self->deliver([lookup, ec] { lookup->done(std::move(lookup->found), ec); });
  };
  auto on_values = [weak, lookup, hash, finish,
                    judge](const std::vector<std::shared_ptr<::dht::Value>>& values) {
    auto self = weak.lock();
    if (!self || !self->running || lookup->finished) return false;
    for (value& v : self->accepted(hash, values)) self->merge(hash, lookup->found, std::move(v));
    const progress verdict = judge(lookup->found);
    if (verdict == progress::finish) {
      finish({});
      return false;
    }
    if (verdict == progress::settle && !lookup->settling) {
      lookup->settling = true;
      using duration = std::chrono::steady_clock::duration;
      const duration waited = std::chrono::steady_clock::now() - lookup->started;
      lookup->settle.expires_after(std::clamp<duration>(waited, min_settle, max_settle));
      lookup->settle.async_wait([finish](const std::error_code& ec) {
        if (!ec) finish({});
      });
    }
    return true;
  };
  auto on_done = [weak, lookup, finish](bool ok, const std::vector<std::shared_ptr<::dht::Node>>&) {
    auto self = weak.lock();
    if (!self || !self->running) return;
    // Alone, this node's own store is the whole overlay's: nothing there is
    // an answer, not a failure.
    finish(ok || !lookup->found.empty() || self->alone()
               ? std::error_code{}
               : std::make_error_code(std::errc::host_unreachable));
  };
  s->node->get(hash, std::move(on_values), ::dht::DoneCallback(std::move(on_done)));
  s->kick();
}

dht::listen_token opendht_node::listen(const key& k, listen_handler on_change) {
  auto& s = impl_->session;
  if (!s) return 0;
  ::dht::InfoHash hash = to_hash(k);
  dht::listen_token token = s->next_listen_token++;
  auto handler = std::make_shared<listen_handler>(std::move(on_change));
  std::weak_ptr<opendht_session> weak = s;
  auto on_values = [weak, hash, token, handler](
                       const std::vector<std::shared_ptr<::dht::Value>>& values, bool expired) {
    auto self = weak.lock();
    if (!self || !self->running) return false;
    std::vector<value> converted = self->accepted(hash, values);
    if (converted.empty()) return true;
    self->deliver([weak, token, handler, converted = std::move(converted), expired] {
      auto me = weak.lock();
      // OpenDHT may report values after cancelListen: drop those.
      if (!me || !me->listens.contains(token)) return;
      (*handler)(converted, expired);
    });
    return true;
  };
  // OpenDHT 2.4.12 answers a get from the cache of a synced listen whose
  // query satisfies the get's, and that cache never takes an edit: it keeps
  // the first data it heard for a value id, so a refresh (same id, newer
  // version) never reaches it. A node that listened read that first version
  // for as long as the listen lasted: `superseded` to a reader that had seen
  // a newer one (a lost binding), and, as the cache counts storers per id
  // and not per version, possibly nothing once storers it heard from died.
  // Narrowed by a filter every value of ours passes (none has a user type),
  // the listen's query satisfies no get's: gets always ask the storers.
  std::size_t dht_token = s->node->listen(hash, ::dht::ValueCallback(std::move(on_values)), {},
                                          ::dht::Where{}.userType(""));
  if (dht_token == 0) return 0;
  s->listens.emplace(token, opendht_session::listen_entry{hash, dht_token});
  s->kick();
  return token;
}

void opendht_node::cancel_listen(listen_token token) {
  auto& s = impl_->session;
  if (!s) return;
  auto it = s->listens.find(token);
  if (it == s->listens.end()) return;
  opendht_session::listen_entry entry = it->second;
  s->listens.erase(it);
  s->node->cancelListen(entry.hash, entry.dht_token);
  s->kick();
}

}  // namespace p2psip::overlay
