#include "broker/viss/viss_channel.h"

#include <boost/asio/post.hpp>
#include <cmath>
#include <set>

#include "broker/viss/curve_log.h"
#include "broker/viss/viss_metadata.h"
#include "broker/viss/viss_values.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
namespace {

using Json = nlohmann::json;

const Access kEveryone = Access::AllowAll();  // for what is not the caller's to see: types

Json DataEntry(const Signal& s, const Datapoint& dp) {
  return {{"path", s.spec.path},
          {"dp", {{"value", ToViss(dp.value)}, {"ts", VissTimestamp(dp.timestamp)}}}};
}

// A full curve-logging buffer: the points the curve needs, oldest first.
Json CurveEntry(const Signal& s, const std::vector<Datapoint>& buffer, double maxerr) {
  std::vector<CurvePoint> points;
  points.reserve(buffer.size());
  for (const Datapoint& dp : buffer) {
    double t = std::chrono::duration<double>(dp.timestamp.time_since_epoch()).count();
    points.push_back({t, NumberOf(dp.value).value_or(0)});
  }
  Json dps = Json::array();
  for (size_t i : CurveLog(points, maxerr)) {
    dps.push_back({{"value", ToViss(buffer[i].value)}, {"ts", VissTimestamp(buffer[i].timestamp)}});
  }
  return {{"path", s.spec.path}, {"dp", std::move(dps)}};
}

// One entry: an object; several: an array (VISS v2 core, "Response syntax").
Json DataOf(std::vector<Json> entries) {
  if (entries.size() == 1) return std::move(entries[0]);
  return Json(std::move(entries));
}

// The draft's onchange bounds: within them and moved by minChange since
// the last value sent (the first one within them always goes).
bool Passes(const Filter::Threshold& t, const std::string& path, SignalId id,
            std::optional<double> number, std::map<SignalId, double>& last_sent) {
  auto own = t.by_path.find(path);
  const Filter::Threshold::Bounds& b =
      own != t.by_path.end() ? own->second
                             : (t.by_path.empty() ? t.all : Filter::Threshold::Bounds{});
  if (!b.above && !b.below && !b.min_change) return true;
  if (!number) return false;  // bounds have no meaning for text
  double v = *number;
  bool in = true;
  if (b.above && b.below) {
    in = *b.above <= *b.below ? v >= *b.above && v <= *b.below : v >= *b.above || v <= *b.below;
  } else if (b.above) {
    in = v >= *b.above;
  } else if (b.below) {
    in = v <= *b.below;
  }
  if (!in) return false;
  auto last = last_sent.find(id);
  if (b.min_change && last != last_sent.end() && std::fabs(v - last->second) < *b.min_change) {
    return false;
  }
  last_sent[id] = v;
  return true;
}

}  // namespace

// A subscription of this channel: the core's (change-driven) or a timer
// (timebased), and what its filter needs to remember.
struct VissChannel::Sub {
  std::string id;
  std::shared_ptr<const Access> access;  // outlives `core`: the broker keeps a reference
  std::vector<const Signal*> signals;
  Filter filter;
  std::shared_ptr<Subscription> core;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::unique_ptr<boost::asio::steady_timer> expiry;  // the authority's, when a token has exp
  std::map<SignalId, double> previous;  // change filter: each signal's value before
  std::map<SignalId, std::vector<Datapoint>> curve;  // curvelog: each signal's buffer
  std::map<SignalId, double> last_sent;              // the draft's minChange: each signal's
  Json echo;                                         // the request's, for a dialect's events
};

VissChannel::VissChannel(Broker& broker, const TokenAuthority& tokens, const Clock& clock,
                         Strand strand, std::function<void(std::string)> send,
                         ChannelOptions limits, boost::asio::thread_pool* actuations)
    : broker_(broker),
      tokens_(tokens),
      clock_(clock),
      strand_(std::move(strand)),
      send_(std::move(send)),
      limits_(limits),
      dialect_(limits.dialect ? *limits.dialect : V2Dialect()),
      actuations_(actuations) {}

VissChannel::~VissChannel() { Close(); }

void VissChannel::Close() {
  for (auto& [id, sub] : subscriptions_) End(*sub);
  subscriptions_.clear();
}

std::string VissChannel::Now() const { return VissTimestamp(clock_.Now()); }

