#pragma once
// Where the CLI finds the daemon: the server URL and the API token.
//
// Each of the two settings is taken from the first place that has it:
//   1. the flags `--server URL` / `--token T`;
//   2. the environment `PRISN_SERVER` / `PRISN_TOKEN`;
//   3. `$PRISN_STATE_DIR/context.json` (the file the daemon writes at start);
//      with PRISN_STATE_DIR set and no server there, `http://$PRISN_LISTEN`:
//      a state dir names one daemon, so the user's own context file and the
//      default port are not consulted for it;
//   4. `$XDG_CONFIG_HOME/prisn/context.json`, or `~/.config/prisn/context.json`
//      when XDG_CONFIG_HOME is unset.
// A context file's token is only used together with the server named in the
// same file (or when the file names none), so a token never travels to a
// server it was not issued by.
// context.json is `{"server": "http://127.0.0.1:7373", "token": "prisn_..."}`,
// mode 0600; the daemon writes it at start (ReadContextFile/WriteContextFile).
// With no server named anywhere the daemon's default address is used, so that
// a missing daemon is reported as "no prisn server answers at ...".

#include <optional>
#include <string>
#include <tuple>

#include "api/codec.h"
#include "api/defaults.h"
#include "util/error.h"

namespace prisn::api {

struct ContextFile {
  std::string server;
  std::optional<std::string> token;
};
constexpr auto Fields(std::type_identity<ContextFile>) {
  return std::tuple{Field{"server", &ContextFile::server}, Field{"token", &ContextFile::token}};
}

// nullopt when the file does not exist; kInvalid when it exists but is not the
// documented JSON (silently skipping it would connect somewhere the user did
// not mean).
Result<std::optional<ContextFile>> ReadContextFile(const std::string& path);
// Writes `server` and, when given, `token`; without a token the one already in
// the file is kept. Creates the parent directory (0700). Atomic, mode 0600.
Status WriteContextFile(const std::string& path, const std::string& server,
                        const std::optional<std::string>& token);

struct ConnectionFlags {
  std::string server;  // --server; empty when not given
  std::string token;   // --token; empty when not given
};

struct Connection {
  std::string server;  // base URL without a trailing slash
  std::string token;   // may be empty: the server then answers 401
  std::string origin;  // where the server URL came from, for error messages
};

// Reads one environment variable; nullopt when unset. Tests pass a map.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment.
EnvLookup ProcessEnv();

// Resolves the connection in the order above. Fails (kInvalid) only when a
// context file exists but is not valid JSON of the documented shape; a missing
// file is skipped.
Result<Connection> DiscoverConnection(const ConnectionFlags& flags, const EnvLookup& env);

}  // namespace prisn::api
