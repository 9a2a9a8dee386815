// How the transaction layer and its user name a transaction.
#pragma once

#include <cstdint>

namespace p2psip::txn {

// Ids count up from 1 and are never reused; 0 names no transaction
// (send_request() returns it when it refuses).
using transaction_id = std::uint64_t;

}  // namespace p2psip::txn
