// The OpenSSL context every TLS connection of a layer shares, built from
// PEM files.
#pragma once

#include <asio/ssl/context.hpp>

#include "transport/config.hpp"
#include "transport/transport_layer.hpp"

namespace p2psip::transport::detail {

// TLS 1.2 at least (RFC 8996 retires the older versions). Loads the
// certificate chain and key when given, trusts `ca`, and with verify_peer
// verifies the peer as tls_files describes.
start_error configure_tls(asio::ssl::context& context, const tls_files& files);

}  // namespace p2psip::transport::detail