Json VissChannel::ErrorResponse(std::string_view action, const std::string& request_id,
                                const VissError& e) const {
  Json out = {{"error", e.ToJson()}, {"ts", Now()}};
  if (!action.empty()) out["action"] = action;
  if (!request_id.empty()) out["requestId"] = request_id;
  return out;
}

void VissChannel::Handle(std::string_view payload) {
  Parsed parsed = dialect_.Parse(payload);
  if (parsed.error) {
    Json answer = ErrorResponse(parsed.action, parsed.request_id, *parsed.error);
    if (!parsed.echo.is_null()) answer["echo"] = std::move(parsed.echo);
    Emit(std::move(answer));
    return;
  }
  Execute(*parsed.request, [this, echo = parsed.request->echo](Json answer) {
    if (!echo.is_null()) answer["echo"] = echo;
    Emit(std::move(answer));
  });
}

void VissChannel::Emit(Json message) {
  RenderContext context{clock_, [this](std::string_view path) -> std::optional<DataType> {
                          absl::StatusOr<const Signal*> s =
                              broker_.Authorized(kEveryone).Find(path);
                          if (!s.ok()) return std::nullopt;
                          return (*s)->spec.data_type;
                        }};
  send_(dialect_.Render(std::move(message), context));
}

void VissChannel::Execute(const VissRequest& r, std::function<void(Json)> done) {
  if (r.action == VissAction::kUnsubscribe) {
    done(Unsubscribe(r));
    return;
  }
  auto access = AccessFor(r);
  if (auto* e = std::get_if<VissError>(&access)) {
    done(ErrorResponse(ActionName(r.action), r.request_id, *e));
    return;
  }
  std::shared_ptr<const Access> who = std::get<std::shared_ptr<const Access>>(std::move(access));
  switch (r.action) {
    case VissAction::kGet:
      done(Get(r, *who));
      return;
    case VissAction::kSet:
      if (actuations_) {  // the provider's answer is awaited off the I/O thread
        boost::asio::post(
            *actuations_, [self = shared_from_this(), r, who, done = std::move(done)]() mutable {
              Json answer = self->Set(r, *who);
              Strand strand = self->strand_;
              boost::asio::post(strand, [self = std::move(self), done = std::move(done),
                                         answer = std::move(answer)]() mutable {
                done(std::move(answer));  // `self` keeps the channel `done` may name
              });
            });
        return;
      }
      done(Set(r, *who));
      return;
    default:
      done(Subscribe(r, who));
      return;
  }
}

std::variant<std::shared_ptr<const Access>, VissError> VissChannel::AccessFor(
    const VissRequest& r) {
  if (!tokens_.enabled()) return std::make_shared<const Access>(Access::AllowAll());
  std::optional<Access> granted;
  auto add = [&granted](const Access& a) { granted = granted ? Access::Union(*granted, a) : a; };
  for (const std::string& token : r.tokens) {
    absl::StatusOr<Access> access = tokens_.Authenticate("Bearer " + token);
    if (!access.ok()) return ErrorOf(access.status());
    if (!limits_.keep_tokens) {
      add(*access);
      continue;
    }
    if (kept_tokens_.size() >= limits_.max_tokens && !kept_tokens_.contains(token)) {
      auto first = std::min_element(kept_tokens_.begin(), kept_tokens_.end(), [](auto& a, auto& b) {
        return a.second.expires_at() < b.second.expires_at();
      });
      kept_tokens_.erase(first);
    }
    kept_tokens_.insert_or_assign(token, *std::move(access));
  }
  if (std::optional<Access> kept = KeptAccess()) add(*kept);
  if (!granted) {
    absl::StatusOr<Access> open = tokens_.Authenticate(std::nullopt);  // public, or missing_token
    if (!open.ok()) return ErrorOf(open.status());
    add(*open);
  }
  return std::make_shared<const Access>(*std::move(granted));
}

std::optional<Access> VissChannel::KeptAccess() {
  Timestamp now = clock_.Now();
  std::optional<Access> kept;
  for (auto it = kept_tokens_.begin(); it != kept_tokens_.end();) {
    if (it->second.expires_at() && *it->second.expires_at() <= now) {
      it = kept_tokens_.erase(it);
      continue;
    }
    kept = kept ? Access::Union(*kept, it->second) : it->second;
    ++it;
  }
  return kept;
}

