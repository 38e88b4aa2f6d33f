#pragma once
// Secrets by the CLI: POST /v1/secrets and GET /v1/secrets. Values travel in
// the request only; no answer carries one.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"
#include "api/types_objects.h"

namespace prisn::api {

// POST /v1/secrets. Optional members so that the daemon can tell a missing
// one from an empty one in its own messages.
struct SecretCreateRequest {
  std::optional<std::string> ns;  // default "default"
  std::optional<std::string> name;
  std::optional<std::map<std::string, std::string>> data;  // key: base64 value
  std::optional<bool> overwrite;
};
constexpr auto Fields(std::type_identity<SecretCreateRequest>) {
  return std::tuple{Field{"namespace", &SecretCreateRequest::ns},
                    Field{"name", &SecretCreateRequest::name},
                    Field{"data", &SecretCreateRequest::data},
                    Field{"overwrite", &SecretCreateRequest::overwrite}};
}

// The answer of POST /v1/secrets: the stored Secret (values masked).
struct SecretCreated {
  int64_t index = 0;
  std::string action;  // "created" | "configured" | "unchanged"
  ObjectView object;
};
constexpr auto Fields(std::type_identity<SecretCreated>) {
  return std::tuple{Field{"index", &SecretCreated::index}, Field{"action", &SecretCreated::action},
                    Field{"object", &SecretCreated::object}};
}

// One Secret of GET /v1/secrets: its keys, never its values.
struct SecretSummary {
  std::string ns;
  std::string name;
  std::vector<std::string> keys;  // sorted
  std::string version;
  std::string updated_at;
};
constexpr auto Fields(std::type_identity<SecretSummary>) {
  return std::tuple{Field{"namespace", &SecretSummary::ns}, Field{"name", &SecretSummary::name},
                    Field{"keys", &SecretSummary::keys}, Field{"version", &SecretSummary::version},
                    Field{"updatedAt", &SecretSummary::updated_at}};
}
struct SecretList {
  std::vector<SecretSummary> items;
};
constexpr auto Fields(std::type_identity<SecretList>) {
  return std::tuple{Field{"items", &SecretList::items}};
}

}  // namespace prisn::api
