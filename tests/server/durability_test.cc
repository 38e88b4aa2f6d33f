// Crash durability: SIGKILL the daemon in the middle of a storm of applies;
// after a restart every acknowledged apply is there, and no apply is half
// there.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "api_test_util.h"

namespace prisn::testing {
namespace {

constexpr int kClients = 3;
constexpr int kRounds = 3;
const std::vector<std::string> kParts = {"a", "b", "c"};

std::string Name(int round, int client, int i, const std::string& part) {
  return "r" + std::to_string(round) + "-c" + std::to_string(client) + "-i" + std::to_string(i) +
         "-" + part;
}

TEST_CASE(
    "Durability: every acknowledged apply survives SIGKILL at a random moment, none is half "
    "there") {
  Daemon daemon;
  std::random_device device;
  unsigned seed = device();
  INFO("seed " << seed);
  std::mt19937 rng(seed);

  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> acked_count{0};
    std::mutex mu;
    std::set<std::pair<int, int>> attempted, acked;
    std::vector<std::string> unexpected;
    auto api = daemon.Client();
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0;; ++i) {
          Files files;
          for (const std::string& part : kParts)
            files[part + ".yaml"] = JobYaml(Name(round, c, i, part));
          {
            std::lock_guard lock(mu);
            attempted.insert({c, i});
          }
          HttpReply reply = api.Post("/v1/apply", ApplyBody("storm-" + std::to_string(c), files));
          if (reply.status == 0) return;  // the daemon is gone
          std::lock_guard lock(mu);
          if (reply.status == 200) {
            acked.insert({c, i});
            acked_count++;
          } else {
            unexpected.push_back(std::to_string(reply.status) + " " + reply.body);
          }
        }
      });
    }
    // Kill as soon as a random number of applies were acknowledged: the other
    // clients' requests are then at random points of their way.
    int kill_after = std::uniform_int_distribution<int>(3, 40)(rng);
    REQUIRE(WaitFor([&] { return acked_count.load() >= kill_after; }, std::chrono::seconds(120)));
    daemon.Kill();
    for (std::thread& t : clients) t.join();
    CHECK(unexpected.empty());

    daemon.Start();
    auto listing = daemon.Client().Get("/v1/objects?kind=job");
    REQUIRE(listing.status == 200);
    std::set<std::string> present;
    auto items = listing.Json()["items"];
    for (const auto& item : items) present.insert(item["name"].get<std::string>());
    for (const auto& [c, i] : attempted) {
      int found = 0;
      for (const std::string& part : kParts) found += present.count(Name(round, c, i, part));
      INFO("round " << round << " client " << c << " apply " << i);
      CHECK((found == 0 || found == 3));
      if (acked.contains({c, i})) CHECK(found == 3);
    }
    CHECK(present.size() >= acked.size() * kParts.size());
  }
}

}  // namespace
}  // namespace prisn::testing
