#pragma once
// `prisn diff --against REV`: the plan computed without a server, by
// comparing the working files with what the same git repository held at a
// revision. The result has the shape of POST /v1/diff (see diff_render.h),
// so it renders the same way.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_apply.h"
#include "manifests/file_tree.h"
#include "manifests/types.h"
#include "util/error.h"

namespace prisn::cli {

// A FileTree seen from one of its folders: paths are relative to `prefix`
// inside `base`, which must outlive this view. Paths that climb above the
// prefix are refused, as a DiskTree rooted there would.
class SubTree final : public manifests::FileTree {
 public:
  SubTree(const manifests::FileTree& base, std::string prefix);
  Result<std::vector<std::string>> ListFiles(std::string_view dir) const override;
  Result<std::string> ReadFile(std::string_view path) const override;
  bool IsDirectory(std::string_view path) const override;
  bool Exists(std::string_view path) const override;

 private:
  // The base tree's path for `path`, or nullopt when it leaves the view.
  std::optional<std::string> Map(std::string_view path) const;
  const manifests::FileTree& base_;
  std::string prefix_;  // normalised; "" for the base's root
};

// The nearest directory at or above `start` that holds a `.git` entry.
// kNotFound when there is none.
Result<std::string> FindRepositoryRoot(const std::string& start);

// The plan from `before` to `after` (objects matched by key). Objects only in
// `before` are "pruned" when `prune`, else counted in removed_without_prune.
// No state index: a server was not asked.
api::DiffAnswer LocalPlan(const std::vector<manifests::Object>& before,
                          const std::vector<manifests::Object>& after, bool prune);

}  // namespace prisn::cli
