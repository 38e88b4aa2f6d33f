#pragma once
// `prisn server status -o json`: what the binary itself prints about the
// daemon of a state directory, from the pid file, /health and /v1/state.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "api/codec.h"

namespace prisn::api {

// No daemon runs on the state directory (exit status 1).
struct ServerStopped {
  bool running = false;
  std::string state_dir;
};
constexpr auto Fields(std::type_identity<ServerStopped>) {
  return std::tuple{Field{"running", &ServerStopped::running},
                    Field{"stateDir", &ServerStopped::state_dir}};
}

// A daemon runs and answers. objects and index are null without a token to
// ask /v1/state with.
struct ServerRunning {
  bool running = true;
  std::string state_dir;
  int64_t pid = 0;
  std::string server;  // the URL it listens on
  std::string version;
  double uptime_seconds = 0;
  std::optional<int64_t> objects;
  std::optional<int64_t> index;
};
constexpr auto Fields(std::type_identity<ServerRunning>) {
  using S = ServerRunning;
  return std::tuple{Field{"running", &S::running}, Field{"stateDir", &S::state_dir},
                    Field{"pid", &S::pid},         Field{"server", &S::server},
                    Field{"version", &S::version}, Field{"uptimeSeconds", &S::uptime_seconds},
                    Field{"objects", &S::objects}, Field{"index", &S::index}};
}

}  // namespace prisn::api
