#pragma once
// Helpers for the proxy tests: a small HTTP upstream that answers with its
// own id (thread per connection, blocking), a one-shot HTTP client, free
// ports and polling with a deadline.

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace prisn::net::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Polls `condition` until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

// A port the kernel considers free on `address` right now.
inline int FreePort(const std::string& address) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(address), 0));
  return acceptor.local_endpoint().port();
}

// Answers every request with 200, body "<id>\n", and headers X-Upstream (its
// id), X-Seen-XFF and X-Seen-Method. Requests whose path starts with /hold
// wait until Release(). Stop() closes the listener and every connection.
class TestUpstream {
 public:
  explicit TestUpstream(std::string id, std::string address = "127.0.0.1")
      : id_(std::move(id)), acceptor_(io_, tcp::endpoint(asio::ip::make_address(address), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestUpstream() { Stop(); }

  const std::string& id() const { return id_; }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }
  int held() const { return held_.load(); }
  int connections() const { return connections_.load(); }

  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
      released_ = true;
      cv_.notify_all();
      ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  void AcceptLoop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      std::lock_guard lock(mutex_);
      if (ec || stopped_) return;
      open_fds_.push_back(socket.native_handle());
      threads_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
    }
  }

  void Serve(tcp::socket socket) {
    connections_++;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      requests_++;
      if (req.target().starts_with("/hold")) {
        held_++;
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return released_; });
        held_--;
        if (stopped_) break;
      }
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set("X-Upstream", id_);
      res.set("X-Seen-XFF", req["X-Forwarded-For"]);
      res.set("X-Seen-Method", std::string(req.method_string()));
      res.keep_alive(req.keep_alive());
      res.body() = id_ + "\n";
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    std::lock_guard lock(mutex_);
    std::erase(open_fds_, socket.native_handle());
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::string id_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
  bool stopped_ = false;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::atomic<int> requests_{0};
  std::atomic<int> held_{0};
  std::atomic<int> connections_{0};
};

struct Reply {
  int status = 0;  // 0: the connection failed
  std::string body;
  std::map<std::string, std::string> headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request on a fresh connection (Connection: close).
inline Reply Request(const std::string& address, int port, const std::string& target,
                     http::verb method = http::verb::get, const std::string& host = "test",
                     std::map<std::string, std::string> headers = {}) {
  Reply reply;
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address(address), static_cast<unsigned short>(port)),
                 ec);
  if (ec) return reply;
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.keep_alive(false);
  req.prepare_payload();
  http::write(socket, req, ec);
  if (ec) return reply;
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  if (method == http::verb::head) parser.skip(true);
  http::read(socket, buffer, parser, ec);
  if (ec) return reply;
  auto res = parser.release();
  reply.status = res.result_int();
  reply.body = res.body();
  for (const auto& field : res) reply.headers[std::string(field.name_string())] = field.value();
  return reply;
}

inline Reply Get(const std::string& address, int port, const std::string& target = "/",
                 const std::string& host = "test") {
  return Request(address, port, target, http::verb::get, host);
}

}  // namespace prisn::net::testing
