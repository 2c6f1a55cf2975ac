import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The low-rate run of the side-by-side benchmark ({@code java Pacer.java …}): one sequential
 * keep-alive HTTP/1.1 client sends {@code --calls} calls at {@code --rate} per second to the system
 * under test; halfway between two of them a second keep-alive client sends the same call straight
 * to the upstream ({@code --floor-url}), so both are measured in the same seconds on the same
 * loaded machine. Prints one RESULT line: the system's p50/p99, the upstream's, and the difference
 * (what the system adds), in microseconds. Bodies are unique (run tag + counter).
 */
public final class Pacer {
  public static void main(String[] args) throws Exception {
    String url = null, floorUrl = null, kind = "twilio", auth = null, floorAuth = null;
    String tag = Long.toString(System.nanoTime());
    List<String[]> headers = new ArrayList<>();
    double rate = 10;
    int calls = 300;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--url" -> url = v;
        case "--floor-url" -> floorUrl = v;
        case "--kind" -> kind = v;
        case "--auth" -> auth = v;
        case "--floor-auth" -> floorAuth = v;
        case "--header" -> headers.add(v.split(":\\s*", 2));
        case "--rate" -> rate = Double.parseDouble(v);
        case "--calls" -> calls = Integer.parseInt(v);
        case "--tag" -> tag = v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (url == null || floorUrl == null || auth == null) {
      throw new IllegalArgumentException("--url, --floor-url and --auth are required");
    }
    HttpClient system = client();
    HttpClient floor = client();
    long period = (long) (1e9 / rate);
    long[] sys = new long[calls];
    long[] up = new long[calls];
    int bad = 0;
    long next = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      waitUntil(next);
      long t0 = System.nanoTime();
      int status = send(system, url, kind, auth, headers, tag + "-s-" + i);
      sys[i] = System.nanoTime() - t0;
      waitUntil(next + period / 2);
      long t1 = System.nanoTime();
      int floorStatus =
          send(floor, floorUrl, kind, floorAuth == null ? auth : floorAuth, List.of(), tag + "-f-" + i);
      up[i] = System.nanoTime() - t1;
      if (status / 100 != 2 || floorStatus / 100 != 2) {
        if (++bad <= 3) {
          System.err.println("non-2xx: system " + status + ", upstream " + floorStatus);
        }
      }
      next += period;
    }
    Arrays.sort(sys);
    Arrays.sort(up);
    long sp50 = pct(sys, 50), sp99 = pct(sys, 99), up50 = pct(up, 50), up99 = pct(up, 99);
    System.out.printf(
        "RESULT calls=%d p50us=%d p99us=%d upstream_p50us=%d upstream_p99us=%d added_p50us=%d"
            + " added_p99us=%d non2xx=%d%n",
        calls, sp50 / 1000, sp99 / 1000, up50 / 1000, up99 / 1000, (sp50 - up50) / 1000,
        (sp99 - up99) / 1000, bad);
  }

  private static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static int send(
      HttpClient client, String url, String kind, String auth, List<String[]> headers, String unique)
      throws Exception {
    String body =
        kind.equals("twilio")
            ? "To=%2B14155552671&From=%2B15005550006&Body=pacer+" + unique
            : "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"pacer "
                + unique
                + "\"}]}";
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", auth)
            .header(
                "Content-Type",
                kind.equals("twilio") ? "application/x-www-form-urlencoded" : "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (String[] h : headers) {
      b.header(h[0], h[1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode();
  }

  private static void waitUntil(long deadline) throws InterruptedException {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  private static long pct(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
