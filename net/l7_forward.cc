// GCC 12 takes Asio's coroutine frame allocation (aligned_alloc, freed by
// its matching aligned delete) for a mismatched new/delete once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "net/l7_forward.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <vector>

#include "net/asio_tokens.h"
#include "net/l7_deadline.h"
#include "net/proxy_pool.h"

namespace prisn::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

constexpr std::chrono::seconds kConnectTimeout{5};

// How far one exchange with an upstream got before it failed.
enum class Stage { kOk, kConnect, kWrite, kReadNothing, kReadPartial, kTimeout };

struct Exchange {
  Stage stage = Stage::kOk;
  ProxyResponse response;
  bool reusable = false;
};

bool Idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::put:
    case http::verb::delete_:
    case http::verb::trace:
      return true;
    default:
      return false;
  }
}

ProxyResponse ProxyAnswer(http::status status, std::string_view text) {
  ProxyResponse res{status, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.body() = fmt::format("prisn proxy: {}\n", text);
  res.prepare_payload();
  return res;
}

// Headers that describe one connection, not the message (RFC 9110 7.6.1),
// plus whatever the Connection header itself names.
template <class Fields>
void StripHopByHop(Fields& fields) {
  std::vector<std::string> named;
  for (auto token : http::token_list(fields[http::field::connection])) {
    named.emplace_back(token);
  }
  for (const auto& name : named) fields.erase(name);
  for (auto field : {http::field::connection, http::field::keep_alive,
                     http::field::proxy_connection, http::field::te, http::field::trailer,
                     http::field::upgrade, http::field::expect}) {
    fields.erase(field);
  }
}

// Points the connection's deadline back at the client when an exchange ends,
// before the upstream socket is pooled or closed.
struct BackToClient {
  Deadline& deadline;
  std::chrono::steady_clock::duration timeout;
  ~BackToClient() { deadline.Arm(timeout); }
};

// One request/response on `socket`, connecting first when `connect` is set.
awaitable<Exchange> Exchange1(tcp::socket& socket, bool connect, const tcp::endpoint& endpoint,
                              const ProxyRequest& req, const ProxyOptions& options,
                              Deadline& deadline) {
  Exchange out;
  BackToClient back{deadline, options.upstream_timeout};
  auto failed = [&](Stage stage) {
    out.stage = deadline.upstream_timed_out() ? Stage::kTimeout : stage;
  };
  if (connect) {
    deadline.Arm(kConnectTimeout, &socket);
    auto [ec] = co_await socket.async_connect(endpoint, kNoThrow);
    if (ec) {
      failed(Stage::kConnect);
      co_return out;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
  }
  deadline.Arm(options.upstream_timeout, &socket);
  auto [write_ec, written] = co_await http::async_write(socket, req, kNoThrow);
  (void)written;
  if (write_ec) {
    failed(Stage::kWrite);
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(options.max_body_bytes);
  if (req.method() == http::verb::head) parser.skip(true);
  auto [read_ec, read] = co_await http::async_read(socket, buffer, parser, kNoThrow);
  (void)read;
  if (read_ec) {
    failed(parser.got_some() ? Stage::kReadPartial : Stage::kReadNothing);
    co_return out;
  }
  out.response = parser.release();
  // Leftover bytes mean the upstream broke framing: never reuse that socket.
  out.reusable = out.response.keep_alive() && buffer.size() == 0;
  co_return out;
}

// Shapes an upstream's answer for the client: its framing is the proxy's.
void ShapeResponse(ProxyResponse& res, bool head) {
  StripHopByHop(res);
  unsigned status = res.result_int();
  bool bodiless = head || status / 100 == 1 || status == 204 || status == 304;
  if (bodiless) {
    // Keep the upstream's Content-Length (it describes the GET); drop chunking,
    // since no body follows.
    res.erase(http::field::transfer_encoding);
  } else {
    res.prepare_payload();
  }
}

}  // namespace

std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return value;
    }
  }
  return {};
}