void VissChannel::ArmExpiry(Sub& sub, const Access& access) {
  if (!access.expires_at()) return;
  if (!sub.expiry) sub.expiry = std::make_unique<boost::asio::steady_timer>(strand_);
  auto left = std::max<std::chrono::nanoseconds>(*access.expires_at() - clock_.Now(),
                                                 std::chrono::milliseconds(1));
  sub.expiry->expires_after(left);
  std::weak_ptr<VissChannel> self = weak_from_this();
  sub.expiry->async_wait([self, id = sub.id](const boost::system::error_code& ec) {
    if (auto channel = self.lock(); channel && !ec) channel->Reauthorize(id);
  });
}

void VissChannel::Reauthorize(const std::string& id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  Sub& sub = *it->second;
  std::optional<Access> now = KeptAccess();
  if (!now) {
    absl::StatusOr<Access> open = tokens_.Authenticate(std::nullopt);
    if (open.ok()) now = *std::move(open);
  }
  bool still = now.has_value();
  for (const Signal* s : sub.signals) still = still && now->Allows(Action::kRead, s->spec.path);
  if (still) {
    ArmExpiry(sub, *now);
    return;
  }
  Json event = {
      {"action", "subscription"},
      {"subscriptionId", sub.id},
      {"error",
       {{"number", 401},
        {"reason", "expired_token"},
        {"message", fmt::format("the token that allowed subscription {} expired; the "
                                "subscription has ended (send a new token and subscribe again)",
                                sub.id)}}},
      {"ts", Now()}};
  if (!sub.echo.is_null()) event["echo"] = sub.echo;
  Emit(std::move(event));
  End(sub);
  subscriptions_.erase(it);
}

std::variant<std::vector<const Signal*>, VissError> VissChannel::Targets(
    AuthorizedBroker& b, const VissRequest& r) const {
  std::vector<std::string> patterns;
  if (r.filter.paths.empty()) {
    patterns.push_back(r.path);
  } else {
    for (const std::string& rel : r.filter.paths) {
      std::string p = rel;
      std::replace(p.begin(), p.end(), '/', '.');
      patterns.push_back(r.path + "." + p);
    }
  }
  std::vector<const Signal*> out;
  std::set<SignalId> seen;
  for (const std::string& pattern : patterns) {
    absl::StatusOr<std::vector<const Signal*>> leaves = b.List(pattern);
    if (!leaves.ok()) {
      VissError e = ErrorOf(leaves.status());
      if (e.number == 400 && leaves.status().code() == absl::StatusCode::kInvalidArgument) {
        e = VissError::BadRequest(std::string(leaves.status().message()));
      }
      return e;
    }
    for (const Signal* s : *leaves) {
      if (seen.insert(s->id).second) out.push_back(s);
    }
  }
  return out;
}

Json VissChannel::Get(const VissRequest& r, const Access& access) {
  AuthorizedBroker b = broker_.Authorized(access);
  std::string_view action = "get";
  if (auto* m = std::get_if<Filter::DynamicMetadata>(&r.filter.other)) {
    if (m->key == "server_capabilities") {
      if (r.path != "Vehicle" || !r.filter.paths.empty()) {
        return ErrorResponse(action, r.request_id,
                             VissError::BadRequest("server_capabilities is asked on path Vehicle, "
                                                   "without a paths filter"));
      }
      return {{"action", action},
              {"requestId", r.request_id},
              {"metadata", ServerCapabilities(limits_.secure)},
              {"ts", Now()}};
    }
    auto targets = Targets(b, r);
    if (auto* e = std::get_if<VissError>(&targets)) return ErrorResponse(action, r.request_id, *e);
    auto entries = DynamicMetadataOf(b, tokens_, std::get<std::vector<const Signal*>>(targets),
                                     m->key, clock_.Now());
    if (auto* e = std::get_if<VissError>(&entries)) return ErrorResponse(action, r.request_id, *e);
    return {{"action", action},
            {"requestId", r.request_id},
            {"data", DataOf(std::get<std::vector<Json>>(std::move(entries)))},
            {"ts", Now()}};
  }
  if (auto* h = std::get_if<Filter::History>(&r.filter.other)) return History(r, b, h->period);
  if (auto* m = std::get_if<Filter::StaticMetadata>(&r.filter.other)) {
    absl::StatusOr<const Signal*> root = b.Find(r.path);
    if (!root.ok()) return ErrorResponse(action, r.request_id, ErrorOf(root.status()));
    return {{"action", action},
            {"requestId", r.request_id},
            {"metadata", StaticMetadataOf(broker_, **root, *m)},
            {"ts", Now()}};
  }
  auto targets = Targets(b, r);
  if (auto* e = std::get_if<VissError>(&targets)) return ErrorResponse(action, r.request_id, *e);
  std::vector<Json> entries;
  for (const Signal* s : std::get<std::vector<const Signal*>>(targets)) {
    absl::StatusOr<Datapoint> dp = b.Get(*s);
    if (!dp.ok()) return ErrorResponse(action, r.request_id, ErrorOf(dp.status()));
    if (HasValue(dp->value)) entries.push_back(DataEntry(*s, *dp));
  }
  if (entries.empty()) {
    return ErrorResponse(action, r.request_id,
                         VissError::Unavailable(fmt::format("{} has no value yet", r.path)));
  }
  return {{"action", action},
          {"requestId", r.request_id},
          {"data", DataOf(std::move(entries))},
          {"ts", Now()}};
}

