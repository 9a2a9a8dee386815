// p2psip: the operator's command-line tool. It runs the overlay CA, asks a
// running node through its local operations API, and edits the user file:
//   p2psip ca init        --dir DIR --overlay ID
//   p2psip ca issue-user  --dir DIR --aor AOR --out PREFIX [--csr FILE]
//   p2psip ca issue-node  --dir DIR --node-id ID [--domain-authority] --out PREFIX [--csr FILE]
//   p2psip ca sign        CSR --dir DIR --node-id ID [--domain-authority] --out PREFIX
//   p2psip ca show        FILE
//   p2psip node init      --overlay ID --bootstrap HOST:PORT... [--state DIR] [--config FILE]
//   p2psip status         [--api HOST:PORT] [--api-token TOKEN]
//   p2psip lookup AOR     [--api HOST:PORT] [--api-token TOKEN]
//   p2psip nodes          [--api HOST:PORT] [--api-token TOKEN]
//   p2psip bindings       [--api HOST:PORT] [--api-token TOKEN]
//   (the token may come from $P2PSIP_API_TOKEN instead)
//   p2psip user add       --users FILE NAME [--password PW]
//   p2psip user add       --ca DIR NAME [--password PW] [--node API]... [--days N]
//   p2psip user passwd    --ca DIR NAME [--password PW] [--node API]...
//   p2psip user remove    --ca DIR NAME [--node API]...
//   p2psip user push      --ca DIR [NAME]... --node API...
//   p2psip ca rotate-users-key --dir DIR
// Each subcommand is one options struct, one add_* function that declares it
// and one run_* function that does it, registered in main().
// Exit code 0 on success, 1 with a one-line message on stderr on failure;
// `lookup` exits 3 when the AOR has no binding, so scripts can tell that
// apart from a node that cannot be asked.
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "api_client.hpp"
#include "auth/digest.hpp"
#include "enrollment.hpp"
#include "identity/authority.hpp"
#include "identity/certificate.hpp"
#include "identity/error.hpp"
#include "json_text.hpp"
#include "ops/percent_encoding.hpp"
#include "overlay/user_secrets.hpp"
#include "secrets/private_file.hpp"
#include "sip/charset.hpp"
#include "sip/uri.hpp"

namespace {

namespace fs = std::filesystem;
using namespace p2psip::identity;
namespace auth = p2psip::auth;
namespace cli = p2psip::cli;
namespace ops = p2psip::ops;
namespace secrets = p2psip::secrets;
namespace overlay = p2psip::overlay;
namespace sip = p2psip::sip;

// A failure the user can act on; main() prints it as one line and exits 1.
struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the chosen subcommand does; it returns the exit code.
using runner = std::function<int()>;

std::string in_quotes(const fs::path& path) {
  return "\"" + path.string() + "\"";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw failure("cannot read " + in_quotes(path) + ": " + std::strerror(errno));
  return {std::istreambuf_iterator<char>(in), {}};
}

// Private keys never replace an existing file and are created 0600;
// certificates are public and may be re-issued over an older one.
enum class file_kind { secret, public_text };

void write_file(const fs::path& path, const std::string& text, file_kind kind) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (kind == file_kind::secret ? O_EXCL : O_TRUNC);
  const mode_t mode = kind == file_kind::secret ? 0600 : 0644;
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0)
    throw failure("cannot create " + in_quotes(path) + ": " +
                  (errno == EEXIST ? std::string("file exists, not overwriting a key")
                                   : std::strerror(errno)));
  bool ok = kind != file_kind::secret || ::fchmod(fd, mode) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok) throw failure("cannot write " + in_quotes(path) + ": " + std::strerror(saved));
}

std::string hex(std::span<const std::uint8_t> bytes, const char* separator = "") {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += separator;
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xF];
  }
  return out;
}

std::string utc(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

certificate_authority load_ca(const fs::path& dir) {
  std::error_code ec;
  auto ca = certificate_authority::load(dir, ec);
  if (ec == error::exposed_key)
    throw failure(in_quotes(dir / "ca.key") +
                  ": group or others may access the CA's private key; fix it with: chmod 600 " +
                  (dir / "ca.key").string());
  if (ec) throw failure("cannot load the CA from " + in_quotes(dir) + ": " + ec.message());
  return ca;
}

// Writes PREFIX.key (when the CA generated the key) and PREFIX.crt.
void write_issued(const std::string& prefix, const private_key& key, const certificate& cert) {
  const fs::path cert_path = prefix + ".crt";
  if (!key.empty()) {
    const fs::path key_path = prefix + ".key";
    write_file(key_path, key.to_pem(), file_kind::secret);
    std::printf("wrote %s (private key, mode 0600)\n", key_path.c_str());
  }
  write_file(cert_path, cert.to_pem(), file_kind::public_text);
  std::printf("wrote %s (%zu bytes DER, fingerprint %s)\n", cert_path.c_str(), cert.der().size(),
              hex(cert.fingerprint()).c_str());
}

// ---- ca init ----------------------------------------------------------------

struct ca_init_options {
  std::string dir;
  std::string overlay;
  unsigned days = 3650;
};

void run_ca_init(const ca_init_options& o) {
  const auto ca = certificate_authority::create(o.overlay, std::chrono::hours{24 * o.days});
  if (const auto ec = ca.save(o.dir))
    throw failure("cannot create the CA in " + in_quotes(o.dir) + ": " + ec.message());
  const fs::path dir = o.dir;
  std::printf("created the overlay CA for %s\n", o.overlay.c_str());
  std::printf("  %s  private key, mode 0600: keep it off the nodes\n", (dir / "ca.key").c_str());
  std::printf("  %s  trust anchor: configure every node with it\n", (dir / "ca.crt").c_str());
  std::printf("  valid until %s, fingerprint %s\n", utc(ca.cert().not_after()).c_str(),
              hex(ca.cert().fingerprint()).c_str());
}

void add_ca_init(CLI::App& ca, runner& run) {
  auto o = std::make_shared<ca_init_options>();
  auto* cmd = ca.add_subcommand("init", "Create a new overlay CA (ca.key, ca.crt) in a directory");
  cmd->add_option("--dir", o->dir, "Directory for ca.key and ca.crt (created if needed)")
      ->required();
  cmd->add_option("--overlay", o->overlay, "Overlay id, the SIP domain (e.g. p2psip.test)")
      ->required();
  cmd->add_option("--days", o->days, "Validity of the CA certificate in days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  cmd->callback([o, &run] {
    run = [o] {
      run_ca_init(*o);
      return 0;
    };
  });
}

