#pragma once
// Internal to manifests/: the strict field readers that turn a YNode into
// typed values. Every reader reports its own problems (with the field path
// and the node's position) and returns nullopt/false, so decoding goes on
// and all problems of a document are reported in one run.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/types.h"
#include "manifests/yaml_tree.h"
#include "util/strings.h"

namespace prisn::manifests::internal {

class Ctx {
 public:
  Ctx(std::string file, Object& object, std::vector<Diagnostic>& diags)
      : file_(std::move(file)), object_(object), diags_(diags) {}

  void Error(int line, int column, std::string field, std::string message, std::string hint = {});
  void Error(const YNode& at, std::string field, std::string message, std::string hint = {}) {
    Error(at.line, at.column, std::move(field), std::move(message), std::move(hint));
  }
  void Record(const std::string& field, const YNode& at) {
    if (at.line > 0) object_.positions[field] = Position{at.line, at.column};
  }
  Object& object() { return object_; }
  std::size_t error_count() const { return errors_; }

 private:
  std::string file_;
  Object& object_;
  std::vector<Diagnostic>& diags_;
  std::size_t errors_ = 0;
};

// Field names that belong to another place, with the message to give when
// they show up here ("a Job has no replicas"). Key: field name.
using MisplacedFields = std::map<std::string, std::pair<std::string, std::string>, std::less<>>;

// The keys of one mapping. Take() every known key, then Finish() reports the
// keys nobody took, with "did you mean" among the known ones.
class Fields {
 public:
  Fields(Ctx& ctx, const YNode& map, std::string path);

  // The value of `key`, or null when absent or written as null (`key: ~`).
  const YNode* Take(std::string_view key);
  // True when the key was written at all (even as null).
  bool Has(std::string_view key) const;
  std::string Path(std::string_view key) const;
  const YNode& node() const { return map_; }
  const std::string& path() const { return path_; }

  // Reports every key not taken. `misplaced` gives specific messages for
  // keys known elsewhere; `hints` adds a hint for common foreign keys.
  void Finish(const MisplacedFields* misplaced = nullptr);

 private:
  Ctx& ctx_;
  const YNode& map_;
  std::string path_;
  std::vector<std::string> known_;
  std::vector<bool> taken_;
};

// Each reader: null node -> nullopt without error (the caller applies the
// default or reports a missing field); a wrong type -> error and nullopt.
std::optional<std::string> ReadString(Ctx& ctx, const YNode* n, const std::string& path);
// A non-empty string without control characters.
std::optional<std::string> ReadNonEmptyString(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<std::int64_t> ReadInt(Ctx& ctx, const YNode* n, const std::string& path, std::int64_t min,
                                    std::int64_t max);
std::optional<bool> ReadBool(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<Duration> ReadDuration(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<Quantity> ReadCpu(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<Quantity> ReadBytes(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<IntOrPercent> ReadIntOrPercent(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<std::vector<std::string>> ReadStringList(Ctx& ctx, const YNode* n, const std::string& path);
std::optional<std::map<std::string, std::string>> ReadStringMap(Ctx& ctx, const YNode* n,
                                                                const std::string& path);
// One of `values` (exact spelling); otherwise an error listing them.
std::optional<std::string> ReadEnum(Ctx& ctx, const YNode* n, const std::string& path,
                                    std::initializer_list<std::string_view> values);
// Checks that `n` is a mapping; reports "expected a mapping, found ..." if not.
bool ExpectMap(Ctx& ctx, const YNode& n, const std::string& path, std::string_view what = "a mapping");

// A lowercase DNS label close to `s` ("My_App" -> "my-app"), or empty.
std::string SuggestDnsLabel(std::string_view s);
// Reads a DNS-1123 label and reports a helpful error if it is not one.
std::optional<std::string> ReadName(Ctx& ctx, const YNode* n, const std::string& path);
// Environment variable names: [A-Za-z_][A-Za-z0-9_]*.
bool IsEnvName(std::string_view s);

}  // namespace prisn::manifests::internal
