// Checks that need the whole set: duplicates, runtimes and entrypoints,
// secret references, dependsOn targets and cycles, Ingress backends.
#include <fmt/core.h>

#include <algorithm>
#include <functional>

#include "manifests/load.h"
#include "manifests/runtime.h"

namespace prisn::manifests {
namespace {

struct Index {
  std::map<std::string, const Object*> by_key;  // first object of each key
  // namespace -> name -> objects of any kind
  std::map<std::string, std::map<std::string, std::vector<const Object*>>> by_name;
  const KnownObjects* known = nullptr;

  const Object* Find(Kind kind, const std::string& ns, const std::string& name) const {
    auto it = by_key.find(MakeKey(kind, ns, name));
    return it == by_key.end() ? nullptr : it->second;
  }
  bool Known(Kind kind, const std::string& ns, const std::string& name) const {
    return known->keys.count(MakeKey(kind, ns, name)) > 0;
  }
  bool NameExists(const std::string& ns, const std::string& name) const {
    auto it = by_name.find(ns);
    if (it != by_name.end() && it->second.count(name)) return true;
    for (const auto& key : known->keys) {
      if (key.ends_with("/" + ns + "/" + name) && std::count(key.begin(), key.end(), '/') == 2) return true;
    }
    return false;
  }
  std::vector<std::string> NamesOf(Kind kind, const std::string& ns) const {
    std::vector<std::string> out;
    std::string prefix = MakeKey(kind, ns, "");
    for (const auto& [key, obj] : by_key) {
      if (key.starts_with(prefix)) out.push_back(obj->meta.name);
    }
    for (const auto& key : known->keys) {
      if (key.starts_with(prefix)) out.push_back(key.substr(prefix.size()));
    }
    return out;
  }
};

class Checker {
 public:
  Checker(std::vector<Object>& objects, const KnownObjects& known, std::vector<Diagnostic>& errors)
      : objects_(objects), errors_(errors) {
    index_.known = &known;
  }

  void Run() {
    CheckDuplicates();
    for (Object& obj : objects_) {
      if (WorkloadSpec* w = obj.Workload()) {
        ResolveEntrypointAndRuntime(obj, *w);
        CheckSecrets(obj, *w);
        CheckDependsOn(obj, *w);
      }
      if (auto* in = std::get_if<IngressSpec>(&obj.spec)) CheckIngress(obj, *in);
    }
    CheckCycles();
    CheckIngressConflicts();
  }

 private:
  void Report(const Object& obj, const std::string& field, std::string message, std::string hint = {}) {
    Position p = obj.PositionOf(field);
    errors_.push_back(Diagnostic{obj.file, p.line, p.column, field, std::move(message), std::move(hint)});
  }

  static std::string Where(const Object& o) { return fmt::format("{}:{}:{}", o.file, o.line, o.column); }

  void CheckDuplicates() {
    for (const Object& obj : objects_) {
      auto [it, fresh] = index_.by_key.emplace(obj.Key(), &obj);
      if (!fresh) {
        Report(obj, "metadata.name", fmt::format("duplicate object {}: also defined at {}", obj.Key(), Where(*it->second)),
               "rename one of them or delete the copy");
      }
      index_.by_name[obj.meta.namespace_][obj.meta.name].push_back(&obj);
    }
  }

  // A Runner by name as the workload in `ns` sees it: its namespace, then
  // "default", then the built-ins. `spec` is null for a stored runner.
  struct Found {
    bool found = false;
    const RunnerSpec* spec = nullptr;
    std::optional<NamedRunner> builtin;
  };
  Found FindRunner(const std::string& ns, const std::string& name) const {
    for (const std::string& scope : {ns, std::string("default")}) {
      if (const Object* r = index_.Find(Kind::kRunner, scope, name)) return {true, &std::get<RunnerSpec>(r->spec), {}};
      if (index_.Known(Kind::kRunner, scope, name)) return {true, nullptr, {}};
    }
    if (auto b = FindBuiltinRunner(name)) {
      Found f{true, nullptr, b};
      return f;
    }
    return {};
  }
  const RunnerSpec* SpecOf(const Found& f) const { return f.spec ? f.spec : f.builtin ? &f.builtin->spec : nullptr; }
  const RunnerSpec* SpecOf(Found&&) const = delete;  // would point into a temporary

  // Runner names claiming `ext`, from the nearest scope that has any.
  std::vector<std::string> RunnersFor(const std::string& ns, const std::string& ext) const {
    for (const std::string& scope : {ns, std::string("default")}) {
      std::vector<std::string> names;
      for (const Object& o : objects_) {
        auto* r = std::get_if<RunnerSpec>(&o.spec);
        if (!r || o.meta.namespace_ != scope) continue;
        if (std::find(r->extensions.begin(), r->extensions.end(), ext) != r->extensions.end()) {
          names.push_back(o.meta.name);
        }
      }
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      if (!names.empty()) return names;
      if (scope == "default") break;
    }
    for (const auto& b : BuiltinRunners()) {
      if (std::find(b.spec.extensions.begin(), b.spec.extensions.end(), ext) != b.spec.extensions.end()) {
        return {b.name};
      }
    }
    return {};
  }

