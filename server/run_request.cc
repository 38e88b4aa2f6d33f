#include "server/run_request.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "manifests/canonical.h"
#include "manifests/file_tree.h"
#include "manifests/runtime.h"
#include "manifests/units.h"
#include "reconciler/secret_box.h"
#include "util/strings.h"

namespace prisn::server {
namespace {

Status AddFiles(const api::Json& map, bool base64, std::map<std::string, std::string>& files) {
  if (map.is_null()) return {};
  if (!map.is_object()) {
    return Fail(ErrorCode::kInvalid,
                base64 ? "filesBase64 must be an object: {\"relative/path\": \"<base64>\"}"
                       : "files must be an object: {\"relative/path\": \"<content>\"}");
  }
  for (const auto& [path, content] : map.items()) {
    auto normal = manifests::NormalizeTreePath(path);
    if (!normal || normal->empty()) {
      return Fail(ErrorCode::kInvalid,
                  "a file path must be relative, name a file and stay inside the run's folder",
                  path);
    }
    if (!content.is_string()) {
      return Fail(ErrorCode::kInvalid,
                  base64 ? "filesBase64 values must be strings" : "files values must be strings",
                  path);
    }
    std::string bytes = content.get<std::string>();
    if (base64) {
      auto decoded = Base64Decode(bytes);
      if (!decoded) return Fail(ErrorCode::kInvalid, "file content is not valid base64", path);
      bytes = std::move(*decoded);
    }
    if (!files.emplace(*normal, std::move(bytes)).second) {
      return Fail(ErrorCode::kInvalid, "two entries of files name the same path", *normal);
    }
  }
  return {};
}

std::string BaseName(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string Stem(std::string_view path) {
  std::string base = BaseName(path);
  auto dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// A runtime's name is valid when a Runner of the namespace or of "default"
// has it, or a built-in does.
bool RunnerExists(const std::vector<KnownRunner>& runners, const std::string& ns,
                  const std::string& name) {
  for (const KnownRunner& r : runners) {
    if (r.name == name && (r.ns == ns || r.ns == "default")) return true;
  }
  return manifests::FindBuiltinRunner(name).has_value();
}

// Runner names claiming `ext`, from the nearest scope that has any, as the
// manifest loader infers them.
std::vector<std::string> RunnersFor(const std::vector<KnownRunner>& runners, const std::string& ns,
                                    const std::string& ext) {
  for (const std::string& scope : {ns, std::string("default")}) {
    std::set<std::string> names;
    for (const KnownRunner& r : runners) {
      if (r.ns == scope &&
          std::find(r.extensions.begin(), r.extensions.end(), ext) != r.extensions.end()) {
        names.insert(r.name);
      }
    }
    if (!names.empty()) return {names.begin(), names.end()};
  }
  for (const auto& b : manifests::BuiltinRunners()) {
    const auto& e = b.spec.extensions;
    if (std::find(e.begin(), e.end(), ext) != e.end()) return {b.name};
  }
  return {};
}

}  // namespace

std::string SanitizeRunName(std::string_view stem) {
  std::string out;
  for (char c : stem) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      out.push_back(static_cast<char>(std::tolower(u)));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "run" : out;
}

Result<RunRequest> ParseRunRequest(const api::RunRequest& body) {
  RunRequest r;
  if (body.ns && !body.ns->empty()) r.ns = *body.ns;
  if (!IsDnsLabel(r.ns)) {
    return Fail(ErrorCode::kInvalid,
                "namespace must be a DNS-1123 label (lower case letters, digits and '-')", r.ns);
  }
  if (auto st = AddFiles(body.files, false, r.files); !st) return std::unexpected(st.error());
  if (auto st = AddFiles(body.files_base64.value_or(api::Json()), true, r.files); !st) {
    return std::unexpected(st.error());
  }
  if (r.files.empty()) {
    return Fail(ErrorCode::kInvalid,
                "files is empty: send the script to run (files: {\"hello.py\": \"...\"})");
  }
  const std::string entrypoint = body.entrypoint.value_or("");
  if (entrypoint.empty()) {
    if (r.files.size() != 1) {
      return Fail(ErrorCode::kInvalid, "entrypoint is missing: name the file to run, one of files");
    }
    r.entrypoint = r.files.begin()->first;
  } else {
    auto normal = manifests::NormalizeTreePath(entrypoint);
    if (!normal || !r.files.contains(*normal)) {
      return Fail(ErrorCode::kInvalid, "entrypoint must name one of files", entrypoint);
    }
    r.entrypoint = *normal;
  }
  const std::string name = body.name.value_or("");
  r.name = SanitizeRunName(name.empty() ? Stem(r.entrypoint) : name);
  r.runtime = body.runtime.value_or("");
  if (body.args) r.args = *body.args;
  if (body.env) {
    for (const auto& [key, value] : *body.env) {
      if (key.empty() || key.find('=') != std::string::npos ||
          key.find('\0') != std::string::npos) {
        return Fail(ErrorCode::kInvalid,
                    "an environment variable name may not be empty or hold '='", key);
      }
      r.env[key] = value;
    }
  }
  if (const std::string timeout = body.timeout.value_or(""); !timeout.empty()) {
    r.timeout = manifests::ParseDuration(timeout);
    if (!r.timeout) {
      return Fail(ErrorCode::kInvalid, "timeout must be a duration such as 30s, 5m or 1h30m",
                  timeout);
    }
  }
  if (body.isolation) {
    if (*body.isolation < 0 || *body.isolation > 2) {
      return Fail(ErrorCode::kInvalid,
                  "isolation must be 0 (process group), 1 (namespaces and cgroups) or 2 (and a "
                  "read-only host)");
    }
    r.isolation = static_cast<int>(*body.isolation);
  }
  if (const std::string memory = body.memory.value_or(""); !memory.empty()) {
    r.memory = manifests::ParseBytes(memory);
    if (!r.memory || r.memory->value < (4LL << 20)) {
      return Fail(ErrorCode::kInvalid,
                  "memory must be a size of at least 4Mi, such as 256Mi or 1Gi", memory);
    }
  }
  if (body.cpu && !body.cpu->is_null()) {
    const api::Json& cpu = *body.cpu;
    std::string text = cpu.is_string() ? cpu.get<std::string>() : cpu.is_number() ? cpu.dump() : "";
    r.cpu = manifests::ParseCpu(text);
    if (!r.cpu) {
      return Fail(ErrorCode::kInvalid, "cpu must be cores or millicores, such as 500m or 2",
                  cpu.is_string() ? text : cpu.dump());
    }
  }
  return r;
}

Result<manifests::Object> BuildRunJob(const RunRequest& request,
                                      const std::vector<KnownRunner>& runners) {
  manifests::JobSpec spec;
  spec.backoff_limit = 0;
  spec.restart_policy = manifests::RestartPolicy::kNever;
  spec.args = request.args;
  spec.env = request.env;
  if (request.timeout) spec.timeout = *request.timeout;
  if (request.isolation) spec.isolation.level = *request.isolation;
  if (request.memory) spec.resources.memory = *request.memory;
  if (request.cpu) spec.resources.cpu = *request.cpu;

  manifests::Object job;
  job.kind = std::string(manifests::KindName(manifests::Kind::kJob));
  job.meta.name = request.name;
  job.meta.namespace_ = request.ns;
  if (request.files.size() == 1) {
    // As a manifest with `source: {path: FILE}` loads: the file by its name.
    std::string base = BaseName(request.entrypoint);
    spec.source.path = request.entrypoint;
    spec.source.resolved = request.entrypoint;
    spec.entrypoint = base;
    job.sources = {{base, request.files.begin()->second}};
  } else {
    // As `source: {path: .}` with an entrypoint: the folder the CLI sent.
    spec.source.path = ".";
    spec.source.resolved = ".";
    spec.source.is_directory = true;
    spec.entrypoint = request.entrypoint;
    job.sources = request.files;
  }

  if (!request.runtime.empty()) {
    if (!RunnerExists(runners, request.ns, request.runtime)) {
      return Fail(ErrorCode::kInvalid,
                  "unknown runtime \"" + request.runtime +
                      "\": the built-in runtimes are python3, node and bash; add a Runner "
                      "manifest for any other interpreter");
    }
    spec.runtime = request.runtime;
  } else {
    std::string ext = manifests::ExtensionOf(request.entrypoint);
    auto names = ext.empty() ? std::vector<std::string>() : RunnersFor(runners, request.ns, ext);
    if (names.empty()) {
      return Fail(ErrorCode::kInvalid,
                  "cannot tell which runtime runs \"" + request.entrypoint +
                      "\": pass runtime (python3, node, bash or a Runner's name), or add a "
                      "Runner manifest whose extensions include " +
                      (ext.empty() ? std::string("its extension") : "\"" + ext + "\""));
    }
    if (names.size() > 1) {
      return Fail(ErrorCode::kInvalid, "runners " + names[0] + " and " + names[1] +
                                           " both claim \"" + ext + "\": pass runtime");
    }
    spec.runtime = names.front();
  }
  job.spec = std::move(spec);
  job.version = manifests::ComputeVersion(job);
  return job;
}

}  // namespace prisn::server