// ---- ca issue-user ----------------------------------------------------------

struct ca_issue_user_options {
  std::string dir;
  std::string aor;
  std::string out;
  std::string csr;
  unsigned days = 365;
};

void run_ca_issue_user(const ca_issue_user_options& o) {
  const auto ca = load_ca(o.dir);
  const std::chrono::hours validity{24 * o.days};
  if (o.csr.empty()) {
    const auto user = ca.issue_user(o.aor, validity);
    write_issued(o.out, user.key, user.cert);
    return;
  }
  std::error_code ec;
  const auto cert = ca.issue_user_from_csr(read_file(o.csr), o.aor, ec, validity);
  if (ec) throw failure(in_quotes(o.csr) + ": " + ec.message());
  write_issued(o.out, {}, cert);
}

void add_ca_issue_user(CLI::App& ca, runner& run) {
  auto o = std::make_shared<ca_issue_user_options>();
  auto* cmd = ca.add_subcommand("issue-user", "Issue a user certificate for an AOR");
  cmd->add_option("--dir", o->dir, "Directory of the CA")->required();
  cmd->add_option("--aor", o->aor, "Address of record, sip:user@<overlay>")->required();
  cmd->add_option("--out", o->out, "Writes PREFIX.crt (and PREFIX.key without --csr)")->required();
  cmd->add_option("--csr", o->csr, "PEM certificate request: certify its key, keep no key here");
  cmd->add_option("--days", o->days, "Validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  cmd->callback([o, &run] {
    run = [o] {
      run_ca_issue_user(*o);
      return 0;
    };
  });
}

// ---- ca issue-node ----------------------------------------------------------

struct ca_issue_node_options {
  std::string dir;
  std::string node_id;
  bool domain_authority = false;
  std::string out;
  std::string csr;
  unsigned days = 365;
};

// An enrolled node gets the users key beside its certificate, so it can
// read the enrolled users' secrets (docs/identity.md); a newer key file
// (after a rotation) replaces an older one.
void give_users_key(const ca_issue_node_options& o) {
  const auto keys = cli::authority_keyring(o.dir, true);
  const fs::path path = fs::path(o.out).parent_path() / "users.key";
  if (const auto ec = keys.save(path))
    throw failure("cannot write " + in_quotes(path) + ": " + ec.message());
  std::printf("wrote %s (the users key, epoch %u, mode 0600)\n", path.c_str(),
              keys.current().epoch);
}

void run_ca_issue_node(const ca_issue_node_options& o) {
  const auto ca = load_ca(o.dir);
  const std::chrono::hours validity{24 * o.days};
  if (o.csr.empty()) {
    const auto node = ca.issue_node(o.node_id, o.domain_authority, validity);
    write_issued(o.out, node.key, node.cert);
    give_users_key(o);
    return;
  }
  std::error_code ec;
  const auto cert =
      ca.issue_node_from_csr(read_file(o.csr), o.node_id, o.domain_authority, ec, validity);
  if (ec) throw failure(in_quotes(o.csr) + ": " + ec.message());
  write_issued(o.out, {}, cert);
  give_users_key(o);
}

// What issue-node and sign both ask: the CA, the node's id and powers, how long.
void add_node_issue_options(CLI::App* cmd, ca_issue_node_options& o) {
  cmd->add_option("--dir", o.dir, "Directory of the CA")->required();
  cmd->add_option("--node-id", o.node_id, "Node id ([A-Za-z0-9._-], up to 64)")->required();
  cmd->add_flag("--domain-authority", o.domain_authority,
                "Let the node sign bindings for every AOR of the overlay's domain");
  cmd->add_option("--days", o.days, "Validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
}

void add_ca_issue_node(CLI::App& ca, runner& run) {
  auto o = std::make_shared<ca_issue_node_options>();
  auto* cmd = ca.add_subcommand("issue-node", "Issue a node certificate");
  add_node_issue_options(cmd, *o);
  cmd->add_option("--out", o->out, "Writes PREFIX.crt (and PREFIX.key without --csr)")->required();
  cmd->add_option("--csr", o->csr, "PEM certificate request: certify its key, keep no key here");
  cmd->callback([o, &run] {
    run = [o] {
      run_ca_issue_node(*o);
      return 0;
    };
  });
}

// ---- ca sign ----------------------------------------------------------------
// What the enrollment authority does with a new machine's request (written
// by `p2psip node init`): certify the key in it, and hand back, beside the
// certificate, what the node needs to trust and join: the CA's certificate
// and the users key. The private key never leaves the new machine.

struct ca_sign_options {
  ca_issue_node_options issue;
};

void run_ca_sign(const ca_sign_options& o) {
  run_ca_issue_node(o.issue);
  const fs::path ca_cert = fs::path(o.issue.out).parent_path() / "ca.crt";
  write_file(ca_cert, read_file(fs::path(o.issue.dir) / "ca.crt"), file_kind::public_text);
  std::printf("wrote %s (the overlay CA's certificate)\n", ca_cert.c_str());
}

void add_ca_sign(CLI::App& ca, runner& run) {
  auto o = std::make_shared<ca_sign_options>();
  auto* cmd = ca.add_subcommand(
      "sign",
      "Certify a node's request (p2psip node init): writes the certificate, ca.crt and "
      "users.key beside --out, for the node's state directory");
  cmd->add_option("csr", o->issue.csr, "The node's request (node.csr)")->required();
  add_node_issue_options(cmd, o->issue);
  cmd->add_option("--out", o->issue.out, "Writes PREFIX.crt, and ca.crt and users.key beside it")
      ->required();
  cmd->callback([o, &run] {
    run = [o] {
      run_ca_sign(*o);
      return 0;
    };
  });
}

// ---- node init --------------------------------------------------------------
// The first step on a new machine: its key, a request for the enrollment
// authority, and a configuration that joins the overlay through --bootstrap.

struct node_init_options {
  std::string overlay;
  std::vector<std::string> bootstrap;
  std::string state = "/var/lib/p2psip";
  std::string config = "/etc/p2psip/p2psipd.toml";
  std::string address = "127.0.0.1";
  unsigned sip_port = 5060;
  unsigned dht_port = 4222;
  unsigned api_port = 8060;
  bool force = false;
};

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "\"" : ", \"") + i + "\"";
  return out;
}

