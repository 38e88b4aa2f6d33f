#pragma once
// The HTTP/1.1 transport of the API: Boost.Beast sessions on one Asio
// io_context thread. Each request's head goes to Api::Admit (auth, body
// limit) on the I/O thread; a webhook's head then goes to Api::AdmitHook on
// a worker; the body is read only when admitted, and never past the limit;
// the handler runs on a small worker pool (it may block on SQLite) and the
// response is posted back to the I/O thread. /health is answered on the I/O
// thread so it stays quick while workers are busy.
//
// Anyone who reaches the port can open connections, so they are bounded:
// at most `max_connections` at once and `max_connections_per_peer` from one
// address. A connection over a bound takes the place of the oldest idle one
// (waiting for a request head) in its scope, that peer's or everyone's; when
// none is idle it is answered 503 and closed. A connection must send a whole
// request head within `idle_timeout`, after it opens and after each
// response. Accept errors (out of descriptors) pause accepting instead of
// spinning, and repeated log lines are throttled.
//
// Drain(): stop accepting, close idle connections, let requests in flight
// finish and their responses go out, close those connections; `on_drained`
// runs (on the I/O thread) when the last connection is gone.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "server/api.h"
#include "server/paths.h"
#include "util/error.h"
#include "util/log_throttle.h"

namespace prisn::server {

class Session;

struct HttpServerOptions {
  int workers = 8;  // threads that run API handlers
  int max_connections = 256;
  int max_connections_per_peer = 64;
  std::chrono::milliseconds idle_timeout{10'000};
};

// The connection bounds for an open-file limit of `open_files`: `asked`
// when > 0, else one eighth of the limit (16 to 4096); per peer `asked` or a
// quarter of the total (at least 4, at most the total). Half of the open-file
// limit is kept in reserve for the store, the workloads and their logs, the
// proxies and the accept loop itself: kInvalid when the connections asked
// for would eat into it, saying how to fix it.
Result<HttpServerOptions> ConnectionLimits(int asked_total, int asked_per_peer,
                                           uint64_t open_files);

class HttpServer {
 public:
  // `api` and `io` must outlive the server.
  HttpServer(boost::asio::io_context& io, Api& api, HttpServerOptions options);
  HttpServer(boost::asio::io_context& io, Api& api, int workers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. kConflict when the address is in use, kPermission for
  // a privileged port, kInvalid for an address not on this host. Returns the
  // bound address (the real port when 0 was asked).
  Result<ListenAddress> Listen(const ListenAddress& address);
  // Starts accepting; call once, after Listen.
  void Start();
  // See above. Safe to call more than once; only on the I/O thread.
  void Drain(std::function<void()> on_drained);
  // After the io_context stopped: waits for handlers still running on the
  // pool, closes every connection left (a drain that timed out) and runs the
  // I/O handlers that were pending, so that no session outlives the server.
  void Shutdown();

  // Internal, for sessions (I/O thread only, but pool()).
  Api& api() { return api_; }
  boost::asio::thread_pool& pool() { return pool_; }
  bool draining() const { return draining_; }
  const HttpServerOptions& options() const { return options_; }
  void Register(Session* session);
  // The session's socket is closed: it no longer counts against the bounds.
  void Release(Session* session);
  void Unregister(Session* session);

 private:
  void Accept();
  void OnAcceptError(const boost::system::error_code& ec);
  void Open(boost::asio::ip::tcp::socket socket);
  // Closes the oldest idle session of `peer` (every peer when empty);
  // false when there is none.
  bool EvictIdle(const std::string& peer);
  void Refuse(boost::asio::ip::tcp::socket& socket, const std::string& peer,
              const std::string& why);
  void CheckDrained();

  boost::asio::io_context& io_;
  Api& api_;
  HttpServerOptions options_;
  boost::asio::thread_pool pool_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  std::chrono::milliseconds accept_backoff_{0};
  // I/O thread only.
  std::set<Session*> sessions_;          // every live session object
  int open_ = 0;                         // sessions whose socket is open
  std::map<std::string, int> per_peer_;  // the same, by peer address
  LogThrottle accept_error_log_;
  LogThrottle refuse_log_;
  bool draining_ = false;
  std::function<void()> on_drained_;
};

}  // namespace prisn::server
