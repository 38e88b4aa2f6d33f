#include "cli/deploy_plan.h"

#include <fmt/core.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>
#include <sstream>

#include "cli/printer.h"
#include "cli/run_body.h"
#include "util/files.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr std::uint64_t kMaxDeployBytes = 64ull << 20;

// Top-level keys prisn.toml may hold: the name and every Deployment spec field.
const std::set<std::string>& TomlKeys() {
  static const std::set<std::string> kKeys{"name",
                                           "runtime",
                                           "entrypoint",
                                           "port",
                                           "replicas",
                                           "args",
                                           "env",
                                           "envFrom",
                                           "resources",
                                           "isolation",
                                           "dependsOn",
                                           "healthCheck",
                                           "livenessCheck",
                                           "strategy",
                                           "restartPolicy",
                                           "protocol",
                                           "autoRevert",
                                           "progressDeadline",
                                           "terminationGracePeriod"};
  return kKeys;
}

json TomlToJson(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    json out = json::object();
    for (const auto& [key, value] : *t) out[std::string(key.str())] = TomlToJson(value);
    return out;
  }
  if (const auto* a = node.as_array()) {
    json out = json::array();
    for (const auto& v : *a) out.push_back(TomlToJson(v));
    return out;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  // Dates and times: as TOML writes them.
  std::ostringstream text;
  if (const auto* d = node.as_date()) text << d->get();
  if (const auto* t = node.as_time()) text << t->get();
  if (const auto* dt = node.as_date_time()) text << dt->get();
  return text.str();
}

std::string Sanitize(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && std::isalnum(u)) {
      out.push_back(static_cast<char>(std::tolower(u)));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

bool Skipped(const std::string& dir) {
  return dir == ".git" || dir == "node_modules" || dir == "__pycache__" || dir == ".venv" ||
         dir == "venv";
}

bool IsScript(const std::string& path) {
  for (std::string_view ext : {".py", ".js", ".mjs", ".cjs", ".sh"}) {
    if (path.ends_with(ext)) return true;
  }
  return false;
}

}  // namespace

Result<json> ParseProjectToml(std::string_view text) {
  toml::table table;
  try {
    table = toml::parse(text, std::string_view("prisn.toml"));
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Fail(ErrorCode::kInvalid, std::string(e.description()),
                fmt::format("prisn.toml:{}:{}", where.line, where.column));
  }
  json out = TomlToJson(table);
  for (const auto& [key, value] : out.items()) {
    if (!TomlKeys().contains(key)) {
      std::string known;
      for (const auto& k : TomlKeys()) known += (known.empty() ? "" : ", ") + k;
      return Fail(ErrorCode::kInvalid,
                  fmt::format("unknown key \"{}\" (prisn.toml takes: {})", key, known),
                  "prisn.toml");
    }
  }
  return out;
}

Result<DeploySources> ReadDeploySources(const std::string& path) {
  DeploySources out;
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec).lexically_normal();
  if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();
  auto status = fs::status(p, ec);
  if (ec || !fs::exists(status))
    return Fail(ErrorCode::kNotFound, "no such file or directory", path);
  std::uint64_t total = 0;
  auto add = [&](const fs::path& file, const std::string& rel) -> Status {
    auto bytes = ReadFile(file.string());
    if (!bytes) return std::unexpected(bytes.error());
    total += bytes->size();
    if (total > kMaxDeployBytes) {
      return Fail(ErrorCode::kInvalid, "the files to deploy exceed 64 MiB", path);
    }
    out.files[rel] = std::move(*bytes);
    return {};
  };
  if (!fs::is_directory(status)) {
    fs::path dir = p.parent_path();
    out.folder = dir.filename().string();
    out.file = p.filename().string();
    if (auto st = add(p, *out.file); !st) return std::unexpected(st.error());
    for (const char* dep : kDependencyFiles) {
      if (*out.file != dep && fs::is_regular_file(dir / dep, ec)) {
        if (auto st = add(dir / dep, dep); !st) return std::unexpected(st.error());
      }
    }
    return out;
  }
  out.folder = p.filename().string();
  fs::recursive_directory_iterator it(p, fs::directory_options::none, ec), end;
  if (ec) return std::unexpected(ErrnoError("read " + path, ec.value()));
  for (; it != end; it.increment(ec)) {
    if (ec) return std::unexpected(ErrnoError("read " + path, ec.value()));
    const auto& entry = *it;
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec)) {
      if (Skipped(name)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    std::string rel = entry.path().lexically_relative(p).generic_string();
    if (rel == "prisn.toml") {
      auto text = ReadFile(entry.path().string());
      if (!text) return std::unexpected(text.error());
      out.toml = std::move(*text);
      continue;
    }
    if (auto st = add(entry.path(), rel); !st) return std::unexpected(st.error());
  }
  return out;
}

