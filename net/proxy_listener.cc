#include "net/proxy_listener.h"

#include <algorithm>
#include <chrono>
#include <future>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/log_throttle.h"

namespace prisn::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Workers::Workers(int threads) {
  for (int i = 0; i < threads; ++i) contexts_.push_back(std::make_unique<asio::io_context>(1));
  for (auto& context : contexts_) {
    threads_.emplace_back([ctx = context.get()] {
      auto guard = asio::make_work_guard(*ctx);
      ctx->run();
    });
  }
}

void Workers::Stop() {
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

bool Workers::OnWorkerThread() const {
  for (const auto& thread : threads_) {
    if (thread.get_id() == std::this_thread::get_id()) return true;
  }
  return false;
}

struct Listener::State {
  State(Workers& w, int home_worker, AcceptHandler handler)
      : workers(w), home(home_worker), acceptor(w.context(home_worker)),
        retry(w.context(home_worker)), on_accept(std::move(handler)) {}
  Workers& workers;
  int home;
  int next = 0;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::chrono::milliseconds pause{0};  // the last back-off; 0 after a success
  LogThrottle failures;                // out of descriptors: one line per 10 s
  AcceptHandler on_accept;
  std::string where;
};

namespace {

void AcceptNext(std::shared_ptr<Listener::State> state) {
  if (!state->acceptor.is_open()) return;
  int worker = state->next;
  state->next = (state->next + 1) % state->workers.size();
  state->acceptor.async_accept(
      state->workers.context(worker),
      [state, worker](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) return;
        if (ec) {
          // Out of descriptors and the like: back off (100 ms, doubling up
          // to 1 s) instead of spinning, and log at a bounded rate.
          state->pause = std::clamp(state->pause * 2, std::chrono::milliseconds(100),
                                    std::chrono::milliseconds(1000));
          uint64_t suppressed = 0;
          if (state->failures.Allow(&suppressed)) {
            spdlog::warn("proxy {}: accept failed: {}; pausing {} ms ({} more since the last "
                         "report)",
                         state->where, ec.message(), state->pause.count(), suppressed);
          }
          state->retry.expires_after(state->pause);
          state->retry.async_wait([state](const boost::system::error_code& wait_ec) {
            if (!wait_ec) AcceptNext(state);
          });
          return;
        }
        state->pause = std::chrono::milliseconds(0);
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        state->on_accept(std::move(socket), worker);
        AcceptNext(state);
      });
}

}  // namespace

Result<std::unique_ptr<Listener>> Listener::Open(Workers& workers, const std::string& address,
                                                 int port, int home, AcceptHandler on_accept) {
  std::string where = fmt::format("{}:{}", address, port);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec || port < 0 || port > 65535) {
    return Fail(ErrorCode::kInvalid, "not an IP address and port", where);
  }
  home %= workers.size();
  auto state = std::make_shared<State>(workers, home, std::move(on_accept));
  state->where = where;
  state->next = home;
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  auto& acceptor = state->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ErrorCode code = ec == asio::error::address_in_use ? ErrorCode::kConflict : ErrorCode::kIo;
    return Fail(code, fmt::format("cannot listen: {}", ec.message()), where);
  }
  asio::post(workers.context(home), [state] { AcceptNext(state); });
  return std::unique_ptr<Listener>(new Listener(std::move(state)));
}

Listener::~Listener() {
  // The acceptor belongs to its loop: close it there, and wait so that the
  // port is free when the destructor returns (a re-bind may follow at once).
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  asio::post(state_->workers.context(state_->home), [state = state_, done] {
    boost::system::error_code ignored;
    state->retry.cancel();
    state->acceptor.close(ignored);
    done->set_value();
  });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    spdlog::warn("proxy {}: listener did not close in time", state_->where);
  }
}

}  // namespace prisn::net
