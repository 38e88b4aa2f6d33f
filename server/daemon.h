#pragma once
// The daemon's lifecycle: `prisn server start | stop | status`.
//
// start: creates the state directory (0700), takes the pid file lock (a
// second daemon on the same state directory is refused, naming the pid),
// then — unless foreground — forks and detaches (setsid) BEFORE any thread
// exists. The child opens and migrates the store, creates the secret key and,
// at first start, the admin token; binds the listener; writes the context
// file(s); and reports "ready" (or its error) through a pipe, so that the
// parent returns only once the API answers, or fails with the daemon's error.
// SIGTERM/SIGINT drain: no new connections, requests in flight finish, then
// the store is closed and the pid file removed.

#include <string>
#include <vector>

namespace prisn::server {

struct StartOptions {
  std::string state_dir;  // empty: PRISN_STATE_DIR, else the default
  std::string listen;     // empty: PRISN_LISTEN, else 127.0.0.1:7373
  bool foreground = false;
  int revision_limit = 10;
  std::string log_level = "info";
  int workers = 8;  // threads that run API handlers (a log wait holds one)
  // Service addresses come from this /16 of 127.0.0.0/8 (net/service_address.h).
  std::string service_range = "127.77.0.0";
  // The DNS server: "auto" (the range's .0.1, port 53), "off", or ADDRESS:PORT.
  std::string dns_listen = "auto";
  // Run attempts alive at once (reconciler::ConvergeOptions::max_running_runs);
  // 0: one per 16 open-file descriptors the daemon may hold, 32 to 256.
  int max_running_runs = 0;
  // Host users (isolation.user) that namespace tokens may name; admin tokens
  // may name any. Empty: host users are admin-only (server/auth.h).
  std::vector<std::string> allow_host_users;
  // API connections open at once, and from one peer address; 0: from the
  // open-file limit (server/http_server.h ConnectionLimits). A connection
  // that sends no whole request head within `idle_timeout` seconds (after it
  // opens, after each response) is closed.
  int max_connections = 0;
  int max_connections_per_peer = 0;
  int idle_timeout = 10;
  // Each git fetch of a source is given up after this many seconds (its
  // connections after at most 15 s); that many sources sync at once.
  int source_fetch_timeout = 300;
  int source_parallel = 4;
};

// Exit codes: 0 ok, 2 error (the message is printed to stderr).
int StartServer(const StartOptions& options);
// 0 when stopped or not running; 2 on error or timeout.
int StopServer(const std::string& state_dir, int timeout_seconds);
// 0 running, 1 not running, 2 running but not answering or error.
int ServerStatus(const std::string& state_dir, bool json);

}  // namespace prisn::server
