#pragma once
// The proxy's threads and listening sockets. Workers owns N event loops, one
// thread each; a Listener accepts on one loop and places each connection on
// the next worker, so a connection lives on one thread and its state needs
// no locks.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "util/error.h"

namespace prisn::net {

class Workers {
 public:
  explicit Workers(int threads);
  ~Workers() { Stop(); }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  int size() const { return static_cast<int>(contexts_.size()); }
  boost::asio::io_context& context(int worker) { return *contexts_[static_cast<std::size_t>(worker)]; }
  // Stops every loop and joins the threads; pending handlers are dropped
  // when the Workers are destroyed. Idempotent.
  void Stop();
  // Whether the calling thread is one of the workers (which must not block).
  bool OnWorkerThread() const;

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
};

// Called on the accepting loop's thread with a socket that belongs to
// `worker`'s loop; it must hand the socket to that loop (co_spawn/post).
using AcceptHandler = std::function<void(boost::asio::ip::tcp::socket socket, int worker)>;

class Listener {
 public:
  // Binds address:port (SO_REUSEADDR) and accepts on worker `home`'s loop
  // (modulo the worker count). kInvalid for a bad address, kConflict when the
  // port is taken, kIo otherwise.
  static Result<std::unique_ptr<Listener>> Open(Workers& workers, const std::string& address,
                                                int port, int home, AcceptHandler on_accept);
  // Stops accepting and closes the socket before returning (the port is free
  // again); connections already accepted go on. Never call from a worker.
  ~Listener();

  struct State;

 private:
  explicit Listener(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace prisn::net
