#pragma once
// The manifests named by `-f PATH...`, read from disk the way `apply` and
// `diff` send them.
//
// The tree root is the deepest folder that contains every named path (a
// file's folder for a file); each -f path is loaded relative to it, so
// `-f app/` loads the whole of app/ and source paths resolve inside app/.
// Diagnostics name files as the user typed them (relative to the working
// directory when the root is inside it).

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/types_apply.h"
#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "util/error.h"

namespace prisn::cli {

struct LocalInputs {
  std::string root;                // absolute, lexically normal
  std::vector<std::string> paths;  // relative to root, '/'-separated; "." for the root
  std::string display_prefix;      // prepended to diagnostic file names: "app/" or ""
};

// Resolves the -f arguments against `cwd`. kNotFound when one does not
// exist, kInvalid when none is given.
Result<LocalInputs> ResolveInputs(const std::vector<std::string>& args, const std::string& cwd);

// The default apply set name for a -f argument: its base name without a
// .yaml/.yml extension, lower-cased, reduced to [a-z0-9-] and cut to 40
// characters, then "-" and the first 8 hex digits of the sha256 of its
// absolute path: `-f ./app/` in /srv/repo gives "app-" + sha256("/srv/repo/app").
std::string DefaultSetName(const std::string& arg, const std::string& cwd);

// The files an apply request carries (docs/API.md `files`): every manifest
// file the set read and every source file its objects use, as tree path ->
// bytes. The set must have loaded without errors.
Result<std::map<std::string, std::string>> CollectFiles(const manifests::FileTree& tree,
                                                        const manifests::LoadedSet& set);

// The request POST /v1/apply takes (its set, paths and files, base64'd;
// the apply controls unset); POST /v1/diff takes the same members but those.
api::ApplyRequest ApplyRequestFor(const std::string& set_name, const LocalInputs& inputs,
                                  const std::map<std::string, std::string>& files);
// The same, encoded.
nlohmann::ordered_json RequestBody(const std::string& set_name, const LocalInputs& inputs,
                                   const std::map<std::string, std::string>& files);

// Keys of objects the set may reference without defining them because the
// daemon is expected to hold them: every Secret named in envFrom that the
// set does not define. Used where no server can be asked (diff --against).
manifests::KnownObjects AssumedSecrets(const manifests::LoadedSet& set);

// The diagnostics of a failed load, one FormatText block per line group,
// with file names as the user typed them.
std::string FormatErrors(const manifests::LoadedSet& set, const std::string& display_prefix);

// The working directory, or "." when it cannot be read.
std::string CurrentDirectory();

}  // namespace prisn::cli
