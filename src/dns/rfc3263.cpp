#include "dns/rfc3263.hpp"

#include <algorithm>
#include <asio/ip/address.hpp>
#include <numeric>

#include "dns/error.hpp"
#include "sip/charset.hpp"
#include "sip/uri.hpp"

namespace p2psip::dns {
namespace {

using transport::protocol;

std::optional<protocol> transport_param(std::string_view value, bool sips) {
  if (sip::charset::iequals(value, "udp")) return protocol::udp;
  // RFC 3261 §26.2.2: a SIPS URI's "tcp" means TLS over TCP.
  if (sip::charset::iequals(value, "tcp")) return sips ? protocol::tls : protocol::tcp;
  if (sip::charset::iequals(value, "tls")) return protocol::tls;
  return std::nullopt;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host.remove_prefix(1);
    host.remove_suffix(1);
  }
  return host;
}

// RFC 3263 §4.1's SRV service names, one per transport. TLS is "_sips._tcp"
// for SIP URIs too: that is the only name servers publish TLS under.
std::string srv_name(protocol p, std::string_view domain) {
  std::string name;
  switch (p) {
    case protocol::udp:
      name = "_sip._udp.";
      break;
    case protocol::tcp:
      name = "_sip._tcp.";
      break;
    case protocol::tls:
      name = "_sips._tcp.";
      break;
  }
  return name.append(domain);
}

// RFC 3263 §4.1 and the IANA registry: the NAPTR services of SIP over the
// transports we have. Services compare case-insensitively (RFC 3403 §4.1).
std::optional<protocol> naptr_transport(std::string_view service) {
  if (sip::charset::iequals(service, "SIP+D2U")) return protocol::udp;
  if (sip::charset::iequals(service, "SIP+D2T")) return protocol::tcp;
  if (sip::charset::iequals(service, "SIPS+D2T")) return protocol::tls;
  return std::nullopt;
}

// A uniform number in [0, n), n <= 2^32, from one 32-bit draw.
std::uint64_t uniform_below(const random_source& random, std::uint64_t n) {
  return (static_cast<std::uint64_t>(random()) * n) >> 32;
}

// RFC 2782, one pick among `pending` (weight-0 records first).
std::size_t pick_weighted(const std::vector<srv_record>& pending, const random_source& random) {
  std::uint64_t sum = 0;
  for (const auto& r : pending) sum += r.weight;
  if (sum == 0) return static_cast<std::size_t>(uniform_below(random, pending.size()));
  const auto chosen = uniform_below(random, sum + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    running += pending[i].weight;
    if (running >= chosen) return i;
  }
  return pending.size() - 1;
}

}  // namespace

parsed_target parse_target(std::string_view text) {
  parsed_target out;
  const auto uri = sip::parse_uri(text);
  if (!uri || !uri->is_sip()) {
    out.error = error::bad_uri;
    return out;
  }
  auto& t = out.target;
  t.sips = uri->scheme == sip::uri_scheme::sips;
  std::string_view host = uri->host;
  // RFC 3263 §4: maddr, when present, is the target in place of the host.
  if (const auto maddr = uri->params.find("maddr"); maddr && maddr->has_value) {
    host = strip_brackets(maddr->value);
  }
  if (host.empty()) {
    out.error = error::bad_uri;
    return out;
  }
  t.host = std::string(host);
  asio::error_code not_numeric;
  const auto address = asio::ip::make_address(t.host, not_numeric);
  if (!not_numeric) t.ip = address;
  if (uri->has_port) t.port = uri->port;
  if (const auto param = uri->params.find("transport"); param && param->has_value) {
    t.transport = transport_param(param->value, t.sips);
    // SIPS needs TLS (RFC 3261 §26.2.2): no SIPS over UDP.
    if (!t.transport || (t.sips && *t.transport == protocol::udp)) {
      out.error = error::unsupported_transport;
    }
  }
  return out;
}

