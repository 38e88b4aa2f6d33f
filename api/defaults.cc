#include "api/defaults.h"

#include <unistd.h>

#include <cstdlib>

namespace prisn::api {

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

Result<std::string> DefaultStateDir(const EnvLookup& env) {
  if (::geteuid() == 0) return std::string("/var/lib/prisn");
  if (auto xdg = env("XDG_STATE_HOME")) return *xdg + "/prisn";
  if (auto home = env("HOME")) return *home + "/.local/state/prisn";
  return Fail(ErrorCode::kInvalid, "neither XDG_STATE_HOME nor HOME is set; pass --state-dir");
}

std::string ContextPathIn(std::string_view state_dir) {
  return std::string(state_dir) + "/context.json";
}

std::optional<std::string> UserContextPath(const EnvLookup& env) {
  if (auto xdg = env("XDG_CONFIG_HOME")) return *xdg + "/prisn/context.json";
  if (auto home = env("HOME")) return *home + "/.config/prisn/context.json";
  return std::nullopt;
}

}  // namespace prisn::api
