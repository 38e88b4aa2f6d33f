#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <array>
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

constexpr auto kBodyTimeout = std::chrono::minutes(5);  // a 64 MiB apply on a slow link
// A webhook body (1 MiB at most) from a peer nobody authenticated yet.
constexpr auto kHookBodyTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::minutes(1);
constexpr uint32_t kHeaderLimit = 16 * 1024;
// After answering a request whose body was not read (401, 413), the rest of
// what the client sends is read and dropped for a while before the socket is
// closed: closing on unread data sends a reset, which makes the client's
// system drop our answer before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr uint64_t kLingerBytes = 16ull << 20;
// Accepting again after an error that is not the peer's (out of descriptors
// or memory): the first pause, and the longest.
constexpr auto kAcceptPauseMin = std::chrono::milliseconds(100);
constexpr auto kAcceptPauseMax = std::chrono::milliseconds(1000);

std::string LimitText(uint64_t bytes) {
  return bytes >= (1ull << 20) ? std::to_string(bytes >> 20) + " MiB"
                               : std::to_string(bytes >> 10) + " KiB";
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string peer, HttpServer& server)
      : stream_(std::move(socket)), server_(server), peer_(std::move(peer)) {
    server_.Register(this);
  }
  ~Session() {
    if (!closed_) server_.Release(this);
    server_.Unregister(this);
  }

  void Start() { ReadHead(); }

  // Closes at once when idle; a request in flight finishes and then closes.
  void Drain() {
    if (!busy_ || lingering_) Close();
  }
  void ForceClose() { Close(); }

  const std::string& peer() const { return peer_; }
  // Waiting for a request head (or dropping what follows an answer): may
  // make room for a new connection.
  bool idle() const { return !closed_ && (!busy_ || lingering_); }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

 private:
  void ReadHead() {
    busy_ = false;
    idle_since_ = std::chrono::steady_clock::now();
    if (server_.draining()) return Close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // No limit while the head is read, so that a declared Content-Length over
    // the route's limit reaches Admit and gets a 413 that names the limit.
    parser_->body_limit(boost::none);
    // One deadline for the whole head: a client that trickles it byte by
    // byte is closed as one that sends nothing.
    stream_.expires_after(server_.options().idle_timeout);
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
    if (admission.reject) return Reject(std::move(*admission.reject));
    health_ = admission.health;
    principal_ = admission.principal;
    body_limit_ = admission.body_limit;
    // Beast compares a Content-Length with the body limit only while it reads
    // the head, when no limit is set yet; past the head it counts chunked
    // bodies only. So a declared length is held to the limit here, whatever
    // the route.
    if (length && *length > body_limit_) return Reject(TooLarge());
    headers_.clear();
    if (!admission.hook) return ReadBodyAdmitted(kBodyTimeout);
    // Webhook handlers verify signatures that travel in headers; whether the
    // source exists is a store lookup, done on a worker, before the body.
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers_[name] = std::string(field.value());
    }
    auto guard = asio::make_work_guard(stream_.get_executor());
    asio::post(server_.pool(), [self = shared_from_this(), guard, hook = *admission.hook]() mutable {
      std::optional<HttpResponse> reject = self->server_.api().AdmitHook(hook, self->headers_);
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), reject = std::move(reject)]() mutable {
        if (self->closed_) return;
        if (reject) return self->Reject(std::move(*reject));
        self->ReadBodyAdmitted(kHookBodyTimeout);
      });
    });
  }

  HttpResponse TooLarge() const {
    return ErrorResponse(413, "too_large",
                         "the request body exceeds the " + LimitText(body_limit_) + " limit of " +
                             target_.substr(0, target_.find('?')));
  }

  // An answer without reading the body: the connection cannot carry another
  // request.
  void Reject(HttpResponse response) {
    if (!parser_->is_done()) {
      keep_alive_ = false;
      linger_ = true;
    }
    Respond(std::move(response));
  }

  void ReadBodyAdmitted(std::chrono::steady_clock::duration timeout) {
    parser_->body_limit(body_limit_);
    stream_.expires_after(timeout);
    auto& req = parser_->get();
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
      linger_ = true;
      return Respond(TooLarge());
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
    if (closed_) return;
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
    if (!ec && linger_) return Linger();
    if (ec || !keep_alive) return Close();
    method_.clear();
    principal_.reset();
    health_ = false;
    ReadHead();
  }

  // See kLingerTime: the answer is out; drop what the client still sends,
  // within a time and byte budget, then close.
  void Linger() {
    lingering_ = true;
    idle_since_ = std::chrono::steady_clock::now();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    DropMore();
  }

  void DropMore() {
    stream_.async_read_some(asio::buffer(drop_), [self = shared_from_this()](
                                                     beast::error_code ec, size_t n) {
      self->dropped_ += n;
      if (ec || self->dropped_ >= kLingerBytes) return self->Close();
      self->DropMore();
    });
  }

  void Close() {
    busy_ = false;
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
    server_.Release(this);
  }

  beast::tcp_stream stream_;
  HttpServer& server_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string method_;
  std::string target_;
  std::optional<Principal> principal_;
  std::map<std::string, std::string> headers_;  // webhook requests only
  uint64_t body_limit_ = kDefaultBodyLimit;
  bool keep_alive_ = true;
  bool health_ = false;
  bool busy_ = false;
  bool linger_ = false;     // the answer goes out before the body was read
  bool lingering_ = false;  // dropping what follows it
  bool closed_ = false;
  uint64_t dropped_ = 0;
  std::array<char, 16 * 1024> drop_{};
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point idle_since_{};
};

