#pragma once
// Small reads and writes of kernel interface files (cgroupfs, procfs), where
// one write() is one command and its errno is the kernel's answer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::executor {

// Writes `text` with a single write(). `create` also creates a missing file
// (fake trees in tests); on cgroupfs the file must exist.
Status WriteSysFile(const std::string& path, std::string_view text, bool create = true);

// The value of `key` in "key value" lines (cpu.stat, memory.events,
// memory.oom_control).
std::optional<std::uint64_t> FindKeyValue(std::string_view text, std::string_view key);

// The first whitespace-delimited token as an integer ("max" and junk: nullopt).
std::optional<std::int64_t> ParseLeadingInt(std::string_view text);

}  // namespace prisn::executor
