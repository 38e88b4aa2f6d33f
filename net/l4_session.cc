// GCC 12 takes Asio's coroutine frame allocation (aligned_alloc, freed by
// its matching aligned delete) for a mismatched new/delete once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "net/l4_session.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "net/asio_tokens.h"
#include "net/proxy_pool.h"

namespace prisn::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

// Copies from -> to. On end of stream the write side of `to` is shut down
// (the peer sees the half-close); on any error both sockets close, which
// ends the other direction too.
awaitable<void> Pump(tcp::socket& from, tcp::socket& to) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [read_ec, n] = co_await from.async_read_some(asio::buffer(buffer), kNoThrow);
    if (n > 0) {
      auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                                            kNoThrow);
      (void)written;
      if (write_ec) break;
    }
    if (read_ec == asio::error::eof) {
      boost::system::error_code ignored;
      to.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (read_ec) break;
  }
  boost::system::error_code ignored;
  from.close(ignored);
  to.close(ignored);
}

awaitable<void> Session(tcp::socket client, std::shared_ptr<ServicePool> pool) {
  auto start = std::chrono::steady_clock::now();
  pool->CountRequest();
  ActiveSession active(*pool);
  tcp::socket upstream(client.get_executor());
  std::vector<const UpstreamState*> tried;
  UpstreamLease lease;
  std::uint64_t client_key = 0;
  boost::system::error_code remote_ec;
  auto remote = client.remote_endpoint(remote_ec);
  if (!remote_ec && remote.address().is_v4()) client_key = remote.address().to_v4().to_uint();
  for (;;) {
    lease = pool->Pick(client_key, {}, tried);
    if (!lease) break;
    auto [ec] = co_await upstream.async_connect(lease->endpoint(), kNoThrow);
    if (!ec && lease->in_pool()) break;
    // Refused, or drained while connecting: the next one.
    if (ec) lease->CountFailure();
    boost::system::error_code ignored;
    upstream.close(ignored);
    tried.push_back(lease.get());
    lease.Reset();
  }
  if (!lease) {
    pool->CountError();
    co_return;
  }
  pool->latency().Record(std::chrono::steady_clock::now() - start);
  boost::system::error_code ignored;
  upstream.set_option(tcp::no_delay(true), ignored);
  using namespace asio::experimental::awaitable_operators;
  co_await (Pump(client, upstream) && Pump(upstream, client));
}

}  // namespace

void StartL4Session(tcp::socket client, std::shared_ptr<ServicePool> pool) {
  auto executor = client.get_executor();
  asio::co_spawn(executor, Session(std::move(client), std::move(pool)), asio::detached);
}

}  // namespace prisn::net
