#pragma once
// One timer per L7 connection instead of one per read and write: the
// connection moves a deadline forward (a store, no system call) and names the
// socket to close when it passes (the client while reading or writing it,
// the upstream while waiting for an answer). A watch coroutine sleeps until
// the deadline and re-sleeps when it has moved. Worker-thread only.

#include <chrono>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace prisn::net {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts watching on `executor`; `client` must outlive Stop().
  static std::shared_ptr<Deadline> Start(const boost::asio::any_io_executor& executor,
                                         boost::asio::ip::tcp::socket& client);

  // Closes `target` (default: the client) `timeout` from now unless re-armed.
  void Arm(std::chrono::steady_clock::duration timeout,
           boost::asio::ip::tcp::socket* target = nullptr);
  // Whether the deadline closed an upstream socket since the last Arm.
  bool upstream_timed_out() const { return upstream_fired_; }
  // Ends the watch; call before the sockets go away.
  void Stop();

  explicit Deadline(const boost::asio::any_io_executor& executor,
                    boost::asio::ip::tcp::socket& client)
      : timer_(executor), client_(&client) {}

 private:
  static boost::asio::awaitable<void> Watch(std::shared_ptr<Deadline> self);

  boost::asio::steady_timer timer_;
  boost::asio::ip::tcp::socket* client_;
  boost::asio::ip::tcp::socket* target_ = nullptr;
  Clock::time_point at_ = Clock::time_point::max();
  bool upstream_fired_ = false;
  bool stopped_ = false;
};

}  // namespace prisn::net
