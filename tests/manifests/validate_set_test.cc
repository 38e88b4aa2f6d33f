// Checks of a set as a whole.
#include <catch2/catch.hpp>

#include "tests/manifests/test_util.h"

namespace prisn::manifests {
namespace {

using testing::Dump;
using testing::FindError;
using testing::LoadYaml;

std::string Job(const std::string& name, const std::string& extra = "", const std::string& ns = "default") {
  return "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  runtime: bash\n  source: {inline: 'true'}\n" + extra + "---\n";
}
std::string Secret(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: " + name + ", namespace: " + ns + "}\n---\n";
}
std::string Runner(const std::string& name, const std::string& exts, const std::string& ns = "default") {
  return "apiVersion: prisn.io/v1\nkind: Runner\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec: {command: [/usr/bin/" + name + "], extensions: " + exts + "}\n---\n";
}

TEST_CASE("ValidateSet: a duplicate object names both places", "[set]") {
  auto set = LoadYaml(Job("a") + Job("a"));
  const Diagnostic* d = FindError(set, "metadata.name", "duplicate object Job/default/a");
  REQUIRE(d != nullptr);
  CHECK(d->message.find("also defined at m.yaml:1:1") != std::string::npos);
  CHECK(d->line == 10);
  // Same name in another namespace or of another kind is fine.
  CHECK(LoadYaml(Job("a") + Job("a", "", "other") + Secret("a")).ok());
}

TEST_CASE("ValidateSet: envFrom secrets must be in the set or already stored", "[set]") {
  auto missing = LoadYaml(Job("a", "  envFrom: [db-creds]\n") + Secret("db-cred"));
  const Diagnostic* d = FindError(missing, "spec.envFrom[0]", "secret \"db-creds\" not found in namespace default");
  REQUIRE(d != nullptr);
  CHECK(d->hint == "did you mean \"db-cred\"?");
  CHECK(LoadYaml(Job("a", "  envFrom: [db]\n") + Secret("db")).ok());
  // A secret in another namespace does not count.
  CHECK_FALSE(LoadYaml(Job("a", "  envFrom: [db]\n") + Secret("db", "other")).ok());
  // The server passes the secrets it already stores.
  KnownObjects known{{"Secret/default/db"}};
  CHECK(LoadYaml(Job("a", "  envFrom: [{secretRef: {name: db}}]\n"), {}, known).ok());
  auto ref = LoadYaml(Job("a", "  envFrom: [{secretRef: {name: nope}}]\n"));
  CHECK(FindError(ref, "spec.envFrom[0].secretRef.name", "not found"));
}

TEST_CASE("ValidateSet: runtimes resolve to built-ins and Runners", "[set]") {
  auto typo = LoadYaml(Job("a").replace(Job("a").find("bash"), 4, "pyhton3"));
  const Diagnostic* d = FindError(typo, "spec.runtime", "unknown runtime \"pyhton3\"");
  REQUIRE(d != nullptr);
  CHECK(d->hint == "did you mean \"python3\"?");
  CHECK(FindError(LoadYaml(Job("a").replace(Job("a").find("bash"), 4, "python")), "spec.runtime",
                  "did you mean \"python3\"?"));
  CHECK(FindError(LoadYaml(Job("a").replace(Job("a").find("bash"), 4, "ruby")), "spec.runtime", "Runner manifest"));
  // A Runner in the set, in the workload's namespace or in default.
  CHECK(LoadYaml(Job("a").replace(Job("a").find("bash"), 4, "lua") + Runner("lua", "[.lua]")).ok());
  CHECK(LoadYaml(Job("a", "", "team").replace(Job("a", "", "team").find("bash"), 4, "lua") + Runner("lua", "[.lua]"))
            .ok());
  CHECK_FALSE(LoadYaml(Job("a").replace(Job("a").find("bash"), 4, "lua") + Runner("lua", "[.lua]", "team")).ok());
  KnownObjects known{{"Runner/default/deno"}};
  CHECK(LoadYaml(Job("a").replace(Job("a").find("bash"), 4, "deno"), {}, known).ok());
}

TEST_CASE("ValidateSet: runtime and entrypoint are inferred", "[set]") {
  std::string file_job =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: f}\nspec: {source: {path: job.lua}}\n---\n";
  auto set = LoadYaml(file_job + Runner("lua", "[.lua]"), {{"job.lua", "print(1)"}});
  INFO(Dump(set));
  REQUIRE(set.ok());
  CHECK(set.objects[0].Workload()->runtime == "lua");
  CHECK(set.objects[0].Workload()->entrypoint == "job.lua");

  auto unknown = LoadYaml(file_job, {{"job.lua", "print(1)"}});
  CHECK(FindError(unknown, "spec.source.path", "extensions: [\".lua\"]"));
  auto two = LoadYaml(file_job + Runner("lua", "[.lua]") + Runner("luajit", "[.lua]"), {{"job.lua", "x"}});
  CHECK(FindError(two, "spec.source.path", "both claim \".lua\""));

