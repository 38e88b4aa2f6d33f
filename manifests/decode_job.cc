// Job and CronJob: retries, deadlines, schedules and time zones.
#include <fmt/core.h>

#include "manifests/cron.h"
#include "manifests/decode.h"

namespace prisn::manifests::internal {
namespace {

// A ParseError offset from the cron parser, turned into a column on the
// scalar as written (one more for the opening quote).
int ColumnOf(const YNode& n, std::size_t offset) {
  return n.column + static_cast<int>(std::min<std::size_t>(offset, n.scalar.size())) + (n.plain ? 0 : 1);
}

void DecodeJobFields(Ctx& ctx, Fields& f, JobSpec& j) {
  const YNode* bl = f.Take("backoffLimit");
  if (auto v = ReadInt(ctx, bl, f.Path("backoffLimit"), 0, 1000)) j.backoff_limit = static_cast<int>(*v);
  if (auto v = ReadDuration(ctx, f.Take("activeDeadline"), f.Path("activeDeadline"))) j.active_deadline = *v;
  const YNode* rp = f.Take("restartPolicy");
  if (rp && rp->type == YNode::Type::kScalar && rp->scalar == "Always") {
    ctx.Error(*rp, f.Path("restartPolicy"), "a job runs to completion: restartPolicy must be OnFailure or Never",
              "use kind: Deployment for a process that is always restarted");
  } else if (auto p = ToRestartPolicy(ReadEnum(ctx, rp, f.Path("restartPolicy"), {"OnFailure", "Never"}))) {
    j.restart_policy = *p;
  }
  if (j.restart_policy == RestartPolicy::kNever && bl) {
    ctx.Error(*bl, f.Path("backoffLimit"), "backoffLimit has no effect with restartPolicy: Never (one attempt only)",
              "remove backoffLimit, or use restartPolicy: OnFailure");
  }
}

}  // namespace

JobSpec DecodeJob(Ctx& ctx, const YNode* spec) {
  JobSpec j;
  if (!spec || !ExpectMap(ctx, *spec, "spec")) return j;
  Fields f(ctx, *spec, "spec");
  DecodeWorkload(ctx, f, j, true);
  DecodeJobFields(ctx, f, j);
  f.Finish(&WorkloadMisplaced(Kind::kJob));
  return j;
}

CronJobSpec DecodeCronJob(Ctx& ctx, const YNode* spec) {
  CronJobSpec c;
  if (!spec || !ExpectMap(ctx, *spec, "spec")) return c;
  Fields f(ctx, *spec, "spec");
  DecodeWorkload(ctx, f, c, true);
  DecodeJobFields(ctx, f, c);
  const YNode* sched = f.Take("schedule");
  const YNode* every = f.Take("every");
  if (auto s = ReadNonEmptyString(ctx, sched, f.Path("schedule"))) {
    auto parsed = cron::Schedule::Parse(*s);
    if (!parsed) {
      ctx.Error(sched->line, ColumnOf(*sched, parsed.error().offset), f.Path("schedule"),
                fmt::format("invalid cron schedule {}: {}", Describe(*sched), parsed.error().message),
                "five fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"");
    } else {
      c.schedule = *s;
    }
  }
  if (auto s = ReadNonEmptyString(ctx, every, f.Path("every"))) {
    auto parsed = cron::Schedule::ParseEvery(*s);
    if (!parsed) {
      ctx.Error(every->line, ColumnOf(*every, parsed.error().offset), f.Path("every"),
                fmt::format("invalid interval {}: {}", Describe(*every), parsed.error().message),
                "an interval such as 30s, 15m, 1h or the words minute, hour, day");
    } else {
      c.every = *s;
    }
  }
  if (sched && every) {
    ctx.Error(*every, f.Path("every"), "give either schedule or every, not both");
  } else if (!f.Has("schedule") && !f.Has("every")) {
    ctx.Error(*spec, "spec", "a CronJob needs schedule or every",
              "add schedule: \"0 3 * * *\" (cron) or every: 1h");
  }
  const YNode* tz = f.Take("timeZone");
  if (auto s = ReadNonEmptyString(ctx, tz, f.Path("timeZone"))) {
    auto zone = cron::LocateZone(*s);
    if (!zone) {
      // The zone lookup's message ends with its own "did you mean"; keep
      // that part as the hint so the format matches every other error.
      std::string message = zone.error(), hint;
      if (auto at = message.find(": did you mean "); at != std::string::npos) {
        hint = message.substr(at + 2);
        message.resize(at);
      }
      ctx.Error(*tz, f.Path("timeZone"), message, hint);
    } else {
      c.time_zone = *s;
    }
  }
  if (auto p = ReadEnum(ctx, f.Take("concurrencyPolicy"), f.Path("concurrencyPolicy"),
                        {"Allow", "Forbid", "Replace"})) {
    c.concurrency_policy = *p == "Allow"    ? ConcurrencyPolicy::kAllow
                           : *p == "Forbid" ? ConcurrencyPolicy::kForbid
                                            : ConcurrencyPolicy::kReplace;
  }
  if (auto v = ReadDuration(ctx, f.Take("startingDeadline"), f.Path("startingDeadline"))) c.starting_deadline = *v;
  if (auto v = ReadBool(ctx, f.Take("suspend"), f.Path("suspend"))) c.suspend = *v;
  if (auto v = ReadInt(ctx, f.Take("successfulJobsHistoryLimit"), f.Path("successfulJobsHistoryLimit"), 0, 1000)) {
    c.successful_jobs_history_limit = static_cast<int>(*v);
  }
  if (auto v = ReadInt(ctx, f.Take("failedJobsHistoryLimit"), f.Path("failedJobsHistoryLimit"), 0, 1000)) {
    c.failed_jobs_history_limit = static_cast<int>(*v);
  }
  f.Finish(&WorkloadMisplaced(Kind::kCronJob));
  return c;
}

}  // namespace prisn::manifests::internal
