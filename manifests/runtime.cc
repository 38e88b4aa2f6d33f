#include "manifests/runtime.h"

namespace prisn::manifests {

const std::vector<NamedRunner>& BuiltinRunners() {
  static const std::vector<NamedRunner> kRunners{
      {"python3", RunnerSpec{{"python3"}, {"{script}"}, {".py"}, {}}},
      {"node", RunnerSpec{{"node"}, {"{script}"}, {".js", ".mjs", ".cjs"}, {}}},
      {"bash", RunnerSpec{{"bash"}, {"{script}"}, {".sh"}, {}}},
  };
  return kRunners;
}

std::optional<NamedRunner> FindBuiltinRunner(std::string_view name) {
  for (const auto& r : BuiltinRunners()) {
    if (r.name == name) return r;
  }
  return std::nullopt;
}

std::string ExtensionOf(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return std::string(base.substr(dot));
}

}  // namespace prisn::manifests
