// `prisn validate -f PATH...`: checks manifests locally, without a server.
//
// The manifest root (what source.path may not leave) is the deepest folder
// that contains every given path: the folder itself for a folder, the file's
// folder for a file. Paths in messages read as the user typed them: relative
// to the working directory.
#include <fmt/core.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/command.h"
#include "manifests/load.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;
namespace m = prisn::manifests;

struct Options {
  std::vector<std::string> files;
  std::vector<std::string> positional;
  std::string output = "text";
};

fs::path Absolute(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p.empty() ? "." : p, ec);
  return abs.lexically_normal();
}

// The deepest common folder of the given paths.
fs::path CommonRoot(const std::vector<std::string>& paths) {
  std::optional<fs::path> root;
  for (const auto& p : paths) {
    fs::path abs = Absolute(p);
    std::error_code ec;
    fs::path dir = fs::is_directory(abs, ec) ? abs : abs.parent_path();
    if (dir.filename().empty()) dir = dir.parent_path();  // "a/b/" -> "a/b"
    if (!root) {
      root = dir;
      continue;
    }
    fs::path common;
    auto a = root->begin(), b = dir.begin();
    for (; a != root->end() && b != dir.end() && *a == *b; ++a, ++b) common /= *a;
    root = common;
  }
  return root.value_or(Absolute("."));
}

std::string Plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

int Run(const Options& opts) {
  std::vector<std::string> paths = opts.files;
  paths.insert(paths.end(), opts.positional.begin(), opts.positional.end());
  const fs::path root = CommonRoot(paths);
  std::vector<std::string> tree_paths;
  for (const auto& p : paths) {
    std::string rel = Absolute(p).lexically_relative(root).generic_string();
    tree_paths.push_back(rel == "." ? "" : rel);
  }
  std::string prefix = Absolute(".") == root ? "" : root.lexically_relative(Absolute(".")).generic_string() + "/";
  if (prefix == "./") prefix.clear();

  m::DiskTree tree(root.string());
  m::LoadedSet set = m::LoadSet(tree, tree_paths);

  if (opts.output == "json") {
    nlohmann::json out{{"valid", set.ok()}, {"objects", nlohmann::json::array()}, {"errors", nlohmann::json::array()}};
    for (const auto& o : set.objects) {
      out["objects"].push_back({{"kind", o.kind},
                                {"namespace", o.meta.namespace_},
                                {"name", o.meta.name},
                                {"version", o.version},
                                {"file", prefix + o.file}});
    }
    for (const auto& d : set.errors) out["errors"].push_back(m::ToJson(d, prefix));
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return set.ok() ? kExitOk : kExitError;
  }
  if (!set.ok()) {
    std::set<std::string> files;
    for (const auto& d : set.errors) {
      fmt::print(stderr, "{}\n", m::FormatText(d, prefix));
      if (!d.file.empty()) files.insert(d.file);
    }
    fmt::print(stderr, "{} in {}\n", Plural(set.errors.size(), "error"), Plural(files.size(), "file"));
    return kExitError;
  }
  fmt::print("{} valid (files: {})\n", Plural(set.objects.size(), "object"), set.files.size());
  for (const auto& o : set.objects) fmt::print("{} {}\n", o.Key(), o.version);
  return kExitOk;
}

}  // namespace

void RegisterValidate(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("validate", "Check manifests without applying them");
  cmd->add_option("-f,--file", opts->files, "A manifest file or a folder of manifests (repeatable)");
  cmd->add_option("paths", opts->positional, "More files or folders");
  cmd->add_option("-o,--output", opts->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->description(
      "Check manifests without applying them.\n"
      "Parses every prisn.io/v1 document of the given files and folders (folders are\n"
      "walked for *.yaml and *.yml), checks the whole set, and reads the sources.\n"
      "source.path may not leave the manifest root: the deepest folder holding every\n"
      "given path. Exit code 0 when valid, 2 when not (or unreadable).");
  cmd->footer(
      "Examples:\n"
      "  prisn validate -f examples/                 every manifest under examples/\n"
      "  prisn validate -f app.yaml -f secrets.yaml  two files checked as one set\n"
      "  prisn validate -f deploy/ -o json           errors as data, for CI");
  cmd->callback([&ctx, opts] {
    if (opts->files.empty() && opts->positional.empty()) {
      fmt::print(stderr, "error: name what to check: prisn validate -f FILE_OR_FOLDER\n");
      ctx.exit_code = kExitError;
      return;
    }
    ctx.exit_code = Run(*opts);
  });
}

}  // namespace prisn::cli