  std::vector<std::string> RunnerCandidates(const std::string& ns) const {
    std::vector<std::string> out;
    for (const auto& b : BuiltinRunners()) out.push_back(b.name);
    for (const std::string& scope : {ns, std::string("default")}) {
      for (auto& n : index_.NamesOf(Kind::kRunner, scope)) out.push_back(n);
    }
    return out;
  }

  bool CheckRuntimeName(const Object& obj, WorkloadSpec& w) {
    if (FindRunner(obj.meta.namespace_, w.runtime).found) return true;
    static const std::map<std::string, std::string> kAliases{
        {"python", "python3"}, {"py", "python3"}, {"nodejs", "node"}, {"js", "node"},
        {"javascript", "node"}, {"sh", "bash"},   {"shell", "bash"}};
    std::string hint;
    if (auto it = kAliases.find(w.runtime); it != kAliases.end()) {
      hint = fmt::format("did you mean \"{}\"?", it->second);
    } else if (auto close = ClosestMatch(w.runtime, RunnerCandidates(obj.meta.namespace_)); !close.empty()) {
      hint = fmt::format("did you mean \"{}\"?", close);
    } else {
      hint = "built-in runtimes are python3, node and bash; add a Runner manifest for any other interpreter";
    }
    Report(obj, "spec.runtime", fmt::format("unknown runtime \"{}\"", w.runtime), hint);
    return false;
  }

  void InferRuntime(const Object& obj, WorkloadSpec& w, const std::string& field) {
    std::string ext = ExtensionOf(w.entrypoint);
    if (ext.empty()) {
      Report(obj, field, fmt::format("cannot tell which runtime runs \"{}\" (it has no extension)", w.entrypoint),
             "set spec.runtime");
      return;
    }
    auto names = RunnersFor(obj.meta.namespace_, ext);
    if (names.empty()) {
      Report(obj, field, fmt::format("cannot tell which runtime runs \"{}\"", w.entrypoint),
             fmt::format("set spec.runtime, or add a Runner with extensions: [\"{}\"]", ext));
    } else if (names.size() > 1) {
      Report(obj, field,
             fmt::format("runners {} and {} both claim \"{}\"", names[0], names[1], ext), "set spec.runtime");
    } else {
      w.runtime = names[0];
    }
  }

  void ResolveEntrypointAndRuntime(Object& obj, WorkloadSpec& w) {
    if (!w.runtime.empty() && !CheckRuntimeName(obj, w)) return;
    const std::string& ns = obj.meta.namespace_;
    if (w.source.is_inline) {
      if (w.entrypoint.empty()) {
        if (w.runtime.empty()) {
          Report(obj, "spec.source.inline", "an inline source needs a runtime: there is no file name to infer it from",
                 "add runtime: python3 (or node, bash, a Runner's name)");
          return;
        }
        const Found runner = FindRunner(ns, w.runtime);
        const RunnerSpec* spec = SpecOf(runner);
        w.entrypoint = "main" + (spec && !spec->extensions.empty() ? spec->extensions[0] : std::string());
      } else if (w.runtime.empty()) {
        InferRuntime(obj, w, "spec.entrypoint");
      }
      obj.sources = {{w.entrypoint, w.source.inline_text}};
      return;
    }
    if (w.source.resolved.empty() && !w.source.is_directory && obj.sources.empty()) return;  // not read
    if (!w.source.is_directory) {
      std::string base = obj.sources.empty() ? std::string() : obj.sources.begin()->first;
      if (!w.entrypoint.empty() && w.entrypoint != base) {
        Report(obj, "spec.entrypoint",
               fmt::format("the source is the file \"{}\", so the entrypoint is that file, not \"{}\"", base, w.entrypoint),
               "omit entrypoint, or point source.path at the folder that holds it");
        return;
      }
      w.entrypoint = base;
      if (w.runtime.empty()) InferRuntime(obj, w, "spec.source.path");
      return;
    }
    if (obj.sources.empty()) return;  // reading failed; already reported
    if (!w.entrypoint.empty()) {
      if (!obj.sources.count(w.entrypoint)) {
        std::vector<std::string> names;
        for (const auto& [path, _] : obj.sources) names.push_back(path);
        std::string close = ClosestMatch(w.entrypoint, names);
        Report(obj, "spec.entrypoint",
               fmt::format("\"{}\" is not a file in the source folder \"{}\"", w.entrypoint, w.source.path),
               close.empty() ? "" : fmt::format("did you mean \"{}\"?", close));
        return;
      }
    } else {
      // main.<ext> for the named runtime, or for every runtime we know.
      std::vector<std::string> exts;
      if (!w.runtime.empty()) {
        const Found runner = FindRunner(ns, w.runtime);
        if (const RunnerSpec* spec = SpecOf(runner)) exts = spec->extensions;
      } else {
        for (const Object& o : objects_) {
          if (auto* r = std::get_if<RunnerSpec>(&o.spec); r && (o.meta.namespace_ == ns || o.meta.namespace_ == "default")) {
            exts.insert(exts.end(), r->extensions.begin(), r->extensions.end());
          }
        }
        for (const auto& b : BuiltinRunners()) exts.insert(exts.end(), b.spec.extensions.begin(), b.spec.extensions.end());
      }
      std::vector<std::string> found;
      for (const auto& ext : exts) {
        if (obj.sources.count("main" + ext) &&
            std::find(found.begin(), found.end(), "main" + ext) == found.end()) {
          found.push_back("main" + ext);
        }
      }
      if (found.empty()) {
        std::string tried;
        for (const auto& ext : exts) tried += (tried.empty() ? "main" : ", main") + ext;
        Report(obj, "spec.source.path",
               fmt::format("the source folder \"{}\" has no entrypoint{}", w.source.path,
                           tried.empty() ? "" : fmt::format(" (looked for {})", tried)),
               "set spec.entrypoint to the file to run");
        return;
      }
      if (found.size() > 1) {
        Report(obj, "spec.source.path",
               fmt::format("the source folder has both {} and {}; which one runs?", found[0], found[1]),
               "set spec.entrypoint");
        return;
      }
      w.entrypoint = found[0];
    }
    if (w.runtime.empty()) InferRuntime(obj, w, "spec.entrypoint");
  }

