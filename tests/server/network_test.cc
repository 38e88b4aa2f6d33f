// The daemon's service network against a real store and proxy: Ingress
// routes that two namespaces both claim (a database from before the store
// refused that) are served first come, first served.
#include "server/network.h"

#include <catch2/catch.hpp>

#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "reconciler/apply.h"
#include "reconciler/store.h"
#include "server/api_internal.h"
#include "tests/common/loopback_listener.h"
#include "tests/reconciler/store_fixture.h"

namespace prisn::server {
namespace {

manifests::Object IngressObject(const std::string& ns, const std::string& name, int port) {
  std::string yaml = "apiVersion: prisn.io/v1\nkind: Ingress\nmetadata: {name: " + name +
                     ", namespace: " + ns + "}\nspec:\n  address: 127.0.0.1\n  port: " +
                     std::to_string(port) +
                     "\n  rules:\n    - host: shop.test\n      paths: [{path: /, backend: {service: "
                     "web}}]\n";
  manifests::KnownObjects known;
  known.keys.insert(manifests::MakeKey(manifests::Kind::kDeployment, ns, "web"));
  manifests::MemoryTree tree({{"i.yaml", yaml}});
  manifests::LoadedSet set = manifests::LoadSet(tree, {"."}, known);
  REQUIRE(set.ok());
  REQUIRE(set.objects.size() == 1);
  return set.objects.front();
}

}  // namespace

TEST_CASE("Network: of two namespaces' Ingresses on one route, the older one is served") {
  store::testing::StoreFixture f;
  Synchronized<store::Store> sync{f.Open()};
  // A port the kernel hands out, free again once the listener closes.
  int port = [] { return testing::Listener().port; }();
  manifests::Object older = IngressObject("team-b", "shop", port);
  manifests::Object newer = IngressObject("team-a", "evil", port);
  // Only the older one is stored: the store refuses the second claim, so
  // the newer stands for one from a database written before that check.
  REQUIRE(sync.With([&](store::Store& s) {
    store::ApplyOptions o;
    o.set = "b";
    o.actor = "tester";
    return s.Apply({reconciler::ToDesired(older)}, o);
  }));
  auto network = Network::Start(sync, NetworkOptions{});
  REQUIRE(network);
  // The newer one arrives first; arrival order does not matter.
  (*network)->OnIngress({"Ingress", "team-a", "evil"}, newer);
  (*network)->OnIngress({"Ingress", "team-b", "shop"}, older);
  std::vector<Error> errors = (*network)->IngressErrors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].context == "Ingress/team-a/evil");
  CHECK(errors[0].message.find("namespace team-b holds it with Ingress/team-b/shop") !=
        std::string::npos);
  // Without the older one the route is served for the other namespace.
  (*network)->OnIngress({"Ingress", "team-b", "shop"}, std::nullopt);
  CHECK((*network)->IngressErrors().empty());
}

}  // namespace prisn::server
