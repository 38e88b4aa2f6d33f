#include "api/http_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <charconv>
#include <string>
#include <vector>

namespace prisn::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using SysError = boost::system::error_code;
using Message = http::request<http::string_body>;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos || text.find('\0') != text.npos;
}

// What one send-and-read on an open connection came to.
struct Attempt {
  SysError error;
  bool sent = false;      // the whole request was written
  bool answered = false;  // some of the answer arrived before `error`
  HttpResponse response;
  bool keep_alive = false;
};

// The peer closing the connection: on a kept connection this is the server
// having dropped it while idle, so the request never reached it.
bool PeerClosed(const SysError& e) {
  return e == http::error::end_of_stream || e == asio::error::eof ||
         e == asio::error::connection_reset || e == asio::error::broken_pipe ||
         e == ssl::error::stream_truncated;
}

long long MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  auto bad = [url](std::string_view why) {
    return Fail(ErrorCode::kInvalid, fmt::format("not an http(s) URL: \"{}\": {}", url, why));
  };
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad("it contains whitespace or a control character");
    }
  }
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("no scheme (expected http:// or https://)");
  std::string scheme(url.substr(0, sep));
  std::ranges::transform(scheme, scheme.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  HttpUrl out;
  if (scheme == "https") {
    out.tls = true;
  } else if (scheme != "http") {
    return bad("the scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  tail = tail.substr(0, tail.find('#'));
  out.target = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");

  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("the host has '[' without ']'");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the bracketed host");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != authority.npos) {
      return bad("an IPv6 address must be in brackets");
    }
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) return bad("no host");
  if (has_port && !port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value < 1 || value > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    out.port = std::to_string(value);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  return out;
}

struct HttpClient::Impl {
  asio::io_context io{1};
  std::unique_ptr<ssl::context> tls;  // made by the first https request
  // The open connection: one of these, or neither.
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  std::string peer;           // "scheme://host:port" of the open connection
  beast::flat_buffer buffer;  // bytes read past the last answer

  // Every operation is asynchronous with a deadline on its stream, so this
  // returns once each has completed, failed or timed out.
  void Run() {
    io.restart();
    io.run();
  }

  bool Open() const { return plain || secure; }
  beast::tcp_stream& Lowest() { return plain ? *plain : secure->next_layer(); }

  void Close() {
    plain.reset();
    secure.reset();
    buffer.clear();
    peer.clear();
  }

  // False when the peer has closed the kept connection (or sent bytes nobody
  // asked for), so that it is replaced before sending rather than after.
  bool StillOpen() {
    if (buffer.size() != 0) return false;
    char byte = 0;
    ssize_t n = ::recv(Lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    // TLS may deliver a session ticket after the handshake: only a read tells.
    return n > 0 && secure != nullptr;
  }

  Status Connect(const HttpUrl& url, Clock::time_point started, Clock::time_point deadline);
  template <class Stream>
  Attempt Exchange(Stream& stream, const Message& request, size_t max_body);
};

Status HttpClient::Impl::Connect(const HttpUrl& url, Clock::time_point started,
                                 Clock::time_point deadline) {
  std::string where = url.host.find(':') != std::string::npos
                          ? fmt::format("[{}]:{}", url.host, url.port)
                          : fmt::format("{}:{}", url.host, url.port);
  auto timed_out = [&] {
    return Fail(ErrorCode::kTimeout, fmt::format("connect {}: timed out after {}ms", where,
                                                 MsBetween(started, Clock::now())));
  };
  SysError error;
  std::vector<Tcp::endpoint> endpoints;
  auto port = static_cast<unsigned short>(std::stoul(url.port));
  asio::ip::address address = asio::ip::make_address(url.host, error);
  bool is_address = !error;
  if (is_address) {
    endpoints.emplace_back(address, port);
  } else {
    // Blocking: asio cannot abandon a getaddrinfo call (see the header).
    Tcp::resolver resolver(io);
    auto results = resolver.resolve(url.host, url.port, Tcp::resolver::numeric_service, error);
    if (error) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("resolve {}: {}", url.host, error.message()));
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  if (Clock::now() >= deadline) return timed_out();

  auto stream = std::make_unique<beast::tcp_stream>(io);
  stream->expires_at(deadline);
  stream->async_connect(endpoints,
                        [&error](const SysError& e, const Tcp::endpoint&) { error = e; });
  Run();
  if (error == beast::error::timeout) return timed_out();
  if (error) {
    return Fail(ErrorCode::kUnavailable, fmt::format("connect {}: {}", where, error.message()));
  }
  // Requests are small and each waits for its answer: no Nagle delay.
  stream->socket().set_option(Tcp::no_delay(true), error);
  if (!url.tls) {
    plain = std::move(stream);
    return {};
  }

  if (!tls) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    context->set_default_verify_paths(error);
    if (error) {
      return Fail(ErrorCode::kIo, "loading the system's CA certificates: " + error.message());
    }
    context->set_verify_mode(ssl::verify_peer);
    tls = std::move(context);
  }
  auto tls_stream =
      std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), *tls);
  // SNI carries names only (RFC 6066); the certificate is checked either way.
  if (!is_address && SSL_set_tlsext_host_name(tls_stream->native_handle(), url.host.c_str()) != 1) {
    return Fail(ErrorCode::kIo, fmt::format("TLS with {}: cannot set the server name", where));
  }
  tls_stream->set_verify_callback(ssl::host_name_verification(url.host));
  tls_stream->async_handshake(ssl::stream_base::client, [&error](const SysError& e) { error = e; });
  Run();
  if (error == beast::error::timeout) return timed_out();
  if (error) {
    return Fail(ErrorCode::kIo, fmt::format("TLS handshake with {}: {}", where, error.message()));
  }
  secure = std::move(tls_stream);
  return {};
}

