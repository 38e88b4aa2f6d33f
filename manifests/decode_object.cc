// apiVersion, kind and metadata; dispatch to the per-kind spec decoders.
#include <fmt/core.h>

#include <algorithm>

#include "manifests/decode.h"

namespace prisn::manifests::internal {
namespace {

const std::vector<std::string>& KindNames() {
  static const std::vector<std::string> kNames{"Namespace", "Deployment", "Job",    "CronJob",
                                               "Runner",    "Secret",     "Ingress"};
  return kNames;
}

std::string KindHint(std::string_view kind) {
  if (kind == "Service") return "a service is a Deployment with a port: use kind: Deployment";
  if (kind == "Script") return "use kind: Job to run a script once, or CronJob to run it on a schedule";
  if (kind == "StatefulSet" || kind == "DaemonSet" || kind == "Pod" || kind == "ReplicaSet") {
    return "use kind: Deployment for a long-running process";
  }
  if (kind == "ConfigMap") return "use env for plain values, or a Secret";
  std::string close = ClosestMatch(kind, KindNames());
  if (!close.empty()) return fmt::format("did you mean \"{}\"?", close);
  return "prisn.io/v1 kinds: Namespace, Deployment, Job, CronJob, Runner, Secret, Ingress";
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return alnum(s.front()) && alnum(s.back()) && std::all_of(s.begin(), s.end(), [&](char c) {
           return alnum(c) || c == '-' || c == '_' || c == '.';
         });
}

bool IsLabelKey(std::string_view k) {
  auto slash = k.find('/');
  if (slash == std::string_view::npos) return IsLabelName(k);
  std::string_view prefix = k.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) return false;
  std::size_t pos = 0;
  while (pos <= prefix.size()) {
    std::size_t dot = prefix.find('.', pos);
    if (dot == std::string_view::npos) dot = prefix.size();
    if (!IsDnsLabel(prefix.substr(pos, dot - pos))) return false;
    pos = dot + 1;
  }
  return IsLabelName(k.substr(slash + 1));
}

void DecodeMetadata(Ctx& ctx, const YNode* n, std::optional<Kind> kind, const YNode& root, ObjectMeta& meta,
                    bool& named) {
  if (!n) {
    ctx.Error(root, "metadata", "missing field \"metadata\"", "add metadata: {name: NAME}");
    return;
  }
  if (!ExpectMap(ctx, *n, "metadata", "a mapping with name")) return;
  Fields f(ctx, *n, "metadata");
  const YNode* name = f.Take("name");
  if (auto v = ReadName(ctx, name, "metadata.name")) {
    meta.name = *v;
    named = true;
  } else if (!name) {
    ctx.Error(*n, "metadata", "missing field \"name\"", "every object needs metadata.name");
  }
  const YNode* ns = f.Take("namespace");
  if (kind == Kind::kNamespace) {
    meta.namespace_.clear();
    if (ns) ctx.Error(*ns, "metadata.namespace", "a Namespace is not inside a namespace", "remove metadata.namespace");
  } else if (auto v = ReadName(ctx, ns, "metadata.namespace")) {
    meta.namespace_ = *v;
  }
  const YNode* labels = f.Take("labels");
  if (auto m = ReadStringMap(ctx, labels, "metadata.labels")) {
    for (const auto& e : labels->entries) {
      std::string p = "metadata.labels." + e.key;
      if (!IsLabelKey(e.key)) {
        ctx.Error(e.line, e.column, p, fmt::format("\"{}\" is not a valid label key", e.key),
                  "use an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.'");
      } else if (!e.value.scalar.empty() && !IsLabelName(e.value.scalar)) {
        ctx.Error(e.value, p, "expected a label value (up to 63 letters, digits, '-', '_' or '.'), found " +
                                  Describe(e.value));
      } else {
        meta.labels[e.key] = e.value.scalar;
      }
    }
  }
  static const MisplacedFields kMisplaced{
      {"annotations", {"prisn objects have labels only", "move the entries to metadata.labels, or remove them"}},
  };
  f.Finish(&kMisplaced);
}

// False when the document belongs to another system (Kubernetes, ...): its
// other fields are not worth checking against prisn's.
bool CheckApiVersion(Ctx& ctx, const YNode* n, const YNode& root) {
  if (!n) {
    ctx.Error(root, "apiVersion", "missing field \"apiVersion\"", "add apiVersion: prisn.io/v1");
    return true;
  }
  auto v = ReadString(ctx, n, "apiVersion");
  if (!v || *v == kApiVersion) return true;
  std::string hint = "prisn manifests use apiVersion: prisn.io/v1";
  if (v->find("prisn") != std::string::npos || !ClosestMatch(*v, {std::string(kApiVersion)}).empty()) {
    hint = "did you mean \"prisn.io/v1\"?";
  }
  std::string message = fmt::format("unsupported apiVersion {}", Describe(*n));
  if (v->find("prisn") == std::string::npos && (*v == "v1" || v->find(".k8s.io/") != std::string::npos ||
                                                 v->starts_with("apps/") || v->starts_with("batch/"))) {
    message = fmt::format("apiVersion {} is a Kubernetes API, not a prisn manifest", Describe(*n));
  }
  ctx.Error(*n, "apiVersion", message, hint);
  return hint.starts_with("did you mean");
}

}  // namespace

