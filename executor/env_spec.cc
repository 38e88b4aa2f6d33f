#include "executor/env_spec.h"

#include <sodium.h>
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/files.h"

namespace prisn::executor {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<std::vector<std::string>> NormalizeRequirements(std::string_view text,
                                                       std::string_view origin) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    // pip: a comment is '#' at the start or after whitespace ("url#egg=" is not one).
    size_t hash = raw.find('#');
    while (hash != std::string::npos && hash > 0 && raw[hash - 1] != ' ' && raw[hash - 1] != '\t') {
      hash = raw.find('#', hash + 1);
    }
    std::string line = Trim(hash == std::string::npos ? raw : raw.substr(0, hash));
    if (line.empty()) continue;
    // Collapse inner runs of spaces: "requests >= 2" and "requests>=2" stay
    // different strings for pip, but spacing alone never matters.
    std::string squeezed;
    for (char c : line) {
      if ((c == ' ' || c == '\t') && (squeezed.empty() || squeezed.back() == ' ')) continue;
      squeezed.push_back(c == '\t' ? ' ' : c);
    }
    for (std::string_view bad : {"-r", "--requirement", "-c", "--constraint", "-e", "--editable"}) {
      if (squeezed == bad || squeezed.starts_with(std::string(bad) + " ") ||
          squeezed.starts_with(std::string(bad) + "=")) {
        return Fail(ErrorCode::kInvalid,
                    std::string(bad) +
                        " is not supported in a cached environment; list the packages "
                        "themselves",
                    std::string(origin) + ":" + std::to_string(line_no));
      }
    }
    // Environments are built from wheels only (env_build.cc): a source build
    // would run the package's own code as the daemon's user.
    if (squeezed.find("--no-binary") != std::string::npos) {
      return Fail(ErrorCode::kInvalid,
                  "--no-binary is not supported: environments are built from wheels only, "
                  "since building a source distribution runs its code as the daemon's user",
                  std::string(origin) + ":" + std::to_string(line_no));
    }
    out.push_back(std::move(squeezed));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::optional<DependencySpec>> ReadPythonDependencies(const std::string& dir) {
  std::string requirements = dir + "/requirements.txt";
  if (PathExists(requirements)) {
    auto text = ReadFile(requirements);
    if (!text) return std::unexpected(text.error());
    auto lines = NormalizeRequirements(*text, "requirements.txt");
    if (!lines) return std::unexpected(lines.error());
    if (lines->empty()) return std::optional<DependencySpec>();
    return DependencySpec{EnvKind::kPython, "requirements.txt", std::move(*lines), {}, {}};
  }
  std::string pyproject = dir + "/pyproject.toml";
  if (!PathExists(pyproject)) return std::optional<DependencySpec>();
  toml::table table;
  try {
    table = toml::parse_file(pyproject);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Fail(
        ErrorCode::kInvalid, std::string(e.description()),
        "pyproject.toml:" + std::to_string(where.line) + ":" + std::to_string(where.column));
  }
  const toml::array* deps = table["project"]["dependencies"].as_array();
  if (deps == nullptr || deps->empty()) return std::optional<DependencySpec>();
  std::string text;
  for (const auto& d : *deps) {
    auto s = d.value<std::string>();
    if (!s)
      return Fail(ErrorCode::kInvalid, "project.dependencies must be strings", "pyproject.toml");
    text += *s + "\n";
  }
  auto lines = NormalizeRequirements(text, "pyproject.toml");
  if (!lines) return std::unexpected(lines.error());
  return DependencySpec{EnvKind::kPython, "pyproject.toml", std::move(*lines), {}, {}};
}

Result<std::optional<DependencySpec>> ReadNodeDependencies(const std::string& dir) {
  std::string manifest_path = dir + "/package.json";
  if (!PathExists(manifest_path)) return std::optional<DependencySpec>();
  auto manifest = ReadFile(manifest_path);
  if (!manifest) return std::unexpected(manifest.error());
  auto json = nlohmann::json::parse(*manifest, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Fail(ErrorCode::kInvalid, "not a JSON object", "package.json");
  }
  auto deps = json.find("dependencies");
  if (deps == json.end() || !deps->is_object() || deps->empty())
    return std::optional<DependencySpec>();
  DependencySpec spec{EnvKind::kNode, "package.json", {}, std::move(*manifest), {}};
  std::string lock_path = dir + "/package-lock.json";
  if (PathExists(lock_path)) {
    auto lock = ReadFile(lock_path);
    if (!lock) return std::unexpected(lock.error());
    spec.lockfile = std::move(*lock);
  }
  return spec;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::vector<std::string> SuggestPythonPackages(std::string_view source,
                                               const std::set<std::string>& stdlib,
                                               const std::set<std::string>& local) {
  // Import names whose package is called something else.
  static const std::map<std::string, std::string> kPackageOf = {
      {"yaml", "PyYAML"},          {"PIL", "Pillow"},         {"cv2", "opencv-python"},
      {"sklearn", "scikit-learn"}, {"bs4", "beautifulsoup4"}, {"dateutil", "python-dateutil"},
      {"dotenv", "python-dotenv"}, {"jwt", "PyJWT"},          {"serial", "pyserial"},
      {"Crypto", "pycryptodome"},  {"magic", "python-magic"}, {"attr", "attrs"},
  };
  std::set<std::string> modules;
  std::istringstream in{std::string(source)};
  std::string line;
  auto add = [&](std::string name) {
    name = Trim(name);
    name = name.substr(0, name.find_first_of(". \t,"));
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
      return;
    if (stdlib.count(name) || local.count(name) || name == "__future__") return;
    modules.insert(name);
  };
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (t.starts_with("import ")) {
      std::istringstream names(t.substr(7));
      std::string part;
      while (std::getline(names, part, ',')) add(Trim(part).substr(0, Trim(part).find(' ')));
    } else if (t.starts_with("from ") && t.find(" import ") != std::string::npos) {
      std::string module = Trim(t.substr(5, t.find(" import ") - 5));
      if (!module.starts_with(".")) add(module);
    }
  }
  std::vector<std::string> out;
  for (const auto& m : modules) {
    auto it = kPackageOf.find(m);
    out.push_back(it == kPackageOf.end() ? m : it->second);
  }
  return out;
}

}  // namespace prisn::executor
