#include "secrets/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace p2psip::secrets {
namespace {

std::string mode_text(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

class file_descriptor {
 public:
  explicit file_descriptor(int fd) : fd_(fd) {}
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

private_text unreadable(const std::filesystem::path& path) {
  const int e = errno;
  return {{},
          "cannot read " + path.string() + ": " + std::strerror(e),
          std::error_code(e, std::generic_category()),
          false};
}

}  // namespace

std::string exposure(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "cannot stat " + path.string() + ": " + std::strerror(errno);
  if ((st.st_mode & 077) == 0) return {};
  return path.string() + ": group or others may access this secret (mode " + mode_text(st.st_mode) +
         "; fix it with: chmod 600 " + path.string() + ")";
}

private_text read_private_file(const std::filesystem::path& path) {
  // The mode is checked on the file that is then read, not on a name that
  // could be replaced in between.
  const file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return unreadable(path);
  if (auto why = exposure(fd.get(), path); !why.empty())
    return {{}, std::move(why), std::make_error_code(std::errc::permission_denied), true};
  private_text out;
  std::array<char, 4096> chunk{};
  for (;;) {
    const auto n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unreadable(path);
    if (n == 0) return out;
    out.text.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

}  // namespace p2psip::secrets
