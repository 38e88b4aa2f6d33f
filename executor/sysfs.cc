#include "executor/sysfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "util/unique_fd.h"

namespace prisn::executor {

Status WriteSysFile(const std::string& path, std::string_view text, bool create) {
  int flags = O_WRONLY | O_TRUNC | O_CLOEXEC | (create ? O_CREAT : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd) return std::unexpected(ErrnoError("open " + path, errno));
  ssize_t n;
  do {
    n = ::write(fd.Get(), text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return std::unexpected(ErrnoError("write '" + std::string(text) + "' to " + path, errno));
  return {};
}

std::optional<std::uint64_t> FindKeyValue(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      std::string_view value = line.substr(key.size() + 1);
      std::uint64_t out = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      if (ec == std::errc()) return out;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> ParseLeadingInt(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) return std::nullopt;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(text.data() + start, text.data() + text.size(), out);
  if (ec != std::errc()) return std::nullopt;
  return out;
}

}  // namespace prisn::executor
