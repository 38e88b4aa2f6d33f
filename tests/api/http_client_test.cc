#include "api/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/l7_tls.h"
#include "tests/common/loopback_listener.h"
#include "util/files.h"
#include "util/unique_fd.h"

namespace prisn::api {
namespace {

using namespace std::chrono_literals;

// What the test server does with one request.
enum class ServerReply {
  kAnswer,           // answers and keeps the connection open
  kAnswerThenClose,  // answers (without saying so) and closes, as at an idle timeout
  kClose,            // closes without answering
  kSilent,           // never answers, keeps the connection open
};

using prisn::testing::Listener;

// A loopback HTTP/1.1 server, one connection at a time, doing what `script`
// says for request `request` (from 0) on connection `connection` (from 0).
class ScriptedServer {
 public:
  using Script = std::function<ServerReply(int connection, int request)>;
  ScriptedServer(Script script, int status = 200, std::string body = "hello")
      : script_(std::move(script)), status_(status), body_(std::move(body)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return listener_.port; }
  int connections() const { return connections_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string url(std::string_view target = "/") const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(target);
  }

 private:
  // False when stopping or the peer closed.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  // One request, head and Content-Length body; empty when the peer closed.
  std::string ReadRequest(int fd, std::string& pending) {
    for (;;) {
      size_t head_end = pending.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        if (size_t at = pending.find("Content-Length: ");
            at != std::string::npos && at < head_end) {
          length = std::stoul(pending.substr(at + 16));
        }
        if (pending.size() >= head_end + 4 + length) {
          std::string request = pending.substr(0, head_end + 4 + length);
          pending.erase(0, request.size());
          return request;
        }
      }
      if (!WaitReadable(fd)) return {};
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      pending.append(buf, static_cast<size_t>(n));
    }
  }

  void Serve() {
    while (!stop_) {
      if (!WaitReadable(listener_.fd.Get())) return;
      UniqueFd c(::accept4(listener_.fd.Get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c) continue;
      int connection = connections_++;
      std::string pending;
      for (int request = 0;; ++request) {
        std::string text = ReadRequest(c.Get(), pending);
        if (text.empty()) break;
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(text);
        }
        ServerReply reply = script_(connection, request);
        if (reply == ServerReply::kClose) break;
        if (reply == ServerReply::kSilent) {
          while (WaitReadable(c.Get())) {
            char buf[4096];
            if (::recv(c.Get(), buf, sizeof buf, 0) <= 0) break;
          }
          break;
        }
        std::string answer = "HTTP/1.1 " + std::to_string(status_) +
                             " Whatever\r\nContent-Type: text/plain\r\nContent-Length: " +
                             std::to_string(body_.size()) + "\r\n\r\n" + body_;
        // No Catch assertion here: Catch is not thread-safe. A short send
        // fails the client's request, which the test checks.
        if (::send(c.Get(), answer.data(), answer.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(answer.size()))
          break;
        if (reply == ServerReply::kAnswerThenClose) break;
      }
    }
  }

  Listener listener_;
  Script script_;
  int status_;
  std::string body_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

ServerReply AlwaysAnswer(int, int) { return ServerReply::kAnswer; }

HttpRequest GetRequest(std::string url, std::chrono::milliseconds timeout = 5s) {
  HttpRequest r;
  r.url = std::move(url);
  r.connect_timeout = timeout;
  r.total_timeout = timeout;
  return r;
}

}  // namespace

TEST_CASE("ParseHttpUrl splits scheme, host, port and target, with defaults") {
  auto plain = ParseHttpUrl("http://127.0.0.1:8080/v1/x?a=b#frag");
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == "8080");
  CHECK(plain->target == "/v1/x?a=b");
  auto secure = ParseHttpUrl("HTTPS://example.com");
  REQUIRE(secure);
  CHECK(secure->tls);
  CHECK(secure->port == "443");
  CHECK(secure->target == "/");
  auto v6 = ParseHttpUrl("http://[::1]?q=1");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "80");
  CHECK(v6->target == "/?q=1");
}

TEST_CASE("ParseHttpUrl rejects what is not an http(s) URL as invalid, saying why") {
  for (std::string_view url :
       {"ftp://host/", "http//host", "http://", "http://:80/", "http://host:0/",
        "http://host:65536/", "http://host:8o/", "http://user@host/", "http://a b/", "http://::1/",
        "http://[::1/", "http://[::1]x/"}) {
    INFO(url);
    auto r = ParseHttpUrl(url);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalid);
    CHECK_THAT(r.error().message, Catch::Contains(std::string(url)));
  }
}

TEST_CASE("HttpClient sends method, target, headers and body and returns status and body") {
  ScriptedServer server(AlwaysAnswer, 404, "not here");
  HttpClient client;
  HttpRequest r = GetRequest(server.url("/a/b?c=d"));
  r.method = "POST";
  r.headers = {{"X-Test", "1"}, {"User-Agent", "prisn-test"}};
  r.body = "ping";
  auto answer = client.Request(r);
  REQUIRE(answer);
  CHECK(answer->status == 404);
  CHECK(answer->body == "not here");
  CHECK_FALSE(answer->truncated);
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].starts_with("POST /a/b?c=d HTTP/1.1\r\n"));
  CHECK_THAT(requests[0], Catch::Contains("X-Test: 1\r\n"));
  CHECK_THAT(requests[0], Catch::Contains("User-Agent: prisn-test\r\n"));
  CHECK_THAT(requests[0], Catch::Contains("Host: 127.0.0.1:" + std::to_string(server.port())));
  CHECK(requests[0].ends_with("\r\n\r\nping"));
}

