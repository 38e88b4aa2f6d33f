// One team cannot touch another's objects (issue 15, items 5 and 6): with a
// real daemon and a token per namespace, a team neither takes over another
// team's Ingress route nor applies into another team's or a source's set.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Answers every GET with "<namespace> <replica>".
std::string Server() {
  return "import http.server, os, signal, sys\n"
         "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
         "class H(http.server.BaseHTTPRequestHandler):\n"
         "    protocol_version = 'HTTP/1.1'\n"
         "    def do_GET(self):\n"
         "        b = (os.environ.get('PRISN_NAMESPACE', '?') + ' ' +\n"
         "             os.environ.get('PRISN_REPLICA', '?')).encode()\n"
         "        self.send_response(200); self.send_header('Content-Length', str(len(b)))\n"
         "        self.end_headers(); self.wfile.write(b)\n"
         "    def log_message(self, *a): pass\n"
         "http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H)"
         ".serve_forever()\n";
}

std::string WebSet(const std::string& ns, const std::string& name, int port, int ingress_port,
                   const std::string& host, const std::string& path) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns +
         "\nspec:\n  runtime: python3\n  replicas: 1\n  port: " + std::to_string(port) +
         "\n  protocol: http\n  terminationGracePeriod: 2s\n  source:\n    path: server.py\n"
         "  healthCheck:\n    tcp: {}\n"
         "---\napiVersion: prisn.io/v1\nkind: Ingress\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  address: 127.0.0.1\n  port: " +
         std::to_string(ingress_port) + "\n  rules:\n    - host: " + host +
         "\n      paths:\n        - path: " + path + "\n          backend: {service: " + name +
         "}\n";
}

std::string SleeperSet(const std::string& ns, const std::string& name) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns +
         "\nspec:\n  runtime: bash\n  replicas: 1\n  terminationGracePeriod: 1s\n  source:\n"
         "    inline: exec sleep 600\n";
}

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

struct Teams {
  TempDir dir;
  Daemon daemon{dir.path() / "state"};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  std::string token_a, token_b;

  Teams() {
    env["PRISN_STATE_DIR"] = (dir.path() / "state").string();
    token_a = Token("team-a");
    token_b = Token("team-b");
  }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  std::string Token(const std::string& ns) const {
    auto created = (*this)({"token", "create", "--namespace", ns, "--name", "ci-" + ns});
    INFO(created.all());
    REQUIRE(created.exit_code == 0);
    return created.out.substr(0, created.out.find('\n'));
  }
  std::string Curl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "--max-time", "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, env, dir.path().string()).out;
  }
  // POST /v1/apply with `token`: "<status> <body>".
  std::string ApplyHttp(const std::string& token, const std::string& set,
                        const std::string& yaml) const {
    json body{{"set", set}, {"files", {{"app.yaml", Base64(yaml)}}}};
    dir.Write("body.json", body.dump());
    return Curl({"-w", " %{http_code}", "-X", "POST", "-H", "Authorization: Bearer " + token,
                 "-H", "Content-Type: application/json", "--data-binary",
                 "@" + (dir / "body.json"), daemon.url() + "/v1/apply"});
  }
};

bool EndsWith(const std::string& s, const std::string& tail) { return s.ends_with(tail); }

}  // namespace

TEST_CASE("an Ingress route another namespace claimed first is refused at apply, and the owner "
          "keeps answering") {
  Teams t;
  int ingress_port = FreeLoopbackPort();
  t.dir.Write("b/server.py", Server());
  t.dir.Write("b/app.yaml", WebSet("team-b", "shop", 9301, ingress_port, "shop.test", "/"));
  auto b = t({"apply", "-f", "b/", "--token", t.token_b});
  INFO(b.all());
  REQUIRE(b.exit_code == 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ingress_port);
  auto answer = [&](const std::string& path) {
    return t.Curl({"-H", "Host: shop.test", url + path});
  };
  REQUIRE(Eventually([&] { return answer("/") == "team-b shop-0"; }, 30s));

  // team-a's Ingress on the same address, port, host and path; then on a
  // path under it, which would win the longest-prefix match.
  t.dir.Write("a/server.py", Server());
  for (const std::string path : {"/", "/checkout"}) {
    INFO(path);
    t.dir.Write("a/app.yaml", WebSet("team-a", "evil", 9302, ingress_port, "shop.test", path));
    auto a = t({"apply", "-f", "a/", "--token", t.token_a});
    INFO(a.all());
    CHECK(a.exit_code == 2);
    CHECK(a.err.find("Ingress/team-a/evil") != std::string::npos);
    CHECK(a.err.find("namespace team-b claimed it first with Ingress/team-b/shop") !=
          std::string::npos);
  }
  // The whole set applied nothing, and team-b still answers.
  CHECK(t({"get", "deployment", "evil", "-n", "team-a"}).exit_code != 0);
  CHECK(answer("/") == "team-b shop-0");
  CHECK(answer("/checkout") == "team-b shop-0");

  // Another host on the same listener is team-a's to take.
  t.dir.Write("a/app.yaml", WebSet("team-a", "evil", 9302, ingress_port, "a.test", "/"));
  auto own = t({"apply", "-f", "a/", "--token", t.token_a});
  INFO(own.all());
  CHECK(own.exit_code == 0);
}

TEST_CASE("a namespace token applies only into sets its namespace owns, never a source's") {
  Teams t;
  t.dir.Write("src-b/app.yaml", SleeperSet("team-b", "synced"));
  auto add = t({"source", "add", "src-b", "--dir", t.dir / "src-b", "--interval", "1h"});
  INFO(add.all());
  REQUIRE(add.exit_code == 0);
  auto synced = [&] {
    auto got = t({"source", "get", "src-b", "-o", "json"});
    json j = json::parse(got.out, nullptr, false);
    return j.is_object() && j["status"]["lastAppliedCommit"].is_string() ? j : json();
  };
  REQUIRE(Eventually([&] { return !synced().is_null(); }, 20s));
  t.dir.Write("b/app.yaml", SleeperSet("team-b", "mine"));
  auto b = t({"apply", "-f", "b/", "--set", "b-app", "--token", t.token_b});
  INFO(b.all());
  REQUIRE(b.exit_code == 0);

  std::string a_yaml = SleeperSet("team-a", "intruder");
  std::string into_source = t.ApplyHttp(t.token_a, "source:src-b", a_yaml);
  INFO(into_source);
  CHECK(EndsWith(into_source, " 403"));
  CHECK(into_source.find("reserved for sources") != std::string::npos);
  std::string into_team_b = t.ApplyHttp(t.token_a, "b-app", a_yaml);
  INFO(into_team_b);
  CHECK(EndsWith(into_team_b, " 403"));
  CHECK(into_team_b.find("set b-app is not owned by namespace team-a") != std::string::npos);
  // The admin token cannot take a source's set either: only its sync can.
  CHECK(EndsWith(t.ApplyHttp(t.daemon.token(), "source:src-b", a_yaml), " 403"));
  CHECK(t({"get", "deployment", "intruder", "-n", "team-a"}).exit_code != 0);

  // team-a's own set works; the source still syncs cleanly.
  CHECK(EndsWith(t.ApplyHttp(t.token_a, "a-app", a_yaml), " 200"));
  auto reconcile = t({"source", "reconcile", "src-b"});
  INFO(reconcile.all());
  CHECK(reconcile.exit_code == 0);
  json after = synced();
  REQUIRE(after.is_object());
  CHECK(after["status"]["lastError"].is_null());
  CHECK(after["status"]["objects"] == 1);
}

}  // namespace prisn::testing