Json VissChannel::History(const VissRequest& r, AuthorizedBroker& b,
                          std::chrono::milliseconds period) {
  std::string_view action = "get";
  auto targets = Targets(b, r);
  if (auto* e = std::get_if<VissError>(&targets)) return ErrorResponse(action, r.request_id, *e);
  Timestamp since = clock_.Now() - period;
  std::vector<Json> entries;
  for (const Signal* s : std::get<std::vector<const Signal*>>(targets)) {
    absl::StatusOr<std::vector<Datapoint>> points = b.History(*s, since);
    if (!points.ok()) return ErrorResponse(action, r.request_id, ErrorOf(points.status()));
    if (points->empty()) continue;
    Json dps = Json::array();
    for (const Datapoint& dp : *points) {
      dps.push_back({{"value", ToViss(dp.value)}, {"ts", VissTimestamp(dp.timestamp)}});
    }
    entries.push_back({{"path", s->spec.path}, {"dp", std::move(dps)}});
  }
  if (entries.empty()) {
    return ErrorResponse(action, r.request_id,
                         VissError::Unavailable(fmt::format(
                             "no recorded values of {} in that period (the broker keeps {} per "
                             "signal: --history-size)",
                             r.path, broker_.history_size())));
  }
  return {{"action", action},
          {"requestId", r.request_id},
          {"data", DataOf(std::move(entries))},
          {"ts", Now()}};
}

Json VissChannel::Set(const VissRequest& r, const Access& access) {
  AuthorizedBroker b = broker_.Authorized(access);
  std::string_view action = "set";
  absl::StatusOr<const Signal*> s = b.Find(r.path);
  if (!s.ok()) return ErrorResponse(action, r.request_id, ErrorOf(s.status()));
  const Signal& signal = **s;
  if (signal.spec.entry_type != EntryType::kActuator) {
    return ErrorResponse(
        action, r.request_id,
        VissError::Forbidden(fmt::format("{} is a{} {}: only actuators can be set", r.path,
                                         signal.spec.entry_type == EntryType::kAttribute ? "n" : "",
                                         EntryTypeName(signal.spec.entry_type))));
  }
  absl::StatusOr<Value> value = FromViss(r.value, *signal.spec.data_type);
  if (!value.ok()) {
    return ErrorResponse(
        action, r.request_id,
        VissError::InvalidData(fmt::format("{}: {}", r.path, value.status().message())));
  }
  absl::Status done = b.Actuate({{&signal, *std::move(value)}});
  if (!done.ok()) return ErrorResponse(action, r.request_id, ErrorOf(done));
  return {{"action", action}, {"requestId", r.request_id}, {"ts", Now()}};
}