  void CheckSecrets(const Object& obj, const WorkloadSpec& w) {
    const std::string& ns = obj.meta.namespace_;
    for (std::size_t i = 0; i < w.env_from.size(); ++i) {
      const std::string& name = w.env_from[i].name;
      if (index_.Find(Kind::kSecret, ns, name) || index_.Known(Kind::kSecret, ns, name)) continue;
      std::string field = fmt::format("spec.envFrom[{}]", i);
      if (obj.positions.count(field + ".secretRef.name")) field += ".secretRef.name";
      std::string close = ClosestMatch(name, index_.NamesOf(Kind::kSecret, ns));
      Report(obj, field, fmt::format("secret \"{}\" not found in namespace {}", name, ns),
             close.empty() ? fmt::format("add a Secret named {} to the set, or create it with `prisn secret create`", name)
                           : fmt::format("did you mean \"{}\"?", close));
    }
  }

  void CheckDependsOn(const Object& obj, const WorkloadSpec& w) {
    const std::string& ns = obj.meta.namespace_;
    for (std::size_t i = 0; i < w.depends_on.size(); ++i) {
      const std::string& name = w.depends_on[i];
      std::string field = fmt::format("spec.dependsOn[{}]", i);
      if (name == obj.meta.name) {
        Report(obj, field, "an object cannot depend on itself");
        continue;
      }
      if (index_.NameExists(ns, name)) continue;
      std::vector<std::string> names;
      if (auto it = index_.by_name.find(ns); it != index_.by_name.end()) {
        for (const auto& [n, _] : it->second) names.push_back(n);
      }
      std::string close = ClosestMatch(name, names);
      Report(obj, field, fmt::format("dependsOn names \"{}\", but there is no object of that name in namespace {}", name, ns),
             close.empty() ? "" : fmt::format("did you mean \"{}\"?", close));
    }
  }

