#pragma once
// Internal to manifests/: one YAML document -> one typed Object, with every
// per-object check (types, ranges, names, impossible combinations). Checks
// that need the rest of the set live in validate_set.cc.

#include <optional>
#include <string_view>
#include <vector>

#include "manifests/decode_util.h"
#include "manifests/types.h"
#include "manifests/yaml_tree.h"

namespace prisn::manifests::internal {

enum class DocumentMode {
  kStrict,            // every document must be a manifest
  kSkipNonManifests,  // a document with neither apiVersion nor kind is skipped
};

// nullopt when the document is skipped or too broken to name an object (no
// usable kind or name); problems go to `diags`. A returned object may still
// have errors (check `diags`).
std::optional<Object> DecodeDocument(const YNode& root, int doc_line, std::string_view file,
                                     DocumentMode mode, std::vector<Diagnostic>& diags);

// Shared by the workload decoders (decode_workload.cc): the WorkloadSpec
// fields, taken from `f` (kind-specific fields are taken by the caller before
// f.Finish()); the fields that belong to other kinds, with their messages;
// a restartPolicy name already checked by ReadEnum.
void DecodeWorkload(Ctx& ctx, Fields& f, WorkloadSpec& w, bool has_timeout);
const MisplacedFields& WorkloadMisplaced(Kind kind);
std::optional<RestartPolicy> ToRestartPolicy(const std::optional<std::string>& name);

// Per-kind spec decoders. `spec` may be null (no spec written).
DeploymentSpec DecodeDeployment(Ctx& ctx, const YNode* spec);
JobSpec DecodeJob(Ctx& ctx, const YNode* spec);
CronJobSpec DecodeCronJob(Ctx& ctx, const YNode* spec);
RunnerSpec DecodeRunner(Ctx& ctx, const YNode* spec);
SecretSpec DecodeSecret(Ctx& ctx, const YNode* spec);
IngressSpec DecodeIngress(Ctx& ctx, const YNode* spec);

}  // namespace prisn::manifests::internal
