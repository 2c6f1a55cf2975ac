package io.keybrake.extproc.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body as it arrives, without a thread waiting for it: each chunk read now, and
 * {@link Content.Source#demand} to be called back when more comes. Not thread-safe: one body.
 */
final class BodyReader {
  private final Content.Source source;
  private final int maxBytes;
  private final ByteArrayOutputStream body = new ByteArrayOutputStream();
  private final CompletableFuture<byte[]> done = new CompletableFuture<>();

  private BodyReader(Content.Source source, int maxBytes) {
    this.source = source;
    this.maxBytes = maxBytes;
  }

  /**
   * Bytes past the limit read and dropped before a refused body's 413, so the answer goes out on a
   * connection that stays open: closing one with its body still arriving resets it, and the client
   * may never see the 413 (it fails writing the body instead). A body over the limit by more than
   * this is refused before it ends, and the connection closed.
   */
  static final long DRAIN_LIMIT_BYTES = 4L << 20;

  private long dropped;

  /**
   * The whole body; completes with null when it is over {@code maxBytes} (once the rest was read
   * and dropped, up to {@link #DRAIN_LIMIT_BYTES}), exceptionally when the client's stream failed.
   */
  static CompletableFuture<byte[]> read(Content.Source source, int maxBytes) {
    BodyReader r = new BodyReader(source, maxBytes);
    r.readAvailable();
    return r.done;
  }

  private void readAvailable() {
    while (true) {
      Content.Chunk chunk = source.read();
      if (chunk == null) {
        source.demand(this::readAvailable);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        done.completeExceptionally(chunk.getFailure());
        return;
      }
      boolean last = chunk.isLast();
      try {
        ByteBuffer bytes = chunk.getByteBuffer();
        if (dropped > 0 || (long) body.size() + bytes.remaining() > maxBytes) {
          dropped += bytes.remaining();
          if (last || dropped > DRAIN_LIMIT_BYTES) {
            done.complete(null);
            return;
          }
          continue;
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        body.write(copy, 0, copy.length);
      } finally {
        chunk.release();
      }
      if (last) {
        done.complete(body.toByteArray());
        return;
      }
    }
  }
}
