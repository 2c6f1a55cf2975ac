package io.keybrake.cli.app;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/** Closes what was started, last first, and reports the first failure. Not thread-safe. */
final class Closer implements AutoCloseable {
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  <T extends AutoCloseable> T register(T resource) {
    started.push(resource);
    return resource;
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IOException("shutdown failed: " + e.getMessage(), e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
