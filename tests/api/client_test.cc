#include "api/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "util/unique_fd.h"

namespace prisn::api {

TEST_CASE("ErrorFromResponse takes the code and message of the server's error body") {
  auto e = ErrorFromResponse(
      409, R"({"error":{"code":"conflict","message":"state moved","details":[]}})");
  CHECK(e.code == ErrorCode::kConflict);
  CHECK(e.message == "state moved");
  auto unauth = ErrorFromResponse(401, R"({"error":{"code":"unauthenticated","message":"no"}})");
  CHECK(unauth.code == ErrorCode::kPermission);
  auto big = ErrorFromResponse(413, R"({"error":{"code":"too_large","message":"limit 1 MiB"}})");
  CHECK(big.code == ErrorCode::kInvalid);
}

TEST_CASE("ErrorFromResponse without an error body maps the HTTP status") {
  CHECK(ErrorFromResponse(404, "").code == ErrorCode::kNotFound);
  CHECK(ErrorFromResponse(403, "nope").code == ErrorCode::kPermission);
  CHECK(ErrorFromResponse(403, "nope").message == "the server answered HTTP 403: nope");
  CHECK(ErrorFromResponse(503, "").code == ErrorCode::kUnavailable);
  CHECK(ErrorFromResponse(500, "").message == "the server answered HTTP 500");
}

TEST_CASE("UrlEncode keeps unreserved characters and escapes the rest") {
  CHECK(UrlEncode("api-v1_x.y~z") == "api-v1_x.y~z");
  CHECK(UrlEncode("a b/c?d=e&f") == "a%20b%2Fc%3Fd%3De%26f");
  CHECK(UrlEncode("2024-01-21T10:30:00Z") == "2024-01-21T10%3A30%3A00Z");
}

TEST_CASE("ApiClient against a port nobody listens on says how to start a server") {
  // Bind, learn the port, close: connecting to it is then refused.
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  fd.Reset();

  ApiClient client({url, "t", "--server"});
  auto r = client.Get("/v1/state");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().message == "no prisn server answers at " + url +
                                 "; start one with `prisn server start` (or set PRISN_SERVER)");
}

TEST_CASE("ApiClient with a malformed server URL is an invalid input") {
  ApiClient client({"ftp//nowhere", "", "PRISN_SERVER"});
  auto r = client.Get("/health");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalid);
  CHECK(r.error().context == "server from PRISN_SERVER");
}

}  // namespace prisn::api
