#pragma once
// Whole-file reads and crash-safe writes (temp file, fsync, rename).

#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn {

// True when `path` names something stat() can see (a dangling symlink is not).
bool PathExists(const std::string& path);

Result<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically: a reader sees the old or the new
// content, never a mix, and after return the new content survives a crash.
Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);

}  // namespace prisn
