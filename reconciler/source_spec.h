#pragma once
// The definition of a GitOps source, as stored in sources.spec (JSON) and
// sent to POST /v1/sources.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/error.h"

namespace prisn::reconciler {

struct SourceSpec {
  std::string name;  // a DNS label; the apply set is "source:NAME"
  std::string type;  // "git" | "dir"
  // git: the remote (file://, git://, http(s)://, ssh://, or a local path)
  // and at most one of branch / tag / commit (none: the remote's HEAD). A
  // commit must be reachable from one of the remote's branches.
  std::string url;
  std::string branch;
  std::string tag;
  std::string commit;
  std::string path;  // the manifest root inside the repository ("" = all)
  // dir: an absolute folder on the daemon's host.
  std::string dir;
  int64_t interval_ms = 30'000;
  // A Secret ("NAME" in namespace default, or "NS/NAME") holding fetch
  // credentials: token, or username + password, or sshKey (+ passphrase).
  std::string secret;
  // The key webhooks (POST /v1/hooks/NAME) are signed with; empty: hooks
  // are refused.
  std::string hook_secret;
  // Lets a sync prune more than half of the source's objects.
  bool allow_mass_prune = false;

  // "source:NAME".
  std::string SetName() const { return "source:" + name; }
};

// Checks every field (unknown fields, one ref at most, interval >= 1s, a
// relative path that stays inside the repository, an absolute dir). kInvalid.
Result<SourceSpec> SourceSpecFromJson(const nlohmann::json& json);
// The stored form; hook_secret included (callers showing it must drop it).
nlohmann::ordered_json SourceSpecToJson(const SourceSpec& spec);

}  // namespace prisn::reconciler
