#pragma once
// The canonical form of an object and its content version.
//
// Canonical JSON spells out every default, uses a fixed key order and
// canonical unit spellings, and lists source files by path and sha256 (never
// their content), so the same object written with another key order, other
// comments or with defaults spelled out is byte-identical. The version is
// "v-" + the first 8 hex digits of sha256 over that JSON with the scaling
// and scheduling fields removed (replicas, suspend, schedule, every): those
// change in place and never restart anything. A change to any byte of any
// source file changes the version.

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "manifests/types.h"
#include "util/error.h"

namespace prisn::manifests {

// {"apiVersion","kind","metadata":{...},"spec":{...},"sourceFiles":[{"path","sha256"}]}
// Secret values appear as written unless `mask_secrets` (then "***").
nlohmann::ordered_json ToCanonicalJson(const Object& object, bool mask_secrets = false);

// The same content as stable, readable YAML for diffs (block style, fixed key
// order, multi-line strings as literal blocks). Secrets are masked by
// default: diffs are shown to people.
std::string ToCanonicalYaml(const Object& object, bool mask_secrets = true);

// "v-" + 8 lowercase hex digits; see above.
std::string ComputeVersion(const Object& object);

// sha256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

// Turns stored canonical JSON (unmasked) back into a typed object, with the
// given source files (path relative to the source root -> bytes). Runs the
// per-object checks; fails with kInvalid (message lists the problems) when
// the JSON is not a valid object or the sources do not match its
// sourceFiles hashes. The returned object has its version recomputed; file,
// line and column are empty.
Result<Object> FromCanonicalJson(const nlohmann::json& json,
                                 std::map<std::string, std::string> sources);

}  // namespace prisn::manifests
