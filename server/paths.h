#pragma once
// Where the daemon keeps things, and how its address is written. Every path
// can be set by flag or environment so that many daemons run side by side.

#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn::server {

inline constexpr std::string_view kDefaultListen = "127.0.0.1:7373";

// Reads one environment variable; nullopt when unset or empty.
std::optional<std::string> Env(const char* name);

// /var/lib/prisn for root; $XDG_STATE_HOME/prisn, else ~/.local/state/prisn.
// Fails kInvalid when neither XDG_STATE_HOME nor HOME is set for a non-root
// user.
Result<std::string> DefaultStateDir();

// $XDG_CONFIG_HOME/prisn/context.json, else ~/.config/prisn/context.json;
// nullopt when neither variable is set.
std::optional<std::string> UserContextPath();

struct StatePaths {
  std::string dir;
  std::string db;        // prisn.db
  std::string key;       // secret.key (0600)
  std::string pid;       // prisn.pid (flock held by the running daemon)
  std::string context;   // context.json (0600)
  std::string log_dir;   // logs/
  std::string log_file;  // logs/prisn.log
};
StatePaths PathsFor(const std::string& state_dir);

// Whether a state directory may be started on, checked before anything is
// created in it. Fresh: the directory is missing or holds nothing prisn made
// but what a failed start leaves (prisn.pid, logs/prisn.log, and the caches
// every start makes afresh: envs/, run/, resolv.conf). What only a daemon
// that ran leaves (prisn.db, its -wal/-shm, secret.key, context.json,
// sources/, workload logs under logs/) is history. A directory with history must hold a non-empty prisn.db and
// secret.key: starting without the database would be a silent fresh install
// (a new admin token, every object gone), and a new key would leave every
// stored Secret undecryptable. Fails kNotFound then, naming what is missing
// and how to restore it; kIo when the directory cannot be read.
struct StateDirState {
  bool fresh = false;
};
Result<StateDirState> CheckStateDir(const StatePaths& paths);

// The state directory a command uses: --state-dir, else PRISN_STATE_DIR,
// else the default. `is_default` tells whether the default was taken.
struct StateDirChoice {
  std::string dir;
  bool is_default = false;
};
Result<StateDirChoice> ChooseStateDir(const std::string& flag_value);

struct ListenAddress {
  std::string host;              // numeric IPv4 or IPv6 address
  int port = 0;                  // 0: pick a free port
  std::string ToString() const;  // "127.0.0.1:7373", "[::1]:7373"
};

// "HOST:PORT", "[V6]:PORT" or ":PORT" (127.0.0.1). kInvalid with an example.
Result<ListenAddress> ParseListen(std::string_view text);

// Creates `dir` and missing parents; the last component, when created here,
// gets `mode`. Fails kInvalid when `dir` exists and is not a directory.
Status MakeDirs(const std::string& dir, int mode);

}  // namespace prisn::server
