#pragma once
// Helpers shared by the manifests tests: load YAML held in memory and look
// for a diagnostic by field and text.

#include <map>
#include <stdexcept>
#include <string>

#include "manifests/load.h"

namespace prisn::manifests::testing {

// Loads `yaml` as the file "m.yaml" of an in-memory tree holding `files` too.
inline LoadedSet LoadYaml(const std::string& yaml, std::map<std::string, std::string> files = {},
                          const KnownObjects& known = {}) {
  files["m.yaml"] = yaml;
  MemoryTree tree(std::move(files));
  return LoadSet(tree, {"m.yaml"}, known);
}

// The first diagnostic whose field equals `field` and whose message or hint
// contains `text`; null when there is none.
inline const Diagnostic* FindError(const LoadedSet& set, const std::string& field, const std::string& text = "") {
  for (const auto& d : set.errors) {
    if (d.field == field && (d.message.find(text) != std::string::npos || d.hint.find(text) != std::string::npos)) {
      return &d;
    }
  }
  return nullptr;
}

// Every diagnostic, formatted, one per line: for failure messages.
inline std::string Dump(const LoadedSet& set) {
  std::string out;
  for (const auto& d : set.errors) out += FormatText(d) + "\n";
  return out;
}

// The only object of a set that must be valid; a copy when the set is a
// temporary.
inline const Object& Only(const LoadedSet& set) {
  if (!set.ok() || set.objects.size() != 1) throw std::runtime_error("expected one valid object:\n" + Dump(set));
  return set.objects[0];
}
inline Object Only(LoadedSet&& set) { return Only(static_cast<const LoadedSet&>(set)); }

}  // namespace prisn::manifests::testing
