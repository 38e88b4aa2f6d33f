#include "server/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace prisn::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<ClientResponse> HttpGet(const std::string& base_url, const std::string& target,
                               const std::string& token, std::chrono::milliseconds timeout) {
  constexpr std::string_view kScheme = "http://";
  if (!base_url.starts_with(kScheme))
    return Fail(ErrorCode::kInvalid, "only http:// URLs are supported", base_url);
  std::string hostport = base_url.substr(kScheme.size());
  while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return Fail(ErrorCode::kInvalid, "the URL has no port", base_url);
  std::string host = hostport.substr(0, colon);
  std::string port = hostport.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, asio::ip::resolver_base::numeric_host, ec);
  if (ec)
    return Fail(ErrorCode::kInvalid, "cannot resolve " + hostport + ": " + ec.message(), base_url);

  // Asynchronous operations on a private io_context give every step the
  // stream's deadline; run() returns when the exchange is over.
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, hostport);
  req.set(http::field::user_agent, "prisn");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code result;
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const auto&) {
    if (e) {
      result = e;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code e2, size_t) {
      if (e2) {
        result = e2;
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code e3, size_t) { result = e3; });
    });
  });
  io.run();
  if (result == beast::error::timeout)
    return Fail(ErrorCode::kTimeout, "no answer within the deadline", base_url);
  if (result == asio::error::connection_refused)
    return Fail(ErrorCode::kUnavailable, "nothing listens at " + base_url);
  if (result) return Fail(ErrorCode::kUnavailable, result.message(), base_url);
  return ClientResponse{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace prisn::server