  void CheckCycles() {
    // Nodes are namespace/name (dependsOn names any kind).
    std::map<std::string, std::vector<std::string>> edges;
    std::map<std::string, const Object*> first;
    for (const Object& obj : objects_) {
      const WorkloadSpec* w = obj.Workload();
      if (!w) continue;
      std::string node = obj.meta.namespace_ + "/" + obj.meta.name;
      first.emplace(node, &obj);
      for (const auto& d : w->depends_on) {
        if (d != obj.meta.name) edges[node].push_back(obj.meta.namespace_ + "/" + d);
      }
    }
    std::map<std::string, int> color;  // 0 new, 1 on stack, 2 done
    std::vector<std::string> stack;
    std::set<std::string> reported;
    std::function<void(const std::string&)> visit = [&](const std::string& node) {
      color[node] = 1;
      stack.push_back(node);
      for (const auto& next : edges[node]) {
        if (color[next] == 1) {
          auto from = std::find(stack.begin(), stack.end(), next);
          std::vector<std::string> cycle(from, stack.end());
          // Report each cycle once, from its smallest member.
          auto min = std::min_element(cycle.begin(), cycle.end());
          std::rotate(cycle.begin(), min, cycle.end());
          std::string text;
          for (const auto& c : cycle) text += c.substr(c.find('/') + 1) + " -> ";
          text += cycle[0].substr(cycle[0].find('/') + 1);
          if (reported.insert(text).second) {
            const Object* at = first[cycle[0]];
            std::string next_name = (cycle.size() > 1 ? cycle[1] : cycle[0]);
            next_name = next_name.substr(next_name.find('/') + 1);
            const auto& deps = at->Workload()->depends_on;
            auto pos = std::find(deps.begin(), deps.end(), next_name) - deps.begin();
            Report(*at, fmt::format("spec.dependsOn[{}]", pos), "dependsOn cycle: " + text,
                   "remove one of the dependencies; nothing in a cycle could ever start");
          }
        } else if (color[next] == 0 && first.count(next)) {
          visit(next);
        }
      }
      stack.pop_back();
      color[node] = 2;
    };
    for (const auto& [node, _] : first) {
      if (color[node] == 0) visit(node);
    }
  }

  void CheckIngress(const Object& obj, const IngressSpec& in) {
    const std::string& ns = obj.meta.namespace_;
    if (in.tls && !in.tls->secret_name.empty() && !index_.Find(Kind::kSecret, ns, in.tls->secret_name) &&
        !index_.Known(Kind::kSecret, ns, in.tls->secret_name)) {
      Report(obj, "spec.tls.secretName", fmt::format("secret \"{}\" not found in namespace {}", in.tls->secret_name, ns),
             "add a Secret with keys tls.crt and tls.key");
    }
    for (std::size_t r = 0; r < in.rules.size(); ++r) {
      for (std::size_t p = 0; p < in.rules[r].paths.size(); ++p) {
        const IngressBackend& b = in.rules[r].paths[p].backend;
        if (b.service.empty()) continue;
        std::string base = fmt::format("spec.rules[{}].paths[{}].backend", r, p);
        const Object* target = index_.Find(Kind::kDeployment, ns, b.service);
        if (!target) {
          if (index_.Known(Kind::kDeployment, ns, b.service)) continue;
          std::string close = ClosestMatch(b.service, index_.NamesOf(Kind::kDeployment, ns));
          Report(obj, base + ".service", fmt::format("no Deployment named \"{}\" in namespace {}", b.service, ns),
                 close.empty() ? "" : fmt::format("did you mean \"{}\"?", close));
          continue;
        }
        const Port& port = std::get<DeploymentSpec>(target->spec).port;
        if (port.mode == Port::Mode::kNone) {
          Report(obj, base + ".service",
                 fmt::format("Deployment \"{}\" has no port, so there is nothing to route to", b.service),
                 fmt::format("add spec.port to Deployment {} ({})", b.service, Where(*target)));
        } else if (b.port != 0 && port.mode == Port::Mode::kFixed && b.port != port.number) {
          Report(obj, base + ".port",
                 fmt::format("Deployment \"{}\" listens on port {}, not {}", b.service, port.number, b.port),
                 "omit backend.port to use the Deployment's port");
        } else if (b.port != 0 && port.mode == Port::Mode::kAuto) {
          Report(obj, base + ".port", fmt::format("Deployment \"{}\" has port: auto, so its port is not known here", b.service),
                 "omit backend.port");
        }
      }
    }
  }

  void CheckIngressConflicts() {
    std::map<std::string, std::pair<const Object*, std::string>> routes;
    for (const Object& obj : objects_) {
      auto* in = std::get_if<IngressSpec>(&obj.spec);
      if (!in) continue;
      for (std::size_t r = 0; r < in->rules.size(); ++r) {
        for (std::size_t p = 0; p < in->rules[r].paths.size(); ++p) {
          std::string route = fmt::format("{}:{} {}{}", in->address, in->port, in->rules[r].host,
                                          in->rules[r].paths[p].path);
          std::string field = fmt::format("spec.rules[{}].paths[{}].path", r, p);
          auto [it, fresh] = routes.emplace(route, std::pair{&obj, field});
          if (!fresh) {
            Report(obj, field,
                   fmt::format("host \"{}\" path \"{}\" is already routed by {} ({})", in->rules[r].host,
                               in->rules[r].paths[p].path, it->second.first->Key(), Where(*it->second.first)));
          }
        }
      }
    }
  }

  std::vector<Object>& objects_;
  std::vector<Diagnostic>& errors_;
  Index index_;
};

}  // namespace

void ValidateSet(std::vector<Object>& objects, const KnownObjects& known, std::vector<Diagnostic>& errors) {
  Checker(objects, known, errors).Run();
}

}  // namespace prisn::manifests
