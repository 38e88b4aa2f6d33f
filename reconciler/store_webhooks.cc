// Webhook deliveries (table webhook_deliveries): what makes a replayed or
// redelivered hook a no-op. A few rows per push; statements are prepared per
// call.
#include "reconciler/store_impl.h"

namespace prisn::store {

Result<bool> Store::RememberWebhookDelivery(const std::string& source,
                                            const std::vector<std::string>& keys,
                                            int64_t since_ms, int keep) {
  if (keys.empty()) return true;
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto expire = impl.db.Prepare("DELETE FROM webhook_deliveries WHERE received_at < ?1");
  if (!expire) return std::unexpected(expire.error());
  expire->Bind(1, since_ms);
  if (auto st = expire->Run(); !st) return std::unexpected(st.error());

  auto seen = impl.db.Prepare("SELECT 1 FROM webhook_deliveries WHERE source = ?1 AND key = ?2");
  if (!seen) return std::unexpected(seen.error());
  for (const std::string& key : keys) {
    seen->Reset();
    seen->Bind(1, source).Bind(2, key);
    auto row = seen->Step();
    if (!row) return std::unexpected(row.error());
    // A replay records nothing: its keys were recorded by the delivery it
    // repeats, and the window counts from that one.
    if (*row) return false;
  }

  auto insert = impl.db.Prepare(
      "INSERT OR REPLACE INTO webhook_deliveries (source, key, received_at) VALUES (?1, ?2, ?3)");
  if (!insert) return std::unexpected(insert.error());
  for (const std::string& key : keys) {
    insert->Reset();
    insert->Bind(1, source).Bind(2, key).Bind(3, impl.Now());
    if (auto st = insert->Run(); !st) return std::unexpected(st.error());
  }
  // Holders of a GitLab token (sent in clear) can mint ids at will: the
  // table stays bounded whatever they send.
  auto trim = impl.db.Prepare(
      "DELETE FROM webhook_deliveries WHERE source = ?1 AND key IN (SELECT key FROM "
      "webhook_deliveries WHERE source = ?1 ORDER BY received_at DESC, key LIMIT -1 OFFSET ?2)");
  if (!trim) return std::unexpected(trim.error());
  trim->Bind(1, source).Bind(2, int64_t{keep});
  if (auto st = trim->Run(); !st) return std::unexpected(st.error());
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return true;
}

}  // namespace prisn::store
