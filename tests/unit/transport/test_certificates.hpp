// A throwaway PKI for the TLS tests, made with the OpenSSL API: a CA and a
// server certificate it signs, written as PEM files to a fresh directory
// that is removed again.
#pragma once

#include <filesystem>
#include <string>

namespace p2psip::transport::test {

class test_pki {
 public:
  // `name` goes into the CA's common name, so two PKIs differ.
  explicit test_pki(const std::string& name);
  ~test_pki();
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  std::string ca_certificate() const { return (dir_ / "ca.pem").string(); }
  // Valid for 127.0.0.1 and ::1, signed by the CA.
  std::string certificate() const { return (dir_ / "server.pem").string(); }
  std::string private_key() const { return (dir_ / "server.key").string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace p2psip::transport::test
