// Namespace, Runner, Secret, Ingress, and the apiVersion / kind / metadata
// fields every object has.
#include <catch2/catch.hpp>

#include "tests/manifests/test_util.h"

namespace prisn::manifests {
namespace {

using testing::Dump;
using testing::FindError;
using testing::LoadYaml;
using testing::Only;

std::string Doc(const std::string& kind, const std::string& spec_lines, const std::string& name = "x") {
  return "apiVersion: prisn.io/v1\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n" + spec_lines;
}

TEST_CASE("Namespace: no namespace of its own, an empty spec at most", "[decode][namespace]") {
  const Object& ns = Only(LoadYaml(Doc("Namespace", "", "team-a")));
  CHECK(ns.Key() == "Namespace/team-a");
  CHECK(ns.meta.namespace_.empty());
  CHECK(Only(LoadYaml(Doc("Namespace", "spec: {}\n"))).kind == "Namespace");
  CHECK(FindError(LoadYaml(Doc("Namespace", "spec: {quota: 1}\n")), "spec.quota", "unknown field"));
  auto nested = LoadYaml("apiVersion: prisn.io/v1\nkind: Namespace\nmetadata: {name: a, namespace: b}\n");
  CHECK(FindError(nested, "metadata.namespace", "not inside a namespace"));
}

TEST_CASE("Metadata: names, namespaces and labels", "[decode][metadata]") {
  const Object& o = Only(LoadYaml(
      "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\n"
      "  labels: {app: web, prisn.io/tier: '1', empty: ''}\n"));
  CHECK(o.Key() == "Secret/prod/s");
  CHECK(o.meta.labels.at("prisn.io/tier") == "1");
  CHECK(o.meta.labels.at("empty").empty());

  struct Case {
    std::string yaml, field, text;
  };
  std::vector<Case> cases{
      {Doc("Secret", "", "My_App"), "metadata.name", "did you mean \"my-app\"?"},
      {Doc("Secret", "", "-x"), "metadata.name", "not a valid name"},
      {Doc("Secret", "", std::string(64, 'a')), "metadata.name", "64 characters"},
      {Doc("Secret", "", "'123'"), "", ""},  // digits only is a valid label
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {}\n", "metadata", "missing field \"name\""},
      {"apiVersion: prisn.io/v1\nkind: Secret\n", "metadata", "missing field \"metadata\""},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: x\n", "metadata", "expected a mapping with name"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: a, namespace: Prod}\n", "metadata.namespace",
       "did you mean \"prod\"?"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: a, labels: {'bad key!': x}}\n",
       "metadata.labels.bad key!", "not a valid label key"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: a, labels: {k: 'has space'}}\n", "metadata.labels.k",
       "label value"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: a, annotations: {k: v}}\n", "metadata.annotations",
       "labels only"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nname: a\nmetadata: {name: a}\n", "name", "under metadata"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: a}\nstatus: {}\n", "status", "reported by prisn"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(c.yaml);
    INFO(c.yaml << "\n" << Dump(set));
    if (c.field.empty()) {
      CHECK(set.ok());
    } else {
      CHECK(FindError(set, c.field, c.text) != nullptr);
    }
  }
}