  std::string folder =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: p}\nspec: {source: {path: app}}\n";
  auto inferred = LoadYaml(folder, {{"app/main.py", "x"}, {"app/lib/util.py", "y"}});
  REQUIRE(inferred.ok());
  CHECK(inferred.objects[0].Workload()->entrypoint == "main.py");
  CHECK(inferred.objects[0].Workload()->runtime == "python3");
  CHECK(inferred.objects[0].sources.size() == 2);
  CHECK(FindError(LoadYaml(folder, {{"app/run.py", "x"}}), "spec.source.path", "no entrypoint"));
  CHECK(FindError(LoadYaml(folder, {{"app/main.py", "x"}, {"app/main.sh", "y"}}), "spec.source.path",
                  "both main.py and main.sh"));
  std::string with_entry =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: p}\nspec: {source: {path: app}, entrypoint: sever.py}\n";
  CHECK(FindError(LoadYaml(with_entry, {{"app/server.py", "x"}}), "spec.entrypoint", "did you mean \"server.py\"?"));
  std::string wrong_entry =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: p}\nspec: {source: {path: a.py}, entrypoint: b.py}\n";
  CHECK(FindError(LoadYaml(wrong_entry, {{"a.py", "x"}}), "spec.entrypoint", "the entrypoint is that file"));
  std::string no_ext =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: p}\nspec: {source: {path: run}}\n";
  CHECK(FindError(LoadYaml(no_ext, {{"run", "x"}}), "spec.source.path", "no extension"));
}

TEST_CASE("ValidateSet: dependsOn targets exist and never form a cycle", "[set]") {
  auto missing = LoadYaml(Job("a", "  dependsOn: [dbb]\n") + Job("db"));
  const Diagnostic* d = FindError(missing, "spec.dependsOn[0]", "no object of that name");
  REQUIRE(d != nullptr);
  CHECK(d->hint == "did you mean \"db\"?");
  CHECK(FindError(LoadYaml(Job("a", "  dependsOn: [a]\n")), "spec.dependsOn[0]", "itself"));
  CHECK(LoadYaml(Job("a", "  dependsOn: [db]\n") + Secret("db")).ok());  // any kind
  CHECK(LoadYaml(Job("a", "  dependsOn: [db]\n"), {}, KnownObjects{{"Deployment/default/db"}}).ok());

  auto cycle = LoadYaml(Job("a", "  dependsOn: [b]\n") + Job("b", "  dependsOn: [c]\n") +
                        Job("c", "  dependsOn: [a]\n"));
  const Diagnostic* c = FindError(cycle, "spec.dependsOn[0]", "dependsOn cycle: a -> b -> c -> a");
  REQUIRE(c != nullptr);
  CHECK(c->line == 1 + 6);  // at a's dependsOn
  int cycles = 0;
  for (const auto& e : cycle.errors) cycles += e.message.find("cycle") != std::string::npos;
  CHECK(cycles == 1);
  // A diamond is not a cycle.
  CHECK(LoadYaml(Job("a", "  dependsOn: [b, c]\n") + Job("b", "  dependsOn: [d]\n") +
                 Job("c", "  dependsOn: [d]\n") + Job("d"))
            .ok());
}

TEST_CASE("ValidateSet: Ingress backends need a Deployment with a port", "[set]") {
  auto ingress = [](const std::string& backend) {
    return "apiVersion: prisn.io/v1\nkind: Ingress\nmetadata: {name: in}\nspec:\n  rules: [{paths: [{backend: " +
           backend + "}]}]\n---\n";
  };
  auto deployment = [](const std::string& port) {
    return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {runtime: python3, source: "
           "{inline: pass}" + port + "}\n---\n";
  };
  CHECK(LoadYaml(ingress("{service: api}") + deployment(", port: 8080")).ok());
  CHECK(FindError(LoadYaml(ingress("{service: api}") + deployment("")), "spec.rules[0].paths[0].backend.service",
                  "has no port"));
  CHECK(FindError(LoadYaml(ingress("{service: apii}") + deployment(", port: 80")),
                  "spec.rules[0].paths[0].backend.service", "did you mean \"api\"?"));
  CHECK(FindError(LoadYaml(ingress("{service: api, port: 9090}") + deployment(", port: 8080")),
                  "spec.rules[0].paths[0].backend.port", "listens on port 8080, not 9090"));
  CHECK(FindError(LoadYaml(ingress("{service: api, port: 9090}") + deployment(", port: auto")),
                  "spec.rules[0].paths[0].backend.port", "port: auto"));
  CHECK(LoadYaml(ingress("{service: api}"), {}, KnownObjects{{"Deployment/default/api"}}).ok());
  auto twice = LoadYaml(ingress("{service: api}") + deployment(", port: 80") +
                        ingress("{service: api}").replace(ingress("").find("name: in"), 8, "name: in2"));
  CHECK(FindError(twice, "spec.rules[0].paths[0].path", "already routed by Ingress/default/in"));
  auto tls = LoadYaml(
      "apiVersion: prisn.io/v1\nkind: Ingress\nmetadata: {name: in}\nspec:\n  tls: {secretName: cert}\n"
      "  rules: [{paths: [{backend: {service: api}}]}]\n---\n" +
      deployment(", port: 80"));
  CHECK(FindError(tls, "spec.tls.secretName", "secret \"cert\" not found"));
}

TEST_CASE("ValidateSet: all errors of a set are reported in one run", "[set]") {
  auto set = LoadYaml(Job("a", "  envFrom: [x]\n  dependsOn: [y]\n") + Job("a") +
                      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: b}\nspec: {runtime: bsh, source: "
                      "{inline: x}, replicas: 2}\n");
  INFO(Dump(set));
  CHECK(FindError(set, "spec.envFrom[0]", "not found"));
  CHECK(FindError(set, "spec.dependsOn[0]", "no object"));
  CHECK(FindError(set, "metadata.name", "duplicate"));
  CHECK(FindError(set, "spec.runtime", "did you mean \"bash\"?"));
  CHECK(FindError(set, "spec.replicas", "a Job runs once"));
  CHECK(set.errors.size() == 5);
}

}  // namespace
}  // namespace prisn::manifests
