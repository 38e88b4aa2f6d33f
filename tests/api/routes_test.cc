#include "api/routes.h"

#include <catch2/catch.hpp>
#include <set>

namespace prisn::api {
namespace {

TEST_CASE("routes: Query skips empty values and encodes the rest") {
  CHECK(Query({}) == "");
  CHECK(Query({{query::kKind, "deployments"},
               {query::kNamespace, ""},
               {query::kSince, "2024-01-21T10:30:00Z"}}) ==
        "?kind=deployments&since=2024-01-21T10%3A30%3A00Z");
}

TEST_CASE("routes: Path fills each {segment} in order, percent-encoded") {
  CHECK(Path(path::kObject, {"a b", "deployments", "x/y"}) ==
        "/v1/namespaces/a%20b/deployments/x%2Fy");
  CHECK(Path(path::kSourceReconcile, {"web"}) == "/v1/sources/web/reconcile");
  CHECK(Path(path::kRuns, {}) == "/v1/runs");
}

TEST_CASE("routes: every (method, pattern) is listed once and found") {
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const Route& r : AllRoutes()) {
    CHECK(seen.insert({r.method, r.pattern}).second);
    CHECK(FindRoute(r.method, r.pattern) == &r);
  }
  CHECK(FindRoute("PATCH", path::kObject) == nullptr);
}

}  // namespace
}  // namespace prisn::api
