// While alive, OpenSSL's RAND_bytes fails: what code does without random
// bytes can then be tested. The RAND_METHOD hook is deprecated in OpenSSL 3
// but still consulted by RAND_bytes, and nothing else makes it fail on
// demand.
#pragma once

#include <openssl/rand.h>

namespace p2psip::test_support {

class failing_random {
 public:
  failing_random() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    previous_ = RAND_get_rand_method();
    RAND_set_rand_method(&method_);
#pragma GCC diagnostic pop
  }
  ~failing_random() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    RAND_set_rand_method(previous_);
#pragma GCC diagnostic pop
  }
  failing_random(const failing_random&) = delete;
  failing_random& operator=(const failing_random&) = delete;

 private:
  static int no_bytes(unsigned char*, int) {
    return 0;
  }
  static int not_seeded() {
    return 0;
  }

  RAND_METHOD method_{nullptr, no_bytes, nullptr, nullptr, no_bytes, not_seeded};
  const RAND_METHOD* previous_ = nullptr;
};

}  // namespace p2psip::test_support
