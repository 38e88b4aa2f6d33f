#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>

namespace prisn::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);  // waiting for a request head
constexpr auto kBodyTimeout = std::chrono::minutes(5);   // a 64 MiB apply on a slow link
constexpr auto kWriteTimeout = std::chrono::minutes(1);
constexpr uint32_t kHeaderLimit = 16 * 1024;

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer& server) : stream_(std::move(socket)), server_(server) {
    server_.Register(this);
  }
  ~Session() { server_.Unregister(this); }

  void Start() { ReadHead(); }

  // Closes at once when idle; a request in flight finishes and then closes.
  void Drain() {
    if (!busy_) Close();
  }
  void ForceClose() { Close(); }

 private:
  void ReadHead() {
    busy_ = false;
    if (server_.draining()) return Close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // No limit while the head is read, so that a declared Content-Length over
    // the route's limit reaches Admit and gets a 413 that names the limit.
    parser_->body_limit(boost::none);
    stream_.expires_after(kIdleTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHead(ec); });
  }

  void OnHead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    start_ = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    keep_alive_ = req.keep_alive();
    std::optional<uint64_t> length;
    if (auto cl = parser_->content_length()) length = *cl;
    Api::Admission admission = server_.api().Admit(
        method_, target_, std::string_view(req[http::field::authorization]), length);
    if (admission.reject) {
      // The body was not read: the connection cannot carry another request.
      if (!parser_->is_done()) keep_alive_ = false;
      return Respond(std::move(*admission.reject));
    }
    health_ = admission.health;
    // Webhook handlers verify signatures that travel in headers.
    headers_.clear();
    if (target_.starts_with("/v1/hooks/")) {
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers_[name] = std::string(field.value());
      }
    }
    principal_ = admission.principal;
    parser_->body_limit(admission.body_limit);
    stream_.expires_after(kBodyTimeout);
    // A client that waits for "100 Continue" before sending a large body
    // (curl does above 1 MiB) gets it now that the request is admitted.
    if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code e, size_t) { self->OnBody(e); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      uint64_t limit = target_.starts_with("/v1/apply") || target_.starts_with("/v1/diff")
                           ? kApplyBodyLimit
                           : kDefaultBodyLimit;
      return Respond(ErrorResponse(
          413, "too_large",
          "the request body exceeds the " + std::to_string(limit >> 20) + " MiB limit"));
    }
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    if (health_) return Respond(server_.api().Health());
    std::string body = std::move(parser_->get().body());
    auto guard = asio::make_work_guard(stream_.get_executor());
    asio::post(
        server_.pool(), [self = shared_from_this(), guard, body = std::move(body)]() mutable {
          HttpResponse response = self->server_.api().Handle(self->method_, self->target_,
                                                             std::move(body), *self->principal_,
                                                             self->headers_);
          auto executor = self->stream_.get_executor();
          // `self` moves to the I/O thread: the session is always destroyed there.
          asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
            self->Respond(std::move(response));
          });
        });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || (!busy_ && parser_ && !parser_->got_some())) {
      return Close();
    }
    // A malformed request: say so, then close (the stream is out of sync).
    busy_ = true;
    if (method_.empty()) start_ = std::chrono::steady_clock::now();
    keep_alive_ = false;
    Respond(ErrorResponse(ec == http::error::header_limit ? 431 : 400, "invalid",
                          "malformed HTTP request: " + ec.message()));
  }

  void Respond(HttpResponse r) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    server_.api().metrics().ObserveRequest(method_.empty() ? "-" : method_, r.route, r.status,
                                           seconds);
    spdlog::debug("{} {} -> {} ({:.1f} ms)", method_, r.route, r.status, seconds * 1000);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "prisn");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !server_.draining());
    res->prepare_payload();
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        self->OnWritten(ec, res->keep_alive());
                      });
  }

  void OnWritten(beast::error_code ec, bool keep_alive) {
    if (ec || !keep_alive) return Close();
    method_.clear();
    principal_.reset();
    health_ = false;
    ReadHead();
  }

  void Close() {
    busy_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  HttpServer& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string method_;
  std::string target_;
  std::optional<Principal> principal_;
  std::map<std::string, std::string> headers_;  // webhook requests only
  bool keep_alive_ = true;
  bool health_ = false;
  bool busy_ = false;
  std::chrono::steady_clock::time_point start_{};
};

HttpServer::HttpServer(asio::io_context& io, Api& api, int workers)
    : io_(io), api_(api), pool_(static_cast<size_t>(workers)), acceptor_(io) {}

HttpServer::~HttpServer() { Shutdown(); }

Result<ListenAddress> HttpServer::Listen(const ListenAddress& address) {
  beast::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return Fail(ErrorCode::kInvalid, "not an IP address", address.host);
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(address.port));
  auto fail = [&](std::string what) -> Result<ListenAddress> {
    ErrorCode code = ErrorCode::kIo;
    std::string hint;
    if (ec == asio::error::address_in_use) {
      code = ErrorCode::kConflict;
      hint =
          " (another prisn server or another program listens there; choose an address with "
          "--listen)";
    } else if (ec == asio::error::access_denied) {
      code = ErrorCode::kPermission;
      hint = " (ports below 1024 need root)";
    } else if (ec == boost::system::errc::address_not_available) {
      code = ErrorCode::kInvalid;
      hint = " (no interface of this host has that address)";
    }
    return Fail(code, what + " " + address.ToString() + ": " + ec.message() + hint);
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("cannot listen on");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  auto local = acceptor_.local_endpoint(ec);
  if (ec) return fail("cannot read the address of");
  return ListenAddress{local.address().to_string(), local.port()};
}

void HttpServer::Start() { Accept(); }

void HttpServer::Accept() {
  acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      std::make_shared<Session>(std::move(socket), *this)->Start();
    }
    if (!draining_) Accept();
  });
}

void HttpServer::Drain(std::function<void()> on_drained) {
  if (draining_) return;
  draining_ = true;
  on_drained_ = std::move(on_drained);
  beast::error_code ignored;
  acceptor_.close(ignored);
  std::set<Session*> sessions = sessions_;
  for (Session* s : sessions) s->Drain();
  CheckDrained();
}

void HttpServer::Shutdown() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  pool_.join();
  on_drained_ = nullptr;
  std::set<Session*> sessions = sessions_;
  for (Session* s : sessions) s->ForceClose();
  io_.restart();
  io_.poll();
}

void HttpServer::Register(Session* session) { sessions_.insert(session); }

void HttpServer::Unregister(Session* session) {
  sessions_.erase(session);
  CheckDrained();
}

void HttpServer::CheckDrained() {
  if (draining_ && sessions_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

}  // namespace prisn::server