awaitable<ProxyResponse> Forward(ProxyRequest req, const ClientInfo& client, L7Site& site) {
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<ServicePool> pool = site.service;
  if (!pool) {
    auto table = site.ingress.With([](auto& t) { return t; });
    const IngressTable::Entry* entry =
        table ? table->Match(req[http::field::host], req.target()) : nullptr;
    if (!entry) co_return ProxyAnswer(http::status::not_found, "no route for this host and path");
    pool = entry->pool;
    if (!pool) {
      co_return ProxyAnswer(http::status::service_unavailable,
                            fmt::format("service {} is not known", entry->route.service_key));
    }
  }
  pool->CountRequest();
  ActiveSession active(*pool);
  auto finish = [&](ProxyResponse res, bool proxy_error) {
    if (proxy_error) pool->CountError();
    pool->latency().Record(std::chrono::steady_clock::now() - start);
    return res;
  };
  if (pool->Empty()) {
    co_return finish(ProxyAnswer(http::status::service_unavailable,
                                 fmt::format("no ready replica of {}", pool->key())),
                     true);
  }

  const bool head = req.method() == http::verb::head;
  const bool idempotent = Idempotent(req.method());
  const bool affinity = pool->cookie_affinity();
  std::string affinity_id;
  if (affinity) affinity_id = std::string(CookieValue(req[http::field::cookie], kAffinityCookie));

  StripHopByHop(req);
  std::string forwarded(req["X-Forwarded-For"]);
  req.set("X-Forwarded-For",
          forwarded.empty() ? client.ip : fmt::format("{}, {}", forwarded, client.ip));
  req.set("X-Forwarded-Proto", client.tls ? "https" : "http");
  if (req.find("X-Forwarded-Host") == req.end() && req.find(http::field::host) != req.end()) {
    req.set("X-Forwarded-Host", req[http::field::host]);
  }
  req.version(11);
  req.keep_alive(true);
  req.prepare_payload();

  auto executor = co_await asio::this_coro::executor;
  std::vector<const UpstreamState*> tried;
  bool timed_out = false;
  for (;;) {
    UpstreamLease lease = pool->Pick(client.key, affinity_id, tried);
    if (!lease) break;
    const std::shared_ptr<UpstreamState>& upstream = lease.shared();
    tcp::socket socket(executor);
    bool reused = false;
    if (auto idle = upstream->TakeIdle(client.worker)) {
      socket = std::move(*idle);
      reused = true;
    }
    Exchange ex = co_await Exchange1(socket, !reused, upstream->endpoint(), req, site.options,
                                     *client.deadline);
    if (reused && (ex.stage == Stage::kWrite || ex.stage == Stage::kReadNothing)) {
      // The upstream closed the idle connection before our request reached it.
      tcp::socket fresh(executor);
      ex = co_await Exchange1(fresh, true, upstream->endpoint(), req, site.options,
                              *client.deadline);
      if (ex.stage == Stage::kOk && ex.reusable) upstream->PutIdle(client.worker, std::move(fresh));
    } else if (ex.stage == Stage::kOk && ex.reusable) {
      upstream->PutIdle(client.worker, std::move(socket));
    }
    if (ex.stage == Stage::kOk) {
      ShapeResponse(ex.response, head);
      if (affinity && affinity_id != upstream->upstream().id) {
        ex.response.insert(http::field::set_cookie,
                           fmt::format("{}={}; Path=/; HttpOnly", kAffinityCookie,
                                       upstream->upstream().id));
      }
      co_return finish(std::move(ex.response), false);
    }
    upstream->CountFailure();
    tried.push_back(upstream.get());
    if (ex.stage == Stage::kTimeout) {
      timed_out = true;
      break;
    }
    // Nothing of a response came back: an idempotent request may go elsewhere.
    bool nothing_done = ex.stage == Stage::kConnect || ex.stage == Stage::kWrite ||
                        ex.stage == Stage::kReadNothing;
    if (!idempotent || !nothing_done) break;
  }
  if (timed_out) {
    co_return finish(ProxyAnswer(http::status::gateway_timeout, "the upstream did not answer"),
                     true);
  }
  co_return finish(ProxyAnswer(http::status::bad_gateway,
                               fmt::format("no replica of {} answered", pool->key())),
                   true);
}

}  // namespace prisn::net
