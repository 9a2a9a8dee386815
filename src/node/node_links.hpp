// The links between the nodes of an overlay: mutual TLS with the
// certificates the overlay CA issues. A node presents its node certificate
// (state_dir/node.crt) and trusts the overlay CA (state_dir/ca.crt); a peer
// whose certificate chains to that CA and names a node
// (urn:p2psip:node:<id>) is another node of the overlay. A phone on the same
// listener presents none, or one that names no node, and stays a phone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "transport/config.hpp"

namespace p2psip::node {

// Whether a leaf certificate whose chain already verified against the
// overlay CA is a node's: a user's certificate (SAN sip:...) is not.
bool is_node_certificate(std::span<const std::uint8_t> leaf_der);

// The TLS files of a peer from its state directory, verifying peers and
// authenticating nodes with is_node_certificate.
transport::tls_files node_link_tls(const std::filesystem::path& state_dir);

}  // namespace p2psip::node
