// What a peer keeps in its state directory:
//   ca.crt       the overlay CA's certificate, the trust anchor
//   node.crt     this node's certificate (issued with the overlay's name:
//   node.key     the node may sign bindings of the domain), and its key
//   flow.secret  the key of this node's flow tokens, so tokens published
//                before a restart still lead to their phones
//   dht/         OpenDHT's node id and routing table
// A development node creates all of these on its first start, with its own
// CA in dev-ca/; an operator's node is given them (p2psip ca issue-node).
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "identity/certificate.hpp"
#include "overlay/record_store.hpp"

namespace p2psip::node {

struct peer_identity {
  identity::certificate ca;
  overlay::signer signer;
};

// The identity in `state_dir`; on failure, one line naming the file and
// what to do about it (node.key must be private: mode 0600).
std::variant<peer_identity, std::string> load_peer_identity(const std::filesystem::path& state_dir);

// Creates what a development node needs and does not have yet: a CA for
// `overlay`, a node certificate entitled to the domain, a user file with
// alice and bob. Returns one line per thing created. Throws
// std::runtime_error when a file cannot be written or no random bytes can
// be had.
std::vector<std::string> create_development_state(const std::filesystem::path& state_dir,
                                                  const std::string& overlay);

// The flow-token key in `file`, 32 random bytes made (mode 0600) when absent.
// Throws std::runtime_error naming the file when group or others may access
// it, or when no random bytes can be had.
std::string load_or_create_secret(const std::filesystem::path& file);

}  // namespace p2psip::node
