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
   * The whole body; completes with null when it is over {@code maxBytes} (the rest is not read),
   * exceptionally when the client's stream failed.
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
        if ((long) body.size() + bytes.remaining() > maxBytes) {
          done.complete(null);
          return;
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
