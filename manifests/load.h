#pragma once
// Loading a set of manifests: parse every document of every file, check each
// object and then the set as a whole, fill every default, read the source
// files and compute versions. Nothing here throws; every problem is a
// Diagnostic, and all of them are reported in one run.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/file_tree.h"
#include "manifests/types.h"

namespace prisn::manifests {

// Bounds on untrusted input (yaml-cpp itself bounds none of these well).
inline constexpr std::size_t kMaxManifestFileBytes = 4u << 20;
inline constexpr std::size_t kMaxDocumentsPerFile = 1000;
inline constexpr std::size_t kMaxScalarBytes = 1u << 20;   // inline sources included
inline constexpr int kMaxNestingDepth = 64;
inline constexpr std::size_t kMaxNodesPerDocument = 100000;  // after alias expansion
inline constexpr std::size_t kMaxSourceFiles = 10000;        // per object
inline constexpr std::size_t kMaxSourceBytes = 64u << 20;    // per object

// Objects that live outside the set (already stored by the daemon) and that
// references in the set may name: keys "Kind/namespace/name".
struct KnownObjects {
  std::set<std::string> keys;
};

struct LoadedSet {
  // In file order; files sorted. When !ok() some objects may be partial.
  std::vector<Object> objects;
  std::vector<Diagnostic> errors;  // sorted (SortDiagnostics)
  std::vector<std::string> files;  // manifest files read, relative to the tree root
  bool ok() const { return errors.empty(); }
};

// `paths` name files or folders inside `tree` ("" or "." = the whole tree).
// Folders are walked recursively for *.yaml and *.yml, skipping hidden
// entries (".git", ".github", ...); in a walked folder, YAML documents that
// have neither apiVersion nor kind are not manifests and are skipped, while a
// file named explicitly must hold manifests only.
//
// source.path is resolved relative to the manifest file's directory and must
// stay inside the tree (the tree root is the manifest root). Folder sources
// skip hidden entries, __pycache__, node_modules, .venv and the set's own
// manifest files.
LoadedSet LoadSet(const FileTree& tree, const std::vector<std::string>& paths,
                  const KnownObjects& known = {});

// Parses and checks the documents of one file on its own: per-object checks
// only, no set checks, no sources read, no versions. Used by the fuzzer and
// by tools that look at a single document.
LoadedSet ParseDocuments(std::string_view file_name, std::string_view yaml);

// The set-level checks alone (duplicates, missing runners/secrets/services,
// dependsOn cycles, runtime inference). Appends to `errors`; fills runtime
// and entrypoint where they are inferred.
void ValidateSet(std::vector<Object>& objects, const KnownObjects& known,
                 std::vector<Diagnostic>& errors);

}  // namespace prisn::manifests
