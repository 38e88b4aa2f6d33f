#pragma once
// Internal to manifests/: untrusted YAML text turned into a small, bounded
// tree with 1-based positions. This is the only place that talks to
// yaml-cpp. It bounds what yaml-cpp does not: file size, binary data,
// document count, nesting depth, alias expansion (every alias is copied, and
// the copies count against a node budget) and scalar sizes. It also reports
// what yaml-cpp silently accepts: duplicate keys and non-scalar keys. Merge
// keys (`<<: *defaults`) are applied here.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "manifests/diagnostic.h"

namespace prisn::manifests::internal {

struct YEntry;

struct YNode {
  enum class Type { kNull, kScalar, kSequence, kMap };
  Type type = Type::kNull;
  std::string scalar;  // kScalar
  bool plain = true;   // kScalar written without quotes or explicit tag
  int line = 0;        // 1-based
  int column = 0;      // 1-based
  std::vector<YNode> items;     // kSequence
  std::vector<YEntry> entries;  // kMap, in written order, keys unique
};

struct YEntry {
  std::string key;
  int line = 0, column = 0;  // of the key
  YNode value;
};

struct YDocument {
  YNode root;
  int line = 1;  // first line of the document's text
};

// Parses every document of `text`. Problems go to `diags` with `file` set;
// a syntax error loses only the document it is in. Empty documents (only
// comments, or `~`) are dropped.
std::vector<YDocument> ParseYaml(std::string_view file, std::string_view text,
                                 std::vector<Diagnostic>& diags);

// A JSON value as a tree (strings are non-plain scalars, numbers and
// booleans plain), for decoding stored canonical JSON with the same code.
YNode FromJson(const nlohmann::json& json);

// "a mapping", "a list", "nothing", or the scalar quoted and shortened.
std::string Describe(const YNode& node);

}  // namespace prisn::manifests::internal