TEST_CASE("HttpClient reuses the kept connection for the next request") {
  ScriptedServer server(AlwaysAnswer);
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto answer = client.Request(GetRequest(server.url()));
    REQUIRE(answer);
    CHECK(answer->body == "hello");
  }
  CHECK(server.requests().size() == 3);
  CHECK(server.connections() == 1);
}

TEST_CASE("HttpClient reconnects when the server closed the kept connection") {
  ScriptedServer server([](int connection, int) {
    return connection == 0 ? ServerReply::kAnswerThenClose : ServerReply::kAnswer;
  });
  HttpClient client;
  REQUIRE(client.Request(GetRequest(server.url())));
  auto second = client.Request(GetRequest(server.url()));
  REQUIRE(second);
  CHECK(second->status == 200);
  CHECK(server.connections() == 2);
}

TEST_CASE("HttpClient resends once on a new connection a request the kept one dropped unanswered") {
  // The idle-timeout race: the server takes the request, then closes.
  ScriptedServer server([](int connection, int request) {
    return connection == 0 && request == 1 ? ServerReply::kClose : ServerReply::kAnswer;
  });
  HttpClient client;
  REQUIRE(client.Request(GetRequest(server.url("/first"))));
  auto second = client.Request(GetRequest(server.url("/second")));
  REQUIRE(second);
  CHECK(second->body == "hello");
  CHECK(server.connections() == 2);
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].starts_with("GET /second "));
  CHECK(requests[2].starts_with("GET /second "));
}

TEST_CASE("HttpClient never resends a request a new connection dropped unanswered") {
  ScriptedServer server([](int connection, int) {
    return connection == 0 ? ServerReply::kClose : ServerReply::kAnswer;
  });
  HttpClient client;
  auto answer = client.Request(GetRequest(server.url()));
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kIo);
  CHECK(server.requests().size() == 1);
  // The client works on: the next request gets a connection of its own.
  REQUIRE(client.Request(GetRequest(server.url())));
  CHECK(server.connections() == 2);
}

TEST_CASE("HttpClient keeps max_body bytes of a longer body and the connection stays usable") {
  ScriptedServer server(AlwaysAnswer, 200, std::string(100000, 'x'));
  HttpClient client;
  HttpRequest r = GetRequest(server.url());
  r.max_body = 3;
  auto answer = client.Request(r);
  REQUIRE(answer);
  CHECK(answer->body == "xxx");
  CHECK(answer->truncated);
  auto whole = client.Request(GetRequest(server.url()));
  REQUIRE(whole);
  CHECK(whole->body.size() == 100000);
  CHECK_FALSE(whole->truncated);
  CHECK(server.connections() == 1);
}

TEST_CASE("HttpClient to a port nobody listens on is unavailable") {
  int port = 0;
  {
    Listener closed;
    port = closed.port;
  }
  HttpClient client;
  auto answer = client.Request(GetRequest("http://127.0.0.1:" + std::to_string(port) + "/"));
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(answer.error().message, Catch::Contains("Connection refused"));
}

TEST_CASE("HttpClient to a server that never answers times out at total_timeout") {
  ScriptedServer server([](int, int) { return ServerReply::kSilent; });
  HttpClient client;
  auto started = std::chrono::steady_clock::now();
  auto answer = client.Request(GetRequest(server.url(), 200ms));
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kTimeout);
  CHECK(took >= 190ms);
  CHECK(took < 2s);
}

TEST_CASE("HttpClient with a bad URL, method or header is invalid and sends nothing") {
  HttpClient client;
  auto url = client.Request(GetRequest("ftp//nowhere"));
  REQUIRE_FALSE(url);
  CHECK(url.error().code == ErrorCode::kInvalid);
  ScriptedServer server(AlwaysAnswer);
  HttpRequest method = GetRequest(server.url());
  method.method = "GE T";
  CHECK(client.Request(method).error().code == ErrorCode::kInvalid);
  HttpRequest header = GetRequest(server.url());
  header.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  CHECK(client.Request(header).error().code == ErrorCode::kInvalid);
  CHECK(server.connections() == 0);
}

TEST_CASE("HttpClient over https refuses a server whose certificate is not trusted") {
  // A self-signed certificate: the handshake must fail verification.
  auto dir = std::filesystem::temp_directory_path() /
             ("prisn-http-client-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 "
      "-keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  auto cert = ReadFile((dir / "cert.pem").string());
  auto key = ReadFile((dir / "key.pem").string());
  std::filesystem::remove_all(dir);
  REQUIRE(cert);
  REQUIRE(key);
  auto context = net::MakeTlsServerContext(*cert, *key);
  REQUIRE(context);

  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  int port = acceptor.local_endpoint().port();
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, **context);
  std::atomic<bool> handshake_failed{false};
  acceptor.async_accept(stream.next_layer(), [&](const boost::system::error_code& e) {
    if (e) return;
    stream.async_handshake(asio::ssl::stream_base::server,
                           [&](const boost::system::error_code& h) { handshake_failed = !!h; });
  });
  std::thread server([&io] { io.run_for(std::chrono::seconds(10)); });

  HttpClient client;
  auto answer = client.Request(GetRequest("https://127.0.0.1:" + std::to_string(port) + "/", 5s));
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kIo);
  CHECK_THAT(answer.error().message, Catch::Contains("TLS handshake"));
  CHECK_THAT(answer.error().message, Catch::Contains("certificate verify failed"));
  server.join();
  CHECK(handshake_failed);
}

}  // namespace prisn::api
