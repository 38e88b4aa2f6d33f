#include "cli/context.h"

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "util/files.h"

namespace prisn::cli {
namespace {

struct ContextFile {
  std::string server;
  std::string token;
};

// nullopt when the file does not exist; an error when it exists but is unusable,
// since silently skipping it would connect somewhere the user did not mean.
Result<std::optional<ContextFile>> ReadContextFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<ContextFile>{};
    return std::unexpected(text.error());
  }
  auto j = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kInvalid,
                "not a context file: expected {\"server\": URL, \"token\": TOKEN}", path);
  }
  ContextFile out;
  for (auto [key, field] : {std::pair{"server", &out.server}, std::pair{"token", &out.token}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return Fail(ErrorCode::kInvalid, fmt::format("\"{}\" must be a string", key), path);
    }
    *field = it->get<std::string>();
  }
  return std::optional<ContextFile>{std::move(out)};
}

std::vector<std::string> ContextFilePaths(const EnvLookup& env) {
  std::vector<std::string> paths;
  auto non_empty = [&](std::string_view name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  };
  // A state dir names one daemon: the user's own context (another daemon,
  // perhaps the one on the default port) is never consulted for it.
  if (auto dir = non_empty("PRISN_STATE_DIR")) return {*dir + "/context.json"};
  if (auto xdg = non_empty("XDG_CONFIG_HOME")) {
    paths.push_back(*xdg + "/prisn/context.json");
  } else if (auto home = non_empty("HOME")) {
    paths.push_back(*home + "/.config/prisn/context.json");
  }
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

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<Connection> DiscoverConnection(const ConnectionFlags& flags, const EnvLookup& env) {
  Connection c;
  if (!flags.server.empty()) {
    c.server = flags.server;
    c.origin = "--server";
  } else if (auto v = env("PRISN_SERVER"); v && !v->empty()) {
    c.server = *v;
    c.origin = "PRISN_SERVER";
  }
  if (!flags.token.empty()) {
    c.token = flags.token;
  } else if (auto v = env("PRISN_TOKEN"); v && !v->empty()) {
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
    if (c.token.empty() && same_server) c.token = f.token;
  }

  if (c.server.empty()) {
    auto dir = env("PRISN_STATE_DIR");
    auto listen = env("PRISN_LISTEN");
    if (dir && !dir->empty() && listen && !listen->empty()) {
      // The address that state dir's daemon listens on (or would, once
      // started): never whatever answers on the default port.
      c.server = "http://" + ConnectableAddress(*listen);
      c.origin = "PRISN_LISTEN";
    } else {
      c.server = std::string(kDefaultServer);
      c.origin = "default";
    }
  }
  c.server = TrimSlash(std::move(c.server));
  return c;
}

}  // namespace prisn::cli
