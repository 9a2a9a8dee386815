// p2psip: the operator's command-line tool. Today it runs the overlay CA:
//   p2psip ca init        --dir DIR --overlay ID
//   p2psip ca issue-user  --dir DIR --aor AOR --out PREFIX [--csr FILE]
//   p2psip ca issue-node  --dir DIR --node-id ID [--domain-authority] --out PREFIX [--csr FILE]
//   p2psip ca show        FILE
// Each subcommand is one options struct, one add_* function that declares it
// and one run_* function that does it; a new command (status, lookup, nodes,
// user add) is added the same way and registered in main().
// Exit code 0 on success, 1 with a one-line message on stderr on failure.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "identity/authority.hpp"
#include "identity/certificate.hpp"
#include "identity/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace p2psip::identity;

// A failure the user can act on; main() prints it as one line and exits 1.
struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

void add_ca_init(CLI::App& ca, std::function<void()>& run) {
  auto o = std::make_shared<ca_init_options>();
  auto* cmd = ca.add_subcommand("init", "Create a new overlay CA (ca.key, ca.crt) in a directory");
  cmd->add_option("--dir", o->dir, "Directory for ca.key and ca.crt (created if needed)")
      ->required();
  cmd->add_option("--overlay", o->overlay, "Overlay id, the SIP domain (e.g. p2psip.test)")
      ->required();
  cmd->add_option("--days", o->days, "Validity of the CA certificate in days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  cmd->callback([o, &run] { run = [o] { run_ca_init(*o); }; });
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

void add_ca_issue_user(CLI::App& ca, std::function<void()>& run) {
  auto o = std::make_shared<ca_issue_user_options>();
  auto* cmd = ca.add_subcommand("issue-user", "Issue a user certificate for an AOR");
  cmd->add_option("--dir", o->dir, "Directory of the CA")->required();
  cmd->add_option("--aor", o->aor, "Address of record, sip:user@<overlay>")->required();
  cmd->add_option("--out", o->out, "Writes PREFIX.crt (and PREFIX.key without --csr)")->required();
  cmd->add_option("--csr", o->csr, "PEM certificate request: certify its key, keep no key here");
  cmd->add_option("--days", o->days, "Validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  cmd->callback([o, &run] { run = [o] { run_ca_issue_user(*o); }; });
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

void run_ca_issue_node(const ca_issue_node_options& o) {
  const auto ca = load_ca(o.dir);
  const std::chrono::hours validity{24 * o.days};
  if (o.csr.empty()) {
    const auto node = ca.issue_node(o.node_id, o.domain_authority, validity);
    write_issued(o.out, node.key, node.cert);
    return;
  }
  std::error_code ec;
  const auto cert =
      ca.issue_node_from_csr(read_file(o.csr), o.node_id, o.domain_authority, ec, validity);
  if (ec) throw failure(in_quotes(o.csr) + ": " + ec.message());
  write_issued(o.out, {}, cert);
}

void add_ca_issue_node(CLI::App& ca, std::function<void()>& run) {
  auto o = std::make_shared<ca_issue_node_options>();
  auto* cmd = ca.add_subcommand("issue-node", "Issue a node certificate");
  cmd->add_option("--dir", o->dir, "Directory of the CA")->required();
  cmd->add_option("--node-id", o->node_id, "Node id ([A-Za-z0-9._-], up to 64)")->required();
  cmd->add_flag("--domain-authority", o->domain_authority,
                "Let the node sign bindings for every AOR of the overlay's domain");
  cmd->add_option("--out", o->out, "Writes PREFIX.crt (and PREFIX.key without --csr)")->required();
  cmd->add_option("--csr", o->csr, "PEM certificate request: certify its key, keep no key here");
  cmd->add_option("--days", o->days, "Validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  cmd->callback([o, &run] { run = [o] { run_ca_issue_node(*o); }; });
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

void add_ca_show(CLI::App& ca, std::function<void()>& run) {
  auto file = std::make_shared<std::string>();
  auto* cmd =
      ca.add_subcommand("show", "Print the names, validity and fingerprint of a certificate");
  cmd->add_option("file", *file, "Certificate file (PEM or DER)")->required();
  cmd->callback([file, &run] { run = [file] { run_ca_show(*file); }; });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"p2psip - operate a P2PSIP overlay"};
  app.require_subcommand(1);
  std::function<void()> run;

  auto* ca = app.add_subcommand("ca", "The overlay CA: create it, issue and show certificates");
  ca->require_subcommand(1);
  add_ca_init(*ca, run);
  add_ca_issue_user(*ca, run);
  add_ca_issue_node(*ca, run);
  add_ca_show(*ca, run);

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
    if (run) run();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "p2psip: %s\n", e.what());
    return 1;
  }
}
