// The service network end to end: a real daemon with its own service range
// and DNS server, real replicas, curl and wrk through the proxy, dig against
// prisn's DNS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Answers every GET with "<replica> <port>"; `tag` changes the script (and
// so the version) without changing what it does.
std::string Server(const std::string& tag) {
  return "# " + tag +
         "\nimport http.server, os, signal, sys\n"
         "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
         "class H(http.server.BaseHTTPRequestHandler):\n"
         "    protocol_version = 'HTTP/1.1'\n"
         "    def do_GET(self):\n"
         "        b = (os.environ.get('PRISN_REPLICA', '?') + ' ' + os.environ['PORT']).encode()\n"
         "        self.send_response(200); self.send_header('Content-Length', str(len(b)))\n"
         "        self.end_headers(); self.wfile.write(b)\n"
         "    def log_message(self, *a): pass\n"
         "http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H)"
         ".serve_forever()\n";
}

std::string Deployment(const std::string& name, int replicas, int port) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  runtime: python3\n  replicas: " + std::to_string(replicas) +
         "\n  port: " + std::to_string(port) +
         "\n  protocol: http\n  terminationGracePeriod: 5s\n  source:\n    path: " + name +
         ".py\n  healthCheck:\n    tcp: {}\n";
}

struct NetworkFixture {
  TempDir dir;
  std::string range = "127." + std::to_string(100 + (::getpid() + 7) % 150) + ".0.0";
  std::string dns_address = range.substr(0, range.size() - 3) + "0.1";
  Daemon daemon{dir.path() / "state",
                {"--service-range", range, "--dns-listen", dns_address + ":0"}};
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  NetworkFixture() { env["PRISN_STATE_DIR"] = (dir.path() / "state").string(); }
  RunResult operator()(const std::vector<std::string>& args) const {
    return Prisn(args, env, dir.path().string());
  }
  RunResult Tool(const std::vector<std::string>& argv) const {
    return Run(argv, env, dir.path().string());
  }
  json Json(const std::vector<std::string>& args) const {
    auto r = (*this)(args);
    return json::parse(r.out, nullptr, false);
  }
  void Apply(const std::string& file, const std::string& yaml) {
    dir.Write(file, yaml);
    auto r = (*this)({"apply", "-f", file});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
  }
  bool Healthy(const std::string& name, int replicas) const {
    json s = Json({"status", name, "-o", "json"});
    return s.is_object() && s.value("state", "") == "running" &&
           s.value("ready", 0) == replicas && s.value("updated", 0) == replicas;
  }
  json Endpoints(const std::string& name) const {
    return Json({"get", "endpoints", name, "-o", "json"});
  }
  std::string Curl(const std::string& url, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "--max-time", "5"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    return Tool(argv).out;
  }
};

}  // namespace

TEST_CASE("a Deployment with a port gets a stable address: the proxy spreads requests, DNS "
          "answers A and SRV, and a killed replica gets no request") {
  NetworkFixture f;
  f.dir.Write("web.py", Server("one"));
  f.Apply("web.yaml", Deployment("web", 2, 8080));
  REQUIRE(Eventually([&] { return f.Healthy("web", 2); }));
  json ep;
  REQUIRE(Eventually([&] {
    ep = f.Endpoints("web");
    return ep.is_object() && ep["endpoints"].size() == 2;
  }));
  std::string address = ep.value("address", "");
  CHECK(address == f.range.substr(0, f.range.size() - 3) + "0.2");
  CHECK(ep["port"] == 8080);
  CHECK(ep["error"].is_null());
  std::string url = "http://" + address + ":8080/";

  std::set<std::string> replicas;
  for (int i = 0; i < 8; ++i) {
    std::string body = f.Curl(url);
    replicas.insert(body.substr(0, body.find(' ')));
  }
  CHECK(replicas == std::set<std::string>{"web-0", "web-1"});

  // dig against prisn's DNS (port picked by the kernel, shown by dns lookup).
  json lookup = f.Json({"dns", "lookup", "web", "-o", "json"});
  REQUIRE(lookup.value("found", false));
  std::string server = lookup.value("server", "");
  REQUIRE(server.starts_with(f.dns_address + ":"));
  std::string dns_port = server.substr(server.find(':') + 1);
  auto a = f.Tool({"/usr/bin/dig", "@" + f.dns_address, "-p", dns_port, "+short", "+time=2",
                   "web.default.prisn.local", "A"});
  CHECK(a.out == address + "\n");
  auto srv = f.Tool({"/usr/bin/dig", "@" + f.dns_address, "-p", dns_port, "+short", "+time=2",
                     "_http._tcp.web.default.prisn.local", "SRV"});
  CHECK(srv.out == "0 0 8080 web.default.prisn.local.\n");
  auto missing = f.Tool({"/usr/bin/dig", "@" + f.dns_address, "-p", dns_port, "+time=2",
                         "nope.default.prisn.local", "A"});
  CHECK(missing.out.find("NXDOMAIN") != std::string::npos);

  // SIGKILL one replica from outside: every request still gets an answer,
  // from the other replica, and the pool heals.
  json status = f.Json({"status", "web", "-o", "json"});
  pid_t victim = status["replicas"][0].value("pid", 0);
  std::string victim_name = status["replicas"][0].value("name", "");
  REQUIRE(victim > 0);
  REQUIRE(::kill(victim, SIGKILL) == 0);
  for (int i = 0; i < 10; ++i) {
    std::string body = f.Curl(url, {"-o", "/dev/null", "-w", "%{http_code}"});
    CHECK(body == "200");
  }
  CHECK(Eventually([&] { return f.Healthy("web", 2) && f.Endpoints("web")["endpoints"].size() == 2; }));

  auto stats = f({"proxy", "stats"});
  INFO(stats.all());
  CHECK(stats.exit_code == 0);
  CHECK(stats.out.find("default/web") != std::string::npos);
  std::string metrics = f.Curl(f.daemon.url() + "/metrics",
                               {"-H", "Authorization: Bearer " + f.daemon.token()});
  CHECK(metrics.find("prisn_proxy_requests_total{protocol=\"http\"}") != std::string::npos);
  CHECK(metrics.find("prisn_dns_queries_total{result=\"answered\"}") != std::string::npos);
}