TEST_CASE("apiVersion and kind: missing, misspelled, or from Kubernetes", "[decode][object]") {
  struct Case {
    std::string yaml, field, text;
  };
  std::vector<Case> cases{
      {"kind: Secret\nmetadata: {name: a}\n", "apiVersion", "missing field"},
      {"apiVersion: prisn.io/v1beta1\nkind: Secret\nmetadata: {name: a}\n", "apiVersion", "did you mean \"prisn.io/v1\"?"},
      {"apiVersion: prisn/v1\nkind: Secret\nmetadata: {name: a}\n", "apiVersion", "did you mean \"prisn.io/v1\"?"},
      {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n", "apiVersion", "Kubernetes API"},
      {"apiVersion: prisn.io/v1\nmetadata: {name: a}\n", "kind", "missing field"},
      {"apiVersion: prisn.io/v1\nkind: Deploymnet\nmetadata: {name: a}\n", "kind", "did you mean \"Deployment\"?"},
      {"apiVersion: prisn.io/v1\nkind: cronjob\nmetadata: {name: a}\n", "kind", "did you mean \"CronJob\"?"},
      {"apiVersion: prisn.io/v1\nkind: Service\nmetadata: {name: a}\n", "kind", "a Deployment with a port"},
      {"apiVersion: prisn.io/v1\nkind: Script\nmetadata: {name: a}\n", "kind", "kind: Job"},
      {"apiVersion: prisn.io/v1\nkind: Gizmo\nmetadata: {name: a}\n", "kind", "prisn.io/v1 kinds"},
      {"apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: a}\n", "spec", "missing field \"spec\""},
      {"- just a list\n", "", "found a list"},
      {"apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: a}\nspce: {}\n", "spce", "did you mean \"spec\"?"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(c.yaml);
    INFO(c.yaml << "\n" << Dump(set));
    CHECK(FindError(set, c.field, c.text) != nullptr);
  }
}

TEST_CASE("Runner: fields, defaults and mistakes", "[decode][runner]") {
  const auto r = std::get<RunnerSpec>(
      Only(LoadYaml(Doc("Runner", "spec:\n  command: [/usr/bin/lua5.4]\n  extensions: [.lua]\n  env: {LUA_PATH: x}\n")))
          .spec);
  CHECK(r.command == std::vector<std::string>{"/usr/bin/lua5.4"});
  CHECK(r.args == std::vector<std::string>{"{script}"});
  CHECK(r.extensions == std::vector<std::string>{".lua"});
  CHECK(r.env.at("LUA_PATH") == "x");
  const auto custom = std::get<RunnerSpec>(
      Only(LoadYaml(Doc("Runner", "spec:\n  command: [deno, run]\n  args: ['--allow-net', '{script}']\n"))).spec);
  CHECK(custom.args.size() == 2);
  const auto placed = std::get<RunnerSpec>(
      Only(LoadYaml(Doc("Runner", "spec:\n  command: [deno, run, '{script}']\n"))).spec);
  CHECK(placed.args.empty());  // the command already places the script

  struct Case {
    std::string spec, field, text;
  };
  std::vector<Case> cases{
      {"spec: {}\n", "spec", "missing field \"command\""},
      {"spec: {command: /usr/bin/lua}\n", "spec.command", "expected a list of strings, found a string"},
      {"spec: {command: []}\n", "spec.command", "empty"},
      {"spec: {command: [lua], args: [-e]}\n", "spec.args", "{script}"},
      {"spec: {command: [lua], extensions: [lua]}\n", "spec.extensions[0]", "did you mean \".lua\"?"},
      {"spec: {command: [lua], source: {path: x}}\n", "spec.source", "runs no script itself"},
      {"spec: {command: [lua], extension: .lua}\n", "spec.extension", "did you mean \"extensions\"?"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(Doc("Runner", c.spec));
    INFO(c.spec << "\n" << Dump(set));
    CHECK(FindError(set, c.field, c.text) != nullptr);
  }
}

TEST_CASE("Secret: data, stringData, sealedData and their mistakes", "[decode][secret]") {
  const auto s = std::get<SecretSpec>(
      Only(LoadYaml(Doc("Secret", "spec:\n  data: {password: aHVudGVyMg==}\n  stringData: {user: admin}\n"
                                  "  sealedData: {token: AAAA}\n")))
          .spec);
  CHECK(s.type == "Opaque");
  CHECK(s.data.at("password") == "aHVudGVyMg==");
  auto plain = PlainSecretValues(s);
  REQUIRE(plain.has_value());
  CHECK(plain->at("password") == "hunter2");
  CHECK(plain->at("user") == "admin");
  CHECK_FALSE(plain->count("token"));
  CHECK(Only(LoadYaml(Doc("Secret", ""))).kind == "Secret");

  struct Case {
    std::string spec, field, text;
  };
  std::vector<Case> cases{
      {"spec: {data: {password: 'not base64!'}}\n", "spec.data.password", "stringData"},
      {"spec: {data: {a: YQ==}, stringData: {a: b}}\n", "spec.stringData.a", "also given in spec.data"},
      {"spec: {stringData: {'bad key': x}}\n", "spec.stringData.bad key", "not a valid secret key"},
      {"spec: {stringData: {a: {b: c}}}\n", "spec.stringData.a", "found a mapping"},
      {"stringData: {a: b}\n", "stringData", "written under spec"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(Doc("Secret", c.spec));
    INFO(c.spec << "\n" << Dump(set));
    CHECK(FindError(set, c.field, c.text) != nullptr);
  }
}

const char* kApi =
    "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata: {name: api}\n"
    "spec: {runtime: python3, source: {inline: 'pass'}, port: 8080}\n---\n";

TEST_CASE("Ingress: fields and defaults", "[decode][ingress]") {
  auto set = LoadYaml(std::string(kApi) +
                      Doc("Ingress",
                          "spec:\n  rules:\n    - host: api.example.com\n      paths:\n"
                          "        - path: /v1\n          backend: {service: api, port: 8080}\n"
                          "        - backend: {service: api}\n"));
  INFO(Dump(set));
  REQUIRE(set.ok());
  const auto& in = std::get<IngressSpec>(set.objects[1].spec);
  CHECK(in.address == "0.0.0.0");
  CHECK(in.port == 80);
  CHECK_FALSE(in.tls.has_value());
  REQUIRE(in.rules.size() == 1);
  CHECK(in.rules[0].host == "api.example.com");
  CHECK(in.rules[0].paths[0].path == "/v1");
  CHECK(in.rules[0].paths[0].backend.port == 8080);
  CHECK(in.rules[0].paths[1].path == "/");
  CHECK(in.rules[0].paths[1].backend.port == 0);

  auto tls = LoadYaml(std::string(kApi) +
                      "apiVersion: prisn.io/v1\nkind: Secret\nmetadata: {name: cert}\n---\n" +
                      Doc("Ingress",
                          "spec:\n  address: 127.0.0.1\n  tls: {secretName: cert, hosts: ['*.example.com']}\n"
                          "  rules: [{paths: [{backend: {service: api}}]}]\n"));
  INFO(Dump(tls));
  REQUIRE(tls.ok());
  const auto& t = std::get<IngressSpec>(tls.objects[2].spec);
  CHECK(t.port == 443);
  CHECK(t.address == "127.0.0.1");
  CHECK(t.tls->secret_name == "cert");
  CHECK(t.tls->hosts == std::vector<std::string>{"*.example.com"});
}

TEST_CASE("Ingress: mistakes", "[decode][ingress]") {
  struct Case {
    std::string spec, field, text;
  };
  std::vector<Case> cases{
      {"spec: {}\n", "spec", "missing field \"rules\""},
      {"spec: {rules: []}\n", "spec.rules", "no rules"},
      {"spec: {rules: [{host: a.com}]}\n", "spec.rules[0]", "missing field \"paths\""},
      {"spec: {rules: [{host: 'https://a.com', paths: [{backend: {service: api}}]}]}\n", "spec.rules[0].host",
       "without scheme"},
      {"spec: {rules: [{paths: [{path: v1, backend: {service: api}}]}]}\n", "spec.rules[0].paths[0].path",
       "did you mean \"/v1\"?"},
      {"spec: {rules: [{paths: [{path: /, deployment: api}]}]}\n", "spec.rules[0].paths[0].deployment",
       "written under backend"},
      {"spec: {rules: [{paths: [{path: /}]}]}\n", "spec.rules[0].paths[0]", "missing field \"backend\""},
      {"spec: {rules: [{paths: [{backend: {service: {name: api}}}]}]}\n", "spec.rules[0].paths[0].backend.service",
       "found a mapping"},
      {"spec: {rules: [{paths: [{backend: {service: api, port: 0}}]}]}\n", "spec.rules[0].paths[0].backend.port",
       "from 1 to 65535"},
      {"spec: {rules: [{http: {paths: []}}]}\n", "spec.rules[0].http", "directly under the rule"},
      {"spec: {tls: [{secretName: c}], rules: [{paths: [{backend: {service: api}}]}]}\n", "spec.tls",
       "one certificate"},
      {"spec: {address: localhost, rules: [{paths: [{backend: {service: api}}]}]}\n", "spec.address",
       "IP address"},
      {"spec: {port: 70000, rules: [{paths: [{backend: {service: api}}]}]}\n", "spec.port", "found 70000"},
  };
  for (const auto& c : cases) {
    auto set = LoadYaml(std::string(kApi) + Doc("Ingress", c.spec));
    INFO(c.spec << "\n" << Dump(set));
    CHECK(FindError(set, c.field, c.text) != nullptr);
  }
}

}  // namespace
}  // namespace prisn::manifests
