#pragma once
// `prisn get endpoints [NAME]`: a service's stable address, its DNS name and
// the replicas in its proxy pool with their traffic. `prisn proxy stats` and
// `prisn dns lookup NAME` are registered by cmd_network.cc.

#include <optional>
#include <string>

#include "cli/command_util.h"

namespace prisn::cli {

// True for the words that name endpoints ("endpoints", "endpoint", "ep").
bool IsEndpointsWord(const std::string& word);

// GET /v1/namespaces/{ns}/endpoints/{name}, or /v1/endpoints without a name.
// Returns the exit code (1: no such service).
int GetEndpoints(Context& ctx, ApiClient& client, const NamespaceOptions& ns,
                 const std::optional<std::string>& name);

}  // namespace prisn::cli
