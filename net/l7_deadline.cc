// GCC 12 takes Asio's coroutine frame allocation (aligned_alloc, freed by
// its matching aligned delete) for a mismatched new/delete once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "net/l7_deadline.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace prisn::net {

namespace asio = boost::asio;

std::shared_ptr<Deadline> Deadline::Start(const asio::any_io_executor& executor,
                                          asio::ip::tcp::socket& client) {
  auto deadline = std::make_shared<Deadline>(executor, client);
  asio::co_spawn(executor, Watch(deadline), asio::detached);
  return deadline;
}

void Deadline::Arm(Clock::duration timeout, asio::ip::tcp::socket* target) {
  target_ = target ? target : client_;
  upstream_fired_ = false;
  auto at = Clock::now() + timeout;
  // A later deadline needs nothing: the watch re-sleeps when it wakes. Only
  // an earlier one must wake it now.
  bool sooner = at < at_;
  at_ = at;
  if (sooner) timer_.cancel();
}

void Deadline::Stop() {
  stopped_ = true;
  target_ = nullptr;
  timer_.cancel();
}

asio::awaitable<void> Deadline::Watch(std::shared_ptr<Deadline> self) {
  while (!self->stopped_) {
    self->timer_.expires_at(self->at_);
    auto [ec] = co_await self->timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
    if (self->stopped_) co_return;
    if (Clock::now() < self->at_ || !self->target_) continue;
    boost::system::error_code ignored;
    self->target_->close(ignored);
    if (self->target_ != self->client_) {
      self->upstream_fired_ = true;
      self->at_ = Clock::time_point::max();  // until the connection re-arms
    } else {
      co_return;
    }
  }
}

}  // namespace prisn::net