template <class Stream>
Attempt HttpClient::Impl::Exchange(Stream& stream, const Message& request, size_t max_body) {
  Attempt out;
  SysError error;
  auto done = [&error](const SysError& e, size_t) { error = e; };
  http::async_write(stream, request, done);
  Run();
  if (error) {
    out.error = error;
    return out;
  }
  out.sent = true;

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // only max_body bytes are kept, the rest is dropped
  if (request.method() == http::verb::head) parser.skip(true);
  http::async_read_header(stream, buffer, parser, done);
  Run();
  out.answered = parser.got_some();
  if (error) {
    out.error = error;
    return out;
  }
  std::array<char, 16 * 1024> chunk;
  std::string& body = out.response.body;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    http::async_read(stream, buffer, parser, done);
    Run();
    if (error == http::error::need_buffer) error = {};
    if (error) {
      out.error = error;
      return out;
    }
    size_t got = chunk.size() - parser.get().body().size;
    size_t room = max_body - std::min(max_body, body.size());
    body.append(chunk.data(), std::min(got, room));
    if (got > room) out.response.truncated = true;
  }
  out.response.status = static_cast<int>(parser.get().result_int());
  out.keep_alive = parser.keep_alive();
  return out;
}

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

Result<HttpResponse> HttpClient::Request(const HttpRequest& request) {
  Clock::time_point started = Clock::now();
  Clock::time_point deadline = started + request.total_timeout;
  Clock::time_point connect_deadline = std::min(started + request.connect_timeout, deadline);
  auto url = ParseHttpUrl(request.url);
  if (!url) return std::unexpected(std::move(url.error()));
  if (request.method.empty() || !std::ranges::all_of(request.method, IsTokenChar)) {
    return Fail(ErrorCode::kInvalid, fmt::format("not an HTTP method: \"{}\"", request.method));
  }

  Message message;
  message.method_string(request.method);
  message.target(url->target);
  message.version(11);
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || !std::ranges::all_of(name, IsTokenChar) || HasLineBreak(value)) {
      return Fail(ErrorCode::kInvalid, fmt::format("not a valid HTTP header: \"{}\"", name));
    }
    message.insert(name, value);
  }
  if (message.find(http::field::host) == message.end()) {
    std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    bool default_port = url->port == (url->tls ? "443" : "80");
    message.set(http::field::host, default_port ? host : host + ":" + url->port);
  }
  message.body() = request.body;
  message.prepare_payload();

  Impl& impl = *impl_;
  std::string peer = fmt::format("{}://{}:{}", url->tls ? "https" : "http", url->host, url->port);
  bool reused = impl.Open() && impl.peer == peer && impl.StillOpen();
  if (!reused) impl.Close();
  for (;;) {
    if (!reused) {
      if (auto connected = impl.Connect(*url, started, connect_deadline); !connected) {
        impl.Close();
        return std::unexpected(std::move(connected.error()));
      }
      impl.peer = peer;
    }
    impl.Lowest().expires_at(deadline);
    Attempt attempt = impl.plain ? impl.Exchange(*impl.plain, message, request.max_body)
                                 : impl.Exchange(*impl.secure, message, request.max_body);
    if (!attempt.error) {
      if (attempt.keep_alive) {
        impl.Lowest().expires_never();
      } else {
        impl.Close();
      }
      return std::move(attempt.response);
    }
    impl.Close();
    if (attempt.error == beast::error::timeout) {
      return Fail(ErrorCode::kTimeout,
                  fmt::format("no complete answer within {}ms", MsBetween(started, Clock::now())));
    }
    if (reused && !attempt.answered && PeerClosed(attempt.error)) {
      reused = false;  // once: the next attempt is on a new connection
      continue;
    }
    return Fail(ErrorCode::kIo,
                fmt::format("{}: {}", attempt.sent ? "reading the answer" : "sending the request",
                            attempt.error.message()));
  }
}

}  // namespace prisn::api