std::string node_config_text(const node_init_options& o, const fs::path& state) {
  const auto at = [&](unsigned port) { return o.address + ":" + std::to_string(port); };
  return "# Written by p2psip node init: a node of " + o.overlay +
         " (every key: docs/configuration.md).\n"
         "# It starts once the enrollment authority has signed " +
         (state / "node.csr").string() +
         "\n# (p2psip ca sign) and node.crt, ca.crt and users.key are in the state directory.\n"
         "[node]\noverlay = \"" +
         o.overlay + "\"\nstate_dir = \"" + state.string() +
         "\"\nroles = [\"peer\", \"registrar\", \"proxy\"]\n\n"
         "[sip]\nlisten = [\"udp:" +
         at(o.sip_port) + "\", \"tcp:" + at(o.sip_port) + "\", \"tls:" + at(o.sip_port + 1) +
         "\"]\n\n[overlay]\nlisten = \"" + at(o.dht_port) + "\"\nbootstrap = [" +
         quoted_list(o.bootstrap) +
         "]\n\n[api]\nlisten = \"127.0.0.1:" + std::to_string(o.api_port) + "\"\n";
}

void run_node_init(const node_init_options& o) {
  const fs::path state = fs::absolute(o.state);
  const fs::path key_path = state / "node.key";
  if (fs::exists(key_path)) throw failure(in_quotes(key_path) + " exists: this node has a key");
  if (fs::exists(o.config) && !o.force)
    throw failure(in_quotes(o.config) + " exists (--force replaces it)");
  std::error_code ec;
  fs::create_directories(state, ec);
  if (ec) throw failure("cannot create " + in_quotes(state) + ": " + ec.message());
  fs::permissions(state, fs::perms::owner_all, fs::perm_options::replace, ec);
  const auto key = private_key::generate_ed25519();
  write_file(key_path, key.to_pem(), file_kind::secret);
  const fs::path request = state / "node.csr";
  write_file(request, make_request(key, {}), file_kind::public_text);
  if (!fs::path(o.config).parent_path().empty())
    fs::create_directories(fs::path(o.config).parent_path(), ec);
  write_file(o.config, node_config_text(o, state), file_kind::public_text);
  std::printf(
      "wrote %s (private key, mode 0600)\nwrote %s (the request to enroll this node)\n"
      "wrote %s (joins %s through %s)\n"
      "next: at the enrollment authority, p2psip ca sign node.csr --dir CA --node-id ID "
      "--domain-authority --out DIR/node;\n      copy DIR's node.crt, ca.crt and "
      "users.key into %s, then start p2psipd -c %s\n",
      key_path.c_str(), request.c_str(), o.config.c_str(), o.overlay.c_str(),
      quoted_list(o.bootstrap).c_str(), state.c_str(), o.config.c_str());
}

void add_node_init(CLI::App& app, runner& run) {
  auto o = std::make_shared<node_init_options>();
  auto* node = app.add_subcommand("node", "This machine as a node of an overlay");
  node->require_subcommand(1);
  auto* cmd = node->add_subcommand(
      "init",
      "Make this node's key, its request for the enrollment authority, and its "
      "configuration");
  cmd->add_option("--overlay", o->overlay, "The overlay identifier (FQDN)")->required();
  cmd->add_option("--bootstrap", o->bootstrap, "HOST:PORT of a node in the overlay (repeatable)")
      ->required();
  cmd->add_option("--state", o->state, "The node's state directory")->capture_default_str();
  cmd->add_option("--config", o->config, "The configuration to write")->capture_default_str();
  cmd->add_option("--address", o->address, "The IP address phones and nodes reach it at")
      ->capture_default_str();
  cmd->add_option("--sip-port", o->sip_port, "SIP (UDP, TCP; TLS one above)")
      ->capture_default_str();
  cmd->add_option("--dht-port", o->dht_port, "The DHT's UDP port")->capture_default_str();
  cmd->add_option("--api-port", o->api_port, "The API and dashboard, on loopback")
      ->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace an existing configuration file");
  cmd->callback([o, &run] {
    run = [o] {
      run_node_init(*o);
      return 0;
    };
  });
}

// ---- ca show ----------------------------------------------------------------

