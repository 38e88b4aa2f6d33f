// GCC 12 takes Asio's coroutine frame allocation (aligned_alloc, freed by
// its matching aligned delete) for a mismatched new/delete once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "net/l7_session.h"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "net/l7_deadline.h"

namespace prisn::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kHandshakeTimeout{10};
constexpr std::chrono::seconds kShutdownTimeout{2};

ClientInfo Describe(const tcp::socket& socket, int worker, bool tls) {
  ClientInfo info;
  info.worker = worker;
  info.tls = tls;
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) return info;
  auto address = remote.address();
  info.ip = address.to_string();
  if (address.is_v4()) {
    info.key = address.to_v4().to_uint();
  } else {
    for (auto byte : address.to_v6().to_bytes()) info.key = info.key * 131 + byte;
  }
  return info;
}

template <class Stream>
awaitable<void> WriteBadRequest(Stream& client, std::string_view why) {
  ProxyResponse res{http::status::bad_request, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = "prisn proxy: bad request: " + std::string(why) + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  co_await http::async_write(client, res, kNoThrow);
}

// Serves requests until the client closes, stops keep-alive, idles out or
// breaks the protocol.
template <class Stream>
awaitable<void> Serve(Stream& client, const ClientInfo& info, L7Site& site) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(site.options.max_body_bytes);
    info.deadline->Arm(site.options.idle_timeout);
    auto [header_ec, header_bytes] = co_await http::async_read_header(client, buffer, parser,
                                                                      kNoThrow);
    (void)header_bytes;
    if (header_ec) {
      if (parser.got_some() && header_ec != asio::error::operation_aborted) {
        co_await WriteBadRequest(client, header_ec.message());
      }
      co_return;
    }
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      auto [ec, n] = co_await http::async_write(client, go_on, kNoThrow);
      (void)n;
      if (ec) co_return;
    }
    info.deadline->Arm(site.options.upstream_timeout);
    auto [body_ec, body_bytes] = co_await http::async_read(client, buffer, parser, kNoThrow);
    (void)body_bytes;
    if (body_ec) {
      if (body_ec != asio::error::operation_aborted) co_await WriteBadRequest(client, body_ec.message());
      co_return;
    }
    ProxyRequest req = parser.release();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    ProxyResponse res = co_await Forward(std::move(req), info, site);
    res.version(version);
    res.keep_alive(keep_alive);
    info.deadline->Arm(site.options.upstream_timeout);
    auto [write_ec, written] = co_await http::async_write(client, res, kNoThrow);
    (void)written;
    if (write_ec || !keep_alive) break;
  }
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    boost::system::error_code ignored;
    client.shutdown(tcp::socket::shutdown_send, ignored);
  }
}

// Ends the watch however the session ends, before its sockets go away.
struct StopDeadline {
  std::shared_ptr<Deadline> deadline;
  ~StopDeadline() { deadline->Stop(); }
};

awaitable<void> PlainSession(tcp::socket client, int worker, std::shared_ptr<L7Site> site) {
  ClientInfo info = Describe(client, worker, false);
  StopDeadline stop{Deadline::Start(client.get_executor(), client)};
  info.deadline = stop.deadline.get();
  co_await Serve(client, info, *site);
}

awaitable<void> TlsSession(tcp::socket socket, int worker, std::shared_ptr<L7Site> site) {
  ClientInfo info = Describe(socket, worker, true);
  asio::ssl::stream<tcp::socket> client(std::move(socket), *site->tls);
  StopDeadline stop{Deadline::Start(client.get_executor(), client.next_layer())};
  info.deadline = stop.deadline.get();
  info.deadline->Arm(kHandshakeTimeout);
  auto [handshake_ec] = co_await client.async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (handshake_ec) co_return;
  co_await Serve(client, info, *site);
  info.deadline->Arm(kShutdownTimeout);
  auto [shutdown_ec] = co_await client.async_shutdown(kNoThrow);
  (void)shutdown_ec;
}

}  // namespace

void StartL7Session(tcp::socket client, int worker, std::shared_ptr<L7Site> site) {
  auto executor = client.get_executor();
  if (site->tls) {
    asio::co_spawn(executor, TlsSession(std::move(client), worker, std::move(site)),
                   asio::detached);
  } else {
    asio::co_spawn(executor, PlainSession(std::move(client), worker, std::move(site)),
                   asio::detached);
  }
}

}  // namespace prisn::net