Result<std::string> ChooseEntrypoint(const std::map<std::string, std::string>& files) {
  for (const char* candidate : {"main.py", "main.js", "main.sh", "index.js", "app.py"}) {
    if (files.contains(candidate)) return std::string(candidate);
  }
  std::vector<std::string> scripts;
  for (const auto& [path, bytes] : files) {
    if (IsScript(path)) scripts.push_back(path);
  }
  if (scripts.size() == 1) return scripts.front();
  if (scripts.empty()) {
    return Fail(ErrorCode::kInvalid,
                "no script to run here (no .py, .js or .sh file); pass --entrypoint FILE");
  }
  std::string names;
  for (size_t i = 0; i < scripts.size() && i < 5; ++i) names += (i ? ", " : "") + scripts[i];
  if (scripts.size() > 5) names += ", ...";
  return Fail(ErrorCode::kInvalid,
              fmt::format("which script is the entrypoint? ({}); pass --entrypoint FILE or set "
                          "entrypoint in prisn.toml",
                          names));
}

std::string DeploySetName(const std::string& ns, const std::string& name) {
  return "deploy/" + ns + "/" + name;
}

Result<DeployPlan> PlanDeploy(const DeployFlags& flags, const DeploySources& sources) {
  json spec = json::object();
  std::string toml_name;
  if (sources.toml) {
    auto parsed = ParseProjectToml(*sources.toml);
    if (!parsed) return std::unexpected(parsed.error());
    for (auto& [key, value] : parsed->items()) {
      if (key == "name") {
        if (!value.is_string())
          return Fail(ErrorCode::kInvalid, "name must be a string", "prisn.toml");
        toml_name = value.get<std::string>();
      } else {
        spec[key] = value;
      }
    }
  }
  DeployPlan plan;
  plan.ns = flags.ns;
  std::string stem = sources.file ? fs::path(*sources.file).stem().string() : sources.folder;
  plan.name = !flags.name.empty() ? flags.name : !toml_name.empty() ? toml_name : Sanitize(stem);
  if (plan.name.empty())
    return Fail(ErrorCode::kInvalid, "cannot name the deployment; pass --name");

  if (!flags.entrypoint.empty()) {
    spec["entrypoint"] = flags.entrypoint;
  } else if (sources.file) {
    spec["entrypoint"] = *sources.file;
  } else if (!spec.contains("entrypoint")) {
    auto chosen = ChooseEntrypoint(sources.files);
    if (!chosen) return std::unexpected(chosen.error());
    spec["entrypoint"] = *chosen;
  }
  if (!flags.runtime.empty()) spec["runtime"] = flags.runtime;
  if (flags.replicas) spec["replicas"] = *flags.replicas;
  if (flags.port == "auto") {
    spec["port"] = "auto";
  } else if (!flags.port.empty()) {
    int port = 0;
    auto [end, ec] =
        std::from_chars(flags.port.data(), flags.port.data() + flags.port.size(), port);
    if (ec != std::errc() || end != flags.port.data() + flags.port.size() || port < 1 ||
        port > 65535) {
      return Fail(ErrorCode::kInvalid, "--port takes a port number (1-65535) or auto", flags.port);
    }
    spec["port"] = port;
  }
  auto env = ParseEnvFlags(flags.env);
  if (!env) return std::unexpected(env.error());
  if (!env->empty()) {
    if (!spec.contains("env") || !spec["env"].is_object()) spec["env"] = json::object();
    for (const auto& [k, v] : *env) spec["env"][k] = v;
  }

  // The source folder sits beside the manifest in the tree that is sent.
  std::string folder = Sanitize(sources.folder);
  if (folder.empty() || folder == "deploy") folder = "src";
  json ordered = json::object();
  ordered["source"] = {{"path", folder}};
  for (auto& [k, v] : spec.items()) ordered[k] = v;
  plan.manifest = {{"apiVersion", "prisn.io/v1"},
                   {"kind", "Deployment"},
                   {"metadata", {{"name", plan.name}, {"namespace", plan.ns}}},
                   {"spec", std::move(ordered)}};
  plan.manifest_path = "deploy.yaml";
  plan.files[plan.manifest_path] = ToYaml(plan.manifest);
  for (const auto& [rel, bytes] : sources.files) plan.files[folder + "/" + rel] = bytes;
  return plan;
}

}  // namespace prisn::cli
