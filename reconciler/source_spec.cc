#include "reconciler/source_spec.h"

#include <set>

#include "manifests/file_tree.h"
#include "manifests/units.h"
#include "util/strings.h"

namespace prisn::reconciler {
namespace {

Result<std::string> OptString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Fail(ErrorCode::kInvalid, std::string(key) + " must be a string");
  return it->get<std::string>();
}

}  // namespace

Result<SourceSpec> SourceSpecFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Fail(ErrorCode::kInvalid, "a source must be a JSON object");
  static const std::set<std::string> kFields{
      "name",   "type",     "url",      "branch",     "tag",           "commit",
      "path",   "dir",      "interval", "secret",     "hookSecret",    "allowMassPrune"};
  for (const auto& [key, value] : j.items()) {
    if (!kFields.contains(key))
      return Fail(ErrorCode::kInvalid, "unknown field of a source", key);
  }
  SourceSpec s;
  struct Field {
    const char* key;
    std::string* out;
  };
  for (Field f : {Field{"name", &s.name}, {"type", &s.type}, {"url", &s.url},
                  {"branch", &s.branch}, {"tag", &s.tag}, {"commit", &s.commit},
                  {"path", &s.path}, {"dir", &s.dir}, {"secret", &s.secret},
                  {"hookSecret", &s.hook_secret}}) {
    auto v = OptString(j, f.key);
    if (!v) return std::unexpected(v.error());
    *f.out = std::move(*v);
  }
  if (!IsDnsLabel(s.name))
    return Fail(ErrorCode::kInvalid, "a source name must be a DNS label (a-z, 0-9, -)", s.name);
  if (s.type.empty()) s.type = s.dir.empty() ? "git" : "dir";
  if (s.type == "git") {
    if (s.url.empty()) return Fail(ErrorCode::kInvalid, "a git source needs a url", s.name);
    if (!s.dir.empty()) return Fail(ErrorCode::kInvalid, "a git source has no dir", s.name);
    int refs = !s.branch.empty() + !s.tag.empty() + !s.commit.empty();
    if (refs > 1)
      return Fail(ErrorCode::kInvalid, "give at most one of branch, tag and commit", s.name);
  } else if (s.type == "dir") {
    if (s.dir.empty() || s.dir.front() != '/')
      return Fail(ErrorCode::kInvalid, "a dir source needs an absolute dir", s.name);
    if (!s.url.empty() || !s.branch.empty() || !s.tag.empty() || !s.commit.empty() ||
        !s.secret.empty()) {
      return Fail(ErrorCode::kInvalid, "a dir source has no url, ref or secret", s.name);
    }
  } else {
    return Fail(ErrorCode::kInvalid, "type must be \"git\" or \"dir\"", s.type);
  }
  auto path = manifests::NormalizeTreePath(s.path);
  if (!path)
    return Fail(ErrorCode::kInvalid, "path must be relative and stay inside the source", s.path);
  s.path = *path;
  if (auto it = j.find("interval"); it != j.end() && !it->is_null()) {
    std::optional<manifests::Duration> d;
    if (it->is_string()) d = manifests::ParseDuration(it->get<std::string>());
    if (!d || d->count() < 1000)
      return Fail(ErrorCode::kInvalid, "interval must be a duration of at least 1s (\"30s\")");
    s.interval_ms = d->count();
  }
  if (auto it = j.find("allowMassPrune"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return Fail(ErrorCode::kInvalid, "allowMassPrune must be true or false");
    s.allow_mass_prune = it->get<bool>();
  }
  return s;
}

nlohmann::ordered_json SourceSpecToJson(const SourceSpec& s) {
  nlohmann::ordered_json j{{"name", s.name}, {"type", s.type}};
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
  };
  put("url", s.url);
  put("branch", s.branch);
  put("tag", s.tag);
  put("commit", s.commit);
  put("path", s.path);
  put("dir", s.dir);
  j["interval"] = manifests::FormatDuration(manifests::Duration(s.interval_ms));
  put("secret", s.secret);
  put("hookSecret", s.hook_secret);
  if (s.allow_mass_prune) j["allowMassPrune"] = true;
  return j;
}

}  // namespace prisn::reconciler
