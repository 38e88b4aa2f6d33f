#pragma once
// Manifest sets and request bodies for the API integration tests.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon_fixture.h"
#include "reconciler/secret_box.h"

namespace prisn::testing {

using Files = std::map<std::string, std::string>;

inline std::string DeploymentYaml(const std::string& name, const std::string& ns = "default",
                                  int replicas = 1, const std::string& source = "main.py") {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  source:\n    path: " + source +
         "\n  replicas: " + std::to_string(replicas) + "\n";
}

inline std::string JobYaml(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n  source:\n    inline: |\n      echo " + name + "\n  runtime: bash\n";
}

// A set of Deployments named `names` sharing one main.py.
inline Files DeploymentSet(const std::vector<std::string>& names, const std::string& ns = "default",
                           const std::string& code = "print('hello')\n") {
  Files files{{"main.py", code}};
  for (const std::string& n : names) files["deploy-" + n + ".yaml"] = DeploymentYaml(n, ns);
  return files;
}

inline nlohmann::json ApplyBody(const std::string& set, const Files& files,
                                nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json body = {{"set", set}, {"paths", {"."}}, {"files", nlohmann::json::object()}};
  for (const auto& [path, content] : files) body["files"][path] = Base64Encode(content);
  for (auto& [k, v] : extra.items()) body[k] = v;
  return body;
}

// The "action" per "name" of an apply answer.
inline std::map<std::string, std::string> ActionsOf(const HttpReply& reply) {
  std::map<std::string, std::string> out;
  auto j = reply.Json();
  if (!j.is_object() || !j.contains("results")) return out;
  for (const auto& r : j["results"])
    out[r["name"].get<std::string>()] = r["action"].get<std::string>();
  return out;
}

inline int64_t StateIndex(const HttpClient& client) {
  auto j = client.Get("/v1/state").Json();
  return j.is_object() ? j.value("index", int64_t{-1}) : -1;
}

}  // namespace prisn::testing
