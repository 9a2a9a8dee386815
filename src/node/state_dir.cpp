#include "node/state_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "identity/authority.hpp"
#include "secrets/private_file.hpp"
#include "secrets/random.hpp"

namespace p2psip::node {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Secrets are created 0600 and never replace a file.
void write_new(const fs::path& path, std::string_view text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    throw std::runtime_error("cannot create " + path.string() + ": " +
                             std::system_category().message(errno));
  const auto written = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("cannot write " + path.string());
}

std::string random_password() {
  constexpr std::string_view alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::array<unsigned char, 12> bytes{};
  secrets::fill_random(bytes, "a development password");
  std::string out;
  for (unsigned char b : bytes) out.push_back(alphabet[b % alphabet.size()]);
  return out;
}

}  // namespace

std::variant<peer_identity, std::string> load_peer_identity(const fs::path& state_dir) {
  const auto hint =
      " (issue one with: p2psip ca issue-node --dir CA --node-id ID "
      "--domain-authority --out " +
      (state_dir / "node").string() + ")";
  peer_identity out;
  std::error_code ec;
  const auto ca_path = state_dir / "ca.crt";
  const auto ca_pem = read_text(ca_path);
  if (!ca_pem) return ca_path.string() + ": missing; copy the overlay CA's ca.crt there";
  out.ca = identity::certificate::from_pem(*ca_pem, ec);
  if (ec || !out.ca.is_ca()) return ca_path.string() + ": not a CA certificate";
  const auto cert_path = state_dir / "node.crt";
  const auto cert_pem = read_text(cert_path);
  if (!cert_pem) return cert_path.string() + ": missing" + hint;
  out.signer.cert = identity::certificate::from_pem(*cert_pem, ec);
  if (ec) return cert_path.string() + ": not a certificate: " + ec.message();
  const auto key_path = state_dir / "node.key";
  const auto key_file = secrets::read_private_file(key_path);
  if (key_file.exposed) return key_file.error;
  if (!key_file) return key_path.string() + ": missing" + hint;
  out.signer.key = identity::private_key::from_pem(key_file.text, ec);
  if (ec) return key_path.string() + ": not a private key: " + ec.message();
  return out;
}

std::vector<std::string> create_development_state(const fs::path& state_dir,
                                                  const std::string& overlay) {
  std::vector<std::string> created;
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + state_dir.string() + ": " + ec.message());
  fs::permissions(state_dir, fs::perms::owner_all, fs::perm_options::replace, ec);

  const auto ca_dir = state_dir / "dev-ca";
  if (!fs::exists(ca_dir / "ca.key")) {
    const auto ca = identity::certificate_authority::create(overlay);
    if (const auto e = ca.save(ca_dir))
      throw std::runtime_error("cannot save the CA in " + ca_dir.string() + ": " + e.message());
    created.push_back("a development CA for " + overlay + " in " + ca_dir.string());
  }
  if (!fs::exists(state_dir / "node.crt")) {
    const auto ca = identity::certificate_authority::load(ca_dir, ec);
    if (ec)
      throw std::runtime_error("cannot load the CA in " + ca_dir.string() + ": " + ec.message());
    const auto node = ca.issue_node("dev-node", true);
    write_new(state_dir / "node.key", node.key.to_pem(), 0600);
    write_new(state_dir / "node.crt", node.cert.to_pem(), 0644);
    fs::copy_file(ca_dir / "ca.crt", state_dir / "ca.crt", fs::copy_options::overwrite_existing);
    created.push_back("a node certificate for " + overlay + " in " +
                      (state_dir / "node.crt").string());
  }
  if (!fs::exists(state_dir / "users")) {
    std::string users = "# user password (p2psip user add --users FILE NAME adds one)\n";
    for (const char* name : {"alice", "bob"})
      users += std::string(name) + " " + random_password() + "\n";
    write_new(state_dir / "users", users, 0600);
    created.push_back("a user file with alice and bob in " + (state_dir / "users").string());
  }
  return created;
}

std::string load_or_create_secret(const fs::path& file) {
  const auto current = secrets::read_private_file(file);
  if (current.exposed) throw std::runtime_error(current.error);
  if (current && current.text.size() >= 32) return current.text;
  const auto secret = secrets::random_key(32, "the key of " + file.string());
  std::error_code ec;
  fs::remove(file, ec);
  write_new(file, secret, 0600);
  return secret;
}

}  // namespace p2psip::node
