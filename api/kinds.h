#pragma once
// The object kinds as the API and the CLI spell them, with every spelling a
// user may type (on the command line, in an API path or query): singular,
// plural (as in API paths) and short forms, in any letter case
// (deploy/deployment/deployments, job/jobs, cron/cronjob/cronjobs,
// runner/runners, secret/secrets, ing/ingress/ingresses, ns/namespace/namespaces).

#include <span>
#include <string_view>

#include "util/error.h"

namespace prisn::api {

struct KindInfo {
  std::string_view kind;        // the manifest kind: "Deployment"
  std::string_view singular;    // "deployment"
  std::string_view plural;      // "deployments", as in API paths
  std::string_view short_name;  // "deploy"; empty when there is none
  bool namespaced = true;
};

// Every kind, in the order listings show them.
std::span<const KindInfo> AllKinds();

// The kind a user's word names. kInvalid with the accepted spellings and a
// "did you mean" when it names none.
Result<KindInfo> ResolveKind(std::string_view word);

}  // namespace prisn::api
