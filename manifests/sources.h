#pragma once
// Internal to manifests/: reading each workload's source files from the tree.

#include <set>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/file_tree.h"
#include "manifests/types.h"

namespace prisn::manifests::internal {

// Resolves source.path against the manifest file's folder, refuses paths and
// symlinks that leave the tree, and fills Object::sources (and
// Source::resolved / is_directory). Inline sources are filled later, once
// the entrypoint is known (validate_set.cc). `manifest_files` are left out
// of folder sources: they describe the object, they are not its code.
void ReadSources(const FileTree& tree, std::vector<Object>& objects, const std::set<std::string>& manifest_files,
                 std::vector<Diagnostic>& errors);

}  // namespace prisn::manifests::internal
