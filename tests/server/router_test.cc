#include "server/router.h"

#include <catch2/catch.hpp>

namespace prisn::server {
namespace {

Handler Named(std::string name) {
  return [name](const RouteContext&) {
    HttpResponse r;
    r.body = name;
    return r;
  };
}

TEST_CASE("Router matches literal and captured segments and reports 404 vs 405") {
  Router router;
  router.Add("GET", "/v1/objects", Named("list"));
  router.Add("GET", "/v1/namespaces/{ns}/{kind}/{name}", Named("get"));
  router.Add("DELETE", "/v1/namespaces/{ns}/{kind}/{name}", Named("delete"));
  router.Add("GET", "/v1/namespaces/{ns}/{kind}/{name}/history", Named("history"));

  auto get = router.Find("GET", "/v1/namespaces/default/deployments/api");
  REQUIRE(get.handler);
  CHECK(get.pattern == "/v1/namespaces/{ns}/{kind}/{name}");
  CHECK(get.params == std::map<std::string, std::string>{
                          {"ns", "default"}, {"kind", "deployments"}, {"name", "api"}});
  HttpRequest req;
  Principal who;
  CHECK((*get.handler)(RouteContext{req, who, {}}).body == "get");

  auto history = router.Find("GET", "/v1/namespaces/default/deployments/api/history");
  REQUIRE(history.handler);
  CHECK(history.params.at("name") == "api");

  auto wrong_method = router.Find("POST", "/v1/namespaces/default/deployments/api");
  CHECK_FALSE(wrong_method.handler);
  CHECK(wrong_method.allowed == std::vector<std::string>{"GET", "DELETE"});

  auto unknown = router.Find("GET", "/v1/namespaces/default/deployments");
  CHECK_FALSE(unknown.handler);
  CHECK(unknown.allowed.empty());
  CHECK_FALSE(router.Find("GET", "/v1/namespaces//deployments/api").handler);  // empty capture
  CHECK_FALSE(router.Find("GET", "/v1/objects/").handler);
  CHECK_FALSE(router.Find("GET", "v1/objects").handler);
}

}  // namespace
}  // namespace prisn::server
