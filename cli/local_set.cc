#include "cli/local_set.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>

#include "cli/command_util.h"
#include "manifests/canonical.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;

fs::path Absolute(const std::string& arg, const std::string& cwd) {
  fs::path p(arg);
  if (p.is_relative()) p = fs::path(cwd) / p;
  p = p.lexically_normal();
  // "app/" normalises to "app/" with an empty last element; drop it.
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

fs::path CommonAncestor(const fs::path& a, const fs::path& b) {
  fs::path out;
  auto ia = a.begin();
  auto ib = b.begin();
  for (; ia != a.end() && ib != b.end() && *ia == *ib; ++ia, ++ib) out /= *ia;
  return out;
}

bool IsInside(const fs::path& child, const fs::path& parent) {
  auto rel = child.lexically_relative(parent);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::string CurrentDirectory() {
  std::error_code ec;
  auto cwd = fs::current_path(ec);
  return ec ? std::string(".") : cwd.string();
}

Result<LocalInputs> ResolveInputs(const std::vector<std::string>& args, const std::string& cwd) {
  if (args.empty()) return Fail(ErrorCode::kInvalid, "name the manifests with -f PATH");
  std::vector<fs::path> absolute;
  fs::path root;
  for (size_t i = 0; i < args.size(); ++i) {
    fs::path p = Absolute(args[i], cwd);
    std::error_code ec;
    auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) {
      return Fail(ErrorCode::kNotFound, "no such file or directory", args[i]);
    }
    fs::path base = fs::is_directory(status) ? p : p.parent_path();
    root = i == 0 ? base : CommonAncestor(root, base);
    absolute.push_back(p);
  }
  LocalInputs out;
  out.root = root.string();
  for (const auto& p : absolute) {
    std::string rel = p.lexically_relative(root).generic_string();
    out.paths.push_back(rel.empty() ? "." : rel);
  }
  fs::path cwd_path = fs::path(cwd).lexically_normal();
  if (!cwd_path.has_filename() && cwd_path.has_parent_path() && cwd_path != cwd_path.root_path()) {
    cwd_path = cwd_path.parent_path();
  }
  if (root == cwd_path) {
    out.display_prefix = "";
  } else if (IsInside(root, cwd_path)) {
    out.display_prefix = root.lexically_relative(cwd_path).generic_string() + "/";
  } else {
    out.display_prefix = root.generic_string() + "/";
  }
  return out;
}

std::string DefaultSetName(const std::string& arg, const std::string& cwd) {
  fs::path p = Absolute(arg, cwd);
  std::string base = p.filename().string();
  for (std::string_view ext : {".yaml", ".yml"}) {
    if (base.size() > ext.size() && base.ends_with(ext)) base.resize(base.size() - ext.size());
  }
  std::string name;
  for (char c : base) {
    auto u = static_cast<unsigned char>(c);
    char l = static_cast<char>(std::tolower(u));
    if (std::isalnum(static_cast<unsigned char>(l))) {
      name += l;
    } else if (!name.empty() && name.back() != '-') {
      name += '-';
    }
  }
  if (name.size() > 40) name.resize(40);
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.empty()) name = "set";
  return name + "-" + manifests::Sha256Hex(p.string()).substr(0, 8);
}

Result<std::map<std::string, std::string>> CollectFiles(const manifests::FileTree& tree,
                                                        const manifests::LoadedSet& set) {
  std::map<std::string, std::string> files;
  for (const auto& f : set.files) {
    auto content = tree.ReadFile(f);
    if (!content) return std::unexpected(content.error());
    files[f] = std::move(*content);
  }
  for (const auto& object : set.objects) {
    const auto* w = object.Workload();
    if (w == nullptr || w->source.is_inline) continue;
    const auto& source = w->source;
    if (!source.is_directory) {
      if (source.resolved.empty() || object.sources.empty()) continue;
      files[source.resolved] = object.sources.begin()->second;
      continue;
    }
    for (const auto& [rel, bytes] : object.sources) {
      auto path = manifests::JoinTreePath(source.resolved, rel);
      if (!path) {
        return Fail(ErrorCode::kInvalid, fmt::format("source file {} leaves the tree", rel),
                    object.Key());
      }
      files[*path] = bytes;
    }
  }
  return files;
}

api::ApplyRequest ApplyRequestFor(const std::string& set_name, const LocalInputs& inputs,
                                  const std::map<std::string, std::string>& files) {
  api::ApplyRequest r;
  r.set = set_name;
  r.paths = inputs.paths;
  r.files.emplace();
  for (const auto& [path, bytes] : files) (*r.files)[path] = Base64(bytes);
  return r;
}

nlohmann::ordered_json RequestBody(const std::string& set_name, const LocalInputs& inputs,
                                   const std::map<std::string, std::string>& files) {
  return api::Encode(ApplyRequestFor(set_name, inputs, files));
}

manifests::KnownObjects AssumedSecrets(const manifests::LoadedSet& set) {
  std::set<std::string> defined;
  for (const auto& o : set.objects) defined.insert(o.Key());
  manifests::KnownObjects known;
  for (const auto& o : set.objects) {
    const auto* w = o.Workload();
    if (w == nullptr) continue;
    for (const auto& ref : w->env_from) {
      auto key = manifests::MakeKey(manifests::Kind::kSecret, o.meta.namespace_, ref.name);
      if (!defined.contains(key)) known.keys.insert(key);
    }
  }
  return known;
}

std::string FormatErrors(const manifests::LoadedSet& set, const std::string& display_prefix) {
  std::string out;
  for (const auto& d : set.errors) {
    out += manifests::FormatText(d, display_prefix);
    out += '\n';
  }
  return out;
}

}  // namespace prisn::cli
