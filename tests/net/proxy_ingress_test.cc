// Ingress listeners through the Proxy API: host and path routing, and TLS
// termination with a certificate the test makes with the openssl CLI.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include <boost/asio/ssl.hpp>

#include "net/proxy.h"
#include "tests/net/proxy_test_util.h"
#include "util/files.h"

namespace prisn::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kProxyIngressAddress = "127.73.0.1";

ServiceRoute Service(std::string key, TestUpstream& u) {
  ServiceRoute route;
  route.key = std::move(key);
  route.address = "127.73.0.2";
  route.port = FreePort("127.73.0.2");
  route.http = true;
  route.upstreams.push_back(Upstream{u.id(), "127.0.0.1", u.port()});
  return route;
}

std::unique_ptr<Proxy> ProxyIngressMakeProxy() {
  auto proxy = Proxy::Create(ProxyOptions{.threads = 2});
  REQUIRE(proxy.has_value());
  return std::move(*proxy);
}

TEST_CASE("Ingress routes two hosts and two paths to their services") {
  TestUpstream shop("shop-0"), api("api-0"), admin("admin-0"), blog("blog-0");
  auto proxy = ProxyIngressMakeProxy();
  std::vector<ServiceRoute> services;
  services.push_back(Service("default/shop", shop));
  services.push_back(Service("default/api", api));
  services.back().address = "127.73.0.3";
  services.back().port = FreePort("127.73.0.3");
  services.push_back(Service("default/admin", admin));
  services.back().address = "127.73.0.4";
  services.back().port = FreePort("127.73.0.4");
  services.push_back(Service("default/blog", blog));
  services.back().address = "127.73.0.5";
  services.back().port = FreePort("127.73.0.5");
  IngressListener ingress;
  ingress.address = kProxyIngressAddress;
  ingress.port = FreePort(kProxyIngressAddress);
  ingress.routes = {{"shop.example.com", "/", "default/shop"},
                    {"shop.example.com", "/api", "default/api"},
                    {"admin.example.com", "/", "default/admin"},
                    {"admin.example.com", "/blog", "default/blog"},
                    {"missing.example.com", "/", "default/missing"}};
  REQUIRE(proxy->Update(services, {ingress}).empty());
  auto upstream = [&](std::string host, std::string target) {
    return Get(kProxyIngressAddress, ingress.port, target, host).Header("X-Upstream");
  };
  CHECK(upstream("shop.example.com", "/cart") == "shop-0");
  CHECK(upstream("shop.example.com", "/api/items") == "api-0");
  CHECK(upstream("SHOP.example.com:80", "/api") == "api-0");
  CHECK(upstream("admin.example.com", "/users") == "admin-0");
  CHECK(upstream("admin.example.com", "/blog/post-1") == "blog-0");
  CHECK(Get(kProxyIngressAddress, ingress.port, "/", "other.example.com").status == 404);
  CHECK(Get(kProxyIngressAddress, ingress.port, "/", "missing.example.com").status == 503);

  // Routes change in place on the same listener.
  ingress.routes = {{"shop.example.com", "/", "default/blog"}};
  REQUIRE(proxy->Update(services, {ingress}).empty());
  CHECK(upstream("shop.example.com", "/cart") == "blog-0");
  CHECK(Get(kProxyIngressAddress, ingress.port, "/", "admin.example.com").status == 404);
}

struct TestCertificate {
  std::string cert;
  std::string key;
};

TestCertificate MakeCertificate() {
  auto dir = std::filesystem::temp_directory_path() /
             ("prisn-proxy-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=test -days 1 "
                        "-keyout " + (dir / "key.pem").string() + " -out " +
                        (dir / "cert.pem").string() + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  auto cert = ReadFile((dir / "cert.pem").string());
  auto key = ReadFile((dir / "key.pem").string());
  std::filesystem::remove_all(dir);
  REQUIRE(cert.has_value());
  REQUIRE(key.has_value());
  return {*cert, *key};
}

Reply TlsGet(const std::string& address, int port, const std::string& host,
             const std::string& target) {
  Reply reply;
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket> stream(io, context);
  boost::system::error_code ec;
  stream.next_layer().connect(
      tcp::endpoint(asio::ip::make_address(address), static_cast<unsigned short>(port)), ec);
  if (ec) return reply;
  SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return reply;
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.keep_alive(false);
  http::write(stream, req, ec);
  if (ec) return reply;
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return reply;
  reply.status = res.result_int();
  reply.body = res.body();
  for (const auto& field : res) reply.headers[std::string(field.name_string())] = field.value();
  return reply;
}

TEST_CASE("Ingress with a certificate terminates TLS and forwards plain HTTP") {
  TestUpstream web("web-0");
  TestCertificate certificate = MakeCertificate();
  auto proxy = ProxyIngressMakeProxy();
  IngressListener ingress;
  ingress.address = kProxyIngressAddress;
  ingress.port = FreePort(kProxyIngressAddress);
  ingress.tls_cert_pem = certificate.cert;
  ingress.tls_key_pem = certificate.key;
  ingress.routes = {{"secure.example.com", "/", "default/web"}};
  REQUIRE(proxy->Update({Service("default/web", web)}, {ingress}).empty());
  Reply r = TlsGet(kProxyIngressAddress, ingress.port, "secure.example.com", "/");
  CHECK(r.status == 200);
  CHECK(r.Header("X-Upstream") == "web-0");
  // Plain HTTP on the TLS port does not get through.
  CHECK(Get(kProxyIngressAddress, ingress.port, "/", "secure.example.com").status == 0);
}

TEST_CASE("Ingress with a broken certificate is reported and not opened") {
  auto proxy = ProxyIngressMakeProxy();
  IngressListener ingress;
  ingress.address = kProxyIngressAddress;
  ingress.port = FreePort(kProxyIngressAddress);
  ingress.tls_cert_pem = "not a certificate";
  ingress.tls_key_pem = "not a key";
  auto errors = proxy->Update({}, {ingress});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == ErrorCode::kInvalid);
  CHECK(errors[0].context ==
        std::string(kProxyIngressAddress) + ":" + std::to_string(ingress.port));
  CHECK(Get(kProxyIngressAddress, ingress.port, "/").status == 0);
}

}  // namespace
}  // namespace prisn::net
