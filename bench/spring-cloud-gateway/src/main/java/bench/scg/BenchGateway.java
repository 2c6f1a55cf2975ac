package bench.scg;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.ratelimit.KeyResolver;
import org.springframework.cloud.gateway.filter.ratelimit.RedisRateLimiter;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * The Spring Cloud Gateway peer of the side-by-side benchmark: what a Java team would build instead
 * of Keybrake for one vendor. {@code /twilio/**} goes to the upstream after a filter checks the
 * agent's API key (HTTP Basic user, also the account SID in the path, as Keybrake's vault key is)
 * and swaps in the real account SID and token, then the built-in Redis {@code RequestRateLimiter}
 * (one Lua script in Redis per request) keyed by the API key. No budget, no destination policy, no
 * deduplication, no audit: far less work than Keybrake's policy.
 */
@SpringBootApplication
public class BenchGateway {
  public static void main(String[] args) {
    SpringApplication.run(BenchGateway.class, args);
  }

  @Bean
  RouteLocator routes(
      RouteLocatorBuilder builder,
      RedisRateLimiter limiter,
      KeyResolver apiKey,
      @Value("${bench.upstream}") String upstream) {
    return builder
        .routes()
        .route(
            "twilio",
            r ->
                r.path("/twilio/**")
                    .filters(
                        f ->
                            f.stripPrefix(1)
                                .requestRateLimiter(
                                    c -> c.setRateLimiter(limiter).setKeyResolver(apiKey)))
                    .uri(upstream))
        .build();
  }

  /** A bucket far larger than any benchmark rate: every call pays the Redis script, none is cut. */
  @Bean
  RedisRateLimiter redisRateLimiter() {
    return new RedisRateLimiter(1_000_000, 1_000_000, 1);
  }

  @Bean
  KeyResolver apiKey() {
    return exchange ->
        Mono.justOrEmpty((String) exchange.getAttribute(CredentialSwap.KEY_ATTRIBUTE));
  }

  @Bean
  GlobalFilter credentialSwap(
      @Value("${bench.api-key}") String apiKey,
      @Value("${bench.account-sid}") String accountSid,
      @Value("${bench.auth-token}") String authToken) {
    return new CredentialSwap(apiKey, accountSid, authToken);
  }

  /**
   * Checks the agent's key and puts the real credential in its place (header and path). Ordered
   * first, before the route's rate limiter, which keys on what this filter found.
   */
  static final class CredentialSwap implements GlobalFilter, Ordered {
    static final String KEY_ATTRIBUTE = "bench.apiKey";
    private final String apiKey;
    private final String accountSid;
    private final String realAuthorization;

    CredentialSwap(String apiKey, String accountSid, String authToken) {
      this.apiKey = apiKey;
      this.accountSid = accountSid;
      this.realAuthorization =
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((accountSid + ":" + authToken).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int getOrder() {
      return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public Mono<Void> filter(
        org.springframework.web.server.ServerWebExchange exchange,
        org.springframework.cloud.gateway.filter.GatewayFilterChain chain) {
      String auth = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
      String user = basicUser(auth);
      if (user == null || !user.equals(apiKey)) {
        exchange.getResponse().setStatusCode(HttpStatus.UNAUTHORIZED);
        return exchange.getResponse().setComplete();
      }
      exchange.getAttributes().put(KEY_ATTRIBUTE, user);
      String path = exchange.getRequest().getURI().getRawPath().replace(apiKey, accountSid);
      return chain.filter(
          exchange
              .mutate()
              .request(
                  r ->
                      r.path(path)
                          .headers(h -> h.set(HttpHeaders.AUTHORIZATION, realAuthorization)))
              .build());
    }

    private static String basicUser(String auth) {
      if (auth == null || !auth.regionMatches(true, 0, "Basic ", 0, 6)) {
        return null;
      }
      try {
        String decoded =
            new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        return colon < 0 ? decoded : decoded.substring(0, colon);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }
}