Json VissChannel::Subscribe(const VissRequest& r, std::shared_ptr<const Access> access) {
  std::string_view action = "subscribe";
  if (subscriptions_.size() >= limits_.max_subscriptions) {
    return ErrorResponse(action, r.request_id,
                         {503, "service_unavailable",
                          fmt::format("this connection has {} subscriptions, the most it may have",
                                      subscriptions_.size())});
  }
  AuthorizedBroker b = broker_.Authorized(*access);
  auto targets = Targets(b, r);
  if (auto* e = std::get_if<VissError>(&targets)) return ErrorResponse(action, r.request_id, *e);
  auto sub = std::make_unique<Sub>();
  sub->id = std::to_string(next_subscription_++);
  sub->access = std::move(access);
  sub->signals = std::get<std::vector<const Signal*>>(std::move(targets));
  sub->filter = r.filter;
  sub->echo = r.echo;
  if (auto* t = std::get_if<Filter::Timebased>(&r.filter.other)) {
    for (const Signal* s : sub->signals) {  // read permission, checked once up front
      if (absl::Status ok = sub->access->Require(Action::kRead, s->spec.path); !ok.ok()) {
        return ErrorResponse(action, r.request_id, ErrorOf(ok));
      }
    }
    sub->timer = std::make_unique<boost::asio::steady_timer>(strand_);
    sub->timer->expires_after(std::chrono::milliseconds(t->period_ms));
  } else {
    absl::StatusOr<std::shared_ptr<Subscription>> core =
        b.Subscribe(sub->signals, SubscribeOptions{kMaxBufferSize, {}, ValueKind::kCurrent});
    if (!core.ok()) return ErrorResponse(action, r.request_id, ErrorOf(core.status()));
    sub->core = *std::move(core);
  }
  std::string id = sub->id;
  Sub& placed = *sub;
  subscriptions_.emplace(id, std::move(sub));
  ArmExpiry(placed, *placed.access);
  // The response goes out first; the first event (the current values) is
  // drained after it, from the strand.
  std::weak_ptr<VissChannel> self = weak_from_this();
  if (placed.core) {
    placed.core->SetReadyHandler([self, strand = strand_, id] {
      boost::asio::post(strand, [self, id] {
        if (auto channel = self.lock()) channel->Drain(id);
      });
    });
    boost::asio::post(strand_, [self, id] {
      if (auto channel = self.lock()) channel->Drain(id);
    });
  } else {
    placed.timer->async_wait([self, id](const boost::system::error_code& ec) {
      if (auto channel = self.lock(); channel && !ec) channel->Sample(id);
    });
  }
  return {{"action", action}, {"requestId", r.request_id}, {"subscriptionId", id}, {"ts", Now()}};
}

Json VissChannel::Unsubscribe(const VissRequest& r) {
  std::string_view action = "unsubscribe";
  if (r.all_subscriptions) {
    Close();
    return {{"action", action},
            {"requestId", r.request_id},
            {"subscriptionId", r.subscription_id},
            {"ts", Now()}};
  }
  auto it = subscriptions_.find(r.subscription_id);
  if (it == subscriptions_.end()) {
    return ErrorResponse(action, r.request_id,
                         VissError::Unavailable(fmt::format("no subscription {} on this connection",
                                                            r.subscription_id)));
  }
  End(*it->second);
  subscriptions_.erase(it);
  return {{"action", action},
          {"requestId", r.request_id},
          {"subscriptionId", r.subscription_id},
          {"ts", Now()}};
}

void VissChannel::End(Sub& sub) {
  if (sub.core) broker_.Authorized(*sub.access).Unsubscribe(sub.core);
  if (sub.timer) sub.timer->cancel();
  if (sub.expiry) sub.expiry->cancel();
}

void VissChannel::SendEvent(const Sub& sub, Json data) {
  Json event = {{"action", "subscription"},
                {"subscriptionId", sub.id},
                {"data", std::move(data)},
                {"ts", Now()}};
  if (!sub.echo.is_null()) event["echo"] = sub.echo;
  Emit(std::move(event));
}

