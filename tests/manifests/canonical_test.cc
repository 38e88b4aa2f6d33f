#include "manifests/canonical.h"

#include <catch2/catch.hpp>

#include "tests/manifests/test_util.h"

namespace prisn::manifests {
namespace {

using testing::Dump;
using testing::LoadYaml;
using testing::Only;

const char* kShort =
    "apiVersion: prisn.io/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: api\n"
    "spec:\n"
    "  source:\n"
    "    path: ./app/\n"
    "  port: 8080\n"
    "  replicas: 3\n"
    "  resources: {memory: 0.5Gi}\n";

// The same object: other key order, comments, flow style, and the defaults
// spelled out.
const char* kLong =
    "# the api service\n"
    "kind: Deployment   # a long-running service\n"
    "apiVersion: prisn.io/v1\n"
    "spec:\n"
    "  replicas: 3\n"
    "  resources:\n"
    "    pids: 256\n"
    "    memory: 512Mi\n"
    "    cpu: '1'\n"
    "    disk: 1Gi\n"
    "  port: 8080\n"
    "  protocol: tcp\n"
    "  runtime: python3\n"
    "  entrypoint: main.py\n"
    "  source: {path: app}\n"
    "  strategy: {type: rolling, maxSurge: 25%, maxUnavailable: 25%}\n"
    "  restartPolicy: Always\n"
    "  progressDeadline: 10m\n"
    "  terminationGracePeriod: 30s\n"
    "  autoRevert: false\n"
    "  isolation: {level: 1}\n"
    "  args: []\n"
    "  env: {}\n"
    "  envFrom: []\n"
    "  dependsOn: []\n"
    "metadata:\n"
    "  namespace: default\n"
    "  name: api\n"
    "  labels: {}\n";

std::map<std::string, std::string> App() { return {{"app/main.py", "print('v1')\n"}, {"app/util.py", "X = 1\n"}}; }

TEST_CASE("Version: key order, comments and spelled-out defaults do not change it", "[canonical]") {
  const Object& a = Only(LoadYaml(kShort, App()));
  auto long_set = LoadYaml(kLong, App());
  INFO(Dump(long_set));
  const Object& b = Only(long_set);
  CHECK(ToCanonicalJson(a).dump() == ToCanonicalJson(b).dump());
  CHECK(a.version == b.version);
  CHECK(a.version.size() == 10);
  CHECK(a.version.find_first_not_of("0123456789abcdef", 2) == std::string::npos);
}

TEST_CASE("Version: any byte of any source file changes it", "[canonical]") {
  const std::string base = Only(LoadYaml(kShort, App())).version;
  auto files = App();
  files["app/util.py"] = "X = 2\n";
  CHECK(Only(LoadYaml(kShort, files)).version != base);
  files = App();
  files["app/new.txt"] = "";
  CHECK(Only(LoadYaml(kShort, files)).version != base);
  files = App();
  files["app/main.py"] += " ";
  CHECK(Only(LoadYaml(kShort, files)).version != base);
}

TEST_CASE("Version: replicas, suspend, schedule and every are not part of it", "[canonical]") {
  std::string scaled = kShort;
  scaled.replace(scaled.find("replicas: 3"), 11, "replicas: 7");
  CHECK(Only(LoadYaml(scaled, App())).version == Only(LoadYaml(kShort, App())).version);

  auto cron = [](const std::string& when) {
    return "apiVersion: prisn.io/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  runtime: bash\n"
           "  source: {inline: 'date'}\n" + when;
  };
  const std::string v = Only(LoadYaml(cron("  schedule: '0 3 * * *'\n"))).version;
  CHECK(Only(LoadYaml(cron("  schedule: '*/5 * * * *'\n"))).version == v);
  CHECK(Only(LoadYaml(cron("  every: 1h\n"))).version == v);
  CHECK(Only(LoadYaml(cron("  every: 1h\n  suspend: true\n"))).version == v);
  CHECK(Only(LoadYaml(cron("  every: 1h\n  timeout: 5m\n"))).version != v);
}

TEST_CASE("Version: other changes do change it", "[canonical]") {
  const std::string base = Only(LoadYaml(kShort, App())).version;
  for (const char* extra : {"  env: {A: b}\n", "  args: [x]\n", "  port: 8081\n", "  isolation: {level: 2}\n"}) {
    std::string y = kShort;
    if (std::string(extra).find("port") != std::string::npos) y.replace(y.find("  port: 8080\n"), 13, "");
    INFO(extra);
    CHECK(Only(LoadYaml(y + extra, App())).version != base);
  }
}

TEST_CASE("ToCanonicalJson: every default is spelled out in a fixed order", "[canonical]") {
  auto j = ToCanonicalJson(Only(LoadYaml(kShort, App())));
  CHECK(j.dump().starts_with(R"({"apiVersion":"prisn.io/v1","kind":"Deployment","metadata":{"name":"api")"));
  CHECK(j["spec"]["runtime"] == "python3");
  CHECK(j["spec"]["entrypoint"] == "main.py");
  CHECK(j["spec"]["source"]["path"] == "app");
  CHECK(j["spec"]["resources"]["memory"] == "512Mi");
  CHECK(j["spec"]["resources"]["cpu"] == "1");
  CHECK(j["spec"]["strategy"]["maxSurge"] == "25%");
  CHECK(j["spec"]["progressDeadline"] == "10m");
  CHECK(j["spec"]["healthCheck"].is_null());
  REQUIRE(j["sourceFiles"].size() == 2);
  CHECK(j["sourceFiles"][0]["path"] == "main.py");
  CHECK(j["sourceFiles"][0]["sha256"] == Sha256Hex("print('v1')\n"));
  CHECK(j.dump().find("print('v1')") == std::string::npos);  // no source content
}

TEST_CASE("Sha256Hex: known vector", "[canonical]") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("FromCanonicalJson: a stored object comes back identical", "[canonical]") {
  std::vector<std::string> docs{
      kShort,
      "apiVersion: prisn.io/v1\nkind: CronJob\nmetadata: {name: c, labels: {a: b}}\nspec:\n  runtime: bash\n"
      "  source: {inline: \"date\\necho done\\n\"}\n  schedule: '0 3 * * *'\n  timeZone: UTC\n"
      "  envFrom: [{secretRef: {name: s}, prefix: P_}]\n---\n"
      "apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: s}\nspec: {data: {a: YQ==}, stringData: {b: c}}\n",
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  runtime: node\n"
      "  source: {inline: 'x'}\n  port: auto\n  healthCheck: {http: {path: /h}}\n"
      "  livenessCheck: {exec: {command: [true]}}\n  strategy: {type: recreate}\n---\n"
      "apiVersion: prisn.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  rules: [{host: a.b, paths: "
      "[{path: /x, backend: {service: web}}]}]\n---\n"
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {runtime: bash, source: {inline: x}, "
      "port: 80}\n---\n"
      "apiVersion: prisn.io/v1\nkind: Runner\nmetadata: {name: lua}\nspec: {command: [lua]}\n---\n"
      "apiVersion: prisn.io/v1\nkind: Namespace\nmetadata: {name: team}\n",
      // Found by fuzzing: defaults that the decoder once refused to read back.
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: once}\nspec: {runtime: bash, source: {inline: x}, "
      "restartPolicy: Never}\n---\n"
      "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: noport}\nspec: {runtime: bash, source: "
      "{inline: x}, protocol: tcp}\n---\n"
      "apiVersion: prisn.io/v1\nkind: Runner\nmetadata: {name: deno}\nspec: {command: [deno, run, '{script}']}\n",
  };
  for (const auto& yaml : docs) {
    auto set = LoadYaml(yaml, App());
    INFO(Dump(set));
    REQUIRE(set.ok());
    for (const Object& obj : set.objects) {
      INFO(obj.Key());
      auto stored = nlohmann::json::parse(ToCanonicalJson(obj).dump());
      auto back = FromCanonicalJson(stored, obj.sources);
      REQUIRE(back.has_value());
      CHECK(back->version == obj.version);
      CHECK(ToCanonicalJson(*back) == ToCanonicalJson(obj));
      CHECK(back->sources == obj.sources);
    }
  }
}

TEST_CASE("FromCanonicalJson: wrong sources and invalid objects fail", "[canonical]") {
  const Object& obj = Only(LoadYaml(kShort, App()));
  auto stored = nlohmann::json::parse(ToCanonicalJson(obj).dump());
  auto bad = FromCanonicalJson(stored, {{"main.py", "tampered"}, {"util.py", "X = 1\n"}});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("do not match") != std::string::npos);
  stored["spec"]["replicas"] = "many";
  auto invalid = FromCanonicalJson(stored, obj.sources);
  REQUIRE_FALSE(invalid.has_value());
  CHECK(invalid.error().message.find("spec.replicas") != std::string::npos);
  CHECK_FALSE(FromCanonicalJson(nlohmann::json::array(), {}).has_value());
}

TEST_CASE("ToCanonicalYaml: readable, stable and masked", "[canonical]") {
  auto set = LoadYaml(
      "apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: s}\nspec: {stringData: {password: hunter2}}\n---\n"
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  runtime: bash\n"
      "  source:\n    inline: |\n      echo one\n      echo two\n  args: ['yes', '1', 'a: b']\n");
  REQUIRE(set.ok());
  std::string secret = ToCanonicalYaml(set.objects[0]);
  CHECK(secret.find("hunter2") == std::string::npos);
  CHECK(secret.find("password: \"***\"") != std::string::npos);
  CHECK(ToCanonicalYaml(set.objects[0], false).find("password: hunter2") != std::string::npos);
  std::string job = ToCanonicalYaml(set.objects[1]);
  CHECK(job.find("kind: Job\n") != std::string::npos);
  CHECK(job.find("    inline: |\n      echo one\n      echo two\n") != std::string::npos);
  CHECK(job.find("  args:\n    - \"yes\"\n    - \"1\"\n    - \"a: b\"\n") != std::string::npos);
  CHECK(job.find("  backoffLimit: 6\n") != std::string::npos);
  CHECK(job == ToCanonicalYaml(set.objects[1]));
  // The YAML is itself a valid manifest of the same object.
  auto again = LoadYaml(ToCanonicalYaml(set.objects[1], false).substr(0, job.find("sourceFiles:")));
  INFO(Dump(again));
  REQUIRE(again.ok());
  CHECK(again.objects[0].version == set.objects[1].version);
}

TEST_CASE("loadBalancing: written only when set, read back, and checked against the protocol",
          "[canonical]") {
  const std::string plain = Only(LoadYaml(kShort, App())).version;
  std::string http = std::string(kShort) +
                     "  protocol: http\n  loadBalancing: {algorithm: ip-hash, sessionAffinity: cookie}\n";
  const Object& o = Only(LoadYaml(http, App()));
  const auto& d = std::get<DeploymentSpec>(o.spec);
  CHECK(d.lb_algorithm == "ip-hash");
  CHECK(d.cookie_affinity);
  CHECK(o.version != plain);
  auto json = ToCanonicalJson(o);
  CHECK(json["spec"]["loadBalancing"]["algorithm"] == "ip-hash");
  CHECK(ToCanonicalJson(Only(LoadYaml(kShort, App())))["spec"].contains("loadBalancing") == false);
  auto back = FromCanonicalJson(nlohmann::json::parse(json.dump()), o.sources);
  REQUIRE(back);
  CHECK(back->version == o.version);

  auto tcp = LoadYaml(std::string(kShort) + "  loadBalancing: {sessionAffinity: cookie}\n", App());
  REQUIRE(tcp.errors.size() == 1);
  CHECK(tcp.errors[0].message.find("needs protocol: http") != std::string::npos);
}

}  // namespace
}  // namespace prisn::manifests
