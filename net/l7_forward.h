#pragma once
// L7 forwarding of one HTTP request: route it (a service listener's pool, or
// the Ingress table), pick an upstream, send the request over a pooled
// keep-alive connection or a new one, and shape the answer for the client.
//
// Retries: a pooled connection that the upstream had closed is replaced by a
// fresh one (the upstream never saw the request). A refused connect, or a
// connection reset before any byte of response, moves an idempotent request
// (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) to the next upstream, each at most
// once; other methods get 502. The proxy answers 404 when no Ingress route
// matches, 503 when the pool is empty, 504 when the upstream times out.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/ingress_routes.h"
#include "net/proxy.h"
#include "util/synchronized.h"

namespace prisn::net {

class ServicePool;

// What one L7 listener serves; shared by its connections.
struct L7Site {
  std::shared_ptr<ServicePool> service;  // a service listener; null for Ingress
  Synchronized<std::shared_ptr<const IngressTable>> ingress;  // Ingress only
  std::shared_ptr<boost::asio::ssl::context> tls;             // set: TLS
  ProxyOptions options;
};

class Deadline;

struct ClientInfo {
  std::string ip;           // for X-Forwarded-For
  std::uint64_t key = 0;    // for ip-hash
  bool tls = false;         // X-Forwarded-Proto
  int worker = 0;           // the loop this connection runs on
  Deadline* deadline = nullptr;  // the connection's timer; Forward re-arms it
};

inline constexpr const char* kAffinityCookie = "prisn-affinity";

using ProxyRequest = boost::beast::http::request<boost::beast::http::string_body>;
using ProxyResponse = boost::beast::http::response<boost::beast::http::string_body>;

// The response to send to the client, with hop-by-hop headers removed and
// Content-Length set; the caller sets its version and keep-alive.
boost::asio::awaitable<ProxyResponse> Forward(ProxyRequest request, const ClientInfo& client,
                                              L7Site& site);

// The value of cookie `name` in a Cookie header; empty when absent.
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);

}  // namespace prisn::net
