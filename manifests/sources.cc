#include "manifests/sources.h"

#include <fmt/core.h>

#include "manifests/load.h"
#include "manifests/yaml_scan.h"

namespace prisn::manifests::internal {
namespace {

std::string BaseName(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Build products and tool state that are not part of a workload's code.
bool Skipped(std::string_view rel) {
  std::size_t pos = 0;
  while (pos <= rel.size()) {
    std::size_t slash = rel.find('/', pos);
    if (slash == std::string_view::npos) slash = rel.size();
    std::string_view part = rel.substr(pos, slash - pos);
    if (part.starts_with('.') || part == "__pycache__" || part == "node_modules" || part == "venv") return true;
    pos = slash + 1;
  }
  return rel.ends_with(".pyc");
}

void Report(std::vector<Diagnostic>& errors, const Object& obj, const std::string& field, std::string message,
           std::string hint = {}) {
  Position p = obj.PositionOf(field);
  errors.push_back(Diagnostic{obj.file, p.line, p.column, field, std::move(message), std::move(hint)});
}

std::string NotFoundHint(const FileTree& tree, const std::string& resolved) {
  std::string dir = ParentDir(resolved);
  auto files = tree.ListFiles(dir);
  if (!files) return {};
  std::vector<std::string> names;
  std::string prefix = dir.empty() ? "" : dir + "/";
  for (const auto& f : *files) {
    std::string rest = f.substr(prefix.size());
    auto slash = rest.find('/');
    names.push_back(slash == std::string::npos ? rest : rest.substr(0, slash));
  }
  std::string close = ClosestMatch(BaseName(resolved), names);
  return close.empty() ? "" : fmt::format("did you mean \"{}\"?", close);
}

void ReadOne(const FileTree& tree, Object& obj, WorkloadSpec& w, const std::set<std::string>& manifest_files,
             std::vector<Diagnostic>& errors) {
  const std::string field = "spec.source.path";
  auto resolved = JoinTreePath(ParentDir(obj.file), w.source.path);
  if (!resolved) {
    Report(errors, obj, field, fmt::format("source.path \"{}\" leaves the manifest root", w.source.path),
          "sources must be inside the folder given to prisn (the manifest root)");
    return;
  }
  if (!tree.Exists(*resolved)) {
    Report(errors, obj, field, fmt::format("no such file or folder \"{}\"", w.source.path),
          NotFoundHint(tree, *resolved));
    return;
  }
  w.source.resolved = *resolved;
  auto explain = [&](const Error& e) {
    if (e.code == ErrorCode::kPermission) {
      Report(errors, obj, field, fmt::format("\"{}\" {}", e.context, e.message),
             "copy the file into the source folder instead of linking to it");
    } else {
      Report(errors, obj, field, fmt::format("cannot read the source: {}", e.ToString()));
    }
  };
  if (!tree.IsDirectory(*resolved)) {
    auto data = tree.ReadFile(*resolved);
    if (!data) return explain(data.error());
    obj.sources[BaseName(*resolved)] = std::move(*data);
    return;
  }
  w.source.is_directory = true;
  auto files = tree.ListFiles(*resolved);
  if (!files) return explain(files.error());
  std::string prefix = resolved->empty() ? "" : *resolved + "/";
  std::size_t total = 0;
  for (const auto& path : *files) {
    std::string rel = path.substr(prefix.size());
    if (Skipped(rel) || manifest_files.count(path)) continue;
    if (!IsUtf8Text(rel)) {
      Report(errors, obj, field, "a file name in the source folder is not UTF-8",
             "rename the file; names are stored and shown as text");
      return;
    }
    if (obj.sources.size() >= kMaxSourceFiles) {
      Report(errors, obj, field, fmt::format("the source folder holds more than {} files", kMaxSourceFiles),
            "point source.path at the folder of the code only");
      return;
    }
    auto data = tree.ReadFile(path);
    if (!data) return explain(data.error());
    total += data->size();
    if (total > kMaxSourceBytes) {
      Report(errors, obj, field, fmt::format("the source folder holds more than {} bytes", kMaxSourceBytes),
            "point source.path at the folder of the code only");
      return;
    }
    obj.sources[rel] = std::move(*data);
  }
  if (obj.sources.empty()) {
    Report(errors, obj, field, fmt::format("the source folder \"{}\" holds no files", w.source.path));
  }
}

}  // namespace

void ReadSources(const FileTree& tree, std::vector<Object>& objects, const std::set<std::string>& manifest_files,
                 std::vector<Diagnostic>& errors) {
  for (Object& obj : objects) {
    WorkloadSpec* w = obj.Workload();
    if (!w || w->source.is_inline || w->source.path.empty()) continue;
    ReadOne(tree, obj, *w, manifest_files, errors);
  }
}

}  // namespace prisn::manifests::internal
