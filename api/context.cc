#include "api/context.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "util/files.h"

namespace prisn::api {
namespace {

std::vector<std::string> ContextFilePaths(const EnvLookup& env) {
  std::vector<std::string> paths;
  // A state dir names one daemon: the user's own context (another daemon,
  // perhaps the one on the default port) is never consulted for it.
  if (auto dir = env(kEnvStateDir)) return {ContextPathIn(*dir)};
  if (auto user = UserContextPath(env)) paths.push_back(*user);
  return paths;
}

// A listen address as a client reaches it: a wildcard host means this host.
std::string ConnectableAddress(std::string listen) {
  if (listen.starts_with("0.0.0.0:")) return "127.0.0.1" + listen.substr(7);
  if (listen.starts_with("[::]:")) return "[::1]" + listen.substr(4);
  return listen;
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Result<std::optional<ContextFile>> ReadContextFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<ContextFile>{};
    return std::unexpected(text.error());
  }
  auto j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto file = j.is_discarded() ? Fail(ErrorCode::kInvalid, "not JSON")
                               : Decode<ContextFile>(j, DecodeMode::kLenient);
  if (!file) {
    return Fail(ErrorCode::kInvalid,
                "not a prisn context file: expected {\"server\": URL, \"token\": TOKEN} (" +
                    file.error().message + ")",
                path);
  }
  return std::optional<ContextFile>{std::move(*file)};
}

Status WriteContextFile(const std::string& path, const std::string& server,
                        const std::optional<std::string>& token) {
  ContextFile file{server, token};
  if (!file.token) {
    // An unreadable old file is replaced rather than blocking the start.
    if (auto old = ReadContextFile(path); old && *old) file.token = (*old)->token;
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return Fail(ErrorCode::kIo, "cannot create the directory: " + ec.message(), parent.string());
    ::chmod(parent.c_str(), 0700);
  }
  Json j = Json::object();
  j["server"] = file.server;
  if (file.token) j["token"] = *file.token;
  return WriteFileAtomic(path, j.dump(2) + "\n", 0600);
}

Result<Connection> DiscoverConnection(const ConnectionFlags& flags, const EnvLookup& env) {
  Connection c;
  if (!flags.server.empty()) {
    c.server = flags.server;
    c.origin = "--server";
  } else if (auto v = env(kEnvServer); v && !v->empty()) {
    c.server = *v;
    c.origin = kEnvServer;
  }
  if (!flags.token.empty()) {
    c.token = flags.token;
  } else if (auto v = env(kEnvToken); v && !v->empty()) {
    c.token = *v;
  }

  for (const auto& path : ContextFilePaths(env)) {
    if (!c.server.empty() && !c.token.empty()) break;
    auto file = ReadContextFile(path);
    if (!file) return std::unexpected(file.error());
    if (!*file) continue;
    const ContextFile& f = **file;
    if (c.server.empty() && !f.server.empty()) {
      c.server = f.server;
      c.origin = path;
    }
    // A file's token is meant for the file's server: never send it elsewhere.
    bool same_server = f.server.empty() || TrimSlash(f.server) == TrimSlash(c.server);
    if (c.token.empty() && same_server && f.token) c.token = *f.token;
  }

  if (c.server.empty()) {
    auto dir = env(kEnvStateDir);
    auto listen = env(kEnvListen);
    if (dir && !dir->empty() && listen && !listen->empty()) {
      // The address that state dir's daemon listens on (or would, once
      // started): never whatever answers on the default port.
      c.server = "http://" + ConnectableAddress(*listen);
      c.origin = kEnvListen;
    } else {
      c.server = std::string(kDefaultServer);
      c.origin = "default";
    }
  }
  c.server = TrimSlash(std::move(c.server));
  return c;
}

}  // namespace prisn::api
