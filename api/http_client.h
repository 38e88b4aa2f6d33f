#pragma once
// A small synchronous HTTP/1.1 client for prisn's own outbound requests (the
// CLI talking to the daemon, HTTP health probes). Plain http:// and https://
// (TLS verified against the system's CA paths, SNI set, host name checked);
// no proxies, no redirects, no cookies, no compression.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace prisn::api {

struct HttpUrl {
  bool tls = false;    // https
  std::string host;    // a name or an IP address; IPv6 without the brackets
  std::string port;    // digits; 80 or 443 when the URL names none
  std::string target;  // path and query, at least "/"; the fragment dropped
};

// Parses "http(s)://host[:port][/path][?query][#fragment]". kInvalid, saying
// why, for another scheme, an empty host, user info, a bad port, whitespace or
// control characters.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  // Sent as given, in order. Host is added unless present; Content-Length
  // follows the body (none for an empty body but on POST and PUT).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Resolving the name, connecting and the TLS handshake: kTimeout past it.
  std::chrono::milliseconds connect_timeout{5000};
  // The whole request, from the start of Request() to the last body byte.
  std::chrono::milliseconds total_timeout{30000};
  // Bytes of the response body kept; the rest is read and dropped.
  size_t max_body = size_t{64} << 20;
};

struct HttpResponse {
  int status = 0;
  std::string body;        // at most max_body bytes
  bool truncated = false;  // the body was longer than max_body
};

// One connection at a time, kept open while the server allows it and reused
// by the next request to the same scheme, host and port; a request elsewhere
// closes it first. Not thread-safe: one client per thread. Movable.
//
// Request() blocks for at most about total_timeout, except that resolving a
// host name (not an IP address) is bounded only by the system resolver's own
// timeouts. Errors:
//   - kInvalid: the URL does not parse (ParseHttpUrl's message);
//   - kUnavailable: the name does not resolve, or no connection could be
//     made ("connect 127.0.0.1:8080: Connection refused");
//   - kTimeout: connect_timeout or total_timeout passed;
//   - kIo: the exchange on an open connection failed (reset, TLS handshake or
//     verification, an answer that is not HTTP), with the system's message.
// A kept connection the server has closed meanwhile is noticed and replaced,
// and a request that failed on it before any answer byte arrived is sent once
// more on a new connection; a request that failed on a new connection is
// never resent, as it may have reached the server.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> Request(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prisn::api
