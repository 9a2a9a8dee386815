#include "transport/detail/tls_context.hpp"

#include <openssl/ssl.h>

#include "secrets/private_file.hpp"

namespace p2psip::transport::detail {

start_error configure_tls(asio::ssl::context& context, const tls_files& files) {
  std::error_code ec;
  if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1)
    return {asio::error::invalid_argument, "tls minimum version"};
  if (!files.certificate.empty()) {
    context.use_certificate_chain_file(files.certificate, ec);
    if (ec) return {ec, "tls certificate " + files.certificate};
  }
  if (!files.private_key.empty()) {
    const auto key = secrets::read_private_file(files.private_key);
    if (key.exposed) return {key.code, key.error};
    if (!key) return {key.code, "tls private key " + files.private_key};
    // OpenSSL checks here that the key matches the certificate.
    context.use_private_key(asio::buffer(key.text), asio::ssl::context::pem, ec);
    if (ec) return {ec, "tls private key " + files.private_key};
  }
  if (!files.ca.empty()) {
    context.load_verify_file(files.ca, ec);
    if (ec) return {ec, "tls ca " + files.ca};
  }
  // SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT: a client must present a
  // valid chain, a server asks for one and accepts phones that have none.
  context.set_verify_mode(files.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
  if (ec) return {ec, "tls verify mode"};
  return {};
}

}  // namespace p2psip::transport::detail
