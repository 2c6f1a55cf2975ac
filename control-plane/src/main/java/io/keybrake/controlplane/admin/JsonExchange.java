package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * JSON in and out for the admin API over Jetty core: reads a bounded {@code application/json} body
 * into a tree (exact decimals, duplicate fields refused, nothing of the body ever echoed) and
 * writes replies. Holds the API's one {@link ObjectMapper}. Thread-safe.
 */
final class JsonExchange {
  private static final String BODY_READ = JsonExchange.class.getName() + ".bodyRead";

  private final int maxBodyBytes;
  private final ObjectMapper json =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();

  /**
   * A body refused for its size is still read (and dropped) up to this many bytes in all, so that
   * the client reads the 413 on a connection that stays usable; a larger one is refused unread.
   */
  static final long DRAIN_LIMIT_BYTES = 4L << 20;

  JsonExchange(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Reads a JSON body of at most {@code maxBodyBytes}; never echoes its content. */
  Body read(Request request) {
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (!isJson(type)) {
      return Body.failed(
          Reply.error(415, "unsupported_media_type", "Content-Type must be application/json"));
    }
    Reply tooLarge =
        Reply.error(
            413, "request_too_large", "the body must be at most " + maxBodyBytes + " bytes");
    long declared = request.getLength();
    if (declared > maxBodyBytes && declared > DRAIN_LIMIT_BYTES) {
      return Body.failed(tooLarge); // far too large to read: refused unread, the connection closes
    }
    byte[] bytes;
    try (InputStream in = Content.Source.asInputStream(request)) {
      bytes = in.readNBytes(maxBodyBytes + 1);
      if (bytes.length > maxBodyBytes) {
        // Read the rest and drop it before answering: closing a connection with unread bytes
        // resets it, and the client may then never see the 413 (the JDK's HttpClient reports
        // "header parser received no bytes"). Beyond the limit the connection closes unread.
        if (drained(in, DRAIN_LIMIT_BYTES - bytes.length)) {
          request.setAttribute(BODY_READ, Boolean.TRUE);
        }
        return Body.failed(tooLarge);
      }
    } catch (IOException e) {
      return Body.failed(Reply.error(400, "invalid_request", "the body could not be read"));
    }
    request.setAttribute(BODY_READ, Boolean.TRUE);
    try {
      return new Body(json.readTree(bytes), null);
    } catch (IOException e) {
      // Jackson's message may quote the body, which may hold a credential: never pass it on
      return Body.failed(Reply.error(400, "invalid_request", "the body is not valid JSON"));
    }
  }

  /**
   * Reads and drops the rest of a body refused for its size, up to {@code limit} more bytes; true
   * when the body ended within it.
   */
  private static boolean drained(InputStream in, long limit) throws IOException {
    byte[] scratch = new byte[8192];
    long left = limit;
    int n;
    while ((n = in.read(scratch)) >= 0) {
      left -= n;
      if (left < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean unreadBody(Request request) {
    boolean hasBody =
        request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    return hasBody && request.getAttribute(BODY_READ) == null;
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String base = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return base.equals("application/json");
  }

  void send(Request request, Response response, Callback callback, Reply reply) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(reply.body());
    } catch (JsonProcessingException e) {
      Response.writeError(request, response, callback, 500);
      return;
    }
    response.setStatus(reply.status());
    if (unreadBody(request)) {
      // a body left unread (refused before reading, or too large) cannot be skipped safely:
      // tell the client this connection ends, so it does not send its next request on it
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    if (reply.location() != null) {
      response.getHeaders().put(HttpHeader.LOCATION, reply.location());
    }
    if (reply.allow() != null) {
      response.getHeaders().put(HttpHeader.ALLOW, reply.allow());
    }
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  /** A status and JSON body, with the optional {@code Location} and {@code Allow} headers. */
  record Reply(int status, JsonNode body, String location, String allow) {
    Reply(int status, JsonNode body, String location) {
      this(status, body, location, null);
    }

    static Reply ok(JsonNode body) {
      return new Reply(200, body, null, null);
    }

    static Reply error(int status, String code, String message) {
      return new Reply(status, AdminViews.error(code, message), null, null);
    }
  }

  /** A JSON body as read, or the reply that refuses it. */
  record Body(JsonNode node, Reply error) {
    static Body failed(Reply error) {
      return new Body(null, error);
    }
  }
}