void run_ca_show(const std::string& file) {
  const auto text = read_file(file);
  std::error_code ec;
  auto cert = certificate::from_pem(text, ec);
  if (ec) {  // DER, then
    const std::vector<std::uint8_t> der(text.begin(), text.end());
    cert = certificate::from_der(der, ec);
  }
  if (ec) throw failure(in_quotes(file) + ": " + ec.message());
  std::printf("CN:          %s\n", cert.common_name().c_str());
  for (const auto& uri : cert.uri_names()) std::printf("SAN URI:     %s\n", uri.c_str());
  for (const auto& dns : cert.dns_names()) std::printf("SAN DNS:     %s\n", dns.c_str());
  std::printf("CA:          %s\n", cert.is_ca() ? "yes" : "no");
  std::printf("notBefore:   %s\n", utc(cert.not_before()).c_str());
  std::printf("notAfter:    %s\n", utc(cert.not_after()).c_str());
  std::printf("DER size:    %zu bytes\n", cert.der().size());
  std::printf("SHA-256:     %s\n", hex(cert.fingerprint(), ":").c_str());
}

void add_ca_show(CLI::App& ca, runner& run) {
  auto file = std::make_shared<std::string>();
  auto* cmd =
      ca.add_subcommand("show", "Print the names, validity and fingerprint of a certificate");
  cmd->add_option("file", *file, "Certificate file (PEM or DER)")->required();
  cmd->callback([file, &run] {
    run = [file] {
      run_ca_show(*file);
      return 0;
    };
  });
}

// ---- the node's operations API ---------------------------------------------

constexpr const char* default_api = "127.0.0.1:8060";

void add_api_option(CLI::App& cmd, cli::api_endpoint& api) {
  cmd.add_option("--api", api.address, "Address of the node's operations API, HOST:PORT")
      ->capture_default_str();
  // From the environment rather than the command line, it stays out of `ps`.
  cmd.add_option("--api-token", api.token, "The API's access token ([api] token of the node)")
      ->envname("P2PSIP_API_TOKEN");
}

// The answer's JSON when the node said 200; otherwise the node's own error.
nlohmann::ordered_json expect_ok(const std::string& api, const cli::api_response& r) {
  if (r.status == 401)
    throw failure("the node's API at " + api +
                  " asks for its token: give --api-token or set P2PSIP_API_TOKEN");
  if (r.status == 200) return r.body;
  std::string why = r.body.is_object() && r.body.contains("error") && r.body["error"].is_string()
                        ? r.body["error"].get<std::string>()
                        : r.body.dump();
  throw failure("the node's API at " + api + " answered " + std::to_string(r.status) + ": " + why);
}

const nlohmann::ordered_json& binding_list(const std::string& api,
                                           const nlohmann::ordered_json& body) {
  if (!body.is_object() || !body.contains("bindings") || !body["bindings"].is_array())
    throw failure("the node's API at " + api + " sent no \"bindings\" list");
  return body["bindings"];
}

// The bindings, then whatever else the answer carries besides them.
void print_bindings(const nlohmann::ordered_json& body, const nlohmann::ordered_json& bindings) {
  bool first = true;
  for (const auto& binding : bindings) {
    if (!first) std::printf("\n");
    first = false;
    std::fputs(cli::binding_text(binding, 2).c_str(), stdout);
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "aor" || key == "bindings") continue;
    nlohmann::ordered_json rest;
    rest[key] = value;
    std::fputs(cli::json_text(rest).c_str(), stdout);
  }
}

// A subcommand whose only option is the node's API address.
void add_api_command(CLI::App& app, runner& run, const char* name, const char* help,
                     int (*body)(const cli::api_endpoint& api)) {
  auto api = std::make_shared<cli::api_endpoint>(cli::api_endpoint{default_api, {}});
  auto* cmd = app.add_subcommand(name, help);
  add_api_option(*cmd, *api);
  cmd->callback([api, body, &run] { run = [api, body] { return body(*api); }; });
}

// ---- status -----------------------------------------------------------------

int run_status(const cli::api_endpoint& api) {
  const auto body = expect_ok(api.address, cli::api_get(api, "/status"));
  std::fputs(cli::json_text(body).c_str(), stdout);
  return 0;
}

// ---- lookup -----------------------------------------------------------------

struct lookup_options {
  std::string aor;
  cli::api_endpoint api{default_api, {}};
};

int run_lookup(const lookup_options& o) {
  const auto answer = cli::api_get(o.api, "/lookup?aor=" + ops::percent_encode(o.aor));
  // A 404 that carries a binding list is the node's "no such AOR", not a
  // node without /lookup.
  const bool none_404 =
      answer.status == 404 && answer.body.is_object() && answer.body.contains("bindings");
  const auto body = none_404 ? answer.body : expect_ok(o.api.address, answer);
  const auto& bindings = binding_list(o.api.address, body);
  if (bindings.empty()) {
    std::printf("no binding for %s\n", o.aor.c_str());
    return 3;
  }
  const std::string aor =
      body.contains("aor") && body["aor"].is_string() ? body["aor"].get<std::string>() : o.aor;
  std::printf("%s: %zu binding%s\n", aor.c_str(), bindings.size(), bindings.size() == 1 ? "" : "s");
  print_bindings(body, bindings);
  return 0;
}

void add_lookup(CLI::App& app, runner& run) {
  auto o = std::make_shared<lookup_options>();
  auto* cmd = app.add_subcommand("lookup", "Look an AOR up in the overlay through a node");
  cmd->add_option("aor", o->aor, "Address of record, sip:user@<overlay>")->required();
  add_api_option(*cmd, o->api);
  cmd->callback([o, &run] { run = [o] { return run_lookup(*o); }; });
}

// ---- nodes ------------------------------------------------------------------

