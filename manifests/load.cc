#include "manifests/load.h"

#include <fmt/core.h>

#include "manifests/canonical.h"
#include "manifests/decode.h"
#include "manifests/sources.h"
#include "manifests/yaml_tree.h"

namespace prisn::manifests {
namespace {

using internal::DocumentMode;

bool IsManifestFile(std::string_view path) { return path.ends_with(".yaml") || path.ends_with(".yml"); }

bool HasHiddenPart(std::string_view rel) {
  std::size_t pos = 0;
  while (pos <= rel.size()) {
    std::size_t slash = rel.find('/', pos);
    if (slash == std::string_view::npos) slash = rel.size();
    if (rel.substr(pos, slash - pos).starts_with('.')) return true;
    pos = slash + 1;
  }
  return false;
}

void ParseFile(std::string_view file, std::string_view text, DocumentMode mode, std::vector<Object>& objects,
               std::vector<Diagnostic>& errors) {
  for (const auto& doc : internal::ParseYaml(file, text, errors)) {
    if (auto obj = internal::DecodeDocument(doc.root, doc.line, file, mode, errors)) {
      objects.push_back(std::move(*obj));
    }
  }
}

Diagnostic PathError(std::string path, std::string message, std::string hint = {}) {
  return Diagnostic{std::move(path), 0, 0, "", std::move(message), std::move(hint)};
}

}  // namespace

LoadedSet ParseDocuments(std::string_view file_name, std::string_view yaml) {
  LoadedSet out;
  out.files.emplace_back(file_name);
  ParseFile(file_name, yaml, DocumentMode::kStrict, out.objects, out.errors);
  SortDiagnostics(out.errors);
  return out;
}

LoadedSet LoadSet(const FileTree& tree, const std::vector<std::string>& paths, const KnownObjects& known) {
  LoadedSet out;
  std::map<std::string, DocumentMode> files;
  std::vector<std::string> roots = paths.empty() ? std::vector<std::string>{""} : paths;
  for (const auto& p : roots) {
    auto norm = NormalizeTreePath(p);
    if (!norm) {
      out.errors.push_back(PathError(p, "the path leaves the manifest root"));
      continue;
    }
    if (tree.IsDirectory(*norm)) {
      auto list = tree.ListFiles(*norm);
      if (!list) {
        out.errors.push_back(PathError(p, list.error().ToString()));
        continue;
      }
      std::size_t before = files.size();
      std::string prefix = norm->empty() ? "" : *norm + "/";
      for (const auto& f : *list) {
        if (!IsManifestFile(f) || HasHiddenPart(f.substr(prefix.size()))) continue;
        files.emplace(f, DocumentMode::kSkipNonManifests);
      }
      if (files.size() == before && list->empty()) {
        out.errors.push_back(PathError(p, "the folder is empty"));
      } else if (files.size() == before) {
        out.errors.push_back(PathError(p, "no .yaml or .yml files in this folder"));
      }
    } else if (tree.Exists(*norm)) {
      files[*norm] = DocumentMode::kStrict;  // named explicitly: must hold manifests
    } else {
      out.errors.push_back(PathError(p, "no such file or folder"));
    }
  }
  std::set<std::string> manifest_files;
  for (const auto& [file, mode] : files) {
    out.files.push_back(file);
    manifest_files.insert(file);
    auto text = tree.ReadFile(file);
    if (!text) {
      out.errors.push_back(PathError(file, text.error().message));
      continue;
    }
    std::size_t before = out.objects.size();
    std::size_t errors_before = out.errors.size();
    ParseFile(file, *text, mode, out.objects, out.errors);
    // Only files that held manifests are left out of folder sources; a
    // walked YAML file with none is the application's own data.
    if (out.objects.size() == before && out.errors.size() == errors_before) manifest_files.erase(file);
    if (mode == DocumentMode::kStrict && out.objects.size() == before &&
        std::none_of(out.errors.begin(), out.errors.end(), [&](const Diagnostic& d) { return d.file == file; })) {
      out.errors.push_back(PathError(file, "the file holds no manifests",
                                     "a manifest starts with apiVersion: prisn.io/v1 and kind: ..."));
    }
  }
  internal::ReadSources(tree, out.objects, manifest_files, out.errors);
  ValidateSet(out.objects, known, out.errors);
  for (Object& obj : out.objects) obj.version = ComputeVersion(obj);
  SortDiagnostics(out.errors);
  return out;
}

}  // namespace prisn::manifests
