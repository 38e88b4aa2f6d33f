#include "net/ingress_routes.h"

#include <catch2/catch.hpp>

namespace prisn::net {
namespace {

TEST_CASE("PathHasPrefix matches whole segments") {
  struct Case { const char* path; const char* prefix; bool want; };
  const Case cases[] = {
      {"/api", "/api", true},   {"/api/", "/api", true},   {"/api/x", "/api", true},
      {"/apix", "/api", false}, {"/", "/api", false},      {"/x", "/", true},
      {"/x", "", true},         {"/api/x", "/api/", true}, {"/ap", "/api", false},
  };
  for (const auto& c : cases) {
    INFO(c.path << " under " << c.prefix);
    CHECK(PathHasPrefix(c.path, c.prefix) == c.want);
  }
}

TEST_CASE("HostMatch ranks exact over wildcard over any host") {
  CHECK(HostMatch("api.example.com", "API.example.com:8443") == 2);
  CHECK(HostMatch("*.example.com", "a.example.com") == 1);
  CHECK(HostMatch("*.example.com", "example.com") == -1);
  CHECK(HostMatch("*.example.com", "a.b.example.com") == -1);
  CHECK(HostMatch("", "anything") == 0);
  CHECK(HostMatch("api.example.com", "web.example.com") == -1);
}

TEST_CASE("IngressTable picks the most specific host, then the longest prefix") {
  auto route = [](std::string host, std::string prefix, std::string key) {
    return IngressTable::Entry{IngressRoute{host, prefix, key}, nullptr};
  };
  IngressTable table({route("", "/", "fallback"), route("*.example.com", "/", "wild"),
                      route("a.example.com", "/", "a-root"),
                      route("a.example.com", "/api", "a-api"),
                      route("a.example.com", "/api/v2", "a-api-v2")});
  auto key = [&](std::string_view host, std::string_view target) {
    const auto* e = table.Match(host, target);
    return e ? e->route.service_key : std::string("none");
  };
  CHECK(key("a.example.com", "/") == "a-root");
  CHECK(key("a.example.com", "/api?x=1") == "a-api");
  CHECK(key("a.example.com", "/api/v2/users") == "a-api-v2");
  CHECK(key("a.example.com", "/apiv2") == "a-root");
  CHECK(key("b.example.com", "/api") == "wild");
  CHECK(key("other.org", "/api") == "fallback");
  IngressTable strict({route("a.example.com", "/api", "a-api")});
  CHECK(strict.Match("a.example.com", "/") == nullptr);
  CHECK(strict.Match("b.example.com", "/api") == nullptr);
}

}  // namespace
}  // namespace prisn::net
