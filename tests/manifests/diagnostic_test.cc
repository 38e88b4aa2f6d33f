#include "manifests/diagnostic.h"

#include <catch2/catch.hpp>

namespace prisn::manifests {
namespace {

TEST_CASE("FormatText: file, position, field, message and hint line", "[diagnostic]") {
  Diagnostic d{"bad.yaml", 12, 9, "spec.healthCheck.http.port", "expected an integer, found \"eighty\"",
               "did you mean 80?"};
  CHECK(FormatText(d) ==
        "bad.yaml:12:9: spec.healthCheck.http.port: expected an integer, found \"eighty\"\n"
        "  hint: did you mean 80?");
  CHECK(FormatText(d, "examples/") ==
        "examples/bad.yaml:12:9: spec.healthCheck.http.port: expected an integer, found \"eighty\"\n"
        "  hint: did you mean 80?");
}

TEST_CASE("FormatText: missing parts are left out", "[diagnostic]") {
  CHECK(FormatText(Diagnostic{"a.yaml", 0, 0, "", "no such file or folder", ""}) == "a.yaml: no such file or folder");
  CHECK(FormatText(Diagnostic{"", 0, 0, "", "boom", ""}) == "boom");
  CHECK(FormatText(Diagnostic{"a.yaml", 3, 0, "kind", "x", ""}) == "a.yaml:3: kind: x");
}

TEST_CASE("ToJson: every key is present", "[diagnostic]") {
  auto j = ToJson(Diagnostic{"a.yaml", 1, 2, "kind", "msg", ""}, "dir/");
  CHECK(j["file"] == "dir/a.yaml");
  CHECK(j["line"] == 1);
  CHECK(j["column"] == 2);
  CHECK(j["field"] == "kind");
  CHECK(j["message"] == "msg");
  CHECK(j["hint"] == "");
}

TEST_CASE("SortDiagnostics: by file and position, duplicates removed", "[diagnostic]") {
  std::vector<Diagnostic> v{{"b.yaml", 1, 1, "", "x", ""},
                            {"a.yaml", 9, 1, "", "y", ""},
                            {"a.yaml", 2, 5, "", "z", ""},
                            {"a.yaml", 2, 5, "", "z", ""}};
  SortDiagnostics(v);
  REQUIRE(v.size() == 3);
  CHECK(v[0].message == "z");
  CHECK(v[1].message == "y");
  CHECK(v[2].message == "x");
}

TEST_CASE("ClosestMatch: typos, case, transpositions and prefixes", "[diagnostic]") {
  std::vector<std::string> fields{"replicas", "port", "protocol", "healthCheck", "runtime"};
  CHECK(ClosestMatch("replcas", fields) == "replicas");
  CHECK(ClosestMatch("Replicas", fields) == "replicas");
  CHECK(ClosestMatch("prot", fields) == "port");
  CHECK(ClosestMatch("healthcheck", fields) == "healthCheck");
  CHECK(ClosestMatch("health", fields) == "healthCheck");
  CHECK(ClosestMatch("runtiem", fields) == "runtime");
  CHECK(ClosestMatch("RollingUpdate", {"rolling", "recreate"}) == "rolling");
  CHECK(ClosestMatch("banana", fields).empty());
  CHECK(ClosestMatch("", fields).empty());
  CHECK(ClosestMatch(std::string(1000, 'x'), fields).empty());
}

}  // namespace
}  // namespace prisn::manifests
