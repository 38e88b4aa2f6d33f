#pragma once
// `prisn deploy FILE|FOLDER`: the Deployment manifest it writes and the files
// it sends with it. The result goes through the same loader and the same
// POST /v1/apply as `prisn apply`.
//
// A folder may hold a prisn.toml with its defaults (flags win):
//
//   name = "api"
//   runtime = "python3"
//   entrypoint = "main.py"
//   port = 8080            # or "auto"
//   replicas = 2
//   args = ["--workers", "2"]
//   [env]
//   MODE = "prod"
//   [healthCheck]          # any Deployment field, written as in a manifest:
//   tcp = {}               # healthCheck, livenessCheck, resources, isolation,
//   period = "2s"          # strategy, restartPolicy, protocol, autoRevert, ...

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace prisn::cli {

struct DeployFlags {
  std::string path;  // FILE or FOLDER
  std::string name;
  std::string port;  // "8080" | "auto" | ""
  std::optional<int> replicas;
  std::vector<std::string> env;  // K=V
  std::string runtime;
  std::string entrypoint;
  std::string ns = "default";
};

// prisn.toml as manifest fields: {"name", "runtime", "entrypoint", "port",
// "replicas", "args", "env", ...}. kInvalid (with file:line:column) for bad
// TOML or keys a Deployment does not have.
Result<nlohmann::ordered_json> ParseProjectToml(std::string_view text);

// What was read from disk: the files of the source folder (a file alone:
// that file and the dependency files beside it) and its prisn.toml.
struct DeploySources {
  std::string folder;  // the folder's base name: the source path in the manifest
  std::map<std::string, std::string> files;  // relative to the folder -> bytes
  std::optional<std::string> file;           // FILE given: its name
  std::optional<std::string> toml;           // prisn.toml's text, for a folder
};
// kNotFound for a missing path. Folders skip .git, node_modules,
// __pycache__, .venv and venv; kInvalid past 64 MiB.
Result<DeploySources> ReadDeploySources(const std::string& path);

// The entrypoint of a folder: main.py, main.js, main.sh, index.js, app.py,
// else its only script (a file with a built-in runtime's extension). kInvalid
// naming the candidates otherwise.
Result<std::string> ChooseEntrypoint(const std::map<std::string, std::string>& files);

struct DeployPlan {
  std::string name;
  std::string ns;
  std::string manifest_path;                 // "deploy.yaml"
  std::map<std::string, std::string> files;  // the tree to load: manifest + "<folder>/..."
  nlohmann::ordered_json manifest;           // what deploy.yaml says, as JSON
};

// Merges prisn.toml and flags (flags win) into a Deployment manifest. The
// name defaults to the folder's (or file's stem), sanitised to a DNS label.
Result<DeployPlan> PlanDeploy(const DeployFlags& flags, const DeploySources& sources);

// The apply set a deploy uses: "deploy/<ns>/<name>".
std::string DeploySetName(const std::string& ns, const std::string& name);

}  // namespace prisn::cli
