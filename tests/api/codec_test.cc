#include "api/codec.h"

#include <catch2/catch.hpp>

namespace prisn::api {
namespace {

struct Inner {
  int port = 0;
  std::optional<std::string> host;
};
constexpr auto Fields(std::type_identity<Inner>) {
  return std::tuple{Field{"port", &Inner::port}, Field{"host", &Inner::host}};
}

struct Outer {
  std::string name;
  bool dry_run = false;
  std::vector<Inner> replicas;
  std::map<std::string, int64_t> counts;
  Json extra;
};
constexpr auto Fields(std::type_identity<Outer>) {
  return std::tuple{Field{"name", &Outer::name}, Field{"dryRun", &Outer::dry_run},
                    Field{"replicas", &Outer::replicas}, Field{"counts", &Outer::counts},
                    Field{"extra", &Outer::extra}};
}

TEST_CASE("codec: a type encodes its fields in order and decodes back") {
  Outer o{
      "web", true, {{8080, "10.0.0.1"}, {9090, std::nullopt}}, {{"Deployment", 2}}, Json{{"a", 1}}};
  Json j = Encode(o);
  CHECK(
      j.dump() ==
      R"({"name":"web","dryRun":true,"replicas":[{"port":8080,"host":"10.0.0.1"},{"port":9090,"host":null}],"counts":{"Deployment":2},"extra":{"a":1}})");
  auto back = Decode<Outer>(j, DecodeMode::kStrict);
  REQUIRE(back);
  CHECK(back->name == "web");
  CHECK(back->dry_run);
  REQUIRE(back->replicas.size() == 2);
  CHECK(back->replicas[0].host == "10.0.0.1");
  CHECK_FALSE(back->replicas[1].host);
  CHECK(back->counts.at("Deployment") == 2);
  CHECK(back->extra == Json{{"a", 1}});
}

TEST_CASE("codec: strict decoding refuses an unknown field and names the close one") {
  auto r = Decode<Outer>(Json::parse(R"({"name":"web","dryrun":true})"), DecodeMode::kStrict);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalid);
  CHECK(r.error().message == R"(unknown field "dryrun" (did you mean "dryRun"?))");
  auto nested = Decode<Outer>(Json::parse(R"({"replicas":[{"prot":1}]})"), DecodeMode::kStrict);
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message == R"(unknown field "replicas[0].prot" (did you mean "port"?))");
}

TEST_CASE("codec: lenient decoding skips unknown fields and keeps defaults for missing ones") {
  auto r = Decode<Outer>(Json::parse(R"({"name":"web","newField":[1,2]})"), DecodeMode::kLenient);
  REQUIRE(r);
  CHECK(r->name == "web");
  CHECK_FALSE(r->dry_run);
  CHECK(r->replicas.empty());
}

TEST_CASE("codec: a value of the wrong type is an error naming its path") {
  auto r =
      Decode<Outer>(Json::parse(R"({"replicas":[{"port":1},{"port":"x"}]})"), DecodeMode::kLenient);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == R"(replicas[1].port: expected an integer, got "x")");
  auto big = Decode<Inner>(Json::parse(R"({"port":4294967296})"), DecodeMode::kLenient);
  REQUIRE_FALSE(big);
  CHECK(big.error().message.starts_with("port: expected"));
  auto top = Decode<Outer>(Json::parse("[1]"), DecodeMode::kStrict);
  REQUIRE_FALSE(top);
  CHECK(top.error().message == "body: expected an object, got [1]");
}

}  // namespace
}  // namespace prisn::api

namespace prisn::api {
namespace {

struct Sparse {
  std::string name;
  std::optional<std::string> schedule;
};
constexpr auto Fields(std::type_identity<Sparse>) {
  return std::tuple{Field{"name", &Sparse::name},
                    Field{"schedule", &Sparse::schedule, Empty::kOmit}};
}

TEST_CASE("codec: an optional marked Empty::kOmit is left out when empty") {
  CHECK(Encode(Sparse{"a", std::nullopt}).dump() == R"({"name":"a"})");
  CHECK(Encode(Sparse{"a", "* * * * *"}).dump() == R"({"name":"a","schedule":"* * * * *"})");
}

}  // namespace
}  // namespace prisn::api
