#pragma once
// `prisn run` on a machine where no daemon runs yet starts one, the way
// `prisn server start` would: the same binary, the default (or
// PRISN_STATE_DIR) state directory, returning once it answers.

#include <string>

#include "api/client.h"
#include "util/error.h"

namespace prisn::cli {

using api::ApiClient;
using api::Connection;
using api::EnvLookup;

// May a failed connection be fixed by starting a local daemon? Only when the
// server was not named explicitly (--server, PRISN_SERVER) and is on this
// machine's loopback: a daemon elsewhere is never replaced by a local one.
bool MayStartServer(const Connection& connection);

// The state directory a daemon started now would use: PRISN_STATE_DIR, else
// /var/lib/prisn for root, else $XDG_STATE_HOME/prisn or ~/.local/state/prisn.
std::string DefaultStateDirForStart(const EnvLookup& env);

// Runs `/proc/self/exe server start` and waits for it (it returns once the
// daemon answers). Fails kUnavailable with the daemon's own message when it
// could not start. Returns the state directory.
Result<std::string> StartServer();

}  // namespace prisn::cli
