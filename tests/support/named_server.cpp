#include "support/named_server.hpp"

#include <fcntl.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/child_process.hpp"

namespace p2psip::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto start_timeout = 10s;

std::string program(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/"})
    if (fs::exists(std::string(dir) + name)) return dir + name;
  return name;
}

// A zone's file in the test directory: "p2psip.test.zone".
fs::path zone_file(const fs::path& dir, const named_zone& zone) {
  auto name = zone.name;
  if (name.ends_with('.')) name.pop_back();
  return dir / (name + ".zone");
}

struct resolver_free {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
  void operator()(char* s) const { free(s); }
};

std::unique_ptr<ldns_pkt, resolver_free> ask(std::uint16_t port, const std::string& name,
                                             ldns_rr_type type) {
  std::unique_ptr<ldns_resolver, resolver_free> r(ldns_resolver_new());
  std::unique_ptr<ldns_rdf, resolver_free> server(
      ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "127.0.0.1"));
  std::unique_ptr<ldns_rdf, resolver_free> qname(ldns_dname_new_frm_str(name.c_str()));
  if (!r || !server || !qname) return nullptr;
  if (ldns_resolver_push_nameserver(r.get(), server.get()) != LDNS_STATUS_OK) return nullptr;
  ldns_resolver_set_port(r.get(), port);
  ldns_resolver_set_recursive(r.get(), false);
  ldns_resolver_set_retry(r.get(), 1);
  ldns_resolver_set_timeout(r.get(), {1, 0});
  return std::unique_ptr<ldns_pkt, resolver_free>(
      ldns_resolver_query(r.get(), qname.get(), type, LDNS_RR_CLASS_IN, 0));
}

std::string rdata_text(const ldns_rr* rr) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    std::unique_ptr<char, resolver_free> field(ldns_rdf2str(ldns_rr_rdf(rr, i)));
    if (!out.empty()) out += ' ';
    if (field) out += field.get();
  }
  return out;
}

}  // namespace

void write_tsig_key(const fs::path& path, const std::string& name, const std::string& algorithm) {
  const auto pid = spawn({program("tsig-keygen"), "-a", algorithm, name}, path);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("tsig-keygen failed: " + read_file(path));
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

named_server::named_server(named_options options) : options_(std::move(options)) {
  dir_ = make_temp_dir("p2psip-named-");
  try {
    for (const auto& key : options_.keys) write_tsig_key(key_file(key), key);
    for (const auto& zone : options_.zones) std::ofstream(zone_file(dir_, zone)) << zone.text;
    for (int attempt = 0; attempt < 5; ++attempt)
      if (start_on(free_loopback_port())) return;
    throw std::runtime_error("named did not come up:\n" + log());
  } catch (...) {
    stop();
    fs::remove_all(dir_);
    throw;
  }
}

named_server::~named_server() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string named_server::server() const {
  return "127.0.0.1:" + std::to_string(port_);
}

fs::path named_server::key_file(const std::string& key_name) const {
  return dir_ / (key_name + ".key");
}

void named_server::write_config(std::uint16_t port) const {
  std::ofstream conf(dir_ / "named.conf");
  const auto d = dir_.string();
  // No control channel (other tests run named too, and rndc is not
  // needed), no recursion, nothing written outside the directory.
  conf << "options {\n"
       << "  directory \"" << d << "\";\n"
       << "  listen-on port " << port << " { 127.0.0.1; };\n"
       << "  listen-on-v6 { none; };\n"
       << "  pid-file none;\n"
       << "  session-keyfile none;\n"
       << "  recursion no;\n"
       << "  dnssec-validation no;\n"
       << "  notify no;\n"
       << "  " << options_.extra_options << "\n"
       << "};\n"
       << "controls { };\n";
  for (const auto& key : options_.keys) conf << "include \"" << key_file(key).string() << "\";\n";
  for (const auto& zone : options_.zones) {
    conf << "zone \"" << zone.name << "\" {\n"
         << "  type primary;\n"
         << "  file \"" << zone_file(dir_, zone).string() << "\";\n";
    if (!zone.update_policy.empty()) conf << "  update-policy { " << zone.update_policy << " };\n";
    conf << "};\n";
  }
}

bool named_server::start_on(std::uint16_t port) {
  write_config(port);
  port_ = port;
  // -g: foreground, log to stderr; -n 1: one worker, the machine is shared.
  pid_ = spawn({program("named"), "-g", "-n", "1", "-c", (dir_ / "named.conf").string()},
               dir_ / "named.log");
  const auto deadline = std::chrono::steady_clock::now() + start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited(pid_)) {
      pid_ = -1;
      if (log().find("address in use") != std::string::npos) return false;
      throw std::runtime_error("named exited:\n" + log());
    }
    if (log().find("address in use") != std::string::npos) {
      stop();
      return false;
    }
    // "running" comes once named listens and has tried every zone; a zone
    // that failed to load said so before, and named serves on without it.
    if (const auto text = log(); text.find(" running\n") != std::string::npos) {
      if (text.find("not loaded due to errors") != std::string::npos) {
        stop();
        throw std::runtime_error("a zone did not load:\n" + text);
      }
      if (answers_authoritatively()) return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  stop();
  throw std::runtime_error("named did not answer within 10 s:\n" + log());
}

bool named_server::answers_authoritatively() const {
  for (const auto& zone : options_.zones) {
    const auto p = ask(port_, zone.name, LDNS_RR_TYPE_SOA);
    if (!p || !ldns_pkt_aa(p.get())) return false;
  }
  return true;
}

void named_server::stop() {
  if (pid_ <= 0) return;
  stop_process(pid_);
  pid_ = -1;
}

std::vector<served_rr> named_server::query(const std::string& name, const std::string& type) const {
  const auto t = ldns_get_rr_type_by_name(type.c_str());
  const auto p = ask(port_, name, t);
  if (!p) throw std::runtime_error("no answer from named to " + name + " " + type);
  std::unique_ptr<ldns_rr_list, resolver_free> rrs(
      ldns_pkt_rr_list_by_type(p.get(), t, LDNS_SECTION_ANSWER));
  std::vector<served_rr> out;
  for (std::size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs.get()); ++i) {
    const auto* rr = ldns_rr_list_rr(rrs.get(), i);
    std::unique_ptr<char, resolver_free> owner(ldns_rdf2str(ldns_rr_owner(rr)));
    out.push_back({owner ? owner.get() : "", ldns_rr_ttl(rr), rdata_text(rr)});
  }
  return out;
}

std::string named_server::log() const {
  return read_file(dir_ / "named.log");
}

}  // namespace p2psip::test
