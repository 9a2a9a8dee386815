// The message corpus shared by the parser tests: the RFC 4475 and RFC 5118
// torture messages from tests/data, read byte for byte.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "sip/parser.hpp"

namespace p2psip::test {

inline std::filesystem::path data_dir() {
  return P2PSIP_TEST_DATA_DIR;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct named_message {
  std::string name;
  std::string bytes;
};

// Every .dat file under the given data subdirectories, sorted by name.
inline std::vector<named_message> load_messages(std::initializer_list<const char*> dirs) {
  std::vector<named_message> out;
  for (const char* dir : dirs) {
    for (const auto& entry : std::filesystem::directory_iterator(data_dir() / dir)) {
      if (entry.path().extension() != ".dat") continue;
      out.push_back(
          {std::string(dir) + "/" + entry.path().filename().string(), read_file(entry.path())});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// A message parsed as one datagram, with the bytes it views. Held by
// pointer so the views stay valid.
struct parsed_sample {
  std::string bytes;
  sip::message msg;
  sip::parse_result result;
};

inline std::unique_ptr<parsed_sample> parse_sample(std::string bytes) {
  auto s = std::make_unique<parsed_sample>();
  s->bytes = std::move(bytes);
  s->result = sip::parse(s->bytes, s->msg);
  return s;
}

}  // namespace p2psip::test