TEST_CASE("a rolling update and a scale down under wrk load fail no request") {
  NetworkFixture f;
  f.dir.Write("web.py", Server("one"));
  f.Apply("web.yaml", Deployment("web", 2, 8080));
  REQUIRE(Eventually([&] { return f.Healthy("web", 2) && f.Endpoints("web")["endpoints"].size() == 2; }));
  std::string url = "http://" + f.Endpoints("web").value("address", "") + ":8080/";

  RunResult load;
  std::thread wrk([&] { load = f.Tool({"/usr/bin/wrk", "-t1", "-c4", "-d5s", url}); });
  std::this_thread::sleep_for(500ms);  // the load runs before the change starts
  f.dir.Write("web.py", Server("two"));
  f.Apply("web.yaml", Deployment("web", 2, 8080));
  bool rolled = Eventually([&] {
    json s = f.Json({"status", "web", "-o", "json"});
    return f.Healthy("web", 2) && s["replicas"].size() == 2;
  }, 30s);
  auto scaled = f({"scale", "web", "1"});
  wrk.join();
  INFO(load.all());
  REQUIRE(rolled);
  CHECK(scaled.exit_code == 0);
  REQUIRE(load.exit_code == 0);
  CHECK(load.out.find("requests in") != std::string::npos);
  CHECK(load.out.find("Non-2xx") == std::string::npos);
  CHECK(load.out.find("Socket errors") == std::string::npos);
}

TEST_CASE("an Ingress routes two hosts and two paths, and terminates TLS with a Secret's "
          "certificate") {
  NetworkFixture f;
  f.dir.Write("api.py", Server("api"));
  f.dir.Write("web.py", Server("web"));
  int port = FreeLoopbackPort();
  int tls_port = FreeLoopbackPort();
  auto cert = f.Tool({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                      "-subj", "/CN=a.test", "-days", "1", "-keyout", f.dir / "tls.key", "-out",
                      f.dir / "tls.crt"});
  REQUIRE(cert.exit_code == 0);
  auto secret = f({"secret", "create", "site-tls", "--from-file", "tls.crt=" + (f.dir / "tls.crt"),
                   "--from-file", "tls.key=" + (f.dir / "tls.key")});
  INFO(secret.all());
  REQUIRE(secret.exit_code == 0);
  std::string rules =
      "  rules:\n"
      "    - host: a.test\n"
      "      paths:\n"
      "        - path: /api\n          backend: {service: api}\n"
      "        - path: /\n          backend: {service: web}\n"
      "    - host: b.test\n"
      "      paths:\n"
      "        - path: /\n          backend: {service: api}\n";
  f.Apply("site.yaml",
          Deployment("api", 1, 9001) + "---\n" + Deployment("web", 1, 9002) +
              "---\napiVersion: prisn.io/v1\nkind: Ingress\nmetadata:\n  name: site\nspec:\n"
              "  address: 127.0.0.1\n  port: " + std::to_string(port) + "\n" + rules +
              "---\napiVersion: prisn.io/v1\nkind: Ingress\nmetadata:\n  name: site-tls\nspec:\n"
              "  address: 127.0.0.1\n  port: " + std::to_string(tls_port) +
              "\n  tls: {secretName: site-tls}\n" + rules);
  REQUIRE(Eventually([&] { return f.Healthy("api", 1) && f.Healthy("web", 1); }));
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto body = [&](const std::string& host, const std::string& path) {
    std::string b = f.Curl(base + path, {"-H", "Host: " + host});
    return b.substr(0, b.find(' '));
  };
  REQUIRE(Eventually([&] { return body("a.test", "/api/x") == "api-0"; }, 15s));
  CHECK(body("a.test", "/") == "web-0");
  CHECK(body("a.test", "/apix") == "web-0");  // a prefix matches whole segments
  CHECK(body("b.test", "/anything") == "api-0");
  CHECK(f.Curl(base + "/", {"-H", "Host: c.test", "-o", "/dev/null", "-w", "%{http_code}"}) ==
        "404");

  std::string tls_url = "https://a.test:" + std::to_string(tls_port) + "/api";
  std::string resolve = "a.test:" + std::to_string(tls_port) + ":127.0.0.1";
  std::string over_tls;
  CHECK(Eventually([&] {
    over_tls = f.Curl(tls_url, {"--cacert", f.dir / "tls.crt", "--resolve", resolve});
    return over_tls.starts_with("api-0");
  }, 15s));
}

}  // namespace prisn::testing