Result<HttpServerOptions> ConnectionLimits(int asked_total, int asked_per_peer,
                                           uint64_t open_files) {
  HttpServerOptions o;
  const uint64_t budget = open_files / 2;
  if (asked_total > 0) {
    if (static_cast<uint64_t>(asked_total) > budget) {
      return Fail(ErrorCode::kInvalid,
                  "--max-connections " + std::to_string(asked_total) +
                      " needs an open-file limit of at least " + std::to_string(2 * asked_total) +
                      " (it is " + std::to_string(open_files) +
                      "; half is kept for the store, workloads and proxies): raise it "
                      "(ulimit -n, LimitNOFILE= in the service unit) or lower --max-connections");
    }
    o.max_connections = asked_total;
  } else {
    o.max_connections = static_cast<int>(std::clamp<uint64_t>(open_files / 8, 16, 4096));
  }
  if (asked_per_peer > o.max_connections) {
    return Fail(ErrorCode::kInvalid, "--max-connections-per-peer " +
                                         std::to_string(asked_per_peer) +
                                         " is above the total of " +
                                         std::to_string(o.max_connections) +
                                         " (--max-connections)");
  }
  o.max_connections_per_peer = asked_per_peer > 0
                                   ? asked_per_peer
                                   : std::min(o.max_connections, std::max(4, o.max_connections / 4));
  return o;
}

HttpServer::HttpServer(asio::io_context& io, Api& api, HttpServerOptions options)
    : io_(io),
      api_(api),
      options_(options),
      pool_(static_cast<size_t>(std::max(1, options.workers))),
      acceptor_(io),
      accept_retry_(io) {}

HttpServer::HttpServer(asio::io_context& io, Api& api, int workers)
    : HttpServer(io, api, HttpServerOptions{.workers = workers}) {}

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
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return OnAcceptError(ec);
    accept_backoff_ = std::chrono::milliseconds(0);
    Open(std::move(socket));
    if (!draining_) Accept();
  });
}

void HttpServer::OnAcceptError(const boost::system::error_code& ec) {
  // A client that gave up before its connection was taken costs nothing:
  // take the next one at once. Anything else (EMFILE, ENFILE, ENOBUFS,
  // ENOMEM) would fail again right away: pause, longer each time, instead of
  // spinning and logging at full speed.
  if (ec == asio::error::connection_aborted) {
    if (!draining_) Accept();
    return;
  }
  accept_backoff_ = accept_backoff_.count() == 0
                        ? kAcceptPauseMin
                        : std::min(accept_backoff_ * 2, std::chrono::milliseconds(kAcceptPauseMax));
  uint64_t suppressed = 0;
  if (accept_error_log_.Allow(&suppressed)) {
    spdlog::warn("accept failed: {}; pausing new connections for {} ms ({} more such failures "
                 "since the last report; {} connections open)",
                 ec.message(), accept_backoff_.count(), suppressed, open_);
  }
  accept_retry_.expires_after(accept_backoff_);
  accept_retry_.async_wait([this](const boost::system::error_code& e) {
    if (!e && !draining_ && acceptor_.is_open()) Accept();
  });
}

void HttpServer::Open(tcp::socket socket) {
  beast::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // gone already; the socket closes here
  std::string peer = remote.address().to_string();
  auto it = per_peer_.find(peer);
  if (it != per_peer_.end() && it->second >= options_.max_connections_per_peer &&
      !EvictIdle(peer)) {
    return Refuse(socket, peer,
                  "too many connections from this address (at most " +
                      std::to_string(options_.max_connections_per_peer) + ")");
  }
  if (open_ >= options_.max_connections && !EvictIdle("")) {
    return Refuse(socket, peer,
                  "too many connections (at most " + std::to_string(options_.max_connections) +
                      ")");
  }
  std::make_shared<Session>(std::move(socket), std::move(peer), *this)->Start();
}

bool HttpServer::EvictIdle(const std::string& peer) {
  Session* oldest = nullptr;
  for (Session* s : sessions_) {
    if (!s->idle() || (!peer.empty() && s->peer() != peer)) continue;
    if (!oldest || s->idle_since() < oldest->idle_since()) oldest = s;
  }
  if (!oldest) return false;
  oldest->ForceClose();
  return true;
}

void HttpServer::Refuse(tcp::socket& socket, const std::string& peer, const std::string& why) {
  // Written without waiting: a fresh socket's send buffer takes it whole, and
  // a peer that does not read it loses nothing it needs.
  HttpResponse r = ErrorResponse(503, "unavailable", "the server has " + why + ": retry later");
  std::string bytes = "HTTP/1.1 503 Service Unavailable\r\nServer: prisn\r\nContent-Type: " +
                      r.content_type + "\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
                      std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(bytes), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  api_.metrics().ObserveRequest("-", "none", 503, 0);
  uint64_t suppressed = 0;
  if (refuse_log_.Allow(&suppressed)) {
    spdlog::warn("refused a connection from {}: {} ({} more refused since the last report)", peer,
                 why, suppressed);
  }
}

void HttpServer::Drain(std::function<void()> on_drained) {
  if (draining_) return;
  draining_ = true;
  on_drained_ = std::move(on_drained);
  beast::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  std::set<Session*> sessions = sessions_;
  for (Session* s : sessions) s->Drain();
  CheckDrained();
}

void HttpServer::Shutdown() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  pool_.join();
  on_drained_ = nullptr;
  std::set<Session*> sessions = sessions_;
  for (Session* s : sessions) s->ForceClose();
  io_.restart();
  io_.poll();
}

void HttpServer::Register(Session* session) {
  sessions_.insert(session);
  ++open_;
  ++per_peer_[session->peer()];
}

void HttpServer::Release(Session* session) {
  --open_;
  auto it = per_peer_.find(session->peer());
  if (it != per_peer_.end() && --it->second <= 0) per_peer_.erase(it);
}

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