int run_nodes(const cli::api_endpoint& api) {
  const auto body = expect_ok(api.address, cli::api_get(api, "/nodes"));
  if (!body.is_object() || !body.contains("nodes") || !body["nodes"].is_array())
    throw failure("the node's API at " + api.address + " sent no \"nodes\" list");
  const auto& nodes = body["nodes"];
  std::size_t id_width = 0;
  for (const auto& node : nodes)
    if (node.is_object() && node.contains("id") && node["id"].is_string())
      id_width = std::max(id_width, node["id"].get_ref<const std::string&>().size());
  for (const auto& node : nodes) std::printf("%s\n", cli::node_line(node, id_width).c_str());
  for (const auto& [key, value] : body.items()) {
    if (key == "nodes") continue;
    nlohmann::ordered_json rest;
    rest[key] = value;
    std::fputs(cli::json_text(rest).c_str(), stdout);
  }
  return 0;
}

// ---- bindings ---------------------------------------------------------------

int run_bindings(const cli::api_endpoint& api) {
  const auto body = expect_ok(api.address, cli::api_get(api, "/bindings"));
  const auto& bindings = binding_list(api.address, body);
  std::printf("%zu binding%s held by this node\n", bindings.size(),
              bindings.size() == 1 ? "" : "s");
  print_bindings(body, bindings);
  return 0;
}

// ---- relays -----------------------------------------------------------------

// One line per relay agent peer the overlay knows, then this node's own
// checks when it is a relay peer.
int run_relays(const cli::api_endpoint& api) {
  const auto body = expect_ok(api.address, cli::api_get(api, "/relays"));
  if (!body.is_object() || !body.contains("relays") || !body["relays"].is_array())
    throw failure("the node's API at " + api.address + " sent no \"relays\" list");
  const auto& relays = body["relays"];
  std::printf("%zu relay agent peer%s in the overlay\n", relays.size(),
              relays.size() == 1 ? "" : "s");
  for (const auto& relay : relays) std::fputs(cli::json_text(relay, 2).c_str(), stdout);
  if (body.contains("checks")) {
    nlohmann::ordered_json rest;
    rest["this node's checks"] = body["checks"];
    std::fputs(cli::json_text(rest).c_str(), stdout);
  }
  return 0;
}

// ---- account ----------------------------------------------------------------

struct account_options {
  std::string user;
  std::string domain;
  std::string node;       // HOST[:PORT] of the node's SIP listener
  std::string get_relay;  // HOST:PORT of its HTTPS Get Relay endpoint
  std::string ca;
  std::string password;
  std::string format = "baresip";
};

// The node's host, without a port: "203.0.113.11:5060" -> "203.0.113.11".
std::string host_of(const std::string& host_port) {
  if (host_port.starts_with("[")) return host_port.substr(0, host_port.find(']') + 1);
  return host_port.substr(0, host_port.find(':'));
}

std::vector<std::string> strings_in(const nlohmann::ordered_json& body, const char* key) {
  std::vector<std::string> out;
  if (body.contains(key) && body[key].is_array())
    for (const auto& v : body[key])
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string string_in(const nlohmann::ordered_json& body, const char* key) {
  if (!body.contains(key) || !body[key].is_string())
    throw failure(std::string("the Get Relay answer has no \"") + key + "\"");
  return body[key].get<std::string>();
}

// A baresip `accounts` line (baresip 1.x, account.c): ICE with the first
// relay, which the ICE module uses over UDP; the node is the outbound proxy.
// sipnat=outbound (RFC 5626, with baresip's uuid module) keeps the phone's
// NAT binding with STUN keep-alives, which the node answers: without them a
// home NAT forgets the phone between registrations and calls to it are lost.
void print_baresip(const account_options& o, const nlohmann::ordered_json& relay) {
  const auto uris = strings_in(relay, "uris");
  std::printf(
      "<sip:%s@%s>;auth_pass=%s;outbound=\"sip:%s\";sipnat=outbound;regint=600;medianat=ice;"
      "stunserver=\"%s\";stunuser=%s;stunpass=%s\n",
      o.user.c_str(), o.domain.c_str(), o.password.c_str(), o.node.c_str(), uris.front().c_str(),
      string_in(relay, "username").c_str(), string_in(relay, "password").c_str());
}

// What any softphone's settings ask for, one per line.
void print_generic(const account_options& o, const nlohmann::ordered_json& relay) {
  std::printf("SIP address:        sip:%s@%s\n", o.user.c_str(), o.domain.c_str());
  std::printf("SIP user, password: %s, (yours)\n", o.user.c_str());
  std::printf("outbound proxy:     sip:%s\n", o.node.c_str());
  std::printf("NAT keep-alive:     RFC 5626 outbound (STUN on UDP, CRLF on TCP)\n");
  std::printf("media NAT:          ICE, with these TURN servers\n");
  for (const auto& uri : strings_in(relay, "uris")) std::printf("  %s\n", uri.c_str());
  std::printf("TURN user name:     %s\n", string_in(relay, "username").c_str());
  std::printf("TURN password:      %s\n", string_in(relay, "password").c_str());
  if (relay.contains("ttl") && relay["ttl"].is_number_integer())
    std::printf("valid for:          %lld s\n", relay["ttl"].get<long long>());
}

int run_account(account_options o) {
  if (o.password.empty())
    throw failure("give the user's SIP password in P2PSIP_PASSWORD (or --password)");
  if (o.get_relay.empty()) o.get_relay = host_of(o.node) + ":8443";
  cli::api_endpoint https{o.get_relay, {}, o.ca, o.user + ":" + o.password, true};
  const auto answer =
      cli::api_get(https, "/turn?service=turn&username=" + ops::percent_encode(o.user),
                   std::chrono::seconds(10));
  if (answer.status == 401)
    throw failure("the node at " + o.get_relay + " refused " + o.user + "'s user name or password");
  const auto relay = expect_ok(o.get_relay, answer);
  if (strings_in(relay, "uris").empty()) throw failure("the Get Relay answer names no relay");
  if (o.format == "json")
    std::fputs((relay.dump(2) + "\n").c_str(), stdout);
  else if (o.format == "generic")
    print_generic(o, relay);
  else
    print_baresip(o, relay);
  return 0;
}

void add_account(CLI::App& app, runner& run) {
  auto o = std::make_shared<account_options>();
  auto* cmd = app.add_subcommand(
      "account",
      "Print a phone's account for a user of a node: SIP, ICE and TURN relays from the overlay "
      "(asks the node's HTTPS Get Relay endpoint with the user's password)");
  cmd->add_option("user", o->user, "The SIP user name")->required();
  cmd->add_option("--domain", o->domain, "The overlay identifier (the SIP domain)")->required();
  cmd->add_option("--node", o->node, "The node's SIP address, HOST[:PORT]")->required();
  cmd->add_option("--get-relay", o->get_relay,
                  "The node's Get Relay endpoint, HOST:PORT (default: the node's host, 8443)");
  cmd->add_option("--ca", o->ca, "The overlay CA's certificate, to check the node's")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--password", o->password, "The user's SIP password")->envname("P2PSIP_PASSWORD");
  cmd->add_option("--format", o->format, "baresip (an accounts line), generic or json")
      ->check(CLI::IsMember({"baresip", "generic", "json"}))
      ->capture_default_str();
  cmd->callback([o, &run] { run = [o] { return run_account(*o); }; });
}

// ---- user add ---------------------------------------------------------------

struct user_add_options {
  std::string users;
  std::string name;
  std::string password;
  // Enrollment (--ca) instead of a user file:
  std::string ca;
  std::vector<std::string> nodes;
  std::string token;
  unsigned days = 365;
};

// 16 characters of 62 is 95 bits: beyond guessing through digest challenges.
std::string random_password() {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < 16) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw failure("cannot generate a random password");
    for (const unsigned char b : bytes)
      // 248 = 4 * 62: bytes above it are dropped so no character is likelier.
      if (b < 248 && out.size() < 16) out += alphabet[b % alphabet.size()];
  }
  return out;
}

