#pragma once
// The context file a client reads to find the daemon without flags:
// {"server": "http://127.0.0.1:7373", "token": "prisn_..."} (mode 0600).

#include <optional>
#include <string>

#include "util/error.h"

namespace prisn::server {

struct ContextFile {
  std::string server;
  std::optional<std::string> token;
};

// nullopt when the file does not exist; kInvalid when it is not the
// documented JSON.
Result<std::optional<ContextFile>> ReadContextFile(const std::string& path);

// Writes `server` and, when given, `token`; without a token the one already in
// the file is kept. Creates the parent directory (0700). Atomic, mode 0600.
Status WriteContextFile(const std::string& path, const std::string& server,
                        const std::optional<std::string>& token);

}  // namespace prisn::server
