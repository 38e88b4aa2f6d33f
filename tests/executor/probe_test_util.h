#pragma once
// Loopback servers for probe tests: a bare listening socket, and an HTTP
// server that answers every request with one status (or never answers).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/loopback_listener.h"
#include "util/unique_fd.h"

namespace prisn::executor::testing {

using prisn::testing::Listener;

// A port nothing listens on: bound, then closed.
inline int FreePort() {
  Listener l;
  return l.port;
}

// Answers every request with `status` (or never answers, when `silent`),
// remembering the request lines.
class HttpServer {
 public:
  explicit HttpServer(int status, bool silent = false) : status_(status), silent_(silent) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return listener_.port; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    std::vector<UniqueFd> held;
    while (!stop_) {
      pollfd p{listener_.fd.Get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      UniqueFd c(::accept4(listener_.fd.Get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c.Get(), buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request.substr(0, request.find("\r\n")));
      }
      if (silent_) {
        held.push_back(std::move(c));
        continue;
      }
      std::string reply = "HTTP/1.1 " + std::to_string(status_) +
                          " X\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody";
      (void)::send(c.Get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }

  Listener listener_;
  int status_;
  bool silent_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace prisn::executor::testing