std::vector<srv_record> srv_order(std::vector<srv_record> records, const random_source& random) {
  std::stable_sort(records.begin(), records.end(), [](const srv_record& a, const srv_record& b) {
    return a.priority < b.priority;
  });
  std::vector<srv_record> out;
  out.reserve(records.size());
  auto group = records.begin();
  while (group != records.end()) {
    const auto end = std::find_if(
        group, records.end(), [&](const srv_record& r) { return r.priority != group->priority; });
    std::vector<srv_record> pending(std::make_move_iterator(group), std::make_move_iterator(end));
    std::stable_partition(pending.begin(), pending.end(),
                          [](const srv_record& r) { return r.weight == 0; });
    while (pending.size() > 1) {
      const auto i = pick_weighted(pending, random);
      out.push_back(std::move(pending[i]));
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (!pending.empty()) out.push_back(std::move(pending.front()));
    group = end;
  }
  return out;
}

resolution::resolution(const sip_target& target, std::vector<protocol> supported,
                       resolution_limits limits)
    : target_(target), supported_(std::move(supported)), limits_(limits) {
  if (target_.transport && !supports(*target_.transport)) {
    fatal_ = error::unsupported_transport;
    return;
  }
  const auto chosen = target_.transport ? target_.transport : scheme_default();
  if (!chosen) {
    fatal_ = error::unsupported_transport;
    return;
  }
  // §4.1 and §4.2, in the RFC's order of rules.
  if (target_.ip) {
    auto& known = hosts_[canonical_name(target_.host)];
    (target_.ip->is_v4() ? known.v4 : known.v6).push_back(*target_.ip);
    routes_.push_back({*chosen, {}, target_.host, target_.port.value_or(default_port(*chosen))});
  } else if (target_.port) {
    use_host(*chosen, *target_.port);
  } else if (target_.transport) {
    fallback_proto_ = chosen;
    ask_srv(*chosen, srv_name(*chosen, target_.host));
  } else {
    ask(target_.host, rr_type::naptr);
  }
}

bool resolution::supports(protocol p) const {
  return std::find(supported_.begin(), supported_.end(), p) != supported_.end();
}

// §4.1: with no transport named, UDP for SIP and TLS for SIPS; a node
// without UDP uses TCP, then TLS.
std::optional<protocol> resolution::scheme_default() const {
  if (target_.sips) return supports(protocol::tls) ? std::optional(protocol::tls) : std::nullopt;
  for (const auto p : {protocol::udp, protocol::tcp, protocol::tls})
    if (supports(p)) return p;
  return std::nullopt;
}

std::vector<question> resolution::take_questions() {
  auto out = std::move(to_ask_);
  to_ask_.clear();
  awaiting_.insert(awaiting_.end(), out.begin(), out.end());
  return out;
}

void resolution::ask(std::string name, rr_type type) {
  to_ask_.push_back({std::move(name), type});
}

void resolution::ask_srv(protocol proto, const std::string& name) {
  const auto key = canonical_name(name);
  if (!srvs_.contains(key)) {
    if (srvs_.size() >= limits_.max_srv_lookups) return;
    srvs_.emplace(key, srv_lookup{});
    ask(name, rr_type::srv);
  }
  routes_.push_back({proto, name, {}, 0});
}

void resolution::ask_host(const std::string& name) {
  const auto key = canonical_name(name);
  if (hosts_.contains(key) || hosts_.size() >= limits_.max_host_lookups) return;
  hosts_.emplace(key, host_lookup{});
  ask(name, rr_type::a);
  ask(name, rr_type::aaaa);
}

void resolution::use_host(protocol proto, std::uint16_t port) {
  routes_.push_back({proto, {}, target_.host, port});
  ask_host(target_.host);
}

void resolution::on_answer(const question& q, std::error_code ec, const answer& a) {
  const auto it = std::find_if(awaiting_.begin(), awaiting_.end(), [&](const question& w) {
    return w.type == q.type && same_name(w.name, q.name);
  });
  if (it == awaiting_.end()) return;
  const auto name = it->name;
  awaiting_.erase(it);
  if (ec) note(ec);
  const answer none;
  const auto& records = ec ? none : a;
  switch (q.type) {
    case rr_type::naptr:
      on_naptr(records);
      break;
    case rr_type::srv:
      on_srv(name, records);
      break;
    case rr_type::a:
    case rr_type::aaaa:
      on_address(name, q.type, records);
      break;
  }
}

// §4.1: keep the NAPTR records of SIP over a transport we have, then follow
// all of them in order; with none, ask for SRV records directly.
void resolution::on_naptr(const answer& a) {
  struct usable {
    const naptr_record* record;
    protocol proto;
  };
  std::vector<usable> found;
  for (const auto& r : a.naptrs) {
    const auto proto = naptr_transport(r.service);
    // RFC 3403 §4.1: "S" is terminal and leads to SRV; SIP uses no regexp.
    if (!proto || !sip::charset::iequals(r.flags, "s") || !r.regexp.empty()) continue;
    if ((target_.sips && *proto != protocol::tls) || !supports(*proto)) continue;
    if (r.replacement.empty() || r.replacement == ".") continue;
    found.push_back({&r, *proto});
  }
  std::stable_sort(found.begin(), found.end(), [](const usable& x, const usable& y) {
    if (x.record->order != y.record->order) return x.record->order < y.record->order;
    return x.record->preference < y.record->preference;
  });
  if (found.empty()) {
    ask_srv_for_each_transport();
    return;
  }
  for (const auto& u : found) ask_srv(u.proto, u.record->replacement);
}

// §4.1: "If no NAPTR records are found, the client constructs SRV queries
// for those transport protocols it supports"; §4.2 falls back to the host.
void resolution::ask_srv_for_each_transport() {
  fallback_proto_ = scheme_default();
  for (const auto p : supported_) {
    if (target_.sips && p != protocol::tls) continue;
    ask_srv(p, srv_name(p, target_.host));
  }
}

void resolution::on_srv(const std::string& name, const answer& a) {
  const auto it = srvs_.find(canonical_name(name));
  if (it == srvs_.end()) return;
  it->second.answered = true;
  it->second.records = a.srvs;
  // RFC 2782: a target of "." says the service is not available there.
  for (const auto& r : it->second.records)
    if (r.target != ".") ask_host(r.target);
  if (!fallback_proto_) return;
  const bool all_answered =
      std::all_of(srvs_.begin(), srvs_.end(), [](const auto& s) { return s.second.answered; });
  const bool none_found = std::all_of(srvs_.begin(), srvs_.end(),
                                      [](const auto& s) { return s.second.records.empty(); });
  if (!all_answered) return;
  // §4.2: "If no SRV records were found, the client performs an A or AAAA
  // record lookup of the domain name", on the transport's default port.
  const auto proto = *fallback_proto_;
  fallback_proto_.reset();
  if (none_found) use_host(proto, default_port(proto));
}

void resolution::on_address(const std::string& name, rr_type type, const answer& a) {
  const auto it = hosts_.find(canonical_name(name));
  if (it == hosts_.end()) return;
  auto& into = type == rr_type::a ? it->second.v4 : it->second.v6;
  for (const auto& address : a.addresses)
    if (address.is_v4() == (type == rr_type::a)) into.push_back(address);
}

void resolution::note(std::error_code ec) {
  auto& first = is_transient(ec) ? first_transient_ : first_negative_;
  if (!first) first = ec;
}

void resolution::append(std::vector<destination>& out, protocol proto, const std::string& host,
                        std::uint16_t port) const {
  const auto it = hosts_.find(canonical_name(host));
  if (it == hosts_.end()) return;
  for (const auto* family : {&it->second.v4, &it->second.v6}) {
    for (const auto& address : *family) {
      destination d{proto, address, port, 0};
      if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
  }
}

std::vector<destination> resolution::destinations(const random_source& random) const {
  std::vector<destination> out;
  if (fatal_) return out;
  for (const auto& r : routes_) {
    if (r.srv_name.empty()) {
      append(out, r.proto, r.host, r.port);
      continue;
    }
    const auto it = srvs_.find(canonical_name(r.srv_name));
    if (it == srvs_.end()) continue;
    for (const auto& srv : srv_order(it->second.records, random))
      if (srv.target != ".") append(out, r.proto, srv.target, srv.port);
  }
  return out;
}

std::error_code resolution::error() const {
  if (fatal_) return fatal_;
  if (first_transient_) return first_transient_;
  if (first_negative_) return first_negative_;
  return error::no_data;
}

}  // namespace p2psip::dns
