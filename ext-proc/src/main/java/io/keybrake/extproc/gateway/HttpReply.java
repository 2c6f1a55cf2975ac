package io.keybrake.extproc.gateway;

import java.util.List;
import java.util.Map;

/** A complete HTTP response: status, headers (lower-case names), body. */
public record HttpReply(int status, List<Map.Entry<String, String>> headers, byte[] body) {}