void VissChannel::Drain(const std::string& id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  Sub& sub = *it->second;
  const auto* range = std::get_if<Filter::Range>(&sub.filter.other);
  const auto* change = std::get_if<Filter::Change>(&sub.filter.other);
  const auto* curvelog = std::get_if<Filter::Curvelog>(&sub.filter.other);
  const auto* threshold = std::get_if<Filter::Threshold>(&sub.filter.other);
  AuthorizedBroker b = broker_.Authorized(*sub.access);
  if (!range && !change && !curvelog && !threshold && &dialect_ == &V2Dialect() &&
      sub.echo.is_null()) {
    DrainUnfiltered(sub, b);
    return;
  }
  while (std::optional<Update> update = sub.core->Next(std::chrono::milliseconds(0))) {
    std::vector<Json> entries;
    for (const auto& [signal_id, dp] : update->entries) {
      if (!HasValue(dp.value)) continue;
      absl::StatusOr<const Signal*> s = b.Find(signal_id);
      if (!s.ok()) continue;
      std::optional<double> number = NumberOf(dp.value);
      if (range) {
        if (!number) continue;  // a range has no meaning for text
        bool first = Compare(*number, range->boundaries[0].op, range->boundaries[0].value);
        bool in = first;
        if (range->boundaries.size() == 2) {
          bool second = Compare(*number, range->boundaries[1].op, range->boundaries[1].value);
          in = range->combine_or ? first || second : first && second;
        }
        if (!in) continue;
      }
      if (change) {
        if (!number) continue;
        // "Changed between two sequential captures": against the value
        // before this one, reported or not. The first is only the baseline.
        auto [last, first] = sub.previous.try_emplace(signal_id, *number);
        double before = last->second;
        last->second = *number;
        if (first || !Compare(*number - before, change->op, change->diff)) continue;
      }
      if (threshold && !Passes(*threshold, (*s)->spec.path, signal_id, number, sub.last_sent)) {
        continue;
      }
      if (curvelog) {
        if (!number) continue;  // curve logging needs numbers
        std::vector<Datapoint>& buffer = sub.curve[signal_id];
        buffer.push_back(dp);
        if (buffer.size() < static_cast<size_t>(curvelog->bufsize)) continue;
        entries.push_back(CurveEntry(**s, buffer, curvelog->maxerr));
        buffer.clear();
        continue;
      }
      entries.push_back(DataEntry(**s, dp));
    }
    if (!entries.empty()) SendEvent(sub, DataOf(std::move(entries)));
  }
}

// The fan-out path: a v2 subscription without a value filter sends every
// update as it is, and thousands of them get the same update at once. The
// data of one value is serialized once per I/O thread and reused while the
// next subscriber gets the same value; the event is assembled as text.
void VissChannel::DrainUnfiltered(Sub& sub, AuthorizedBroker& b) {
  struct Cached {
    SignalId id = 0;
    Datapoint dp;
    std::string text;
  };
  thread_local Cached cache;
  thread_local std::pair<std::chrono::milliseconds, std::string> now{-1, ""};
  while (std::optional<Update> update = sub.core->Next(std::chrono::milliseconds(0))) {
    std::string data;
    size_t count = 0;
    for (const auto& [signal_id, dp] : update->entries) {
      if (!HasValue(dp.value)) continue;
      if (cache.id != signal_id || cache.dp.timestamp != dp.timestamp ||
          cache.dp.value != dp.value) {
        absl::StatusOr<const Signal*> s = b.Find(signal_id);
        if (!s.ok()) continue;
        cache = {signal_id, dp, VissText(DataEntry(**s, dp))};
      }
      data += count++ == 0 ? "" : ",";
      data += cache.text;
    }
    if (count == 0) continue;
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch());
    if (ms != now.first) now = {ms, Now()};
    // The subscription id is ours (digits): no escaping needed.
    send_(
        fmt::format(R"({{"action":"subscription","subscriptionId":"{}","data":{}{}{},"ts":"{}"}})",
                    sub.id, count > 1 ? "[" : "", data, count > 1 ? "]" : "", now.second));
  }
}

void VissChannel::Sample(const std::string& id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  Sub& sub = *it->second;
  AuthorizedBroker b = broker_.Authorized(*sub.access);
  std::vector<Json> entries;
  for (const Signal* s : sub.signals) {
    absl::StatusOr<Datapoint> dp = b.Get(*s);
    if (dp.ok() && HasValue(dp->value)) entries.push_back(DataEntry(*s, *dp));
  }
  if (!entries.empty()) SendEvent(sub, DataOf(std::move(entries)));
  const auto& t = std::get<Filter::Timebased>(sub.filter.other);
  sub.timer->expires_at(sub.timer->expiry() + std::chrono::milliseconds(t.period_ms));
  std::weak_ptr<VissChannel> self = weak_from_this();
  sub.timer->async_wait([self, id](const boost::system::error_code& ec) {
    if (auto channel = self.lock(); channel && !ec) channel->Sample(id);
  });
}

}  // namespace pharos::broker::viss
