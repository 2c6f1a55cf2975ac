package io.keybrake.store.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code WalReader} is the drainer's cursor over the write-ahead segments: it reads records in
 * local-seq order from {@code next} on, never past the durable end it is given, so it only sees
 * whole, forced records. Not thread-safe: the drainer thread alone uses it.
 */
final class WalReader implements AutoCloseable {
  private final WalSegments segments;
  private long next;
  private long segmentFirstSeq = -1;
  private FileChannel channel;
  private long position;

  WalReader(WalSegments segments, long next) {
    this.segments = segments;
    this.next = next;
  }

  /** Up to {@code max} records from the cursor on, none above {@code durable}. */
  List<WalRecord> read(int max, long durable) throws IOException {
    List<WalRecord> out = new ArrayList<>();
    while (out.size() < max && next <= durable) {
      if (channel == null) {
        open();
      }
      long size = channel.size();
      ByteBuffer payload = WalSegments.readRecord(channel, position, size);
      if (payload == null) {
        if (position < size) {
          throw new IOException(
              "write-ahead record " + next + " is unreadable at byte " + position);
        }
        Long later = segments.segments().higherKey(segmentFirstSeq);
        if (later == null || later != next) {
          throw new IOException("write-ahead record " + next + " is missing");
        }
        closeChannel();
        continue;
      }
      position += WalCodec.FRAME_HEADER + payload.remaining();
      long seq = WalCodec.seq(payload);
      if (seq < next) {
        continue;
      }
      if (seq != next) {
        throw new IOException("write-ahead record " + next + " is missing (found " + seq + ")");
      }
      out.add(WalCodec.decode(payload));
      next++;
    }
    return out;
  }

  /** Closes the segment file being read if it starts at {@code firstSeq} (it is to be deleted). */
  void release(long firstSeq) throws IOException {
    if (channel != null && segmentFirstSeq == firstSeq) {
      closeChannel();
    }
  }

  private void open() throws IOException {
    Map.Entry<Long, Path> seg = segments.segments().floorEntry(next);
    if (seg == null) {
      throw new IOException("no write-ahead segment holds record " + next);
    }
    channel = FileChannel.open(seg.getValue(), StandardOpenOption.READ);
    segmentFirstSeq = seg.getKey();
    position = WalSegments.MAGIC.length;
  }

  private void closeChannel() throws IOException {
    channel.close();
    channel = null;
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      closeChannel();
    }
  }
}
