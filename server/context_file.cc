#include "server/context_file.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server/paths.h"
#include "util/files.h"

namespace prisn::server {

Result<std::optional<ContextFile>> ReadContextFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<ContextFile>();
    return std::unexpected(text.error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || (j.contains("server") && !j["server"].is_string()) ||
      (j.contains("token") && !j["token"].is_string() && !j["token"].is_null())) {
    return Fail(ErrorCode::kInvalid,
                "not a prisn context file ({\"server\": URL, \"token\": TOKEN})", path);
  }
  ContextFile c;
  c.server = j.value("server", "");
  if (j.contains("token") && j["token"].is_string()) c.token = j["token"].get<std::string>();
  return std::optional<ContextFile>(c);
}

Status WriteContextFile(const std::string& path, const std::string& server,
                        const std::optional<std::string>& token) {
  std::optional<std::string> keep = token;
  if (!keep) {
    // An unreadable old file is replaced rather than blocking the start.
    if (auto old = ReadContextFile(path); old && *old) keep = (*old)->token;
  }
  std::string parent = std::filesystem::path(path).parent_path().string();
  if (!parent.empty()) {
    if (auto st = MakeDirs(parent, 0700); !st) return st;
  }
  nlohmann::ordered_json j;
  j["server"] = server;
  if (keep) j["token"] = *keep;
  return WriteFileAtomic(path, j.dump(2) + "\n", 0600);
}

}  // namespace prisn::server
