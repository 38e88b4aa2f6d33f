// Fuzz target for the manifest language: any bytes as a manifest file, run
// through the whole pipeline (parse, per-object and set checks, sources from
// the same tree, canonical forms, versions, change classes). Beyond "no crash,
// no hang", it checks one invariant: a valid object survives the round trip
// through its stored canonical JSON with the same version.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "manifests/canonical.h"
#include "manifests/change.h"
#include "manifests/load.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace m = prisn::manifests;
  const std::string text(reinterpret_cast<const char*>(data), size);
  m::ParseDocuments("fuzz.yaml", text);
  m::MemoryTree tree({{"fuzz.yaml", text},
                      {"app.py", "print('hi')\n"},
                      {"app/main.py", "import lib\n"},
                      {"app/lib/util.py", "X = 1\n"},
                      {"run.sh", "echo hi\n"}});
  m::LoadedSet set = m::LoadSet(tree, {""}, m::KnownObjects{{"Secret/default/known"}});
  const m::Object* previous = nullptr;
  for (const m::Object& obj : set.objects) {
    auto json = m::ToCanonicalJson(obj);
    m::ToCanonicalYaml(obj);
    m::Classify(previous, &obj);
    previous = &obj;
    if (!set.ok()) continue;
    auto back = m::FromCanonicalJson(nlohmann::json::parse(json.dump()), obj.sources);
    Check(back.has_value());
    Check(back->version == obj.version);
    Check(m::Classify(&obj, &*back) == m::ChangeClass::kNone);
  }
  return 0;
}