std::optional<Object> DecodeDocument(const YNode& root, int doc_line, std::string_view file, DocumentMode mode,
                                     std::vector<Diagnostic>& diags) {
  Object obj;
  obj.file = std::string(file);
  obj.line = root.line > 0 ? root.line : doc_line;
  obj.column = root.column > 0 ? root.column : 1;
  Ctx ctx(std::string(file), obj, diags);
  if (root.type != YNode::Type::kMap) {
    ctx.Error(root, "", "expected a manifest (a mapping with apiVersion, kind, metadata and spec), found " +
                            Describe(root));
    return std::nullopt;
  }
  Fields f(ctx, root, "");
  if (mode == DocumentMode::kSkipNonManifests && !f.Has("apiVersion") && !f.Has("kind")) return std::nullopt;
  if (!CheckApiVersion(ctx, f.Take("apiVersion"), root)) return std::nullopt;
  const YNode* kind_node = f.Take("kind");
  std::optional<Kind> kind;
  if (auto k = ReadString(ctx, kind_node, "kind")) {
    kind = ParseKind(*k);
    if (!kind) ctx.Error(*kind_node, "kind", fmt::format("unknown kind {}", Describe(*kind_node)), KindHint(*k));
  } else if (!kind_node) {
    ctx.Error(root, "kind", "missing field \"kind\"",
              "add kind: Deployment, Job, CronJob, Runner, Secret, Ingress or Namespace");
  }
  bool named = false;
  DecodeMetadata(ctx, f.Take("metadata"), kind, root, obj.meta, named);
  const YNode* spec = f.Take("spec");
  bool needs_spec = kind && *kind != Kind::kNamespace && *kind != Kind::kSecret;
  if (kind && !spec && needs_spec) {
    ctx.Error(root, "spec", f.Has("spec") ? "spec is empty" : "missing field \"spec\"");
  }
  if (kind) {
    switch (*kind) {
      case Kind::kNamespace:
        obj.spec = NamespaceSpec{};
        if (spec && (spec->type != YNode::Type::kMap || !spec->entries.empty())) {
          if (ExpectMap(ctx, *spec, "spec", "an empty mapping")) {
            Fields g(ctx, *spec, "spec");
            g.Finish();
          }
        }
        break;
      case Kind::kDeployment: obj.spec = DecodeDeployment(ctx, spec); break;
      case Kind::kJob: obj.spec = DecodeJob(ctx, spec); break;
      case Kind::kCronJob: obj.spec = DecodeCronJob(ctx, spec); break;
      case Kind::kRunner: obj.spec = DecodeRunner(ctx, spec); break;
      case Kind::kSecret: obj.spec = DecodeSecret(ctx, spec); break;
      case Kind::kIngress: obj.spec = DecodeIngress(ctx, spec); break;
    }
    obj.kind = std::string(KindName(*kind));
  }
  MisplacedFields misplaced;
  if (kind == Kind::kSecret) {
    for (const char* k : {"data", "stringData", "type"}) {
      misplaced[k] = {fmt::format("{} of a Secret is written under spec", k), fmt::format("write spec: {{{}: ...}}", k)};
    }
  }
  for (const char* k : {"name", "namespace", "labels"}) {
    misplaced[k] = {fmt::format("{} is written under metadata", k), fmt::format("write metadata: {{{}: ...}}", k)};
  }
  f.Finish(&misplaced);
  if (!kind || !named) return std::nullopt;
  return obj;
}

}  // namespace prisn::manifests::internal
