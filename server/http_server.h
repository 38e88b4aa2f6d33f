#pragma once
// The HTTP/1.1 transport of the API: Boost.Beast sessions on one Asio
// io_context thread. Each request's head goes to Api::Admit (auth, body
// limit) on the I/O thread; the body is read only when admitted; the handler
// runs on a small worker pool (it may block on SQLite) and the response is
// posted back to the I/O thread. /health is answered on the I/O thread so it
// stays quick while workers are busy.
//
// Drain(): stop accepting, close idle connections, let requests in flight
// finish and their responses go out, close those connections; `on_drained`
// runs (on the I/O thread) when the last connection is gone.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <set>

#include "server/api.h"
#include "server/paths.h"
#include "util/error.h"

namespace prisn::server {

class Session;

class HttpServer {
 public:
  // `api` and `io` must outlive the server.
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

  // Internal, for sessions.
  Api& api() { return api_; }
  boost::asio::thread_pool& pool() { return pool_; }
  bool draining() const { return draining_; }
  void Register(Session* session);
  void Unregister(Session* session);

 private:
  void Accept();
  void CheckDrained();

  boost::asio::io_context& io_;
  Api& api_;
  boost::asio::thread_pool pool_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::set<Session*> sessions_;  // I/O thread only
  bool draining_ = false;
  std::function<void()> on_drained_;
};

}  // namespace prisn::server
