#include "server/http_types.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

TEST_CASE("ParseTarget splits and decodes the path and query") {
  HttpRequest r;
  REQUIRE(
      ParseTarget("/v1/events?kind=Deployment&since=2024-01-01T00%3A00%3A00Z&name=a+b&flag&=x", r));
  CHECK(r.path == "/v1/events");
  CHECK(r.query.at("kind") == "Deployment");
  CHECK(r.query.at("since") == "2024-01-01T00:00:00Z");
  CHECK(r.query.at("name") == "a b");
  CHECK(r.query.at("flag").empty());
  REQUIRE(ParseTarget("/v1/namespaces/a%2Db/x", r));
  CHECK(r.path == "/v1/namespaces/a-b/x");
  CHECK(r.query.empty());
}

TEST_CASE("ParseTarget refuses bad escapes and relative targets") {
  HttpRequest r;
  CHECK_FALSE(ParseTarget("/v1/%zz", r));
  CHECK_FALSE(ParseTarget("/v1/%4", r));
  CHECK_FALSE(ParseTarget("/v1/x?a=%", r));
  CHECK_FALSE(ParseTarget("v1/x", r));
  CHECK_FALSE(ParseTarget("http://host/v1/x", r));
}

TEST_CASE("ErrorResponse maps error codes to statuses with the documented body") {
  struct Case {
    ErrorCode code;
    int status;
    const char* name;
  };
  for (Case c :
       {Case{ErrorCode::kInvalid, 400, "invalid"}, Case{ErrorCode::kNotFound, 404, "not_found"},
        Case{ErrorCode::kConflict, 409, "conflict"},
        Case{ErrorCode::kPermission, 403, "permission"}, Case{ErrorCode::kIo, 500, "io"},
        Case{ErrorCode::kInternal, 500, "internal"}}) {
    HttpResponse r = ErrorResponse(Error{c.code, "what", "where"});
    CHECK(r.status == c.status);
    auto body = nlohmann::json::parse(r.body);
    CHECK(body["error"]["code"] == c.name);
    CHECK(body["error"]["message"] == "where: what");
    CHECK(body["error"]["details"].is_array());
  }
}

}  // namespace
}  // namespace prisn::server
