#include "node/get_relay.hpp"

#include <algorithm>
#include <memory>

#include "ops/basic_auth.hpp"
#include "relay/rest_credential.hpp"

namespace p2psip::node {
namespace {

bool is_udp(const std::string& uri) {
  return uri.starts_with("turn:") && uri.find("transport=tcp") == std::string::npos;
}

ops::http_response challenge(const std::string& realm, std::string_view why) {
  return {401,
          {{"error", why}},
          {{"WWW-Authenticate", "Basic realm=\"" + realm + "\", charset=\"UTF-8\""}}};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<std::string> choose_relay_uris(std::vector<overlay::service_record> offers,
                                           std::size_t relays, std::mt19937& random) {
  std::shuffle(offers.begin(), offers.end(), random);
  if (offers.size() > relays) offers.resize(relays);
  std::vector<std::string> out;
  for (auto& offer : offers) {
    std::stable_partition(offer.uris.begin(), offer.uris.end(), is_udp);
    out.insert(out.end(), offer.uris.begin(), offer.uris.end());
  }
  return out;
}

void install_get_relay(ops::http_server& https, const auth::credentials_store& users,
                       service_directory& relays, get_relay_settings settings,
                       get_relay_counters& counters, proxy::user_source refresh) {
  auto random = std::make_shared<std::mt19937>(std::random_device{}());
  const std::string realm = settings.realm;
  auto answer = [&users, &relays, &counters, settings = std::move(settings), random](
                    const ops::http_request& request, const ops::basic_credentials& given,
                    const ops::reply_fn& reply) {
    // The store may hold only the user's HA1 (an enrolled user): the password
    // given is checked by its HA1, and an unknown user against an empty one,
    // in the same time.
    const auto known = users.ha1(given.user, auth::algorithm::md5, settings.realm);
    const auto offered =
        auth::ha1(auth::algorithm::md5, given.user, settings.realm, given.password);
    if (!ops::same_secret(offered, known.value_or("")) || !known) {
      ++counters.unauthorized;
      return reply(challenge(settings.realm, "wrong user name or password"));
    }
    if (const auto service = request.query.find("service");
        service != request.query.end() && service->second != "turn")
      return reply({400, {{"error", "only service=turn is offered"}}});
    if (const auto asked = request.query.find("username");
        asked != request.query.end() && asked->second != given.user) {
      ++counters.forbidden;
      return reply({403, {{"error", "credentials are only given for your own user name"}}});
    }
    relays.read(
        [&counters, settings, random, user = given.user,
         reply](const std::vector<overlay::service_record>& offers) {
          auto uris = choose_relay_uris(offers, settings.relays, *random);
          if (uris.empty()) {
            ++counters.no_relay;
            return reply({503,
                          {{"error", "no relay agent peer is known in the overlay"}},
                          {{"Retry-After", "30"}}});
          }
          const auto credential =
              relay::make_rest_credential(settings.secret, user, unix_now(), settings.ttl);
          ++counters.answered;
          reply({200,
                 {{"username", credential.username},
                  {"password", credential.password},
                  {"ttl", settings.ttl.count()},
                  {"uris", uris}}});
        },
        /*retry_empty=*/true);
  };
  https.route("/turn", [&counters, realm, refresh = std::move(refresh), answer](
                           const ops::http_request& request, ops::reply_fn reply) {
    const auto given = ops::parse_basic(request.authorization);
    if (!given) {
      ++counters.unauthorized;
      return reply(challenge(realm, "give your SIP user name and password (Basic)"));
    }
    // An enrolled user's secrets are read from the overlay first, as for SIP.
    if (refresh.fetch && !refresh.current(given->user))
      return refresh.fetch(
          given->user, [answer, request, given = *given, reply] { answer(request, given, reply); });
    answer(request, *given, reply);
  });
  // A guessed password costs a request: bound how fast anyone may guess.
  https.limit_rate("/turn", 20, 40);
}

}  // namespace p2psip::node
