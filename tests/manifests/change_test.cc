#include "manifests/change.h"

#include <catch2/catch.hpp>

#include "tests/manifests/test_util.h"

namespace prisn::manifests {
namespace {

using testing::LoadYaml;
using testing::Only;

Object Deployment(const std::string& extra, const std::string& code = "print(1)") {
  return Only(LoadYaml(
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  source: {path: app.py}\n" + extra,
      {{"app.py", code}}));
}

Object Cron(const std::string& extra) {
  return Only(LoadYaml("apiVersion: prisn.io/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  runtime: bash\n"
                       "  source: {inline: date}\n" + extra));
}

TEST_CASE("Classify: create, delete and no change", "[change]") {
  Object d = Deployment("");
  CHECK(Classify(nullptr, &d) == ChangeClass::kCreate);
  CHECK(Classify(&d, nullptr) == ChangeClass::kDelete);
  CHECK(Classify(nullptr, nullptr) == ChangeClass::kNone);
  Object same = Deployment("  replicas: 1\n");  // a default spelled out
  CHECK(Classify(&d, &same) == ChangeClass::kNone);
}

TEST_CASE("Classify: Deployment fields by disruption", "[change]") {
  Object base = Deployment("  port: 80\n");
  struct Case {
    std::string extra;
    ChangeClass expected;
  };
  std::vector<Case> cases{
      {"  port: 80\n  replicas: 5\n", ChangeClass::kInPlace},
      {"  port: 80\n  strategy: {maxSurge: 1}\n", ChangeClass::kInPlace},
      {"  port: 80\n  autoRevert: true\n", ChangeClass::kInPlace},
      {"  port: 80\n  env: {A: b}\n", ChangeClass::kRolling},
      {"  port: 80\n  resources: {memory: 1Gi}\n", ChangeClass::kRolling},
      {"  port: 80\n  args: [x]\n", ChangeClass::kRolling},
      {"  port: 80\n  healthCheck: {tcp: {}}\n", ChangeClass::kRolling},
      {"  port: 81\n", ChangeClass::kRecreate},
      {"  port: 80\n  isolation: {level: 2}\n", ChangeClass::kRecreate},
      {"  port: 80\n  protocol: http\n", ChangeClass::kRecreate},
      {"  port: 80\n  replicas: 5\n  env: {A: b}\n", ChangeClass::kRolling},
  };
  for (const auto& c : cases) {
    Object after = Deployment(c.extra);
    INFO(c.extra);
    CHECK(ChangeClassName(Classify(&base, &after)) == ChangeClassName(c.expected));
  }
  Object code = Deployment("  port: 80\n", "print(2)");
  CHECK(Classify(&base, &code) == ChangeClass::kRolling);
  Object labeled = Only(LoadYaml(
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: d, labels: {a: b}}\nspec:\n"
      "  source: {path: app.py}\n  port: 80\n",
      {{"app.py", "print(1)"}}));
  CHECK(Classify(&base, &labeled) == ChangeClass::kInPlace);
}

TEST_CASE("Classify: CronJob schedule changes in place, template changes roll", "[change]") {
  Object base = Cron("  schedule: '0 3 * * *'\n");
  Object schedule = Cron("  schedule: '0 4 * * *'\n  suspend: true\n  timeZone: UTC\n");
  Object every = Cron("  every: 1h\n");
  Object env = Cron("  schedule: '0 3 * * *'\n  env: {A: b}\n");
  CHECK(Classify(&base, &schedule) == ChangeClass::kInPlace);
  CHECK(Classify(&base, &every) == ChangeClass::kInPlace);
  CHECK(Classify(&base, &env) == ChangeClass::kRolling);
}

TEST_CASE("Classify: a changed Job runs again, other kinds change in place", "[change]") {
  auto job = [](const std::string& code) {
    return Only(LoadYaml("apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: j}\nspec: {runtime: bash, source: "
                         "{inline: '" + code + "'}}\n"));
  };
  Object a = job("echo 1"), b = job("echo 2");
  CHECK(Classify(&a, &b) == ChangeClass::kRecreate);
  auto secret = [](const std::string& v) {
    return Only(LoadYaml("apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: s}\nspec: {stringData: {k: " + v +
                         "}}\n"));
  };
  Object s1 = secret("a"), s2 = secret("b");
  CHECK(Classify(&s1, &s2) == ChangeClass::kInPlace);
  CHECK(Classify(&a, &s1) == ChangeClass::kRecreate);  // different kinds
}

}  // namespace
}  // namespace prisn::manifests