std::string read_all(int fd, const std::string& path) {
  std::string text;
  char chunk[4096];
  for (off_t at = 0;;) {
    const auto n = ::pread(fd, chunk, sizeof chunk, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failure("cannot read " + in_quotes(path) + ": " + std::strerror(errno));
    if (n == 0) return text;
    text.append(chunk, static_cast<std::size_t>(n));
    at += n;
  }
}

int run_user_enroll(const user_add_options& o, bool change);

int run_user_add(const user_add_options& o) {
  if (o.ca.empty() == o.users.empty())
    throw failure("give --ca DIR (enroll the user in the overlay) or --users FILE (a node's file)");
  if (!o.ca.empty()) return run_user_enroll(o, false);
  const std::string password = o.password.empty() ? random_password() : o.password;
  // The same rules p2psipd applies when it loads the file, checked before the
  // file is touched: a line it would refuse must never be written.
  if (o.name.empty() || o.name.find_first_of(" \t#\r\n") != std::string::npos)
    throw failure("user \"" + o.name + "\" is not a valid SIP user part");
  if (password.find_first_of(" \t#\r\n") != std::string::npos)
    throw failure("a password cannot contain white space or '#'");
  if (auto one = auth::user_file::parse(o.name + " " + password + "\n");
      auto* bad = std::get_if<auth::user_file::error>(&one))
    throw failure(bad->message);

  int fd = ::open(o.users.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  // umask may have narrowed the mode, never widened it; 0600 is stated again
  // so a permissive umask cannot leave passwords readable.
  if (fd >= 0 && ::fchmod(fd, 0600) != 0) {
    ::close(fd);
    throw failure("cannot set the mode of " + in_quotes(o.users) + ": " + std::strerror(errno));
  }
  if (fd < 0 && errno == EEXIST) fd = ::open(o.users.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw failure("cannot open " + in_quotes(o.users) + ": " + std::strerror(errno));
  struct fd_closer {
    int fd;
    ~fd_closer() { ::close(fd); }
  } closer{fd};
  // Passwords are not added to a file others can read.
  if (const auto why = secrets::exposure(fd, o.users); !why.empty()) throw failure(why);
  // Two `user add` at once would otherwise both miss the other's name.
  if (::flock(fd, LOCK_EX) != 0)
    throw failure("cannot lock " + in_quotes(o.users) + ": " + std::strerror(errno));

  const auto text = read_all(fd, o.users);
  auto current = auth::user_file::parse(text);
  if (auto* bad = std::get_if<auth::user_file::error>(&current))
    throw failure(in_quotes(o.users) + " line " + std::to_string(bad->line) + ": " + bad->message +
                  "; not changing it");
  if (std::get<auth::user_file>(current).password(o.name))
    throw failure("user \"" + o.name + "\" is already in " + in_quotes(o.users));

  const std::string line =
      (text.empty() || text.back() == '\n' ? "" : "\n") + o.name + " " + password + "\n";
  for (std::size_t done = 0; done < line.size();) {
    const auto n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw failure("cannot write " + in_quotes(o.users) + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  std::printf("added %s with password %s to %s\n", o.name.c_str(), password.c_str(),
              o.users.c_str());
  return 0;
}

// ---- enrolled users ---------------------------------------------------------

// Sends `name`'s record to each node's API, which keeps it and stores it in
// the overlay. Returns how many nodes did not take it.
int push_record(const user_add_options& o, const std::string& name,
                const std::vector<std::uint8_t>& record) {
  int failed = 0;
  for (const auto& node : o.nodes) {
    try {
      expect_ok(node, cli::api_request(
                          {node, o.token}, "POST",
                          "/users?user=" + ops::percent_encode(name) + "&record=" + hex(record),
                          std::chrono::seconds(15)));
      std::printf("%s: in the overlay, through the node at %s\n", name.c_str(), node.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "p2psip: %s: %s\n", name.c_str(), e.what());
      ++failed;
    }
  }
  if (o.nodes.empty())
    std::printf("%s: not sent to a node yet: p2psip user push --ca %s --node HOST:PORT %s\n",
                name.c_str(), o.ca.c_str(), name.c_str());
  return failed;
}

// user add --ca (`change` false) and user passwd (true).
int run_user_enroll(const user_add_options& o, bool change) {
  const auto ca = load_ca(o.ca);
  const auto keys = cli::authority_keyring(o.ca, true);
  const auto last = cli::last_record_state(o.ca, ca, keys, o.name);
  const bool enrolled = last && !last->removed;
  if (!change && enrolled)
    throw failure("user \"" + o.name + "\" is already enrolled: p2psip user passwd changes " +
                  "the password");
  if (change && !enrolled) throw failure("user \"" + o.name + "\" is not enrolled");
  const std::string password = o.password.empty() ? random_password() : o.password;
  const auto record = cli::make_user_record(o.ca, ca, keys, o.name, password, o.days);
  std::printf("%s sip:%s@%s with password %s (users key epoch %u)\n",
              change ? "changed the password of" : "enrolled", o.name.c_str(),
              ca.overlay_id().c_str(), password.c_str(), keys.current().epoch);
  return push_record(o, o.name, record) == 0 ? 0 : 1;
}

int run_user_remove(const user_add_options& o) {
  const auto ca = load_ca(o.ca);
  const auto keys = cli::authority_keyring(o.ca, false);
  const auto last = cli::last_record_state(o.ca, ca, keys, o.name);
  if (!last || last->removed) throw failure("user \"" + o.name + "\" is not enrolled");
  // The removal must outlast the record it replaces, wherever that is kept.
  const auto left = last->expires_at - std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();
  const auto days = static_cast<unsigned>(std::max<std::int64_t>(1, left / 86400 + 1));
  const auto record = cli::make_user_record(o.ca, ca, keys, o.name, std::nullopt, days);
  std::printf("removed sip:%s@%s\n", o.name.c_str(), ca.overlay_id().c_str());
  return push_record(o, o.name, record) == 0 ? 0 : 1;
}

int run_user_push(const user_add_options& o, std::vector<std::string> names) {
  if (names.empty()) names = cli::kept_users(o.ca);
  int failed = 0;
  for (const auto& name : names) failed += push_record(o, name, cli::kept_record(o.ca, name));
  return failed == 0 ? 0 : 1;
}

// ---- user link / unlink: public AORs (interwork §4.2, §5.4) ---------------------

struct user_link_options {
  user_add_options user;
  std::string public_aor;
  std::string username;
  std::string password;
  std::string password_file;
};

// The public AOR as the node registers it: a sip: URI with a user, in
// another domain than the overlay's.
std::string checked_public_aor(const std::string& text, const std::string& overlay) {
  const auto u = sip::parse_uri(text);
  if (!u || !u->is_sip() || u->user.empty() || u->host.empty())
    throw failure("\"" + text + "\" is not a sip: AOR with a user (sip:alice@example.com)");
  if (sip::charset::iequals(u->host, overlay))
    throw failure(text + " is in the overlay itself: a public AOR is in another domain");
  if (!u->params.empty() || text.find('?') != std::string::npos)
    throw failure(text + ": an AOR has no parameters or headers");
  return text;
}

int run_user_link(const user_link_options& o, bool link) {
  const auto ca = load_ca(o.user.ca);
  const auto keys = cli::authority_keyring(o.user.ca, false);
  const std::string aor = checked_public_aor(o.public_aor, ca.overlay_id());
  overlay::public_link wanted{.aor = aor};
  if (link) {
    wanted.username = o.username.empty() ? std::string(sip::parse_uri(aor)->user) : o.username;
    wanted.password = o.password;
    if (!o.password_file.empty()) {
      // Read as a secret: refused when others may read it, one line.
      const auto file = secrets::read_private_file(o.password_file);
      if (!file) throw failure(file.error);
      wanted.password = file.text.substr(0, file.text.find_first_of("\r\n"));
    }
    if (wanted.password.empty())
      throw failure("the public registrar's password is needed: --password or --password-file");
  }
  bool found = false;
  const auto record = cli::change_links(o.user.ca, ca, keys, o.user.name, [&](cli::links& links) {
    const auto it =
        std::find_if(links.begin(), links.end(), [&](const auto& l) { return l.aor == aor; });
    found = it != links.end();
    if (found) links.erase(it);
    if (link) links.push_back(wanted);
  });
  if (!link && !found) throw failure(o.user.name + " has no public AOR " + aor);
  std::printf("%s sip:%s@%s %s %s\n", link ? "linked" : "unlinked", o.user.name.c_str(),
              ca.overlay_id().c_str(), link ? "to" : "from", aor.c_str());
  return push_record(o.user, o.user.name, record) == 0 ? 0 : 1;
}

void add_enrollment_options(CLI::App& cmd, user_add_options& o, bool ca_required) {
  auto* ca = cmd.add_option("--ca", o.ca, "The CA directory (the enrollment authority)");
  if (ca_required) ca->required();
  cmd.add_option("--node", o.nodes,
                 "A node's operations API, HOST:PORT, that stores the record (repeatable)");
  cmd.add_option("--api-token", o.token, "The nodes' API token ([api] token)")
      ->envname("P2PSIP_API_TOKEN");
}

void add_user_add(CLI::App& user, runner& run) {
  auto o = std::make_shared<user_add_options>();
  auto* cmd = user.add_subcommand(
      "add", "Enroll a user in the overlay (--ca), or add one to a node's user file (--users)");
  cmd->add_option("--users", o->users, "The user file (created, mode 0600, if absent)");
  cmd->add_option("name", o->name, "User name, the user part of sip:NAME@<domain>")->required();
  cmd->add_option("--password", o->password, "Password (default: 16 random letters and digits)");
  add_enrollment_options(*cmd, *o, false);
  cmd->add_option("--days", o->days, "How long the enrollment lasts (--ca)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 390u));
  cmd->callback([o, &run] { run = [o] { return run_user_add(*o); }; });
}

void add_user_passwd(CLI::App& user, runner& run) {
  auto o = std::make_shared<user_add_options>();
  auto* cmd = user.add_subcommand("passwd", "Change an enrolled user's password");
  cmd->add_option("name", o->name, "User name")->required();
  cmd->add_option("--password", o->password, "Password (default: 16 random letters and digits)");
  add_enrollment_options(*cmd, *o, true);
  cmd->add_option("--days", o->days, "How long the enrollment lasts from now")
      ->capture_default_str()
      ->check(CLI::Range(1u, 390u));
  cmd->callback([o, &run] { run = [o] { return run_user_enroll(*o, true); }; });
}

void add_user_remove(CLI::App& user, runner& run) {
  auto o = std::make_shared<user_add_options>();
  auto* cmd = user.add_subcommand(
      "remove", "Remove an enrolled user: every node refuses them within its [auth] refresh");
  cmd->add_option("name", o->name, "User name")->required();
  add_enrollment_options(*cmd, *o, true);
  cmd->callback([o, &run] { run = [o] { return run_user_remove(*o); }; });
}

void add_user_link(CLI::App& user, runner& run) {
  auto o = std::make_shared<user_link_options>();
  auto* cmd = user.add_subcommand(
      "link",
      "Link a public AOR to an enrolled user: the node serving the user's phone registers "
      "sip:NAME@<overlay> as its contact at the public registrar, through a proxy peer");
  cmd->add_option("name", o->user.name, "User name")->required();
  cmd->add_option("public_aor", o->public_aor, "The public AOR, sip:alice@example.com")->required();
  cmd->add_option("--username", o->username,
                  "The digest user name at the public registrar (default: the AOR's user)");
  auto* password =
      cmd->add_option("--password", o->password, "The password at the public registrar")
          ->envname("P2PSIP_PUBLIC_PASSWORD");
  cmd->add_option("--password-file", o->password_file,
                  "A file (mode 0600) whose first line is that password")
      ->excludes(password);
  add_enrollment_options(*cmd, o->user, true);
  cmd->callback([o, &run] { run = [o] { return run_user_link(*o, true); }; });
}

void add_user_unlink(CLI::App& user, runner& run) {
  auto o = std::make_shared<user_link_options>();
  auto* cmd = user.add_subcommand(
      "unlink", "Unlink a public AOR: the node serving the user removes its binding there");
  cmd->add_option("name", o->user.name, "User name")->required();
  cmd->add_option("public_aor", o->public_aor, "The public AOR")->required();
  add_enrollment_options(*cmd, o->user, true);
  cmd->callback([o, &run] { run = [o] { return run_user_link(*o, false); }; });
}

void add_user_push(CLI::App& user, runner& run) {
  auto o = std::make_shared<user_add_options>();
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = user.add_subcommand(
      "push", "Send the enrolled users' records (all, or those named) to nodes again");
  cmd->add_option("names", *names, "User names (default: every enrolled user)");
  add_enrollment_options(*cmd, *o, true);
  cmd->callback([o, names, &run] { run = [o, names] { return run_user_push(*o, *names); }; });
}

// ---- ca rotate-users-key -----------------------------------------------------

void add_ca_rotate_users_key(CLI::App& ca, runner& run) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = ca.add_subcommand(
      "rotate-users-key", "Add a new users key and seal every enrolled user's record under it");
  cmd->add_option("--dir", *dir, "Directory of the CA")->required();
  cmd->callback([dir, &run] {
    run = [dir] {
      const auto names = cli::rotate_users_key(*dir, load_ca(*dir));
      const auto keys = cli::authority_keyring(*dir, false);
      std::printf("users key epoch %u added to %s; %zu records sealed again\n",
                  keys.current().epoch, (fs::path(*dir) / "users.key").c_str(), names.size());
      std::printf(
          "next: install users.key on every node (mode 0600), then "
          "p2psip user push --ca %s --node HOST:PORT\n",
          dir->c_str());
      return 0;
    };
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"p2psip - operate a P2PSIP overlay"};
  app.require_subcommand(1);
  runner run;

  auto* ca = app.add_subcommand("ca", "The overlay CA: create it, issue and show certificates");
  ca->require_subcommand(1);
  add_ca_init(*ca, run);
  add_ca_issue_user(*ca, run);
  add_ca_issue_node(*ca, run);
  add_ca_sign(*ca, run);
  add_ca_show(*ca, run);
  add_ca_rotate_users_key(*ca, run);

  add_api_command(app, run, "status", "Show a running node's state", run_status);
  add_lookup(app, run);
  add_api_command(app, run, "nodes", "List the overlay nodes a node knows", run_nodes);
  add_api_command(app, run, "bindings", "List the bindings a node holds for its registered phones",
                  run_bindings);

  add_api_command(app, run, "relays",
                  "List the relay agent peers (TURN servers) the overlay knows, and their checks",
                  run_relays);
  add_account(app, run);
  add_node_init(app, run);

  auto* user = app.add_subcommand(
      "user", "SIP users: enrolled in the overlay by its CA, or in a node's user file");
  user->require_subcommand(1);
  add_user_add(*user, run);
  add_user_passwd(*user, run);
  add_user_remove(*user, run);
  add_user_push(*user, run);
  add_user_link(*user, run);
  add_user_unlink(*user, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "p2psip: %s (see --help)\n", e.what());
    return 1;
  }
  try {
    return run ? run() : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "p2psip: %s\n", e.what());
    return 1;
  }
}
