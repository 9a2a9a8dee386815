// The record fuzzer starts from its seed corpus (tests/fuzz/corpus/record);
// if the seeds stopped being valid records, say after a change to the
// envelope, the fuzzer would quietly stop reaching the checks after the
// first refusal. So every seed must still be a valid record, judged as the
// fuzzer judges it. tests/fuzz/record_seeds.cpp makes them again.
#include "fuzz/record_seeds.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "overlay/record_codec.hpp"
#include "overlay/record_verifier.hpp"

namespace p2psip::overlay::testing {
namespace {

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(record_fuzzer_seeds, every_seed_is_a_valid_record_at_the_fuzzers_clock) {
  std::error_code ec;
  auto ca = identity::certificate::from_pem(slurp(P2PSIP_RECORD_SEEDS_CA), ec);
  ASSERT_FALSE(ec) << P2PSIP_RECORD_SEEDS_CA;
  record_verifier verifier{fuzz::record_overlay, identity::trust_anchor{ca}};
  std::size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(P2PSIP_RECORD_SEEDS)) {
    const std::string name = entry.path().filename().string();
    const std::string text = slurp(entry.path());
    std::vector<std::uint8_t> bytes(text.begin(), text.end());
    auto env = open(key{}, bytes);
    ASSERT_TRUE(env) << name;
    key k = fuzz::reader_key(env->body);
    checked_value c = verifier.check(k, value{value_id(k, env->body), type_of(env->body), bytes},
                                     fuzz::record_clock(ca));
    EXPECT_EQ(c.status, verdict::valid) << name << ": " << to_string(c.status);
    ++seeds;
  }
  EXPECT_GE(seeds, 8u);
}

}  // namespace
}  // namespace p2psip::overlay::testing
