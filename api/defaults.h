#pragma once
// Where a client and a daemon meet when nothing is configured: the default
// listen address, the environment variables both read, the default state
// directory and the user's context file. The daemon and the CLI read these
// from here only, so they never disagree about where the other one is.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::api {

inline constexpr std::string_view kDefaultListen = "127.0.0.1:7373";
inline constexpr std::string_view kDefaultServer = "http://127.0.0.1:7373";

// The environment both sides read (docs/CLI.md "Connecting").
inline constexpr std::string_view kEnvServer = "PRISN_SERVER";
inline constexpr std::string_view kEnvToken = "PRISN_TOKEN";
inline constexpr std::string_view kEnvStateDir = "PRISN_STATE_DIR";
inline constexpr std::string_view kEnvListen = "PRISN_LISTEN";

// Reads one environment variable; nullopt when unset or empty. Tests pass a
// map instead of the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnv();

// /var/lib/prisn for root; $XDG_STATE_HOME/prisn, else ~/.local/state/prisn.
// kInvalid when neither XDG_STATE_HOME nor HOME is set for another user.
// (PRISN_STATE_DIR and --state-dir come first; their callers check them.)
Result<std::string> DefaultStateDir(const EnvLookup& env = ProcessEnv());

// The context file a daemon writes into its state directory.
std::string ContextPathIn(std::string_view state_dir);

// The user's own context file: $XDG_CONFIG_HOME/prisn/context.json, else
// ~/.config/prisn/context.json; nullopt when neither variable is set.
std::optional<std::string> UserContextPath(const EnvLookup& env = ProcessEnv());

}  // namespace prisn::api
